"""What applicants say of the service: a rating of each returned dossier, and feedback and
complaints (phản ánh, kiến nghị) routed to an agency and answered by its officials."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class Satisfaction(IntEnum):
    very_satisfied = 1
    satisfied = 2
    not_satisfied = 3


class Rating(Base):
    """The applicant's rating of the service once the result was returned (one per dossier)."""

    __tablename__ = "dossier_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FeedbackKind(StrEnum):
    # phản ánh: something went wrong; kiến nghị: something should change.
    report = "report"
    petition = "petition"


class FeedbackState(StrEnum):
    open = "open"
    answered = "answered"


class Feedback(Base):
    """Feedback or a complaint on a dossier or a procedure, to be answered by ``due_at``."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_agency_id_state_due_at", "agency_id", "state", "due_at"),
        Index("ix_feedback_account_id_created_at", "account_id", "created_at"),
        Index("ix_feedback_enterprise_id_created_at", "enterprise_id", "created_at"),
        Index("ix_feedback_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="SET NULL"), index=True
    )
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    # Sent through an enterprise's API key or by its staff: every member and key sees it.
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL")
    )
    sender_name: Mapped[str] = mapped_column(String(255))
    sender_email: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default=FeedbackState.open)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    answered_by_name: Mapped[str | None] = mapped_column(String(255))
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012
