"""What the standard forms (Circular 03/2025) are drawn from, and what the document services
give back.

One input model per form; each names its form (``form``) and carries the public lookup page of
its dossier (``lookup_url``), printed as a QR code. Times are aware and printed in Vietnam's time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app.catalog.schemas import DocumentKind
from app.models.dossiers import Delivery
from app.models.processing import DocumentForm, StepOutcome

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
# Table cells are bounded so that a row always fits on one page, which fpdf2 requires.
CellText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
ShortNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
# A procedure's name, as long as the catalog allows.
Procedure = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
DossierCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
# Printed and encoded as given: a normalising URL type would change the QR code's content.
LookupUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=1000)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgencyPart(_Part):
    """The agency that issues the form (its name heads the page)."""

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    name: Name


class ApplicantPart(_Part):
    """The person or organisation the form is about, and how to reach them."""

    name: Name
    id_number: Line = ""
    address: Line = ""
    phone: Line = ""
    email: Line = ""
    # Who filed on the applicant's behalf, if anyone.
    representative: Line = ""


class FormBase(_Part):
    """What every form carries: the issuing agency, its number and date, the lookup page."""

    form: ClassVar[DocumentForm]

    agency: AgencyPart
    # The document number (số văn bản); left blank for the register to fill in by hand.
    number: Line = ""
    # The place named before the date line ("Lào Cai, ngày ... tháng ... năm ...").
    place: Line = ""
    issued_at: AwareDatetime
    lookup_url: LookupUrl


class ReceivedDocument(_Part):
    name: CellText
    kind: DocumentKind = "original"
    count: int = Field(default=1, ge=1, le=1000)


class ReceiptData(FormBase):
    """Form 01: receipt and appointment (giấy tiếp nhận hồ sơ và hẹn trả kết quả)."""

    form: ClassVar[DocumentForm] = DocumentForm.receipt

    dossier_code: DossierCode
    applicant: ApplicantPart
    # What is asked: the procedure.
    procedure: Procedure
    documents: list[ReceivedDocument] = Field(min_length=1)
    sets: int = Field(default=1, ge=1, le=100)
    # The processing time in working days (decimal: some procedures count half days).
    processing_days: Decimal = Field(gt=0, le=1000)
    received_at: AwareDatetime
    return_at: AwareDatetime
    # Where the result is collected (or how it is delivered).
    collect_at: Paragraph
    # The place of the dossier in the register (quyển số, số thứ tự).
    register_number: Line = ""
    official: Name


class SupplementItem(_Part):
    item: CellText
    reason: CellText


class SupplementRequestData(FormBase):
    """Form 02: request to complete the dossier (phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)."""

    form: ClassVar[DocumentForm] = DocumentForm.supplement

    dossier_code: DossierCode = ""
    applicant: ApplicantPart
    procedure: Procedure
    items: list[SupplementItem] = Field(min_length=1)
    # The official the applicant may ask, who also signs the request.
    official: Name
    official_phone: Line = ""


class RefusalData(FormBase):
    """Form 03: refusal to receive the dossier (phiếu từ chối tiếp nhận giải quyết hồ sơ)."""

    form: ClassVar[DocumentForm] = DocumentForm.refusal

    dossier_code: DossierCode = ""
    applicant: ApplicantPart
    procedure: Procedure
    reasons: list[Paragraph] = Field(min_length=1)
    official: Name


class ApologyData(FormBase):
    """Form 04: apology and new date (phiếu xin lỗi và hẹn lại ngày trả kết quả)."""

    form: ClassVar[DocumentForm] = DocumentForm.apology

    addressee: Name
    received_at: AwareDatetime
    procedure: Procedure
    dossier_code: DossierCode
    original_return_at: AwareDatetime
    reason: Paragraph
    new_return_at: AwareDatetime
    # The head of the unit at fault (the issuing agency), who signs.
    head: Name
    head_title: Name = "Thủ trưởng cơ quan"


class StopReason(StrEnum):
    withdrawal = "withdrawal"
    stop = "stop"


class StopNoticeData(FormBase):
    """Form 05: notice that processing stopped (thông báo dừng giải quyết hồ sơ)."""

    form: ClassVar[DocumentForm] = DocumentForm.stop

    dossier_code: DossierCode
    applicant: ApplicantPart
    procedure: Procedure
    reason_kind: StopReason
    reason: Paragraph
    stopped_at: AwareDatetime
    official: Name


class RoutingRow(_Part):
    """One hand-off of the dossier."""

    unit: Name
    handed_over_at: AwareDatetime
    received_at: AwareDatetime | None = None
    giver: Line = ""
    receiver: Line = ""
    outcome: StepOutcome | None = None
    note: Note = ""


class RoutingSlipData(FormBase):
    """Form 06: routing slip (phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    form: ClassVar[DocumentForm] = DocumentForm.routing_slip

    dossier_code: DossierCode
    lead_agency: Name
    coordinating_agencies: list[Name] = []
    received_at: AwareDatetime
    due_at: AwareDatetime
    rows: list[RoutingRow] = []


class RegisterRow(_Part):
    """One dossier in the register."""

    number: int = Field(ge=1)
    dossier_code: DossierCode
    procedure: Procedure
    applicant: Name
    # Address and phone of the applicant, as one line.
    contact: Line = ""
    lead_agency: Line = ""
    received_at: AwareDatetime
    due_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    delivery: Delivery | None = None
    note: ShortNote = ""


class RegisterData(FormBase):
    """Form 07: the register of dossiers (sổ theo dõi hồ sơ)."""

    form: ClassVar[DocumentForm] = DocumentForm.register

    # What the register covers, e.g. "Tháng 11/2025".
    period: Line = ""
    rows: list[RegisterRow] = []


class ResultData(FormBase):
    """The result of the procedure: the decision on the dossier, issued signed."""

    form: ClassVar[DocumentForm] = DocumentForm.result

    dossier_code: DossierCode
    applicant: ApplicantPart
    procedure: Procedure
    approved: bool
    # The decision's own words (what is granted, or why it is denied).
    content: LongText = ""
    signer: Name
    signer_title: Name = "Thủ trưởng cơ quan"


FormData = (
    ReceiptData
    | SupplementRequestData
    | RefusalData
    | ApologyData
    | StopNoticeData
    | RoutingSlipData
    | RegisterData
    | ResultData
)


class SignAs(_Part):
    """Who signs an issued form: the agency whose key signs, and what the signature says."""

    agency_id: int
    reason: Line
    location: Line
    signer_name: Name


# --- Out ---------------------------------------------------------------------------------------


class DocumentOut(BaseModel):
    """A PDF issued on a dossier."""

    reference: str
    dossier_id: int
    form: DocumentForm
    size: int
    sha256: str
    signed: bool
    created_at: datetime
    created_by: str


class SignatureCheck(BaseModel):
    """What validation found about one signature of a PDF."""

    field_name: str
    subfilter: str
    # The signed bytes are those the signature was made on.
    intact: bool
    # The signer's key made the signature (over the signed attributes, which hold the
    # document's digest: a changed document is valid but not intact).
    valid: bool
    # The signer's certificate chains up to one of the trust roots given.
    trusted: bool
    signer_common_name: str
    signer_organisation: str
    signed_at: datetime | None
    # The signature covers every byte of the file (nothing was appended after it).
    covers_whole_file: bool
    # Something was appended after signing (another signature counts).
    changed_after_signing: bool
    # pyHanko's overall judgement: valid, trusted and no disallowed change.
    bottom_line: bool


class SignatureReport(BaseModel):
    """Every signature of a PDF, in the order they were made."""

    signatures: list[SignatureCheck]

    @property
    def all_good(self) -> bool:
        """Signed at least once, and every signature passes."""
        return bool(self.signatures) and all(s.bottom_line for s in self.signatures)
