"""What ratings, feedback and verification take and give: plain Pydantic models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.models.feedback import FeedbackKind, FeedbackState, Satisfaction
from app.models.processing import DocumentForm

MAX_COMMENT = 2000
MAX_SUBJECT = 255
MAX_BODY = 5000
MAX_ANSWER = 5000

SATISFACTION_LABELS: dict[int, tuple[str, str]] = {
    Satisfaction.very_satisfied: ("Rất hài lòng", "Very satisfied"),
    Satisfaction.satisfied: ("Hài lòng", "Satisfied"),
    Satisfaction.not_satisfied: ("Không hài lòng", "Not satisfied"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    FeedbackKind.report: ("Phản ánh", "Report"),
    FeedbackKind.petition: ("Kiến nghị", "Petition"),
}

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)]


class RatingIn(BaseModel):
    """The applicant's rating of the service on a returned dossier."""

    score: Satisfaction = Field(
        description="1 very satisfied (rất hài lòng), 2 satisfied (hài lòng),"
        " 3 not satisfied (không hài lòng)"
    )
    comment: Comment = ""


class RatingOut(BaseModel):
    dossier_code: str
    score: Satisfaction
    label_vi: str
    label_en: str
    comment: str
    created_at: datetime


class RatingStatus(BaseModel):
    """Whether a dossier can be rated, and its rating once given."""

    dossier_code: str
    ratable: bool = Field(
        description="The result was returned and the dossier is not rated yet: POST a rating"
    )
    rating: RatingOut | None


class AgencyBrief(BaseModel):
    code: str
    name: str


class FeedbackIn(BaseModel):
    """Feedback (phản ánh) or a petition (kiến nghị) on a dossier or on a procedure."""

    kind: FeedbackKind = Field(
        description="`report`: phản ánh, something went wrong; `petition`: kiến nghị,"
        " something should change"
    )
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_SUBJECT)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_BODY)]
    dossier_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        Field(default=None, description="The dossier it is about (one of the sender's)")
    )
    procedure_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None
    ) = Field(default=None, description="The procedure it is about, when not about a dossier")
    agency_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = (
        Field(
            default=None,
            description="For a procedure: which of its agencies it is sent to (the first one"
            " when not given)",
        )
    )


class FeedbackOut(BaseModel):
    reference: str
    kind: FeedbackKind
    kind_vi: str
    kind_en: str
    subject: str
    body: str
    dossier_code: str | None
    procedure_code: str | None
    procedure_name: str | None
    agency: AgencyBrief
    sender_name: str
    created_at: datetime
    due_at: datetime
    state: FeedbackState
    overdue: bool = Field(description="Still open after its due time")
    answer: str | None
    answered_at: datetime | None
    answered_by_name: str | None


class AnswerIn(BaseModel):
    answer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_ANSWER)]


# --- Verification ----------------------------------------------------------------------------


class VerifyVerdict(BaseModel):
    code: str = Field(
        description="`valid`: signed, trusted, unchanged; `changed`: changed after signing or"
        " its signature does not match; `untrusted`: signed by someone the portal does not"
        " know; `unsigned`: no signature"
    )
    label_vi: str
    label_en: str


class SignatureFacts(BaseModel):
    """One signature of the PDF, as a person reads it."""

    signer: str = Field(description="The signer's name (common name of the certificate)")
    organisation: str
    signed_at: datetime | None
    valid: bool = Field(description="The signature is sound and matches the signed bytes")
    trusted: bool = Field(description="The certificate was issued under one of the portal's roots")
    intact: bool = Field(description="The signed bytes are unchanged")
    changed_after_signing: bool = Field(
        description="Something was added to the file after this signature"
    )
    good: bool = Field(description="Valid, trusted, intact and nothing added after it")


class IssuedDocument(BaseModel):
    """A document the portal issued, as anyone may know it: no applicant's details."""

    dossier_code: str
    form: DocumentForm
    issued_at: datetime
    agency: AgencyBrief | None
    procedure_name: str
    signed: bool


class ResultDocument(IssuedDocument):
    """A result document of a dossier and what its signatures say."""

    sha256: str
    signatures: list[SignatureFacts]
    verdict: VerifyVerdict


class VerifyReport(BaseModel):
    """What a verification found: of an uploaded PDF, or of a dossier's result documents."""

    verdict: VerifyVerdict | None = Field(
        description="Of the uploaded PDF; null when a dossier code was given"
    )
    sha256: str | None = Field(description="SHA-256 of the uploaded PDF")
    size: int | None
    signatures: list[SignatureFacts]
    issued: IssuedDocument | None = Field(
        description="The document the portal issued with exactly these bytes, if any"
    )
    dossier_code: str | None = Field(description="The dossier code given, if any")
    results: list[ResultDocument] = Field(
        description="For a dossier code: its result documents and their signatures"
    )


class VerifyCode(BaseModel):
    """Verify the result documents of a dossier by its code."""

    dossier_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
