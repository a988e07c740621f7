"""Outbox operations: enqueue in the caller's transaction; claim and settle for the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import utcnow
from app.models.outbox import OutboxMessage
from app.outbox import repository

LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)
MAX_ERROR_LENGTH = 2000
# The default of Settings.outbox_max_attempts.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Claimed:
    """A message leased to one worker; plain data, usable after its transaction ended."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


async def enqueue(session: AsyncSession, kind: str, payload: dict[str, Any]) -> int:
    """Write a message in the caller's transaction: it exists (and is delivered) only if that
    transaction commits."""
    now = utcnow()
    message = OutboxMessage(
        kind=kind, payload=payload, created_at=now, available_at=now, attempts=0
    )
    session.add(message)
    await session.flush()
    return message.id


async def claim(session: AsyncSession, limit: int = 20, lease: timedelta = LEASE) -> list[Claimed]:
    """Lease due messages to the caller (commit the lease before delivering them)."""
    rows = await repository.claim(session, utcnow(), limit, lease)
    return [Claimed(r.id, r.kind, dict(r.payload), r.attempts) for r in rows]


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 30 s, 1 min, 2 min... ≤ 6 h."""
    return min(FIRST_RETRY * (1 << min(max(0, attempts - 1), 20)), MAX_RETRY)


async def delivered(session: AsyncSession, message_id: int) -> None:
    await repository.mark_done(session, message_id, utcnow())
    await session.flush()


async def delivery_failed(
    session: AsyncSession,
    message: Claimed,
    error: str,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    now: datetime | None = None,
) -> bool:
    """Reschedule with exponential backoff, or mark failed after ``max_attempts`` (the error is
    kept either way). True when it will be tried again."""
    now = now or utcnow()
    attempts = message.attempts + 1
    retry_at = now + backoff(attempts) if attempts < max_attempts else None
    await repository.mark_failed_attempt(
        session, message.id, error[:MAX_ERROR_LENGTH], retry_at=retry_at, now=now
    )
    await session.flush()
    return retry_at is not None


async def get(session: AsyncSession, message_id: int) -> OutboxMessage | None:
    return await repository.get(session, message_id)
