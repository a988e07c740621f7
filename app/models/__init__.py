"""ORM models, one file per aggregate; importing this package registers them all."""

# Indexes of the statistics on the tables below.
from app.models import stats  # noqa: F401
from app.models.accounts import (
    Account,
    AccountKind,
    ApiRateWindow,
    Enterprise,
    EnterpriseMember,
    MemberRole,
    Official,
    OfficialRole,
    PasswordResetToken,
    Session,
    SignInAttempt,
    Unit,
)
from app.models.audit import AuditRecord
from app.models.base import Base
from app.models.calendar import CalendarDay, CalendarYear, DayKind, DaySource
from app.models.catalog import (
    Agency,
    AgencyLevel,
    Delegation,
    Field,
    OnlineLevel,
    Procedure,
    ProcedureSearchWord,
    ProcedureVersion,
)
from app.models.dossiers import (
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierFile,
    FileOrigin,
    Upload,
)
from app.models.feedback import Feedback, FeedbackKind, FeedbackState, Rating, Satisfaction
from app.models.idempotency import IdempotencyRecord
from app.models.outbox import OutboxMessage
from app.models.payments import (
    Payment,
    PaymentNotice,
    PaymentRefund,
    PaymentStage,
    PaymentState,
    ReconciliationReport,
    RefundState,
    SandboxTransaction,
)
from app.models.processing import (
    DocumentForm,
    DossierDocument,
    DossierStep,
    SigningKey,
    StepOutcome,
    SupplementRequest,
)
from app.models.store import StoredDocument, StoredKind
from app.models.webhooks import (
    DeliveryState,
    PayloadFormat,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "Account",
    "AccountKind",
    "Agency",
    "AgencyLevel",
    "ApiRateWindow",
    "AuditRecord",
    "Base",
    "CalendarDay",
    "CalendarYear",
    "DayKind",
    "DaySource",
    "Delegation",
    "DeliveryState",
    "DocumentForm",
    "Dossier",
    "DossierCodeCounter",
    "DossierDocument",
    "DossierEvent",
    "DossierFile",
    "DossierStep",
    "Enterprise",
    "EnterpriseMember",
    "Feedback",
    "FeedbackKind",
    "FeedbackState",
    "Field",
    "FileOrigin",
    "IdempotencyRecord",
    "MemberRole",
    "Official",
    "OfficialRole",
    "OnlineLevel",
    "OutboxMessage",
    "PasswordResetToken",
    "PayloadFormat",
    "Payment",
    "PaymentNotice",
    "PaymentRefund",
    "PaymentStage",
    "PaymentState",
    "Procedure",
    "ProcedureSearchWord",
    "ProcedureVersion",
    "Rating",
    "ReconciliationReport",
    "RefundState",
    "SandboxTransaction",
    "Satisfaction",
    "Session",
    "SignInAttempt",
    "SigningKey",
    "StepOutcome",
    "StoredDocument",
    "StoredKind",
    "SupplementRequest",
    "Unit",
    "Upload",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
