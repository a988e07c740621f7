"""What dossier operations take and give: plain Pydantic models, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.kit.clock import aware
from app.models.dossiers import ApplicantType, Delivery, DossierFile, FileOrigin, Status
from app.models.processing import DocumentForm

STATUS_LABELS: dict[int, tuple[str, str]] = {
    Status.registered: ("Mới đăng ký", "Newly registered"),
    Status.received: ("Được tiếp nhận", "Received"),
    Status.not_accepted: ("Không được tiếp nhận", "Not accepted"),
    Status.processing: ("Đang xử lý", "In processing"),
    Status.supplement_requested: ("Yêu cầu bổ sung", "Supplement requested"),
    Status.payment_required: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment required"),
    Status.withdrawn: ("Công dân rút hồ sơ", "Withdrawn by the applicant"),
    Status.stopped: ("Dừng xử lý", "Stopped"),
    Status.result_ready: ("Đã xử lý xong", "Processed, result ready"),
    Status.returned: ("Đã trả kết quả", "Result returned"),
}
DRAFT_LABEL = ("Bản nháp", "Draft")


@dataclass(frozen=True)
class Applicant:
    """Who files: a citizen, or an enterprise through a staff account or an API key; or a
    receiver at the one-stop desk of ``desk_agency_id``, filing for the people who come to the
    counter or write (their identity is on each dossier, not here)."""

    account_id: int | None
    enterprise_id: int | None
    type: ApplicantType
    id_number: str
    name: str
    phone: str = ""
    email: str = ""
    desk_agency_id: int | None = None

    @property
    def client(self) -> str:
        """A stable name of the caller, for idempotency keys and throttling."""
        if self.account_id is not None:
            return f"account:{self.account_id}"
        return f"enterprise:{self.enterprise_id}"


class StatusOut(BaseModel):
    code: int | None = Field(description="The national portal's status code; null for a draft")
    label_vi: str
    label_en: str


def status_out(code: int | None) -> StatusOut:
    label = STATUS_LABELS[code] if code is not None else DRAFT_LABEL
    return StatusOut(code=code, label_vi=label[0], label_en=label[1])


class PostalAddress(BaseModel):
    """Where the result is posted: recipient, phone and a two-level address."""

    recipient: str = ""
    phone: str = ""
    province: str = ""
    commune: str = ""
    street: str = ""


class DeliveryIn(BaseModel):
    method: Delivery
    address: PostalAddress | None = None


class DraftChanges(BaseModel):
    """A change to a draft; every part optional. ``data`` is merged key by key (null removes)."""

    data: dict[str, Any] | None = None
    agency: str | None = Field(default=None, description="Receiving agency code")
    delivery: DeliveryIn | None = None


class SupplementChanges(BaseModel):
    """Answers given for a supplement, merged key by key (null removes one); only what the agency
    asked for may change."""

    data: dict[str, Any] = Field(
        description="Answers by field key, each replacing the whole answer (a group's every item)"
    )


class AskedItem(BaseModel):
    """One thing the agency asked to complete or correct."""

    path: str = Field(
        description="The form field or file slot, such as `full_name` or"
        " `children[0].birth_certificate`"
    )
    reason: str
    kind: Literal["answer", "file", "other"] = Field(
        description="An answer of the form, a file slot, or something outside the form"
    )
    label_vi: str
    label_en: str


class SupplementAsked(BaseModel):
    """The supplement request the applicant has still to answer (form 02)."""

    code: str
    requested_at: datetime
    requested_by: str
    note: str
    items: list[AskedItem]


class DocumentBrief(BaseModel):
    """A document issued to the applicant: one of the standard forms or the signed result."""

    reference: str
    form: DocumentForm = Field(
        description="01 receipt, 02 supplement request, 03 refusal,"
        " 04 apology, 05 stop notice, or result"
    )
    signed: bool
    size: int
    created_at: datetime


class FileOut(BaseModel):
    id: str
    slot: str
    name: str
    size: int
    content_type: str
    sha256: str
    created_at: datetime
    origin: FileOrigin = Field(
        default=FileOrigin.upload,
        description="`upload`: uploaded by the applicant; `scan`: scanned at the one-stop desk;"
        " `reuse`: chosen from the applicant's document store",
    )


def file_out(file: DossierFile) -> FileOut:
    """A stored file as the API and the pages show it (never its storage key)."""
    return FileOut(
        id=file.reference,
        slot=file.slot,
        name=file.display_name,
        size=file.size,
        content_type=file.content_type,
        sha256=file.sha256,
        created_at=aware(file.created_at),
        origin=FileOrigin(file.origin or FileOrigin.upload),
    )


class EventOut(BaseModel):
    at: datetime
    kind: str
    status: StatusOut | None
    note: str


class AgencyBrief(BaseModel):
    code: str
    name: str


class DossierSummary(BaseModel):
    reference: str = Field(description="The draft's reference; stays the same once submitted")
    code: str | None = Field(description="The dossier code, given at submission")
    status: StatusOut
    procedure_code: str
    procedure_name: str
    agency: AgencyBrief | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    draft_expires_at: datetime | None


class DossierOut(DossierSummary):
    procedure_version: int
    applicant_type: ApplicantType
    applicant_id_number: str
    applicant_name: str
    applicant_phone: str
    applicant_email: str
    channel: int
    data: dict[str, Any]
    files: list[FileOut]
    delivery: Delivery | None
    delivery_address: PostalAddress | None
    appointment_at: datetime | None
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    events: list[EventOut]


class LookupOut(BaseModel):
    """What anyone with the code and the verifier may see: no personal data."""

    code: str
    status: StatusOut
    procedure_name: str
    agency: AgencyBrief | None
    current_step: str
    current_step_en: str
    submitted_at: datetime | None
    appointment_at: datetime | None


class UploadOut(BaseModel):
    """A resumable upload as the tus layer needs it."""

    id: str
    dossier_reference: str
    slot: str
    name: str
    length: int
    storage_key: str
    metadata_header: str
    created_at: datetime
    expires_at: datetime
    file_id: str | None
