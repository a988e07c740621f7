"""Every query of idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.idempotency import IdempotencyRecord


async def live(
    session: AsyncSession, client: str, route: str, key: str, now: datetime
) -> IdempotencyRecord | None:
    """The client's record of the key on the route, unless it has expired."""
    found: IdempotencyRecord | None = await session.scalar(
        select(IdempotencyRecord)
        .where(
            IdempotencyRecord.client == client,
            IdempotencyRecord.route == route,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at > now,
        )
        .execution_options(populate_existing=True)
    )
    return found


async def delete_expired_key(
    session: AsyncSession, client: str, route: str, key: str, now: datetime
) -> None:
    await session.execute(
        delete(IdempotencyRecord)
        .where(
            IdempotencyRecord.client == client,
            IdempotencyRecord.route == route,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
        # No evaluation against loaded rows: SQLite gives their times back without a zone.
        .execution_options(synchronize_session=False)
    )


async def try_lock_key(session: AsyncSession, client: str, route: str, key: str) -> bool:
    """Take the transaction's lock on the key without waiting: False when another running
    transaction holds it. Only PostgreSQL has such locks; SQLite has one writer at a time, so
    there the key is always free."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    # The unit separator keeps ("ab", "c") and ("a", "bc") apart; 64-bit hash, few collisions.
    name = func.concat_ws("\x1f", client, route, key)
    taken = await session.scalar(
        select(func.pg_try_advisory_xact_lock(func.hashtextextended(name, 0)))
    )
    return bool(taken)


async def add(session: AsyncSession, record: IdempotencyRecord) -> None:
    session.add(record)


async def set_response(
    session: AsyncSession,
    record_id: int,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(response_status=status, response_body=body, response_headers=headers)
        .execution_options(synchronize_session=False)
    )


async def delete_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
