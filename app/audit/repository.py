"""Every query of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditRecord

# One lock for the whole chain, the same in every process: "mc:audit" read as a 64-bit number.
CHAIN_LOCK_KEY = int.from_bytes(b"mc:audit", "big")

# The columns a row is shown and checked with, read as plain rows rather than ORM objects: the
# session's identity map neither grows with them nor hands back the values it was given instead
# of what the database stored.
_COLUMNS = (
    AuditRecord.id,
    AuditRecord.at,
    AuditRecord.actor,
    AuditRecord.actor_name,
    AuditRecord.ip,
    AuditRecord.action,
    AuditRecord.dossier_id,
    AuditRecord.dossier_code,
    AuditRecord.detail,
    AuditRecord.previous_hash,
    AuditRecord.hash,
)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def lock_chain(session: AsyncSession) -> str:
    """Take the PostgreSQL chain lock until the transaction ends; the transaction's isolation
    level, read in the same round trip."""
    row = (
        await session.execute(
            select(
                func.pg_advisory_xact_lock(CHAIN_LOCK_KEY),
                func.current_setting("transaction_isolation"),
            )
        )
    ).one()
    return str(row[1])


async def last_hash(session: AsyncSession) -> str | None:
    """The hash of the newest row, None when there is none."""
    found: str | None = await session.scalar(
        select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    )
    return found


async def hash_before(session: AsyncSession, record_id: int) -> str | None:
    """The hash of the row just before ``record_id`` in id order, None when it is the first."""
    found: str | None = await session.scalar(
        select(AuditRecord.hash)
        .where(AuditRecord.id < record_id)
        .order_by(AuditRecord.id.desc())
        .limit(1)
    )
    return found


async def add(session: AsyncSession, values: dict[str, Any]) -> int:
    """Insert one row; its id."""
    record_id: int = (
        await session.execute(insert(AuditRecord).values(**values).returning(AuditRecord.id))
    ).scalar_one()
    return record_id


async def seal(
    session: AsyncSession, record_id: int, at: datetime, previous_hash: str, hash_: str
) -> None:
    await session.execute(
        update(AuditRecord)
        .where(AuditRecord.id == record_id)
        .values(at=at, previous_hash=previous_hash, hash=hash_)
        .execution_options(synchronize_session=False)
    )


async def batch_after(
    session: AsyncSession, after_id: int | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to ``limit`` rows after ``after_id`` (from the first when None), in id order."""
    statement = select(*_COLUMNS).order_by(AuditRecord.id).limit(limit)
    if after_id is not None:
        statement = statement.where(AuditRecord.id > after_id)
    return (await session.execute(statement)).all()


async def of_dossier(
    session: AsyncSession, dossier_id: int, before_id: int | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to ``limit`` rows of the dossier older than ``before_id``, newest first."""
    statement = (
        select(*_COLUMNS)
        .where(AuditRecord.dossier_id == dossier_id)
        .order_by(AuditRecord.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        statement = statement.where(AuditRecord.id < before_id)
    return (await session.execute(statement)).all()
