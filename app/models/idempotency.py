"""Idempotency keys of the API: the first response to a state-changing request, for replays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class IdempotencyRecord(Base):
    """A state-changing API request made with an Idempotency-Key, and its first response."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("client", "route", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who asked: ``key:<API key prefix>`` or ``account:<id>``; keys are per client and route.
    client: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int]
    response_body: Mapped[dict[str, Any]]
    response_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
