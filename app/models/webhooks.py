"""Events for callbacks: what happened to a dossier, written in the same transaction as the
change (the outbox of callbacks), then delivered to each subscriber."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class WebhookEvent(Base):
    """One event (``dossier.received``...) with the payload every subscriber receives.

    ``sequence`` grows with each change of the dossier, so a receiver can order the events of
    one dossier even when retries deliver them late."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_dossier_code_id", "dossier_code", "id"),
        Index("ix_webhook_events_occurred_at", "occurred_at"),
    )

    # SQLite gives rowids only to INTEGER PRIMARY KEY columns.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    # The webhook-id of every delivery of this event ("msg_…"), stable across retries.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    dossier_code: Mapped[str | None] = mapped_column(String(40))
    procedure_code: Mapped[str | None] = mapped_column(String(20))
    agency_code: Mapped[str | None] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]]
