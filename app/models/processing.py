"""Processing a dossier: the routing slip, supplement requests and issued documents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class StepOutcome(StrEnum):
    early = "early"
    on_time = "on_time"
    late = "late"


class DossierStep(Base):
    """One row of the routing slip (phiếu kiểm soát quá trình, form 06): a step of the workflow
    handed over to a unit or official, taken, and finished (forwarded, sent back...)."""

    __tablename__ = "dossier_steps"
    __table_args__ = (Index("ix_dossier_steps_dossier_id_id", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    # Index of the step in the procedure version's workflow, and its code and kind there.
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    handed_over_by: Mapped[str] = mapped_column(String(255), default="")
    handed_over_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # forwarded, sent_back, approved, denied, signed, returned, refused, stopped...
    result: Mapped[str | None] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")


class SupplementRequest(Base):
    """A request to complete the dossier (form 02): every item asked, and the clock's pause."""

    __tablename__ = "supplement_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(255))
    # [{"path": "owner.name" | "slot": "id_card", "reason": "..."}]
    items: Mapped[list[Any]]
    note: Mapped[str] = mapped_column(Text, default="")
    due_before: Mapped[datetime | None]
    resubmitted_at: Mapped[datetime | None]
    due_after: Mapped[datetime | None]


class DocumentForm(StrEnum):
    """The standard forms of Circular 03/2025, and the result of the procedure."""

    receipt = "01"
    supplement = "02"
    refusal = "03"
    apology = "04"
    stop = "05"
    routing_slip = "06"
    register = "07"
    result = "result"
    # The electronic receipt of a fee paid online (biên lai điện tử).
    payment_receipt = "fee"


class DossierDocument(Base):
    """A PDF issued on a dossier (a standard form or the signed result), kept in storage."""

    __tablename__ = "dossier_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    form: Mapped[str] = mapped_column(String(8))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # Indexed: verifying an uploaded PDF looks up the document the portal issued with its digest.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    signed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255), default="")


class SigningKey(Base):
    """An agency's signing certificate and its private key (PKCS#8, encrypted with a key
    derived from the portal's secret), kept in the database so every web process can sign."""

    __tablename__ = "signing_keys"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    certificate_pem: Mapped[str] = mapped_column(Text)
    # The issuing chain, leaf's issuer first.
    chain_pem: Mapped[str] = mapped_column(Text, default="")
    key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
