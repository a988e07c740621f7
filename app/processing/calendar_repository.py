"""Every query of the working calendar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.calendar import CalendarDay, CalendarYear


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def seeded_years(session: AsyncSession, years: Iterable[int]) -> set[int]:
    return set(await session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(years))))


async def claim_year(session: AsyncSession, year: int, now: datetime) -> bool:
    """Mark the year seeded; False if it already was. On PostgreSQL a concurrent claim waits
    for the first one's transaction and then finds the year taken (or free, if it rolled back)."""
    inserted = await session.execute(
        _insert(session)(CalendarYear)
        .values(year=year, seeded_at=now)
        .on_conflict_do_nothing(index_elements=["year"])
        .returning(CalendarYear.year)
    )
    return inserted.first() is not None


async def add_missing_days(session: AsyncSession, days: Sequence[dict[str, Any]]) -> int:
    """Insert the days that are not in the table yet; how many were inserted."""
    if not days:
        return 0
    inserted = await session.execute(
        _insert(session)(CalendarDay)
        .values(list(days))
        .on_conflict_do_nothing(index_elements=["day"])
        .returning(CalendarDay.day)
    )
    return len(inserted.all())


async def days_between(session: AsyncSession, first: date, last: date) -> list[CalendarDay]:
    """The days from first to last, both included, in order."""
    found = await session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= first, CalendarDay.day <= last)
        .order_by(CalendarDay.day)
        # Rows changed by put_day (an upsert) are read afresh, not taken from the session.
        .execution_options(populate_existing=True)
    )
    return list(found.all())


async def put_day(
    session: AsyncSession, day: date, kind: str, name: str, source: str, now: datetime
) -> None:
    """Add the day, or change it if it is there: concurrent calls never collide."""
    values = {"kind": kind, "name": name, "source": source, "updated_at": now}
    await session.execute(
        _insert(session)(CalendarDay)
        .values(day=day, **values)
        .on_conflict_do_update(index_elements=["day"], set_=values)
    )


async def delete_day(session: AsyncSession, day: date) -> bool:
    """Delete the day; False if it was not there."""
    result = await session.execute(
        delete(CalendarDay)
        .where(CalendarDay.day == day)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
