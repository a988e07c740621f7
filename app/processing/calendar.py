"""Working-time arithmetic: deadlines count only the working hours of working days.

Pure: no database. Every moment given must be time-zone aware; every moment returned is in UTC.
The computing is done in the local wall-clock time of the calendar's zone, and it jumps over
whole weeks instead of walking through them, so deadlines can be computed in bulk.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
_ONE_DAY = timedelta(days=1)
_NOTHING = timedelta(0)
_MICROSECOND = timedelta(microseconds=1)
_DAYS_IN_WEEK = 7
_SATURDAY = 5


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


class WorkingHours:
    """The working periods of a day, in order; a working day is the sum of their lengths."""

    __slots__ = ("_bounds", "day_length", "periods")

    def __init__(self, periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS) -> None:
        self.periods = tuple(periods)
        if not self.periods:
            raise ValueError("working hours need at least one period")
        self._bounds = tuple(
            (_since_midnight(start), _since_midnight(end)) for start, end in self.periods
        )
        previous_end = _NOTHING
        for start, end in self._bounds:
            if end <= start or start < previous_end:
                raise ValueError("working periods must be in order, each ending after it starts")
            previous_end = end
        self.day_length: timedelta = sum((end - start for start, end in self._bounds), _NOTHING)

    def worked_before(self, offset: timedelta) -> timedelta:
        """Working time of a working day before the offset from its midnight."""
        return sum(
            (min(max(offset - start, _NOTHING), end - start) for start, end in self._bounds),
            _NOTHING,
        )

    def reached(self, worked: timedelta) -> timedelta:
        """The earliest offset from midnight at which a working day has worked that long
        (more than nothing, at most the day's length): the end of a period, not the start of
        the next one, when the time runs out exactly there."""
        for start, end in self._bounds:
            if worked <= end - start:
                return start + worked
            worked -= end - start
        raise ValueError("more working time than a working day holds")

    def first_from(self, offset: timedelta) -> timedelta | None:
        """The offset itself if it falls in a period, else the start of the next period of the
        day; None after the last one."""
        for start, end in self._bounds:
            if offset < start:
                return start
            if offset < end:
                return offset
        return None

    @property
    def opening(self) -> timedelta:
        """When the first period starts, from midnight."""
        return self._bounds[0][0]


DEFAULT_HOURS = WorkingHours()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _between(days: list[date], first: date, stop: date) -> int:
    """How many of the sorted days fall from first up to, not including, stop."""
    return bisect_left(days, stop) - bisect_left(days, first)


class WorkingCalendar:
    """Mondays to Fridays are working days unless they are days off; Saturdays and Sundays are
    not, unless they are worked in exchange for a day off (ngày làm bù)."""

    def __init__(
        self,
        days_off: Mapping[date, str],
        working_days: Mapping[date, str],
        hours: WorkingHours = DEFAULT_HOURS,
        zone: ZoneInfo = LOCAL_ZONE,
    ) -> None:
        self.days_off = MappingProxyType(dict(days_off))
        self.working_days = MappingProxyType(dict(working_days))
        self.hours = hours
        self.zone = zone
        # Only the exceptions that change a day are counted when jumping over weeks.
        self._weekdays_off = sorted(d for d in self.days_off if d.weekday() < _SATURDAY)
        self._weekends_worked = sorted(d for d in self.working_days if d.weekday() >= _SATURDAY)

    @property
    def day_length(self) -> timedelta:
        """The working time of one working day."""
        return self.hours.day_length

    def is_working_day(self, day: date) -> bool:
        if day.weekday() < _SATURDAY:
            return day not in self.days_off
        return day in self.working_days

    def clock_start(self, moment: datetime) -> datetime:
        """The moment itself within working hours, otherwise the start of the next working
        period: a dossier received after hours counts from then."""
        local = self._local(moment)
        day = local.date()
        if self.is_working_day(day):
            offset = self.hours.first_from(local - _midnight(day))
            if offset is not None:
                return self._utc(_midnight(day) + offset)
        return self._utc(_midnight(self._working_day(day + _ONE_DAY, 0)) + self.hours.opening)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest moment by which `duration` of working time has passed since start: a
        result at the close of a period stays there (11:30, 17:00), not at the next opening."""
        if duration < _NOTHING:
            raise ValueError("working time to add must not be negative")
        local = self._local(start)
        if not duration:
            return self._utc(local)
        day = local.date()
        length = self.day_length
        if self.is_working_day(day):
            worked = self.hours.worked_before(local - _midnight(day))
            if worked + duration <= length:
                return self._utc(_midnight(day) + self.hours.reached(worked + duration))
            duration -= length - worked
        whole_days, rest = divmod(duration, length)
        if not rest:
            # Ends with a whole day: at the close of that day, not at the next opening.
            whole_days, rest = whole_days - 1, length
        last = self._working_day(day + _ONE_DAY, whole_days)
        return self._utc(_midnight(last) + self.hours.reached(rest))

    def add_days(self, start: datetime, days: Decimal | float) -> datetime:
        """Add working days, each the length of a working day: received on Monday at 10:00,
        one day later is Tuesday at 10:00."""
        amount = days if isinstance(days, Decimal) else Decimal(str(days))
        if not amount.is_finite():
            raise ValueError("a number of working days must be finite")
        microseconds = amount * (self.day_length // _MICROSECOND)
        return self.add(
            start, timedelta(microseconds=int(microseconds.to_integral_value(ROUND_HALF_EVEN)))
        )

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """The working time between two moments; nothing when end is not after start."""
        if end <= start:
            return _NOTHING
        first, last = self._local(start), self._local(end)
        first_day, last_day = first.date(), last.date()
        worked_first = (
            self.hours.worked_before(first - _midnight(first_day))
            if self.is_working_day(first_day)
            else None
        )
        worked_last = (
            self.hours.worked_before(last - _midnight(last_day))
            if self.is_working_day(last_day)
            else None
        )
        if first_day == last_day:
            if worked_first is None or worked_last is None:
                return _NOTHING
            return worked_last - worked_first
        between = self._count(first_day + _ONE_DAY, last_day) * self.day_length
        if worked_first is not None:
            between += self.day_length - worked_first
        if worked_last is not None:
            between += worked_last
        return between

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("moments must be time-zone aware")
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _count(self, first: date, stop: date) -> int:
        """Working days from first up to, not including, stop."""
        weeks, rest = divmod((stop - first).days, _DAYS_IN_WEEK)
        weekday = first.weekday()
        weekdays = weeks * 5 + sum(
            1 for step in range(rest) if (weekday + step) % _DAYS_IN_WEEK < _SATURDAY
        )
        return (
            weekdays
            - _between(self._weekdays_off, first, stop)
            + _between(self._weekends_worked, first, stop)
        )

    def _working_day(self, first: date, skipped: int) -> date:
        """The working day, from first on, that comes after `skipped` other working days."""
        day = first
        # A week holds at most seven working days, so a jump of skipped // 7 weeks never
        # passes the day sought; fewer than seven are left to walk day by day.
        while skipped >= _DAYS_IN_WEEK:
            stop = day + timedelta(weeks=skipped // _DAYS_IN_WEEK)
            skipped -= self._count(day, stop)
            day = stop
        while True:
            if self.is_working_day(day):
                if not skipped:
                    return day
                skipped -= 1
            day += _ONE_DAY
