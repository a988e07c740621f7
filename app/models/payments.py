"""Fees paid online: payments of dossiers, what the gateway told us about them, refunds, the
daily reconciliation with the gateway, and the books of the embedded sandbox gateway."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class PaymentStage(StrEnum):
    """When a procedure asks for its fees online (status 6 until they are paid)."""

    before_processing = "before_processing"
    before_result = "before_result"


class PaymentState(StrEnum):
    created = "created"
    # Sent to the gateway; its outcome is not known yet (queried again until settled).
    pending = "pending"
    paid = "paid"
    failed = "failed"
    cancelled = "cancelled"
    expired = "expired"
    refunded = "refunded"
    partially_refunded = "partially_refunded"


class Payment(Base):
    """One attempt to pay the fees of a dossier through a gateway (a VNPAY ``vnp_TxnRef``)."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_state_next_check_at", "state", "next_check_at"),
        Index("ix_payments_paid_at", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(24))
    gateway: Mapped[str] = mapped_column(String(32))
    # VND, whole đồng.
    amount: Mapped[int] = mapped_column(BigInteger)
    # The fee lines assessed for the dossier: [{"code", "name", "quantity", "unit", "amount"}].
    lines: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(24), default=PaymentState.created)
    order_info: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(2), default="vi")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    gateway_transaction_no: Mapped[str | None] = mapped_column(String(64))
    bank_code: Mapped[str | None] = mapped_column(String(32))
    response_code: Mapped[str | None] = mapped_column(String(8))
    # The worker asks the gateway again about a pending payment at this time.
    next_check_at: Mapped[datetime | None]
    check_count: Mapped[int] = mapped_column(default=0, server_default="0")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    receipt_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier_documents.id", ondelete="SET NULL")
    )
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class PaymentNotice(Base):
    """Everything a gateway told the portal about a payment (IPN, return, query, refund),
    valid or not, kept as received: the trail behind each change of a payment."""

    __tablename__ = "payment_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # ipn, return, query, refund
    source: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]]
    valid: Mapped[bool]
    # What the portal did with it: settled, duplicate, bad_hash, bad_amount, unknown_order...
    outcome: Mapped[str] = mapped_column(String(32))


class RefundState(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class PaymentRefund(Base):
    __tablename__ = "payment_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=RefundState.pending)
    requested_by: Mapped[str] = mapped_column(String(255), default="")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    gateway_transaction_no: Mapped[str | None] = mapped_column(String(64))
    response_code: Mapped[str | None] = mapped_column(String(8))


class ReconciliationReport(Base):
    """The portal's payments of one day (local time) set against the gateway's transactions."""

    __tablename__ = "reconciliation_reports"
    __table_args__ = (UniqueConstraint("day", "gateway"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    gateway: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    portal_count: Mapped[int] = mapped_column(default=0)
    portal_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    gateway_count: Mapped[int] = mapped_column(default=0)
    gateway_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # [{"reference", "problem", "portal", "gateway"}]
    mismatches: Mapped[list[Any]] = mapped_column(default=list)


class SandboxTransaction(Base):
    """The books of the embedded sandbox gateway, which plays the payment provider's side of
    the VNPAY protocol so the portal can be tried without an outside service."""

    __tablename__ = "sandbox_transactions"
    __table_args__ = (UniqueConstraint("merchant", "txn_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant: Mapped[str] = mapped_column(String(32))
    txn_ref: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    order_info: Mapped[str] = mapped_column(String(255), default="")
    return_url: Mapped[str] = mapped_column(String(2000))
    locale: Mapped[str] = mapped_column(String(2), default="vn")
    bank_code: Mapped[str | None] = mapped_column(String(32))
    # pending, paid, cancelled, refunded, partially_refunded
    state: Mapped[str] = mapped_column(String(24), default="pending")
    transaction_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    response_code: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    create_date: Mapped[str] = mapped_column(String(14))
    pay_date: Mapped[datetime | None]
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ipn_delivered_at: Mapped[datetime | None]
