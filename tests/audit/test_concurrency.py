"""Many transactions appending at once, each on its own connection, make one unbroken chain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import Database, upgrade
from app.kit.clock import aware
from app.models.audit import AuditRecord

WRITERS = 20


@pytest.fixture
async def fresh_database(fresh_database_url: str) -> AsyncIterator[Database]:
    """A migrated empty database whose transactions really commit."""
    await asyncio.to_thread(upgrade, fresh_database_url)
    database = Database(fresh_database_url)
    yield database
    await database.dispose()


async def _writer(database: Database, n: int, start: asyncio.Event) -> None:
    await start.wait()
    async with database.unit_of_work() as session:
        # A read first, as handlers do: the chain must not be read from that moment.
        await session.scalar(select(func.count()).select_from(AuditRecord))
        await asyncio.sleep(0.01)
        await audit.record(
            session, actor=f"account:{n}", actor_name=f"Cán bộ {n}", action="dossier.read"
        )
        # Work still going on after the record widens the window in which a careless
        # implementation would let a second writer chain onto the same row.
        await asyncio.sleep(0.02)


async def test_concurrent_writers_make_one_chain(fresh_database: Database) -> None:
    start = asyncio.Event()
    writers = [asyncio.create_task(_writer(fresh_database, n, start)) for n in range(WRITERS)]
    start.set()
    await asyncio.gather(*writers)
    async with fresh_database.unit_of_work() as session:
        report = await audit.verify(session)
        rows = (
            await session.execute(
                select(AuditRecord.actor, AuditRecord.at, AuditRecord.previous_hash).order_by(
                    AuditRecord.id
                )
            )
        ).all()
    assert report.ok and report.rows_checked == WRITERS, str(report)
    assert len({row.previous_hash for row in rows}) == WRITERS
    assert {row.actor for row in rows} == {f"account:{n}" for n in range(WRITERS)}
    # Times are taken once the chain is held, so they follow it.
    times = [aware(row.at) for row in rows]
    assert times == sorted(times)


async def test_postgresql_refuses_to_append_from_an_older_snapshot(
    fresh_database: Database,
) -> None:
    if fresh_database.engine.dialect.name != "postgresql":
        pytest.skip("isolation levels are PostgreSQL's")
    engine = fresh_database.engine.execution_options(isolation_level="REPEATABLE READ")
    async with engine.connect() as connection, connection.begin():
        session = AsyncSession(bind=connection)
        with pytest.raises(RuntimeError, match="READ COMMITTED"):
            await audit.record(session, actor="worker", actor_name="", action="dossier.read")
