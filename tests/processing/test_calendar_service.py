"""The working calendar in the database: seeding from the `holidays` package, administrators'
changes, the calendar read for deadlines, and seeding by several processes at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.models.calendar import CalendarDay, CalendarYear, DayKind, DaySource
from app.processing.calendar_service import (
    CalendarDayInvalid,
    CalendarDayNotFound,
    remove_day,
    seed_year,
    set_day,
    working_calendar,
    year_days,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFF, WORKING = DayKind.day_off, DayKind.working

# What the government decided for 2026, as the package gives it, checked by hand.
STATUTORY_2026 = [
    (date(2026, 1, 1), OFF),
    # Tết Bính Ngọ: civil servants are off from Saturday 14 to Sunday 22 February.
    (date(2026, 2, 16), OFF),
    (date(2026, 2, 17), OFF),
    (date(2026, 2, 18), OFF),
    (date(2026, 2, 19), OFF),
    (date(2026, 2, 20), OFF),
    # Hùng Kings' day is a Sunday, taken on Monday.
    (date(2026, 4, 26), OFF),
    (date(2026, 4, 27), OFF),
    (date(2026, 4, 30), OFF),
    (date(2026, 5, 1), OFF),
    # Saturday 22 August is worked in exchange for Monday 31 August, before 1-2 September.
    (date(2026, 8, 22), WORKING),
    (date(2026, 8, 31), OFF),
    (date(2026, 9, 1), OFF),
    (date(2026, 9, 2), OFF),
    (date(2026, 11, 24), OFF),
]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


@pytest.fixture
async def session(db_session: AsyncSession) -> AsyncSession:
    """The test's session over an empty calendar: whatever was committed comes back after."""
    await db_session.execute(delete(CalendarDay))
    await db_session.execute(delete(CalendarYear))
    return db_session


async def test_seeding_2026_gives_the_statutory_days(session: AsyncSession) -> None:
    assert await seed_year(session, 2026) == len(STATUTORY_2026)
    days = await year_days(session, 2026)
    assert [(d.day, d.kind) for d in days] == STATUTORY_2026
    assert {d.source for d in days} == {DaySource.statutory}
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 4, 27)].weekday == 1
    assert by_day[date(2026, 4, 27)].name == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert by_day[date(2026, 8, 22)].weekday == 6
    assert by_day[date(2026, 9, 2)].name == "Quốc khánh"
    # Seeded once only.
    assert await seed_year(session, 2026) == 0
    assert len(await year_days(session, 2026)) == len(STATUTORY_2026)


async def test_tet_2026_in_the_calendar_for_deadlines(
    session: AsyncSession, settings: Settings
) -> None:
    calendar = await working_calendar(session, settings, around=date(2026, 2, 1))
    break_days = [date(2026, 2, 14) + timedelta(days=n) for n in range(9)]
    assert not any(calendar.is_working_day(day) for day in break_days)
    assert calendar.is_working_day(date(2026, 2, 13))
    assert calendar.is_working_day(date(2026, 2, 23))
    due = calendar.add_days(at(date(2026, 2, 13), 10), 1)
    assert due.astimezone(VN) == at(date(2026, 2, 23), 10)
    # 2 September and the adjacent day, Monday 31 August swapped with Saturday 22 August.
    due = calendar.add_days(at(date(2026, 8, 28), 10), 1)
    assert due.astimezone(VN) == at(date(2026, 9, 3), 10)
    due = calendar.add_days(at(date(2026, 8, 21), 10), 1)
    assert due.astimezone(VN) == at(date(2026, 8, 22), 10)


async def test_an_administrator_records_a_decision_the_package_does_not_know(
    session: AsyncSession, settings: Settings
) -> None:
    # Official letter 12729/VPCP-KGVX: New Year 2026 from Thursday 1 to Sunday 4 January,
    # Friday 2 January worked on Saturday 10 January. The package has neither day.
    assert date(2026, 1, 2) not in {d.day for d in await year_days(session, 2026)}
    off = await set_day(session, date(2026, 1, 2), OFF, "Nghỉ Tết Dương lịch (hoán đổi)")
    worked = await set_day(session, date(2026, 1, 10), WORKING, "Làm bù cho ngày 02/01/2026")
    assert (off.source, off.weekday, worked.kind, worked.weekday) == (
        DaySource.admin,
        5,
        WORKING,
        6,
    )
    calendar = await working_calendar(session, settings, around=date(2026, 1, 1))
    due = calendar.add_days(at(date(2025, 12, 31), 10), 1)
    assert due.astimezone(VN) == at(date(2026, 1, 5), 10)
    due = calendar.add_days(at(date(2026, 1, 9), 10), 1)
    assert due.astimezone(VN) == at(date(2026, 1, 10), 10)
    days = {d.day: d for d in await year_days(session, 2026)}
    assert days[date(2026, 1, 10)].name == "Làm bù cho ngày 02/01/2026"
    assert days[date(2026, 1, 1)].source == DaySource.statutory


