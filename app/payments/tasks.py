"""Worker jobs of payments: asking the gateway again about payments whose outcome is unknown,
sending refunds, and the daily reconciliation with the gateway.

Each job reads what it needs in one unit of work, calls the gateway with no transaction open,
then records the answer in another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import PaymentGateway, Settings
from app.kit.clock import aware, utcnow
from app.models.payments import PaymentState, ReconciliationReport
from app.payments import repository, sandbox, service
from app.payments.errors import GatewayUnavailable, ReportNotFound
from app.payments.gateway import Gateway, QueryAnswer, RefundAnswer, gateway_for
from app.payments.schemas import Mismatch, ReportOut

__all__ = ["CheckReport", "ReportOut", "check_pending", "reconcile"]
from app.storage import FileStorage

log = logging.getLogger(__name__)

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
CHECK_BATCH = 50
WORKER_IP = "127.0.0.1"


@dataclass
class CheckReport:
    checked: int = 0
    settled: int = 0
    expired: int = 0
    later: int = 0


async def check_pending(
    unit_of_work: UnitOfWork,
    settings: Settings,
    storage: FileStorage,
    *,
    gateway: Gateway | None = None,
    now: datetime | None = None,
) -> CheckReport:
    """Ask the gateway about every pending payment due for a check (its IPN has not come):
    settle it, expire it, or ask again later with a longer wait."""
    report = CheckReport()
    if settings.payment_gateway is None:
        return report
    gateway = gateway or gateway_for(settings)
    async with unit_of_work() as session:
        due = [
            (p.id, p.reference, aware(p.created_at), p.order_info)
            for p in await repository.due_checks(session, now or utcnow(), CHECK_BATCH)
        ]
    for payment_id, reference, created_at, info in due:
        answer: QueryAnswer | None
        try:
            answer = await gateway.query(reference, created_at, info, WORKER_IP)
        except GatewayUnavailable as exc:
            log.warning(
                "payment %s: the gateway did not answer its query (%s)", reference, exc.detail
            )
            answer = None
        async with unit_of_work() as session:
            done = await service.settle_from_query(session, settings, storage, payment_id, answer)
        report.checked += 1
        if done in (PaymentState.paid, PaymentState.failed, PaymentState.cancelled):
            report.settled += 1
        elif done == "expired":
            report.expired += 1
        elif done == "later":
            report.later += 1
    return report


async def send_refund(
    unit_of_work: UnitOfWork,
    settings: Settings,
    payload: dict[str, Any],
    *,
    gateway: Gateway | None = None,
) -> str:
    """Send a pending refund to the gateway and record its answer. A gateway that does not
    answer raises, so the outbox tries again later."""
    gateway = gateway or gateway_for(settings)
    refund_id = int(payload["refund_id"])
    async with unit_of_work() as session:
        found = await service.refund_to_send(session, refund_id)
        if found is None:
            return "skipped"
        refund, payment = found
        txn_ref, amount = payment.reference, refund.amount
        full = refund.amount == payment.amount
        transaction_no = payment.gateway_transaction_no or ""
        transaction_date, by = aware(payment.created_at), refund.requested_by
    answer: RefundAnswer = await gateway.refund(
        txn_ref=txn_ref,
        amount=amount,
        full=full,
        transaction_no=transaction_no,
        transaction_date=transaction_date,
        by=by,
        order_info=f"Hoan tien {txn_ref}",
        ip=str(payload.get("ip", WORKER_IP)),
    )
    async with unit_of_work() as session:
        return await service.refund_settled(session, settings, refund_id, answer)


# --- Reconciliation ---------------------------------------------------------------------------


def day_bounds(settings: Settings, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def yesterday(settings: Settings, now: datetime | None = None) -> date:
    return ((now or utcnow()).astimezone(ZoneInfo(settings.time_zone)) - timedelta(days=1)).date()


@dataclass
class _Books:
    """What one side holds as paid on the day: reference → amount."""

    paid: dict[str, int] = field(default_factory=dict)


def report_out(report: ReconciliationReport) -> ReportOut:
    return ReportOut(
        id=report.id,
        day=report.day,
        gateway=report.gateway,
        created_at=aware(report.created_at),
        portal_count=report.portal_count,
        portal_amount=report.portal_amount,
        gateway_count=report.gateway_count,
        gateway_amount=report.gateway_amount,
        mismatches=[Mismatch.model_validate(m) for m in report.mismatches],
    )


async def reconcile(
    unit_of_work: UnitOfWork,
    settings: Settings,
    day: date,
    *,
    gateway: Gateway | None = None,
) -> ReportOut:
    """Set the portal's payments of a local day against the gateway's and keep the report
    (made again, it replaces the day's earlier one). The sandbox's books are read directly;
    VNPAY is queried for each payment."""
    gateway = gateway or gateway_for(settings)
    start, end = day_bounds(settings, day)
    portal = _Books()
    gateway_books = _Books()
    unverified: list[str] = []
    async with unit_of_work() as session:
        payments = await repository.payments_of_day(session, gateway.name, start, end)
        to_query = [(p.reference, aware(p.created_at), p.order_info) for p in payments]
        for p in payments:
            if p.state in repository.SETTLED and p.paid_at and start <= aware(p.paid_at) < end:
                portal.paid[p.reference] = p.amount
        if settings.payment_gateway is PaymentGateway.sandbox and gateway.name == "sandbox":
            for txn in await sandbox.paid_between(session, start, end):
                gateway_books.paid[txn.txn_ref] = txn.amount
            to_query = []
    for reference, created_at, info in to_query:
        try:
            answer = await gateway.query(reference, created_at, info, WORKER_IP)
        except GatewayUnavailable:
            unverified.append(reference)
            continue
        outcome = answer.outcome
        if outcome is not None and outcome.succeeded and outcome.amount is not None:
            if outcome.pay_date is None or start <= outcome.pay_date < end:
                gateway_books.paid[reference] = outcome.amount
        elif answer.found and outcome is None:
            unverified.append(reference)
    mismatches: list[dict[str, Any]] = []
    for reference in sorted(set(portal.paid) | set(gateway_books.paid) | set(unverified)):
        ours, theirs = portal.paid.get(reference), gateway_books.paid.get(reference)
        if reference in unverified and theirs is None:
            problem = "unverified"
        elif theirs is None:
            problem = "missing_at_gateway"
        elif ours is None:
            problem = "missing_at_portal"
        elif ours != theirs:
            problem = "amount"
        else:
            continue
        mismatches.append(
            {"reference": reference, "problem": problem, "portal": ours, "gateway": theirs}
        )
    async with unit_of_work() as session:
        report = await repository.report_of(session, day, gateway.name)
        if report is None:
            report = ReconciliationReport(day=day, gateway=gateway.name)
            session.add(report)
        report.created_at = utcnow()
        report.portal_count = len(portal.paid)
        report.portal_amount = sum(portal.paid.values())
        report.gateway_count = len(gateway_books.paid)
        report.gateway_amount = sum(gateway_books.paid.values())
        report.mismatches = mismatches
        await session.flush()
        return report_out(report)


async def reports(session: AsyncSession, limit: int = 60) -> list[ReportOut]:
    """The latest reconciliation reports, newest day first."""
    return [report_out(r) for r in await repository.reports(session, limit)]


async def report(session: AsyncSession, report_id: int) -> ReportOut:
    # An id no database column holds finds nothing (and must not reach the driver).
    if not 0 < report_id < 2**31:
        raise ReportNotFound()
    found = await repository.report_by_id(session, report_id)
    if found is None:
        raise ReportNotFound()
    return report_out(found)


async def reconcile_yesterday(unit_of_work: UnitOfWork, settings: Settings) -> ReportOut | None:
    """The daily job: yesterday's report, once (it is made the first time the worker runs on
    a day without it)."""
    if settings.payment_gateway is None:
        return None
    day = yesterday(settings)
    name = gateway_for(settings).name
    async with unit_of_work() as session:
        if await repository.report_of(session, day, name) is not None:
            return None
    return await reconcile(unit_of_work, settings, day)


async def deliver_sandbox_ipn(
    unit_of_work: UnitOfWork,
    settings: Settings,
    params: dict[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
) -> bool:
    """The sandbox's IPN, sent after the payer's page was answered; remembered when the
    portal confirmed it."""
    answer = await sandbox.send_ipn(settings, params, transport)
    if answer is None or answer.get("RspCode") not in ("00", "02"):
        log.warning("sandbox IPN for %s not confirmed: %s", params.get("vnp_TxnRef"), answer)
        return False
    async with unit_of_work() as session:
        await sandbox.ipn_delivered(session, params.get("vnp_TxnRef", ""))
    return True
