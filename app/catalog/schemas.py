"""What the catalog takes in (catalog files) and gives out (API and pages)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.catalog.workflow import Workflow
from app.forms import FormDefinition
from app.models.catalog import AgencyLevel, OnlineLevel
from app.models.payments import PaymentStage

AGENCY_CODE_PATTERN = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"
PROCEDURE_CODE_PATTERN = r"^\d{1,2}\.\d{6}$"
FIELD_CODE_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
DOCUMENT_CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
# Decree 42/2022 replaced levels 3 and 4 with these two; older texts still use the numbers.
LEGACY_LEVEL = {OnlineLevel.full: 4, OnlineLevel.partial: 3}

AgencyCode = Annotated[str, Field(pattern=AGENCY_CODE_PATTERN, examples=["000.00.00.H39"])]
ProcedureCode = Annotated[str, Field(pattern=PROCEDURE_CODE_PATTERN, examples=["1.001193"])]
WorkingDays = Annotated[Decimal, Field(ge=0, le=3650, decimal_places=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Fee(_Strict):
    """A fee or charge of a procedure (phí, lệ phí) and how it is counted for one dossier."""

    code: str | None = Field(
        default=None,
        max_length=50,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Fee code sent to the national portal (MaPhiLePhi)",
    )
    name: str = Field(min_length=1, max_length=500)
    amount: int = Field(ge=0, le=10_000_000_000, description="Amount in VND, per unit")
    per: FeeBasis = Field(
        default="dossier",
        description="dossier: once; item or copy: times the number the applicant gives in "
        "the form field named by `quantity`",
    )
    quantity: str | None = Field(
        default=None, max_length=100, description="Form field holding the number of items or copies"
    )
    included: int = Field(
        default=0, ge=0, le=1000, description="Items or copies included without charge"
    )
    applies_if: dict[str, Any] | None = Field(
        default=None, description="JSON Logic over the form's answers: the fee applies only then"
    )
    exempt_if: dict[str, Any] | None = Field(
        default=None,
        description="JSON Logic over the form's answers: the applicant's group is exempt",
    )
    note: str = ""

    @model_validator(mode="after")
    def _quantity_with_basis(self) -> Fee:
        if (self.per == "dossier") != (self.quantity is None):
            raise ValueError(
                "`quantity` names the form field counting items or copies, and only then"
            )
        return self


FeeBasis = Literal["dossier", "item", "copy"]
DocumentKind = Literal["original", "certified_copy", "copy"]


class RequiredDocument(_Strict):
    code: str = Field(pattern=DOCUMENT_CODE_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=1000)
    kind: DocumentKind = "original"
    count: int = Field(default=1, ge=1, le=100)
    required: bool = True
    template: str | None = None


class AgencyIn(_Strict):
    code: AgencyCode
    name: str = Field(min_length=1, max_length=255)
    level: AgencyLevel
    parent: AgencyCode | None = None
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=50)


class FieldIn(_Strict):
    code: str = Field(pattern=FIELD_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=255)


class ProcedureIn(_Strict):
    code: ProcedureCode
    name: str = Field(min_length=1, max_length=500)
    field: str
    levels: list[AgencyLevel] = Field(min_length=1)
    agencies: list[AgencyCode] = Field(min_length=1)
    description: str = ""
    applicants: str = ""
    legal_days: WorkingDays
    committed_days: WorkingDays
    fees: list[Fee] = []
    # When the fees are paid online (status 6 until paid); None: at the counter.
    payment: PaymentStage | None = None
    documents: list[RequiredDocument] = []
    result: str = ""
    legal_basis: list[str] = []
    online_level: OnlineLevel
    postal: bool = False
    published: bool = False
    form: dict[str, Any]
    # None: the default workflow (receive, appraise, approve, sign, return at one agency).
    workflow: Workflow | None = None

    @model_validator(mode="after")
    def _committed_within_legal(self) -> ProcedureIn:
        if self.committed_days > self.legal_days:
            raise ValueError("committed_days must not exceed legal_days")
        return self


class CatalogFile(_Strict):
    format: Literal[1] = 1
    agencies: list[AgencyIn] = []
    fields: list[FieldIn] = []
    procedures: list[ProcedureIn] = []


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_versions: int = 0


class AgencyOut(BaseModel):
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None
    address: str | None
    phone: str | None


class AgencyKey(BaseModel):
    """An agency as other domains refer to it: its id, with the code and name people see."""

    id: int
    code: str
    name: str


class AgencyRef(BaseModel):
    code: str
    name: str
    level: AgencyLevel


class FieldOut(BaseModel):
    code: str
    name: str
    procedure_count: int = Field(description="Published procedures in this field")


class FieldRef(BaseModel):
    code: str
    name: str


class ProcedureSummary(BaseModel):
    code: str
    name: str
    field: FieldRef
    levels: list[AgencyLevel]
    online_level: OnlineLevel
    legacy_level: int = Field(description="The level 3/4 label of older texts")
    legal_days: float
    committed_days: float
    postal_allowed: bool


class ProcedureDetail(ProcedureSummary):
    description: str
    applicants: str
    fees: list[Fee]
    payment: PaymentStage | None = Field(
        description="When the fees are paid online; null when they are paid at the counter"
    )
    documents: list[RequiredDocument]
    result: str
    legal_basis: list[str]
    agencies: list[AgencyRef]
    version: int = Field(description="Number of the current procedure version")
    published: bool


class ProcedureForm(BaseModel):
    procedure_code: str
    version: int
    definition: dict[str, Any]


class ProcedureFilter(BaseModel):
    """Search words and filters of a catalog query; every part optional."""

    q: str | None = None
    agency: str | None = None
    field: str | None = None
    level: AgencyLevel | None = None
    online_level: OnlineLevel | None = None


class FilingAgency(BaseModel):
    id: int
    code: str
    name: str


class FilingTarget(BaseModel):
    """What filing a dossier needs of a procedure version: ids, form, agencies, options."""

    procedure_id: int
    procedure_code: str
    procedure_name: str
    field: FieldRef
    version_id: int
    version_number: int
    definition: FormDefinition
    documents: list[RequiredDocument]
    agencies: list[FilingAgency]
    online_level: OnlineLevel
    postal_allowed: bool
    committed_days: float
    workflow: Workflow
    fees: list[Fee] = []
    payment: PaymentStage | None = None