async def test_a_statutory_day_changed_by_an_administrator(session: AsyncSession) -> None:
    changed = await set_day(session, date(2026, 11, 24), OFF, "  Ngày Văn hóa\x00 Việt Nam  ")
    assert changed.name == "Ngày Văn hóa Việt Nam"
    days = [d for d in await year_days(session, 2026) if d.day == date(2026, 11, 24)]
    assert [(d.name, d.source) for d in days] == [("Ngày Văn hóa Việt Nam", DaySource.admin)]


async def test_a_removed_day_stays_removed(session: AsyncSession, settings: Settings) -> None:
    await remove_day(session, date(2026, 11, 24))
    assert await seed_year(session, 2026) == 0
    assert date(2026, 11, 24) not in {d.day for d in await year_days(session, 2026)}
    calendar = await working_calendar(session, settings, around=date(2026, 11, 1))
    assert calendar.is_working_day(date(2026, 11, 24))
    with pytest.raises(CalendarDayNotFound) as refused:
        await remove_day(session, date(2026, 11, 24))
    assert (refused.value.status, refused.value.code) == (404, "calendar_day_not_found")
    assert refused.value.message.startswith("Ngày 24/11/2026")


async def test_a_day_already_set_is_kept_when_the_year_is_seeded(session: AsyncSession) -> None:
    session.add(
        CalendarDay(
            day=date(2031, 1, 1),
            kind=OFF.value,
            name="Tết Dương lịch (quyết định riêng)",
            source=DaySource.admin.value,
        )
    )
    await session.flush()
    added = await seed_year(session, 2031)
    days = {d.day: d for d in await year_days(session, 2031)}
    assert added == len(days) - 1
    assert days[date(2031, 1, 1)].source == DaySource.admin


@pytest.mark.parametrize(
    ("day", "kind", "name", "locations"),
    [
        (date(2026, 2, 14), OFF, "Tết", ["day"]),
        (date(2026, 2, 22), OFF, "Tết", ["day"]),
        (date(2026, 2, 16), WORKING, "Làm bù", ["day"]),
        (date(2026, 3, 2), OFF, " \x00 ", ["name"]),
        (date(2026, 3, 2), OFF, "x" * 201, ["name"]),
        (date(2026, 3, 7), OFF, "", ["day", "name"]),
    ],
)
async def test_wrong_days_are_refused_field_by_field(
    session: AsyncSession, day: date, kind: DayKind, name: str, locations: list[str]
) -> None:
    with pytest.raises(CalendarDayInvalid) as refused:
        await set_day(session, day, kind, name)
    error = refused.value
    assert (error.status, error.code) == (422, "calendar_day_invalid")
    assert [p.location for p in error.problems] == locations
    assert all(p.message and p.message_en and p.message != p.message_en for p in error.problems)
    assert await session.scalar(select(CalendarYear.year)) is None


async def test_the_longest_name_is_accepted(session: AsyncSession) -> None:
    assert (await set_day(session, date(2026, 3, 2), OFF, "x" * 200)).name == "x" * 200


async def test_the_calendar_covers_the_year_before_and_the_two_after(
    session: AsyncSession, settings: Settings
) -> None:
    calendar = await working_calendar(session, settings, around=date(2030, 6, 1))
    seeded = set(await session.scalars(select(CalendarYear.year)))
    assert seeded == {2029, 2030, 2031, 2032}
    assert not calendar.is_working_day(date(2029, 1, 1))
    assert not calendar.is_working_day(date(2032, 9, 2))
    # Beyond those years, only the Monday-to-Friday rule.
    assert calendar.is_working_day(date(2033, 9, 2))

    await working_calendar(session, settings)
    this_year = utcnow().astimezone(VN).year
    assert set(range(this_year - 1, this_year + 3)) <= set(
        await session.scalars(select(CalendarYear.year))
    )


async def test_the_days_are_read_in_one_query(session: AsyncSession, settings: Settings) -> None:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    connection = (await session.connection()).sync_connection
    assert connection is not None
    event.listen(connection, "before_cursor_execute", record)
    try:
        await working_calendar(session, settings, around=date(2026, 6, 1))
        assert sum("FROM calendar_days" in s for s in statements) == 1
        statements.clear()
        await working_calendar(session, settings, around=date(2026, 6, 1))
    finally:
        event.remove(connection, "before_cursor_execute", record)
    # Once seeded: which years are seeded, then their days.
    assert len(statements) == 2


