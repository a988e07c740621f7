"""The working calendar kept in the database, read as a WorkingCalendar to compute deadlines.

The statutory days of a year are seeded from the `holidays` package the first time the year is
needed; administrators then add, change or remove days as the government decides each year
(Tết, 2 September, swapped working days). A year is seeded once: a day an administrator removed
stays removed.

Services flush and never commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import InvalidInput, NotFound, ProblemList
from app.kit.clock import utcnow
from app.models.calendar import CalendarDay, DayKind, DaySource
from app.processing import calendar_repository as repository
from app.processing.calendar import WorkingCalendar, WorkingHours
from app.processing.calendar_schemas import CalendarDayOut

# The calendar read for deadlines covers the year before the current one and the two after it.
YEARS_BEFORE = 1
YEARS_AFTER = 2
# The length of calendar_days.name.
MAX_NAME_LENGTH = 200
COUNTRY = "VN"
WORKING_DAY_NAME = "Ngày làm việc bù"
_SATURDAY = 5
_WEEKEND_NAMES = {5: ("thứ Bảy", "a Saturday"), 6: ("Chủ nhật", "a Sunday")}
# How far from a holiday on a rest day the package may put the working day off that replaces
# it: up to five days for Tết, whose replacements come before or after its other days.
_REPLACEMENT_REACH = timedelta(days=7)


class CalendarDayInvalid(InvalidInput):
    """The day, its kind or its name is wrong; ``problems`` name them."""

    code = "calendar_day_invalid"


class CalendarDayNotFound(NotFound):
    code = "calendar_day_not_found"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"Ngày {day:%d/%m/%Y} không có trong lịch làm việc.",
            message_en=f"{day.isoformat()} is not in the working calendar.",
        )


def _statutory_days(year: int) -> dict[date, tuple[DayKind, str]]:
    """The year's days off and swapped working days as the `holidays` package gives them, with
    every holiday that falls on a rest day taken on a working day."""
    given = holidays.country_holidays(COUNTRY, years=year, language="vi")
    plain = holidays.country_holidays(COUNTRY, years=year, language="vi", observed=False)
    # The package lists the Saturdays worked for a swap of every year it knows; keep this one's.
    worked: set[date] = {day for day in given.weekend_workdays if day.year == year}
    days_off: dict[date, str] = {day: str(name) for day, name in given.items() if day.year == year}

    def resting(day: date) -> bool:
        return day.weekday() >= _SATURDAY and day not in worked

    # Labour Code 2019 art. 111: a holiday on a rest day is taken on the next working day. The
    # package gives such days as observed days (absent without observance); each holiday on a
    # rest day is paired with the nearest of them, and one the package left without is moved
    # here, so an older or incomplete package cannot lose a day off.
    replacements = sorted(day for day in days_off if day not in plain and not resting(day))
    for holiday in sorted(day for day in plain if resting(day)):
        nearest = min(replacements, key=lambda day: abs(day - holiday), default=None)
        if nearest is not None and abs(nearest - holiday) <= _REPLACEMENT_REACH:
            replacements.remove(nearest)
            continue
        replacement = holiday + timedelta(days=1)
        while resting(replacement) or replacement in days_off:
            replacement += timedelta(days=1)
        days_off[replacement] = f"{plain[holiday]} (nghỉ bù)"
    seeded = {day: (DayKind.day_off, name[:MAX_NAME_LENGTH]) for day, name in days_off.items()}
    seeded.update({day: (DayKind.working, WORKING_DAY_NAME) for day in worked})
    return seeded


async def _seed(session: AsyncSession, year: int) -> int:
    # The year is claimed before its days are added: a second process seeding it at the same
    # time finds it claimed (on PostgreSQL once the first has committed) and adds nothing.
    now = utcnow()
    if not await repository.claim_year(session, year, now):
        return 0
    # Days already there (set by an administrator before the year was seeded) are kept.
    return await repository.add_missing_days(
        session,
        [
            {
                "day": day,
                "kind": kind.value,
                "name": name,
                "source": DaySource.statutory.value,
                "updated_at": now,
            }
            for day, (kind, name) in sorted(_statutory_days(year).items())
        ],
    )


async def seed_year(session: AsyncSession, year: int) -> int:
    """Add the statutory days of the year unless it was seeded before; how many were added."""
    if await repository.seeded_years(session, [year]):
        return 0
    return await _seed(session, year)


async def working_calendar(
    session: AsyncSession, settings: Settings, around: date | None = None
) -> WorkingCalendar:
    """The calendar of the years around `around` (today, local time, by default): the year
    before, that year and the two after, each seeded first if it was not yet."""
    zone = ZoneInfo(settings.time_zone)
    year = (around or utcnow().astimezone(zone).date()).year
    years = range(year - YEARS_BEFORE, year + YEARS_AFTER + 1)
    seeded = await repository.seeded_years(session, years)
    for missing in years:
        if missing not in seeded:
            await _seed(session, missing)
    days = await repository.days_between(session, date(years[0], 1, 1), date(years[-1], 12, 31))
    return WorkingCalendar(
        days_off={d.day: d.name for d in days if d.kind == DayKind.day_off},
        working_days={d.day: d.name for d in days if d.kind == DayKind.working},
        hours=WorkingHours(settings.working_periods),
        zone=zone,
    )


def _out(day: CalendarDay) -> CalendarDayOut:
    return CalendarDayOut(
        day=day.day,
        kind=DayKind(day.kind),
        name=day.name,
        source=DaySource(day.source),
        weekday=day.day.isoweekday(),
    )


async def year_days(session: AsyncSession, year: int) -> list[CalendarDayOut]:
    """The days of the year that differ from the Monday-to-Friday rule, in order."""
    await seed_year(session, year)
    days = await repository.days_between(session, date(year, 1, 1), date(year, 12, 31))
    return [_out(day) for day in days]


def _check_day(day: date, kind: DayKind, name: str, problems: ProblemList) -> None:
    shown = f"{day:%d/%m/%Y}"
    weekend = _WEEKEND_NAMES.get(day.weekday())
    if kind == DayKind.day_off and weekend is not None:
        problems.add(
            "day",
            f"Ngày {shown} là {weekend[0]}, vốn đã là ngày nghỉ: chỉ ngày từ thứ Hai đến thứ Sáu"
            " mới cần đặt làm ngày nghỉ",
            f"{shown} is {weekend[1]}, already a rest day: only Monday to Friday can be made"
            " days off",
        )
    if kind == DayKind.working and weekend is None:
        problems.add(
            "day",
            f"Ngày {shown} vốn đã là ngày làm việc: chỉ thứ Bảy hoặc Chủ nhật mới có thể đặt làm"
            " ngày làm bù",
            f"{shown} is already a working day: only a Saturday or a Sunday can be made a"
            " working day",
        )
    if not name:
        problems.add(
            "name",
            "Vui lòng nhập tên của ngày (ví dụ: Tết Nguyên Đán, Làm bù cho ngày 02/01)",
            "Enter the day's name (such as Lunar New Year, or In exchange for 2 January)",
        )
    elif len(name) > MAX_NAME_LENGTH:
        problems.add(
            "name",
            f"Tên của ngày không được dài quá {MAX_NAME_LENGTH} ký tự",
            f"The day's name must be {MAX_NAME_LENGTH} characters or fewer",
        )


async def set_day(session: AsyncSession, day: date, kind: DayKind, name: str) -> CalendarDayOut:
    """An administrator makes a weekday a day off, or a Saturday or Sunday a working day."""
    # Runs of white space (and NUL characters, which the database cannot store) as one space.
    name = " ".join(name.replace("\x00", " ").split())
    problems = ProblemList()
    _check_day(day, kind, name, problems)
    if problems:
        raise CalendarDayInvalid(
            "Vui lòng sửa các lỗi của ngày trong lịch làm việc.",
            message_en="Please correct the errors in the calendar day.",
            problems=problems.items,
        )
    # Seeded first, so the statutory days never come back over this choice later.
    await seed_year(session, day.year)
    await repository.put_day(
        session, day, DayKind(kind).value, name, DaySource.admin.value, utcnow()
    )
    return CalendarDayOut(
        day=day, kind=DayKind(kind), name=name, source=DaySource.admin, weekday=day.isoweekday()
    )


async def remove_day(session: AsyncSession, day: date) -> None:
    """An administrator removes a day: it follows the Monday-to-Friday rule again."""
    # Seeded first, so a statutory day removed now is not added back by a later seeding.
    await seed_year(session, day.year)
    if not await repository.delete_day(session, day):
        raise CalendarDayNotFound(day)
