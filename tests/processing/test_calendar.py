"""Working-time arithmetic on the 2026 calendar of Vietnamese civil servants, checked by hand,
and against a plain day-by-day count for any start and duration."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.processing.calendar import WorkingCalendar, WorkingHours

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# The days off of 2026 as the government set them; the weekends around them are rest days.
DAYS_OFF_2026 = {
    date(2026, 1, 1): "Tết Dương lịch",
    # Official letter 12729/VPCP-KGVX: 1 to 4 January off, Friday 2 January worked on 10 January.
    date(2026, 1, 2): "Nghỉ Tết Dương lịch (hoán đổi)",
    # Tết Bính Ngọ: Saturday 14 to Sunday 22 February, of which Monday 16 to Friday 20 are days off.
    date(2026, 2, 16): "29 Tết",
    date(2026, 2, 17): "Tết Nguyên Đán",
    date(2026, 2, 18): "Mùng hai Tết",
    date(2026, 2, 19): "Mùng ba Tết",
    date(2026, 2, 20): "Mùng bốn Tết",
    # Hùng Kings' day (10/3 lunar) is a Sunday: taken on Monday.
    date(2026, 4, 26): "Giỗ Tổ Hùng Vương",
    date(2026, 4, 27): "Giỗ Tổ Hùng Vương (nghỉ bù)",
    date(2026, 4, 30): "Ngày Chiến thắng",
    date(2026, 5, 1): "Quốc tế Lao động",
    # National day and the day before it, and Monday 31 August worked on Saturday 22 August.
    date(2026, 8, 31): "Ngày nghỉ (thay cho ngày 22/08/2026)",
    date(2026, 9, 1): "Quốc khánh",
    date(2026, 9, 2): "Quốc khánh",
    date(2026, 11, 24): "Ngày Văn hóa Việt Nam",
}
WORKING_DAYS_2026 = {
    date(2026, 1, 10): "Làm bù cho ngày 02/01/2026",
    date(2026, 8, 22): "Làm bù cho ngày 31/08/2026",
}
CALENDAR = WorkingCalendar(DAYS_OFF_2026, WORKING_DAYS_2026, WorkingHours(), VN)


def at(day: int, month: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A local moment in Vietnam."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def local(moment: datetime) -> datetime:
    assert moment.tzinfo is UTC
    return moment.astimezone(VN)


H = timedelta(hours=1)


def test_a_working_day_is_the_sum_of_the_periods() -> None:
    assert CALENDAR.day_length == 8 * H
    assert WorkingCalendar({}, {}, WorkingHours([(time(8), time(12))]), VN).day_length == 4 * H


def test_days_of_tet_2026() -> None:
    assert CALENDAR.is_working_day(date(2026, 2, 13))
    assert not any(CALENDAR.is_working_day(date(2026, 2, day)) for day in range(14, 23))
    assert CALENDAR.is_working_day(date(2026, 2, 23))
    # Received on the last Friday before Tết: one day later is the Monday after it.
    assert local(CALENDAR.add_days(at(13, 2, 10), 1)) == at(23, 2, 10)
    assert local(CALENDAR.add_days(at(12, 2, 15), 2)) == at(23, 2, 15)
    assert CALENDAR.working_time(at(13, 2, 17), at(23, 2, 7)) == timedelta(0)
    assert CALENDAR.working_time(at(13, 2, 16), at(23, 2, 8)) == 2 * H


def test_received_during_tet_counts_from_the_first_morning_after() -> None:
    assert local(CALENDAR.clock_start(at(18, 2, 9))) == at(23, 2, 7)
    # 4 h 30 from 07:00 ends at the close of the morning, not at the opening of the afternoon.
    assert local(CALENDAR.add(at(18, 2, 9), 4.5 * H)) == at(23, 2, 11, 30)


def test_new_year_2026_swapped_with_a_saturday() -> None:
    assert not CALENDAR.is_working_day(date(2026, 1, 2))
    assert CALENDAR.is_working_day(date(2026, 1, 10))
    assert local(CALENDAR.add_days(at(31, 12, 10, year=2025), 1)) == at(5, 1, 10)
    assert local(CALENDAR.add_days(at(9, 1, 10), 1)) == at(10, 1, 10)
    assert local(CALENDAR.add_days(at(9, 1, 10), 2)) == at(12, 1, 10)


def test_reunification_and_labour_days_2026() -> None:
    assert not CALENDAR.is_working_day(date(2026, 4, 30))
    assert not CALENDAR.is_working_day(date(2026, 5, 1))
    assert local(CALENDAR.add_days(at(29, 4, 16), 1)) == at(4, 5, 16)
    assert CALENDAR.working_time(at(29, 4, 16), at(4, 5, 16)) == 8 * H


def test_national_day_2026_with_its_adjacent_day_and_swapped_saturday() -> None:
    assert [CALENDAR.is_working_day(date(2026, 8, 29) + timedelta(days=n)) for n in range(6)] == [
        False,  # Saturday 29 August
        False,  # Sunday
        False,  # Monday 31 August, worked on Saturday 22 August
        False,  # Tuesday 1 September, the adjacent day
        False,  # Wednesday 2 September
        True,
    ]
    assert local(CALENDAR.add_days(at(28, 8, 10), 1)) == at(3, 9, 10)
    # The swapped Saturday is a working day like any other.
    assert local(CALENDAR.add_days(at(21, 8, 10), 1)) == at(22, 8, 10)
    assert local(CALENDAR.add(at(21, 8, 17, 30), H)) == at(22, 8, 8)
    assert local(CALENDAR.clock_start(at(22, 8, 6))) == at(22, 8, 7)


def test_hung_kings_day_on_a_sunday_is_taken_on_monday() -> None:
    assert not CALENDAR.is_working_day(date(2026, 4, 27))
    assert local(CALENDAR.add_days(at(24, 4, 9), 1)) == at(28, 4, 9)
    assert local(CALENDAR.clock_start(at(26, 4, 9))) == at(28, 4, 7)


def test_receipt_after_hours_counts_from_the_next_morning() -> None:
    assert local(CALENDAR.clock_start(at(2, 3, 17, 45))) == at(3, 3, 7)
    assert local(CALENDAR.clock_start(at(2, 3, 17))) == at(3, 3, 7)
    assert local(CALENDAR.clock_start(at(2, 3, 6, 59))) == at(2, 3, 7)
    # A whole day from the next morning ends at the close of that day.
    assert local(CALENDAR.add_days(at(2, 3, 17, 45), 1)) == at(3, 3, 17)
    assert local(CALENDAR.add_days(at(2, 3, 17), 1)) == at(3, 3, 17)
    assert CALENDAR.working_time(at(2, 3, 17), at(3, 3, 7)) == timedelta(0)
    # Friday evening: Monday.
    assert local(CALENDAR.clock_start(at(6, 3, 20))) == at(9, 3, 7)


def test_receipt_at_lunch_counts_from_the_afternoon() -> None:
    assert local(CALENDAR.clock_start(at(2, 3, 12, 15))) == at(2, 3, 13, 30)
    assert local(CALENDAR.clock_start(at(2, 3, 11, 30))) == at(2, 3, 13, 30)
    assert local(CALENDAR.add(at(2, 3, 12, 15), 3.5 * H)) == at(2, 3, 17)
    assert local(CALENDAR.add(at(2, 3, 12, 15), 3.5 * H + timedelta(minutes=1))) == at(3, 3, 7, 1)
    assert CALENDAR.working_time(at(2, 3, 11), at(2, 3, 14)) == H


def test_within_working_hours_the_clock_starts_at_once() -> None:
    moment = at(2, 3, 9, 41)
    assert CALENDAR.clock_start(moment) == moment
    assert CALENDAR.clock_start(at(2, 3, 13, 30)) == at(2, 3, 13, 30)


def test_a_result_at_the_end_of_a_period_stays_there() -> None:
    assert local(CALENDAR.add(at(2, 3, 7), 8 * H)) == at(2, 3, 17)
    assert local(CALENDAR.add(at(2, 3, 7), 4.5 * H)) == at(2, 3, 11, 30)
    assert local(CALENDAR.add(at(2, 3, 7), 16 * H)) == at(3, 3, 17)
    # Friday's close, not Monday's opening.
    assert local(CALENDAR.add_days(at(2, 3, 7), 5)) == at(6, 3, 17)


def test_durations_across_weekends() -> None:
    assert local(CALENDAR.add_days(at(6, 3, 15), 2)) == at(10, 3, 15)
    assert local(CALENDAR.add_days(at(7, 3, 10), 1)) == at(9, 3, 17)
    assert local(CALENDAR.add_days(at(6, 3, 15), Decimal("0.5"))) == at(9, 3, 9)
    assert local(CALENDAR.add_days(at(6, 3, 15), 1.5)) == at(10, 3, 9)
    assert CALENDAR.working_time(at(6, 3, 15), at(10, 3, 9)) == 12 * H
    # Fifteen working days from Monday 20 April, past Hùng Kings' day, 30 April and 1 May.
    assert local(CALENDAR.add_days(at(20, 4, 10), 15)) == at(14, 5, 10)


def test_long_durations_jump_over_years_exactly() -> None:
    start = at(5, 1, 9)
    for days in (7, 50, 251, 1000):
        end = CALENDAR.add_days(start, days)
        assert end == reference_add(CALENDAR, start, days * CALENDAR.day_length)
        assert CALENDAR.working_time(start, end) == days * CALENDAR.day_length


def test_results_are_utc_and_moments_must_be_aware() -> None:
    assert CALENDAR.add(at(2, 3, 9), H).tzinfo is UTC
    assert CALENDAR.add(at(2, 3, 9), H) == datetime(2026, 3, 2, 3, tzinfo=UTC)
    assert CALENDAR.add(at(2, 3, 20), timedelta(0)) == at(2, 3, 20)
    with pytest.raises(ValueError, match="aware"):
        CALENDAR.clock_start(datetime(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add(at(2, 3, 9), -H)
    with pytest.raises(ValueError, match="finite"):
        CALENDAR.add_days(at(2, 3, 9), Decimal("NaN"))
    assert CALENDAR.working_time(at(3, 3, 9), at(2, 3, 9)) == timedelta(0)


def test_wall_clock_time_in_a_zone_with_summer_time() -> None:
    paris = ZoneInfo("Europe/Paris")
    calendar = WorkingCalendar({}, {}, WorkingHours(), paris)
    friday = datetime(2026, 3, 27, 10, tzinfo=paris)
    monday = calendar.add_days(friday, 1)
    assert monday.astimezone(paris) == datetime(2026, 3, 30, 10, tzinfo=paris)
    assert calendar.working_time(friday, monday) == 8 * H


def test_working_hours_are_in_order() -> None:
    with pytest.raises(ValueError):
        WorkingHours([])
    with pytest.raises(ValueError):
        WorkingHours([(time(13), time(17)), (time(7), time(11))])
    with pytest.raises(ValueError):
        WorkingHours([(time(7), time(12)), (time(11), time(17))])
    with pytest.raises(ValueError):
        WorkingHours([(time(9), time(9))])


def reference_add(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """Adding working time period by period, day by day: slow and plain."""
    cursor = start.astimezone(VN).replace(tzinfo=None)
    day = cursor.date()
    while duration:
        if calendar.is_working_day(day):
            for opens, closes in calendar.hours.periods:
                begin = max(datetime.combine(day, opens), cursor)
                end = datetime.combine(day, closes)
                if begin < end:
                    if duration <= end - begin:
                        return (begin + duration).replace(tzinfo=VN).astimezone(UTC)
                    duration -= end - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time())
    return cursor.replace(tzinfo=VN).astimezone(UTC)


def reference_working_time(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    first = start.astimezone(VN).replace(tzinfo=None)
    last = end.astimezone(VN).replace(tzinfo=None)
    total = timedelta(0)
    day = first.date()
    while day <= last.date():
        if calendar.is_working_day(day):
            for opens, closes in calendar.hours.periods:
                begin = max(datetime.combine(day, opens), first)
                stop = min(datetime.combine(day, closes), last)
                total += max(stop - begin, timedelta(0))
        day += timedelta(days=1)
    return total


moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(VN)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=8 * 80))
calendars = st.sampled_from(
    [
        CALENDAR,
        WorkingCalendar(DAYS_OFF_2026, WORKING_DAYS_2026, WorkingHours([(time(8), time(12))]), VN),
        WorkingCalendar(
            {},
            {date(2026, 3, 7): "", date(2026, 3, 8): ""},
            WorkingHours([(time(7), time(11, 30)), (time(11, 30), time(17))]),
            VN,
        ),
    ]
)


@given(calendars, moments, durations)
def test_working_time_is_the_inverse_of_add(
    calendar: WorkingCalendar, start: datetime, duration: timedelta
) -> None:
    end = calendar.add(start, duration)
    assert end >= start
    assert calendar.working_time(start, end) == duration
    assert end == reference_add(calendar, start, duration)


@given(calendars, moments, moments)
def test_add_gives_back_the_working_time_between(
    calendar: WorkingCalendar, start: datetime, end: datetime
) -> None:
    worked = calendar.working_time(start, end)
    assert worked == reference_working_time(calendar, start, end)
    reached = calendar.add(start, worked)
    # The earliest moment with as much working time: the end itself, or the close of the last
    # period before it when the end falls outside working hours.
    assert reached <= max(start, end)
    assert calendar.working_time(reached, end) == timedelta(0)


@given(calendars, moments)
def test_the_clock_starts_in_working_hours_without_losing_time(
    calendar: WorkingCalendar, moment: datetime
) -> None:
    started = calendar.clock_start(moment)
    assert started >= moment
    assert calendar.working_time(moment, started) == timedelta(0)
    assert calendar.is_working_day(started.astimezone(VN).date())
    assert calendar.add(moment, H) == calendar.add(started, H)
