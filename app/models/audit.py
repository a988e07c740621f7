"""The audit trail: append-only, each row sealed with the hash of the one before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class AuditRecord(Base):
    """Who did or read what, when and from where. ``hash`` covers this row's fields and
    ``previous_hash``, so changing or deleting any row breaks the chain after it."""

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_dossier_id_id", "dossier_id", "id"),)

    # SQLite gives rowids only to INTEGER PRIMARY KEY columns.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # "account:<id>", "apikey:<prefix>", "worker" or "applicant:<account id>".
    actor: Mapped[str] = mapped_column(String(100))
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    action: Mapped[str] = mapped_column(String(50))
    # No foreign key: deleting a dossier must neither rewrite its audit rows (breaking the
    # chain) nor be refused by the append-only trigger.
    dossier_id: Mapped[int | None]
    dossier_code: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
