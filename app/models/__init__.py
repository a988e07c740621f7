"""ORM models, one file per aggregate; importing this package registers them all."""

from app.models.accounts import (
    Account,
    AccountKind,
    Enterprise,
    EnterpriseMember,
    MemberRole,
    PasswordResetToken,
    Session,
    SignInAttempt,
)
from app.models.base import Base
from app.models.catalog import (
    Agency,
    AgencyLevel,
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
    Upload,
)
from app.models.idempotency import IdempotencyRecord
from app.models.outbox import OutboxMessage

__all__ = [
    "Account",
    "AccountKind",
    "Agency",
    "AgencyLevel",
    "Base",
    "Dossier",
    "DossierCodeCounter",
    "DossierEvent",
    "DossierFile",
    "Enterprise",
    "EnterpriseMember",
    "Field",
    "IdempotencyRecord",
    "MemberRole",
    "OnlineLevel",
    "OutboxMessage",
    "PasswordResetToken",
    "Procedure",
    "ProcedureSearchWord",
    "ProcedureVersion",
    "Session",
    "SignInAttempt",
    "Upload",
]
