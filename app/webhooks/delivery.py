"""The delivery engine: lease due deliveries, post them at once, settle the batch.

Three short units of work per batch: the lease (and the bodies) is committed before anything
is posted, so no transaction stays open while endpoints answer; the posts run concurrently on
one shared HTTP client; the outcomes of the whole batch are written in one transaction, with
bulk statements, and only for the rows still leased to this batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from app.config import Settings
from app.kit import sealing
from app.kit.clock import aware, utcnow
from app.models.webhooks import (
    DeliveryState,
    PayloadFormat,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks import national, repository, service, signing
from app.webhooks.addresses import AddressRefused, PinnedTransport

log = logging.getLogger(__name__)

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# The wait before attempt n+1 after attempt n failed: eight attempts over about a day.
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_SNIPPET = 1000
# Connections a lane keeps, one per endpoint it posted to lately.
LANE_CONNECTIONS = 4
ADDRESS_REFUSED = "address refused"
GONE = 410


@dataclass
class DeliveryReport:
    """What one drain did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    # Subscriptions disabled (410 Gone, or failing too long).
    disabled: int = 0


@dataclass(frozen=True)
class _Job:
    """A leased delivery, ready to post: plain data, usable after its transaction ended."""

    id: int
    subscription_id: int
    attempts: int
    url: str
    message_id: str
    body: bytes
    headers: dict[str, str]
    # Empty for the national portal, which authenticates with its own header.
    signers: tuple[Webhook, ...]
    # Set when the body could not be made: the attempt fails without posting.
    error: str | None = None


@dataclass
class _Outcome:
    job: _Job
    at: datetime
    status: int | None = None
    error: str | None = None
    snippet: str | None = None
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after ``attempts`` tries failed, ±10% so that the retries of an endpoint coming
    back do not all arrive at once; None once the schedule is over."""
    if attempts >= len(SCHEDULE):
        return None
    return SCHEDULE[attempts] * random.uniform(0.9, 1.1)


class Senders:
    """The HTTP clients a worker posts callbacks with, kept between batches: one per lane of
    posts running at once. Each connection goes to an address checked when it is opened, and no
    redirect is followed (it could lead to an address the checks refuse).

    One client per lane, because httpx's connection pool slows down as one client holds more
    connections at once: on one machine, one client with 64 connections posted 140 callbacks a
    second where 16 clients of one lane each posted 660.
    """

    def __init__(self, settings: Settings) -> None:
        limits = httpx.Limits(
            max_connections=LANE_CONNECTIONS, max_keepalive_connections=LANE_CONNECTIONS
        )
        ssl_context = httpx.create_ssl_context()
        self.clients = tuple(
            httpx.AsyncClient(
                timeout=settings.webhook_timeout_seconds,
                follow_redirects=False,
                transport=PinnedTransport(settings, limits, ssl_context),
            )
            for _lane in range(settings.webhook_concurrency)
        )

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


async def render(
    session: AsyncSession,
    settings: Settings,
    event: WebhookEvent,
    subscription: WebhookSubscription,
) -> tuple[bytes, dict[str, str]]:
    """The body of a delivery and the headers it needs besides the common ones, by the
    subscription's payload format."""
    if subscription.payload_format == PayloadFormat.national_portal.value:
        return await national.record_body(session, event, settings)
    body = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    return body.encode(), {"content-type": "application/json"}


def _signers(
    settings: Settings, subscription: WebhookSubscription, now: datetime
) -> tuple[Webhook, ...]:
    """The secrets signing now: the present one, and the previous one during a rotation."""
    if subscription.payload_format != PayloadFormat.standard.value:
        return ()
    sealed = [subscription.secret_sealed]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret_sealed and expires and aware(expires) > now:
        sealed.append(subscription.previous_secret_sealed)
    return tuple(Webhook(sealing.unseal(settings.secret_key, s)) for s in sealed)


async def _claim(session: AsyncSession, settings: Settings, token: str) -> list[_Job]:
    now = utcnow()
    until = now + timedelta(seconds=settings.webhook_lease_seconds)
    rows = await repository.claim(session, now, until, token, settings.webhook_batch)
    if not rows:
        return []
    events = await repository.events_by_id(session, (r.event_id for r in rows))
    subscriptions = await repository.subscriptions_by_id(session, (r.subscription_id for r in rows))
    signers = {s.id: _signers(settings, s, now) for s in subscriptions.values()}
    jobs = []
    for row in rows:
        event, subscription = events[row.event_id], subscriptions[row.subscription_id]
        error = None
        try:
            body, headers = await render(session, settings, event, subscription)
        except Exception as exc:
            log.exception("no body for webhook delivery %s", row.id)
            body, headers, error = b"", {}, f"no body: {type(exc).__name__}: {exc}"
        jobs.append(
            _Job(
                id=row.id,
                subscription_id=row.subscription_id,
                attempts=row.attempts,
                url=subscription.url,
                message_id=event.reference,
                body=body,
                headers=headers,
                signers=signers[row.subscription_id],
                error=error,
            )
        )
    return jobs


