"""Callbacks: the events of dossiers (written in the transaction of the change they tell),
the subscriptions of integrators, and one delivery per event and subscription with its attempts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.clock import utcnow
from app.models.base import Base

# SQLite gives rowids only to INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class WebhookEvent(Base):
    """One event (``dossier.received``...) with the payload every subscriber receives.

    ``sequence`` grows with each change of the dossier, so a receiver can order the events of
    one dossier even when retries deliver them late."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_dossier_code_id", "dossier_code", "id"),
        Index("ix_webhook_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The webhook-id of every delivery of this event ("msg_…"), stable across retries.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    dossier_code: Mapped[str | None] = mapped_column(String(40))
    procedure_code: Mapped[str | None] = mapped_column(String(20))
    agency_code: Mapped[str | None] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]]


class PayloadFormat(StrEnum):
    """What a subscription receives: Standard Webhooks JSON events, or the national portal's
    ``DongBoHoSoMC`` records of the dossier."""

    standard = "standard"
    national_portal = "national_portal"


class WebhookSubscription(Base):
    """An endpoint of an integrator and the events it wants.

    Owned by an enterprise or an agency (whose API keys with ``webhooks:manage`` manage it), or
    by neither for the portal's own sinks (the national portal). The signing secrets are kept
    sealed under the portal's secret key; during a rotation the previous one signs too until
    ``previous_secret_expires_at``."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public id ("ep_…") used in URLs and the API.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Empty lists: every event type, every procedure, every agency.
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    procedure_codes: Mapped[list[Any]] = mapped_column(default=list)
    agency_codes: Mapped[list[Any]] = mapped_column(default=list)
    payload_format: Mapped[str] = mapped_column(String(20), default=PayloadFormat.standard.value)
    # Told by e-mail when the endpoint is disabled; else the owner's people are.
    contact_email: Mapped[str | None] = mapped_column(String(320))
    secret_sealed: Mapped[str] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    # The first failed attempt since the last success: five days of failures disable it.
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # Grows with each change; the ETag of the subscription (If-Match on PATCH and DELETE).
    row_version: Mapped[int] = mapped_column(default=1)


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    # Every attempt of the schedule failed, or the subscription went away.
    failed = "failed"


class WebhookDelivery(Base):
    """One event to one subscription, written with the event (the outbox of callbacks).

    The deliveries of one dossier to one subscription go in order: only the oldest pending one
    of each (subscription, dossier) is due. A worker leases due rows (``leased_until``,
    ``lease_token``) with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_chain",
            "subscription_id",
            "dossier_code",
            "id",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    # Copied from the event: the chain the delivery waits in ("" for events of no dossier).
    dossier_code: Mapped[str] = mapped_column(String(40), default="")
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(40))
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    event: Mapped[WebhookEvent] = relationship(lazy="raise")


class WebhookAttempt(Base):
    """One try of a delivery: when, what came back, how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when no response came (timeout, refused connection, address refused).
    status_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(1000))
    response_snippet: Mapped[str | None] = mapped_column(String(1000))