async def test_working_hours_come_from_the_settings(
    session: AsyncSession, settings: Settings
) -> None:
    mornings = settings.model_copy(update={"working_hours": "08:00-12:00"})
    calendar = await working_calendar(session, mornings, around=date(2026, 3, 1))
    assert calendar.day_length == timedelta(hours=4)
    due = calendar.add_days(at(date(2026, 3, 2), 8), 1)
    assert due.astimezone(VN) == at(date(2026, 3, 2), 12)


@pytest.fixture
def package_without_observed_days(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `holidays` package as if it did not move holidays off rest days."""
    country_holidays = holidays.country_holidays

    def without_observed(*args: Any, **kwargs: Any) -> Any:
        return country_holidays(*args, **{**kwargs, "observed": False})

    monkeypatch.setattr(holidays, "country_holidays", without_observed)


@pytest.mark.usefixtures("package_without_observed_days")
async def test_holidays_on_rest_days_move_where_the_package_does_not(
    session: AsyncSession,
) -> None:
    days = {d.day: d for d in await year_days(session, 2027)}
    # 1 May 2027 is a Saturday: Monday 3 May. Tết falls on Saturday 6 and Sunday 7 February:
    # the next working days after Tết, Wednesday 10 and Thursday 11.
    for moved in (date(2027, 5, 3), date(2027, 2, 10), date(2027, 2, 11)):
        assert days[moved].kind == OFF and days[moved].name.endswith("(nghỉ bù)")
    assert sum(d.kind == OFF and d.weekday <= 5 for d in days.values()) == 12


async def test_every_year_keeps_its_statutory_days_off_on_working_days(
    session: AsyncSession,
) -> None:
    # Labour Code 2019 art. 112: 11 days a year (1 January, 5 for Tết, Hùng Kings' day,
    # 30 April, 1 May, 2 September and an adjacent day), and 24 November from 2026.
    # A swap adds a weekday off and a worked Saturday, leaving the count unchanged.
    for year in range(2021, 2041):
        days = await year_days(session, year)
        weekdays_off = sum(d.kind == OFF and d.weekday <= 5 for d in days)
        weekends_worked = sum(d.kind == WORKING for d in days)
        assert weekdays_off - weekends_worked == (11 if year < 2026 else 12), year


FAR_YEARS = range(2090, 2100)


async def _forget_far_years(database: Database) -> None:
    async with database.unit_of_work() as session:
        await session.execute(
            delete(CalendarDay).where(
                CalendarDay.day >= date(FAR_YEARS[0], 1, 1),
                CalendarDay.day <= date(FAR_YEARS[-1], 12, 31),
            )
        )
        await session.execute(delete(CalendarYear).where(CalendarYear.year.in_(FAR_YEARS)))


@pytest.fixture
async def far_years(database: Database) -> AsyncIterator[None]:
    """Years no other test uses, committed by the test and removed after it."""
    await _forget_far_years(database)
    try:
        yield
    finally:
        await _forget_far_years(database)


@pytest.mark.usefixtures("far_years")
async def test_processes_seeding_at_once_add_each_day_once(
    database: Database, settings: Settings
) -> None:
    start = asyncio.Event()

    async def seed(year: int) -> int:
        await start.wait()
        async with database.unit_of_work() as session:
            return await seed_year(session, year)

    async def read(around: date) -> set[date]:
        await start.wait()
        async with database.unit_of_work() as session:
            calendar = await working_calendar(session, settings, around=around)
        return set(calendar.days_off)

    seeding = [asyncio.create_task(seed(2091)) for _ in range(4)]
    reading = [asyncio.create_task(read(date(2096, 6, 1))) for _ in range(4)]
    await asyncio.sleep(0)
    start.set()
    added = await asyncio.wait_for(asyncio.gather(*seeding), 60)
    calendars = await asyncio.wait_for(asyncio.gather(*reading), 60)

    async with database.unit_of_work() as session:
        days_2091 = await year_days(session, 2091)
        years = set(await session.scalars(select(CalendarYear.year)))
        stored = list(
            await session.execute(
                select(CalendarDay.day, CalendarDay.kind).where(
                    CalendarDay.day >= date(2095, 1, 1), CalendarDay.day <= date(2098, 12, 31)
                )
            )
        )
    # One process seeded the year; the others found it seeded and added nothing.
    assert sorted(added) == [0, 0, 0, len(days_2091)]
    assert {2091, 2095, 2096, 2097, 2098} <= years
    assert len(stored) == len({day for day, _ in stored})
    # Every process read the whole calendar, whichever of them seeded it.
    days_off = {day for day, kind in stored if kind == OFF}
    assert days_off and all(calendar == days_off for calendar in calendars)
