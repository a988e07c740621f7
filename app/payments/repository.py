"""Every query of the payments domain."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.catalog import Agency
from app.models.dossiers import Dossier
from app.models.payments import (
    Payment,
    PaymentNotice,
    PaymentRefund,
    PaymentState,
    ReconciliationReport,
    RefundState,
    SandboxTransaction,
)
from app.models.processing import DossierDocument

# Money that reached the portal for the dossier; a later refund does not make it owe again.
SETTLED = (PaymentState.paid, PaymentState.partially_refunded, PaymentState.refunded)


async def paid_total(session: AsyncSession, dossier_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.dossier_id == dossier_id, Payment.state.in_(SETTLED)
        )
    )
    return int(total or 0)


# --- Dossiers as payments read them ---------------------------------------------------------


async def dossier_by_code(session: AsyncSession, code: str) -> Dossier | None:
    """A submitted dossier with its procedure and agency (what fees and events read)."""
    found: Dossier | None = await session.scalar(
        select(Dossier)
        .where(Dossier.code == code)
        .options(selectinload(Dossier.procedure), selectinload(Dossier.agency))
    )
    return found


async def dossier_by_id(session: AsyncSession, dossier_id: int) -> Dossier | None:
    found: Dossier | None = await session.scalar(
        select(Dossier)
        .where(Dossier.id == dossier_id)
        .options(selectinload(Dossier.procedure), selectinload(Dossier.agency))
    )
    return found


async def agency_name(session: AsyncSession, agency_id: int) -> str:
    return str(await session.scalar(select(Agency.name).where(Agency.id == agency_id)) or "")


async def document_id(session: AsyncSession, reference: str) -> int | None:
    return await session.scalar(
        select(DossierDocument.id).where(DossierDocument.reference == reference)
    )


async def document_reference(session: AsyncSession, document_id: int) -> str | None:
    return await session.scalar(
        select(DossierDocument.reference).where(DossierDocument.id == document_id)
    )


# --- Payments ---------------------------------------------------------------------------------


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def payment_by_reference(
    session: AsyncSession, reference: str, *, lock: bool = False
) -> Payment | None:
    query = select(Payment).where(Payment.reference == reference)
    if lock:
        query = query.with_for_update()
    found: Payment | None = await session.scalar(query.execution_options(populate_existing=True))
    return found


async def payment_by_id(
    session: AsyncSession, payment_id: int, *, lock: bool = False
) -> Payment | None:
    query = select(Payment).where(Payment.id == payment_id)
    if lock:
        query = query.with_for_update()
    found: Payment | None = await session.scalar(query.execution_options(populate_existing=True))
    return found


async def check_soon(session: AsyncSession, payment_id: int, now: datetime) -> None:
    """Ask the gateway about a pending payment at the worker's next round, without taking
    the row's version (a settling IPN must not be refused for it)."""
    await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.state == PaymentState.pending)
        .values(next_check_at=now)
        .execution_options(synchronize_session=False)
    )


async def payments_of(session: AsyncSession, dossier_id: int) -> list[Payment]:
    rows = await session.scalars(
        select(Payment).where(Payment.dossier_id == dossier_id).order_by(Payment.id.desc())
    )
    return list(rows)


