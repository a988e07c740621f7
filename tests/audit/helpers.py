"""Raw SQL on the audit trail, as someone with write access to the database would run it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit


async def tamper(session: AsyncSession, sql: str, **params: Any) -> None:
    """Run SQL behind the service's back. On PostgreSQL the table's own triggers are switched
    off first, inside the test's rolled-back transaction, as the table's owner could."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
    await session.execute(text(sql), params)


async def record_many(session: AsyncSession, count: int, **fields: Any) -> None:
    for n in range(count):
        await audit.record(
            session,
            actor=f"account:{n}",
            actor_name=f"Cán bộ {n}",
            action="dossier.read",
            ip="203.0.113.7",
            **fields,
        )


async def ids(session: AsyncSession) -> list[int]:
    """The ids of the whole trail, in order."""
    return list((await session.scalars(text("SELECT id FROM audit_records ORDER BY id"))).all())
