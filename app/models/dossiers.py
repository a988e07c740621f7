"""Dossiers: drafts and submitted dossiers, their files, their history, and their codes."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.clock import utcnow
from app.models.base import Base
from app.models.catalog import Agency, Procedure, ProcedureVersion


class Status(IntEnum):
    """The national portal's status codes of a dossier (drafts have none)."""

    registered = 1
    received = 2
    not_accepted = 3
    processing = 4
    supplement_requested = 5
    payment_required = 6
    withdrawn = 7
    stopped = 8
    result_ready = 9
    returned = 10


# Once a dossier has one of these, the applicant can no longer withdraw it.
FINAL_STATUSES = frozenset(
    {Status.not_accepted, Status.withdrawn, Status.stopped, Status.result_ready, Status.returned}
)


class Channel(IntEnum):
    counter = 1
    online = 2
    post = 3


class ApplicantType(IntEnum):
    citizen = 1
    enterprise = 2
    state_body = 3
    other = 4


class Delivery(StrEnum):
    """How the applicant gets the result."""

    online = "online"
    counter = "counter"
    post = "post"


class FileOrigin(StrEnum):
    upload = "upload"
    scan = "scan"
    reuse = "reuse"


class EventKind(StrEnum):
    created = "created"
    submitted = "submitted"
    withdrawn = "withdrawn"
    received = "received"
    refused = "refused"
    supplement_requested = "supplement_requested"
    resubmitted = "resubmitted"
    taken = "taken"
    assigned = "assigned"
    forwarded = "forwarded"
    sent_back = "sent_back"
    approved = "approved"
    denied = "denied"
    signed = "signed"
    result_ready = "result_ready"
    returned = "returned"
    apology_issued = "apology_issued"
    stopped = "stopped"
    overdue = "overdue"
    payment_required = "payment_required"
    paid = "paid"
    payment_failed = "payment_failed"
    refunded = "refunded"


class DeadlineState(StrEnum):
    """Where a dossier in processing stands against its due time (kept by the deadline watch)."""

    on_track = "on_track"
    due_soon = "due_soon"
    overdue = "overdue"


UNHELD = "status IN (2, 4) AND assignee_id IS NULL AND handling_unit_id IS NULL"


class Dossier(Base):
    """A draft (no code, no status) or a submitted dossier.

    A draft belongs to one applicant and one procedure version; submitting it gives it its code
    and status 1. ``enterprise_id`` is set when the applicant is an enterprise: every staff
    member and API key of that enterprise may then see it; otherwise only ``account_id`` may.
    """

    __tablename__ = "dossiers"
    __table_args__ = (
        Index("ix_dossiers_account_id_created_at", "account_id", "created_at"),
        Index("ix_dossiers_enterprise_id_created_at", "enterprise_id", "created_at"),
        Index("ix_dossiers_draft_expires_at", "draft_expires_at"),
        # The queues: an agency's dossiers by status and due time; an official's and a unit's.
        Index("ix_dossiers_queue_agency", "handling_agency_id", "status", "due_at", "id"),
        Index("ix_dossiers_queue_assignee", "assignee_id", "status", "due_at", "id"),
        Index("ix_dossiers_queue_unit", "handling_unit_id", "status", "due_at", "id"),
        # Measured with bench/queues.py on a million dossiers: the deadline queues, the
        # dossiers waiting to be taken, and those read by arrival each read one index range.
        Index(
            "ix_dossiers_queue_deadline",
            "handling_agency_id",
            "deadline_state",
            "due_at",
            "id",
            postgresql_include=["procedure_id", "status"],
            postgresql_where=text("status IN (2, 4)"),
            sqlite_where=text("status IN (2, 4)"),
        ),
        Index(
            "ix_dossiers_queue_unheld",
            "handling_agency_id",
            "due_at",
            "id",
            postgresql_include=["step_id", "procedure_id", "status"],
            postgresql_where=text(UNHELD),
            sqlite_where=text(UNHELD),
        ),
        Index(
            "ix_dossiers_queue_arrival",
            "handling_agency_id",
            "status",
            "submitted_at",
            "id",
            postgresql_where=text("status IN (1, 5)"),
            sqlite_where=text("status IN (1, 5)"),
        ),
        # The register (form 07): an agency's dossiers by the time they were received.
        Index("ix_dossiers_register", "agency_id", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The draft's public reference (random, in URLs before a code exists).
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL")
    )
    applicant_type: Mapped[int]
    applicant_id_number: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_phone: Mapped[str] = mapped_column(String(20), default="")
    applicant_email: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[int | None] = mapped_column(index=True)
    channel: Mapped[int] = mapped_column(default=Channel.online)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    delivery: Mapped[str | None] = mapped_column(String(16))
    # For delivery by post: recipient, phone and address ({province, commune, street}).
    delivery_address: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    draft_expires_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    appointment_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    # Processing. The clock starts at received_at (the next working moment when received after
    # hours); due_at is the appointment, moved by pauses for a supplement and by an apology.
    received_at: Mapped[datetime | None]
    clock_started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    original_due_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    supplement_count: Mapped[int] = mapped_column(default=0, server_default="0")
    apology_at: Mapped[datetime | None]
    # Set when an apology came later than one working day before the due time.
    apology_late: Mapped[bool] = mapped_column(default=False, server_default="0")
    deadline_state: Mapped[str | None] = mapped_column(String(16))
    # The open step of the routing slip, and who holds it.
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier_steps.id", use_alter=True, ondelete="SET NULL")
    )
    handling_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    # "approved" or "denied", once the leader has decided.
    decision: Mapped[str | None] = mapped_column(String(16))
    return_method: Mapped[str | None] = mapped_column(String(16))
    postal_tracking: Mapped[str | None] = mapped_column(String(50))
    # Optimistic locking: two requests that read the same state cannot both change it (a double
    # submission, a file added while the draft is being submitted); the later one fails.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012

    procedure: Mapped[Procedure] = relationship(lazy="raise")
    procedure_version: Mapped[ProcedureVersion] = relationship(lazy="raise")
    agency: Mapped[Agency | None] = relationship(lazy="raise", foreign_keys=[agency_id])
    files: Mapped[list[DossierFile]] = relationship(
        back_populates="dossier", lazy="raise", order_by="DossierFile.id"
    )
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", lazy="raise", order_by="DossierEvent.id"
    )


class DossierFile(Base):
    """A file attached to one file slot (a field path such as ``id_card`` or ``kids[0].cert``).

    The storage key is random; the original name is kept only for display, sanitized."""

    __tablename__ = "dossier_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public identifier, used in URLs and in the form data's file entries.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How it came: uploaded by the applicant, digitised (scanned) at the desk, or reused from
    # the applicant's document store; the indicators count the last two.
    origin: Mapped[str] = mapped_column(
        String(16), default=FileOrigin.upload, server_default="upload"
    )
    stored_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_documents.id", use_alter=True, ondelete="SET NULL")
    )

    dossier: Mapped[Dossier] = relationship(back_populates="files", lazy="raise")


class DossierEvent(Base):
    """One line of a dossier's timeline."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[int | None]
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="events", lazy="raise")


class DossierCodeCounter(Base):
    """The last sequence number given for one agency on one day (``YYMMDD``, local time)."""

    __tablename__ = "dossier_code_counters"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int]


class Upload(Base):
    """A resumable (tus) upload into a dossier's file slot; attached when its last byte lands."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    length: Mapped[int] = mapped_column(BigInteger)
    # Raw Upload-Metadata pairs, given back on HEAD as the protocol asks.
    metadata_header: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_files.id", ondelete="CASCADE"))