async def open_payment(
    session: AsyncSession, dossier_id: int, amount: int, now: datetime
) -> Payment | None:
    """A payment of the dossier for this amount still open on the gateway's pages."""
    found: Payment | None = await session.scalar(
        select(Payment)
        .where(
            Payment.dossier_id == dossier_id,
            Payment.state == PaymentState.pending,
            Payment.amount == amount,
            Payment.expires_at > now,
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    return found


async def agency_payments(
    session: AsyncSession,
    agency_id: int,
    *,
    state: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[tuple[Payment, str | None]]:
    """Payments of an agency's dossiers, newest first, with each dossier's code."""
    query = (
        select(Payment, Dossier.code)
        .join(Dossier, Dossier.id == Payment.dossier_id)
        .where(Payment.agency_id == agency_id)
    )
    if state is not None:
        query = query.where(Payment.state == state)
    if since is not None:
        query = query.where(Payment.created_at >= since)
    if until is not None:
        query = query.where(Payment.created_at < until)
    if before_id is not None:
        query = query.where(Payment.id < before_id)
    rows = await session.execute(query.order_by(Payment.id.desc()).limit(limit))
    return [(payment, code) for payment, code in rows]


async def dossier_code(session: AsyncSession, dossier_id: int) -> str | None:
    return await session.scalar(select(Dossier.code).where(Dossier.id == dossier_id))


async def due_checks(session: AsyncSession, now: datetime, limit: int) -> list[Payment]:
    """Pending payments whose outcome the gateway should be asked about now."""
    rows = await session.scalars(
        select(Payment)
        .where(
            Payment.state == PaymentState.pending,
            Payment.next_check_at.is_not(None),
            Payment.next_check_at <= now,
        )
        .order_by(Payment.next_check_at)
        .limit(limit)
    )
    return list(rows)


async def notices_of(session: AsyncSession, payment_id: int) -> list[PaymentNotice]:
    rows = await session.scalars(
        select(PaymentNotice)
        .where(PaymentNotice.payment_id == payment_id)
        .order_by(PaymentNotice.id)
    )
    return list(rows)


async def refunds_of(session: AsyncSession, payment_id: int) -> list[PaymentRefund]:
    rows = await session.scalars(
        select(PaymentRefund)
        .where(PaymentRefund.payment_id == payment_id)
        .order_by(PaymentRefund.id)
    )
    return list(rows)


async def refund_by_id(
    session: AsyncSession, refund_id: int, *, lock: bool = False
) -> PaymentRefund | None:
    query = select(PaymentRefund).where(PaymentRefund.id == refund_id)
    if lock:
        query = query.with_for_update()
    found: PaymentRefund | None = await session.scalar(
        query.execution_options(populate_existing=True)
    )
    return found


async def pending_refunds_total(session: AsyncSession, payment_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(PaymentRefund.amount), 0)).where(
            PaymentRefund.payment_id == payment_id, PaymentRefund.state == RefundState.pending
        )
    )
    return int(total or 0)


async def payments_of_day(
    session: AsyncSession, gateway: str, start: datetime, end: datetime
) -> list[Payment]:
    """Payments through a gateway that were started or paid within [start, end)."""
    rows = await session.scalars(
        select(Payment)
        .where(
            Payment.gateway == gateway,
            or_(
                and_(Payment.paid_at >= start, Payment.paid_at < end),
                and_(Payment.created_at >= start, Payment.created_at < end),
            ),
        )
        .order_by(Payment.id)
    )
    return list(rows)


async def report_of(session: AsyncSession, day: date, gateway: str) -> ReconciliationReport | None:
    found: ReconciliationReport | None = await session.scalar(
        select(ReconciliationReport).where(
            ReconciliationReport.day == day, ReconciliationReport.gateway == gateway
        )
    )
    return found


async def report_by_id(session: AsyncSession, report_id: int) -> ReconciliationReport | None:
    found: ReconciliationReport | None = await session.scalar(
        select(ReconciliationReport).where(ReconciliationReport.id == report_id)
    )
    return found


async def reports(session: AsyncSession, limit: int) -> list[ReconciliationReport]:
    rows = await session.scalars(
        select(ReconciliationReport)
        .order_by(ReconciliationReport.day.desc(), ReconciliationReport.id.desc())
        .limit(limit)
    )
    return list(rows)


# --- The sandbox gateway's books -----------------------------------------------------------


async def sandbox_transaction(
    session: AsyncSession, merchant: str, txn_ref: str, *, lock: bool = False
) -> SandboxTransaction | None:
    query = select(SandboxTransaction).where(
        SandboxTransaction.merchant == merchant, SandboxTransaction.txn_ref == txn_ref
    )
    if lock:
        query = query.with_for_update()
    found: SandboxTransaction | None = await session.scalar(
        query.execution_options(populate_existing=True)
    )
    return found


async def sandbox_paid_between(
    session: AsyncSession, merchant: str, start: datetime, end: datetime
) -> list[SandboxTransaction]:
    rows = await session.scalars(
        select(SandboxTransaction)
        .where(
            SandboxTransaction.merchant == merchant,
            SandboxTransaction.pay_date >= start,
            SandboxTransaction.pay_date < end,
            SandboxTransaction.state.in_(("paid", "refunded", "partially_refunded")),
        )
        .order_by(SandboxTransaction.id)
    )
    return list(rows)
