"""Every query of the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.outbox import OutboxMessage


async def claim(
    session: AsyncSession, now: datetime, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages, oldest first, and return them.

    One statement on both databases: on PostgreSQL the inner ``FOR UPDATE SKIP LOCKED`` lets
    several workers claim at once without waiting for or taking each other's rows; SQLite has a
    single writer, ignores the clause, and runs the UPDATE atomically.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.done_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until <= now),
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(leased_until=now + lease)
        .returning(OutboxMessage),
        execution_options={"synchronize_session": False, "populate_existing": True},
    )
    return sorted(rows, key=lambda m: m.id)


async def mark_done(session: AsyncSession, message_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(done_at=now, leased_until=None, attempts=OutboxMessage.attempts + 1)
    )


async def mark_failed_attempt(
    session: AsyncSession,
    message_id: int,
    error: str,
    *,
    retry_at: datetime | None,
    now: datetime,
) -> None:
    """Record a failed delivery: again at ``retry_at``, or never (failed) when it is None."""
    values: dict[str, object] = {
        "attempts": OutboxMessage.attempts + 1,
        "last_error": error,
        "leased_until": None,
    }
    if retry_at is None:
        values["failed_at"] = now
    else:
        values["available_at"] = retry_at
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


async def get(session: AsyncSession, message_id: int) -> OutboxMessage | None:
    found: OutboxMessage | None = await session.get(
        OutboxMessage, message_id, populate_existing=True
    )
    return found