async def _read_snippet(response: httpx.Response) -> str:
    """The start of the response, without reading more of it than is kept."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_SNIPPET * 4:
            break
    return b"".join(chunks).decode("utf-8", "replace")[:MAX_SNIPPET]


async def _post(client: httpx.AsyncClient, job: _Job) -> _Outcome:
    outcome = _Outcome(job, utcnow())
    if job.error is not None:
        outcome.error = job.error
        return outcome
    loop = asyncio.get_running_loop()
    started = loop.time()
    # The receiver compares the timestamp with its own clock: the real one, always.
    headers = {"user-agent": signing.USER_AGENT, **job.headers}
    if job.signers:
        headers |= signing.headers(job.signers, job.message_id, datetime.now(UTC), job.body)
    try:
        async with client.stream("POST", job.url, content=job.body, headers=headers) as r:
            outcome.status = r.status_code
            outcome.snippet = await _read_snippet(r)
    except AddressRefused as exc:
        # Raised by the client's transport when it opens a connection to the host.
        outcome.error = f"{ADDRESS_REFUSED}: {exc.args[0]}"
    except (httpx.HTTPError, OSError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"[:MAX_SNIPPET]
    outcome.duration_ms = int((loop.time() - started) * 1000)
    return outcome


async def _settle(
    session: AsyncSession, settings: Settings, token: str, outcomes: list[_Outcome]
) -> DeliveryReport:
    """Write the outcomes of a batch: attempts, deliveries, and what they mean for each
    subscription (a success clears its failing time; 410 or failing too long disables it)."""
    report = DeliveryReport()
    now = utcnow()
    ours = await repository.still_leased(session, [o.job.id for o in outcomes], token)
    outcomes = [o for o in outcomes if o.job.id in ours]
    if not outcomes:
        return report
    subscriptions = await repository.subscriptions_by_id(
        session, (o.job.subscription_id for o in outcomes)
    )
    attempts, rows = [], []
    succeeded: set[int] = set()
    failed: set[int] = set()
    gone: set[int] = set()
    for o in outcomes:
        attempts.append(
            {
                "delivery_id": o.job.id,
                "attempted_at": o.at,
                "status_code": o.status,
                "duration_ms": o.duration_ms,
                "error": o.error,
                "response_snippet": o.snippet,
            }
        )
        row: dict[str, Any] = {
            "b_id": o.job.id,
            "state": DeliveryState.pending.value,
            "attempts": o.job.attempts + 1,
            "next_attempt_at": now,
            "last_status": o.status,
            "last_error": o.error,
            "finished_at": None,
        }
        if o.succeeded:
            row |= {"state": DeliveryState.delivered.value, "finished_at": now}
            succeeded.add(o.job.subscription_id)
            report.delivered += 1
        elif o.status == GONE:
            # Waits, not counted, for the endpoint to be enabled again.
            row |= {"attempts": o.job.attempts, "last_error": "410 Gone"}
            gone.add(o.job.subscription_id)
            report.retried += 1
        else:
            delay = retry_delay(o.job.attempts + 1)
            if delay is None:
                row |= {"state": DeliveryState.failed.value, "finished_at": now}
                report.failed += 1
            else:
                row["next_attempt_at"] = now + delay
                report.retried += 1
            failed.add(o.job.subscription_id)
        rows.append(row)
    await repository.add_attempts(session, attempts)
    await repository.settle(session, token, rows)
    limit = timedelta(days=settings.webhook_disable_after_days)
    for subscription in subscriptions.values():
        if subscription.id in succeeded:
            subscription.failing_since = None
        if not subscription.enabled:
            continue
        if subscription.id in gone:
            await service.disable_failing(session, subscription, service.GONE, now)
            report.disabled += 1
        elif subscription.id in failed and subscription.id not in succeeded:
            since = subscription.failing_since
            if since is None:
                subscription.failing_since = now
            elif now - aware(since) > limit:
                await service.disable_failing(session, subscription, service.FAILING, now)
                report.disabled += 1
    await session.flush()
    return report


async def _release(unit_of_work: UnitOfWork, token: str, ids: list[int]) -> None:
    async with unit_of_work() as session:
        await repository.release(session, token, ids)


async def _batch(
    unit_of_work: UnitOfWork,
    settings: Settings,
    senders: Senders,
    stop: asyncio.Event | None,
) -> DeliveryReport | None:
    """One batch: None when nothing was due."""
    token = secrets.token_hex(16)
    async with unit_of_work() as session:
        jobs = await _claim(session, settings, token)
    if not jobs:
        return None
    waiting = iter(jobs)
    finished: list[_Outcome] = []

    async def lane(client: httpx.AsyncClient) -> None:
        # The lanes share one iterator: each takes the next job as soon as it is free.
        for job in waiting:
            finished.append(await _post(client, job))

    lanes = [asyncio.create_task(lane(client)) for client in senders.clients[: len(jobs)]]
    posted = asyncio.ensure_future(asyncio.wait(lanes))
    stopped = asyncio.ensure_future(stop.wait()) if stop is not None else None
    try:
        await asyncio.wait(
            {posted} | ({stopped} if stopped else set()), return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for waiter in (posted, stopped, *lanes):
            if waiter is not None:
                waiter.cancel()
        settled = {o.job.id for o in finished}
        unsettled = [job.id for job in jobs if job.id not in settled]
        try:
            async with unit_of_work() as session:
                report = await _settle(session, settings, token, list(finished))
        finally:
            # What was not posted goes back to the queue now, not when the lease runs out.
            if unsettled:
                await _release(unit_of_work, token, unsettled)
    return report


async def deliver_due(
    unit_of_work: UnitOfWork,
    settings: Settings,
    *,
    senders: Senders | None = None,
    stop: asyncio.Event | None = None,
) -> DeliveryReport:
    """Deliver every callback due now, batch after batch, and say what happened. Deliveries
    retried later are not due again within this drain, so it ends. When ``stop`` is set, the
    posts under way are abandoned and their leases released for another worker."""
    own = senders is None
    lanes = Senders(settings) if senders is None else senders
    report = DeliveryReport()
    try:
        while stop is None or not stop.is_set():
            batch = await _batch(unit_of_work, settings, lanes, stop)
            if batch is None:
                break
            report.delivered += batch.delivered
            report.retried += batch.retried
            report.failed += batch.failed
            report.disabled += batch.disabled
    finally:
        if own:
            await lanes.aclose()
    return report
