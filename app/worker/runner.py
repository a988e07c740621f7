"""Claim a batch of due outbox messages, deliver each by kind, settle it; repeat.

Each step is its own unit of work: the lease is committed before anything is delivered (no
transaction stays open while a remote server answers), and each result is committed on its own.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.accounts import service as accounts
from app.config import Settings
from app.documents import tasks as document_tasks
from app.dossiers import tasks as dossier_tasks
from app.dossiers.service import FILE_DELETE
from app.idempotency import service as idempotency
from app.outbox import mail
from app.outbox import service as outbox
from app.payments import service as payments
from app.payments import tasks as payment_tasks
from app.processing import service as processing
from app.processing import tasks as processing_tasks
from app.stats import tasks as stats_tasks
from app.storage import FileStorage, storage_from_url
from app.webhooks import delivery as webhooks
from app.webhooks import national

log = logging.getLogger(__name__)

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Deliver = Callable[[dict[str, Any]], Awaitable[None]]
BATCH = 20
POLL_SECONDS = 5.0
HOUSEKEEPING_SECONDS = 600.0


@dataclass
class DrainReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def deliverers(
    settings: Settings,
    storage: FileStorage | None = None,
    unit_of_work: UnitOfWork | None = None,
) -> dict[str, Deliver]:
    """The delivery function of each kind of message (file deletions need the storage; jobs
    that change dossiers also need their own unit of work)."""

    async def email(payload: dict[str, Any]) -> None:
        await mail.deliver(settings, payload)

    by_kind: dict[str, Deliver] = {mail.KIND: email}
    if storage is not None:

        async def delete_file(payload: dict[str, Any]) -> None:
            await dossier_tasks.delete_stored(storage, payload)

        by_kind[FILE_DELETE] = delete_file
        if unit_of_work is not None:
            work, store = unit_of_work, storage

            async def auto_receive(payload: dict[str, Any]) -> None:
                await processing_tasks.auto_receive(work, settings, store, payload)

            async def issue_form(payload: dict[str, Any]) -> None:
                await processing_tasks.issue_form(work, settings, store, payload)

            by_kind[processing.AUTO_RECEIVE] = auto_receive
            by_kind[processing.ISSUE_FORM] = issue_form

            async def send_refund(payload: dict[str, Any]) -> None:
                await payment_tasks.send_refund(work, settings, payload)

            by_kind[payments.REFUND_JOB] = send_refund
    return by_kind


async def housekeeping(
    unit_of_work: UnitOfWork,
    storage: FileStorage,
    settings: Settings,
    *,
    grace: timedelta = dossier_tasks.STRAY_GRACE,
) -> dossier_tasks.CleanupReport:
    """The periodic jobs: the deadline watch; the statistics summary; expired sessions and
    attempts, old API request counts, drafts, uploads and stray files."""
    await processing_tasks.watch_deadlines(unit_of_work, settings)
    try:
        # Yesterday's reconciliation with the payment gateway, once a day.
        await payment_tasks.reconcile_yesterday(unit_of_work, settings)
    except Exception:
        log.exception("reconciliation with the payment gateway failed; trying again later")
    try:
        # The statistics of the months that have ended, missing or changed since built.
        await stats_tasks.refresh_summary(unit_of_work, settings)
    except Exception:
        log.exception("the statistics summary could not be built; trying again later")
    async with unit_of_work() as session:
        await accounts.purge(session)
        await api_keys.purge_rate_windows(session)
        await idempotency.purge_expired(session)
    documents = await document_tasks.delete_stray_documents(unit_of_work, storage, grace=grace)
    if documents:
        log.info("stray documents deleted: %s", documents)
    return await dossier_tasks.clean_up(unit_of_work, storage, grace=grace)


async def drain(
    unit_of_work: UnitOfWork,
    settings: Settings,
    *,
    by_kind: Mapping[str, Deliver] | None = None,
    storage: FileStorage | None = None,
    batch: int = BATCH,
    stop: asyncio.Event | None = None,
) -> DrainReport:
    """Deliver every message due now, batch after batch, and return what happened.

    Messages rescheduled for later are not due again within this drain, so it ends.
    """
    by_kind = deliverers(settings, storage, unit_of_work) if by_kind is None else by_kind
    report = DrainReport()
    while stop is None or not stop.is_set():
        async with unit_of_work() as session:
            claimed = await outbox.claim(session, batch)
        if not claimed:
            break
        for message in claimed:
            error: str | None = None
            deliver = by_kind.get(message.kind)
            if deliver is None:
                error = f"no deliverer for kind {message.kind!r}"
            else:
                try:
                    await deliver(message.payload)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
            async with unit_of_work() as session:
                if error is None:
                    await outbox.delivered(session, message.id)
                    report.delivered += 1
                elif await outbox.delivery_failed(
                    session, message, error, max_attempts=settings.outbox_max_attempts
                ):
                    log.warning("outbox message %s will be retried: %s", message.id, error)
                    report.retried += 1
                else:
                    log.error("outbox message %s failed for good: %s", message.id, error)
                    report.failed += 1
    return report


async def run(
    unit_of_work: UnitOfWork,
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> None:
    """Bring the national portal's subscription in line with the settings; then drain the
    outbox until SIGTERM or SIGINT (or ``stop``), polling when it is empty, and run the
    housekeeping jobs every ten minutes.

    A signal lets the message being delivered finish and settle before the loop ends.
    """
    stop = stop or asyncio.Event()
    async with unit_of_work() as session:
        await national.sync_subscription(session, settings)
    storage = storage_from_url(settings.storage_url)
    # The same HTTP clients for every batch of callbacks: their connections are kept between them.
    senders = webhooks.Senders(settings)
    next_housekeeping = 0.0
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    # Only the main thread of a POSIX process gets signals (tests run the loop elsewhere).
    if sys.platform != "win32" and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        while not stop.is_set():
            try:
                await drain(unit_of_work, settings, storage=storage, stop=stop)
            except Exception:
                log.exception("outbox drain failed; trying again")
            try:
                # Payments whose gateway notice has not come: ask the gateway again.
                await payment_tasks.check_pending(unit_of_work, settings, storage)
            except Exception:
                log.exception("payment checks failed; trying again")
            try:
                # On a signal, the callbacks under way are abandoned and their leases freed.
                await webhooks.deliver_due(unit_of_work, settings, senders=senders, stop=stop)
            except Exception:
                log.exception("callback delivery failed; trying again")
            if loop.time() >= next_housekeeping:
                next_housekeeping = loop.time() + HOUSEKEEPING_SECONDS
                try:
                    await housekeeping(unit_of_work, storage, settings)
                except Exception:
                    log.exception("housekeeping failed; trying again later")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await senders.aclose()
        await storage.aclose()
