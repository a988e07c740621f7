"""The Decision 766 indicators: one report, computed here for the public page, the officials'
page, the API and the exports alike, and the dossiers behind each of its numbers.

How each indicator is counted (also in README.md, "Statistics"):

- A report has two cohorts. *Received*: dossiers received (``received_at``) in the period;
  their online share, fees paid online, digitised files, complaints, and those still in
  processing or overdue now. *Finished*: received dossiers whose processing ended
  (``finished_at``: processed, returned or stopped) in the period; their early / on time /
  late counts, processing time, electronic results and ratings. Dossiers refused at reception
  were never received and are in neither.
- Late: finished after the due time (which moves with each wait for a supplement, so paused
  time does not count), or asked more than once for a supplement, or, with an apology, finished
  after the due time first given (an apology moves the date for the applicant, not for the
  indicator). Early: not late, finished on a day before the due day. On time: the rest; the
  on-time rate counts early and on time together.
- Processing time: working days from the day the clock started to the day processing ended
  (the days of the working calendar, holidays and days worked in exchange included); a dossier
  finished the day it was received took 0 days.
- Rates are per cent with one decimal; a rate whose denominator is zero is None ("—").
"""

from __future__ import annotations

import calendar as months
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.schemas import OfficialOut
from app.config import Settings
from app.errors import InvalidInput, InvalidPageCursor, Problem
from app.kit.clock import utcnow
from app.kit.pagination import PAGE_MAX, InvalidCursor, decode_cursor, encode_cursor
from app.models.accounts import OfficialRole
from app.processing import calendar_service
from app.stats import repository
from app.stats.repository import CountRow, Days, ProcedureFacts, Where
from app.stats.schemas import (
    DossierBrief,
    DossierBriefPage,
    GroupBy,
    Indicators,
    Measure,
    Ratings,
    Scope,
    StatsFilter,
    StatsReport,
)

EVERYONE = Scope(agency_ids=None)
# The longest period a report covers.
MAX_PERIOD_DAYS = 5 * 366
# A processing time is counted from at most this long before the period.
ORDINALS_BEFORE = timedelta(days=2 * 366)
CHANNEL_LABELS = {
    1: ("Trực tiếp", "At the counter"),
    2: ("Trực tuyến", "Online"),
    3: ("Bưu chính công ích", "By post"),
}
TOTAL_LABEL = ("Tổng cộng", "Total")


def scope_of(official: OfficialOut) -> Scope:
    """What an official may drill into: administrators every agency's dossiers, other
    officials their own agency's."""
    if official.holds(OfficialRole.admin.value):
        return EVERYONE
    return Scope(agency_ids=frozenset({official.agency_id}))


def this_year(settings: Settings) -> tuple[date, date]:
    """From the 1st of January to today, in the portal's time zone."""
    today = utcnow().astimezone(ZoneInfo(settings.time_zone)).date()
    return today.replace(month=1, day=1), today


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


# --- Reading the filters ------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    procedures: dict[int, ProcedureFacts]
    agencies: dict[int, tuple[str, str]]
    agency_ids: dict[str, int]
    fields: dict[int, tuple[str, str]]
    field_ids: dict[str, int]
    procedure_ids: dict[str, int]

    @property
    def fee_procedures(self) -> frozenset[int]:
        return frozenset(p.id for p in self.procedures.values() if p.fee_bearing)


async def _catalog(session: AsyncSession) -> _Catalog:
    procedures = await repository.procedures(session)
    agencies = await repository.agencies(session)
    fields = await repository.fields(session)
    return _Catalog(
        procedures=procedures,
        agencies={a.id: (a.code, a.name) for a in agencies},
        agency_ids={a.code: a.id for a in agencies},
        fields={f.id: (f.code, f.name) for f in fields},
        field_ids={f.code: f.id for f in fields},
        procedure_ids={p.code: p.id for p in procedures.values()},
    )


def _problem(location: str, message: str, message_en: str) -> InvalidInput:
    return InvalidInput(
        "Bộ lọc thống kê chưa đúng.",
        message_en="The statistics filter is wrong.",
        problems=[Problem(location, message, message_en)],
    )


def check_period(first: date, last: date) -> None:
    """InvalidInput (on ``to``) for a period that ends before it starts or is too long."""
    if last < first:
        raise _problem(
            "to", "Ngày cuối phải từ ngày đầu trở đi", "The last day must not be before the first"
        )
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise _problem("to", "Khoảng thời gian dài nhất là 5 năm", "The longest period is 5 years")


@dataclass(frozen=True)
class _Resolved:
    where: Where
    catalog: _Catalog
    # The published procedures the catalog indicators count.
    offered: list[ProcedureFacts]


async def _resolve(
    session: AsyncSession, settings: Settings, wanted: StatsFilter, scope: Scope
) -> _Resolved:
    check_period(wanted.first, wanted.last)
    catalog = await _catalog(session)
    agency_ids = scope.agency_ids
    if wanted.agency:
        found = catalog.agency_ids.get(wanted.agency)
        if found is None or (agency_ids is not None and found not in agency_ids):
            raise _problem("agency", "Không có cơ quan mã này", "No agency has this code")
        agency_ids = frozenset({found})
    procedure_ids: frozenset[int] | None = None
    if wanted.field:
        field_id = catalog.field_ids.get(wanted.field)
        if field_id is None:
            raise _problem("field", "Không có lĩnh vực mã này", "No field has this code")
        procedure_ids = frozenset(
            p.id for p in catalog.procedures.values() if p.field_id == field_id
        )
    if wanted.procedure:
        procedure_id = catalog.procedure_ids.get(wanted.procedure)
        if procedure_id is None:
            raise _problem("procedure", "Không có thủ tục mã này", "No procedure has this code")
        procedure_ids = frozenset({procedure_id}) & (
            procedure_ids if procedure_ids is not None else frozenset({procedure_id})
        )
    zone = ZoneInfo(settings.time_zone)
    start = datetime.combine(wanted.first, time(), tzinfo=zone)
    end = datetime.combine(wanted.last + timedelta(days=1), time(), tzinfo=zone)
    where = Where(
        start=repository.utc(start),
        end=repository.utc(end),
        agency_ids=agency_ids,
        procedure_ids=procedure_ids,
        channel=wanted.channel,
    )
    offered = [
        p
        for p in catalog.procedures.values()
        if p.published
        and (procedure_ids is None or p.id in procedure_ids)
        and (agency_ids is None or p.agency_ids & agency_ids)
    ]
    return _Resolved(where, catalog, offered)


async def _days(
    session: AsyncSession, settings: Settings, first: date, last: date, now: datetime
) -> Days:
    """The working-day numbers from two years before the period to its end."""
    calendar = await calendar_service.working_calendar(session, settings, around=last)
    zone = ZoneInfo(settings.time_zone)
    base = first - ORDINALS_BEFORE
    ordinals: list[int] = []
    count = 0
    day = base
    while day <= last:
        if calendar.is_working_day(day):
            count += 1
        ordinals.append(count)
        day += timedelta(days=1)
    offset = datetime.combine(first, time(12), tzinfo=zone).utcoffset() or timedelta()
    return Days(
        zone=settings.time_zone,
        offset_minutes=int(offset.total_seconds() // 60),
        base=base,
        ordinals=ordinals,
        now=repository.utc(now),
    )


# --- The report -----------------------------------------------------------------------------


@dataclass
class _Tally:
    """The counts of one group, summed from its (group, procedure) rows."""

    counts: dict[Measure, int] = field(default_factory=lambda: dict.fromkeys(Measure, 0))
    ordinal_sum: int = 0
    start_ordinal_sum: int = 0
    timed: int = 0

    def add_received(self, row: CountRow, fee_bearing_procedure: bool) -> None:
        for measure, value in row.counts.items():
            self.counts[measure] += value
        # A dossier has fees when its procedure has one, or when it was paid online anyway.
        self.counts[Measure.fee_bearing] += (
            row.counts[Measure.received]
            if fee_bearing_procedure
            else row.counts[Measure.paid_online]
        )

    def add_finished(self, row: CountRow) -> None:
        for measure, value in row.counts.items():
            self.counts[measure] += value
        self.ordinal_sum += row.ordinal_sum
        self.start_ordinal_sum += row.start_ordinal_sum
        self.timed += row.timed


def _indicators(
    key: str | None,
    label: tuple[str, str],
    tally: _Tally,
    offered: list[ProcedureFacts] | None,
) -> Indicators:
    c = tally.counts
    late_rate = _rate(c[Measure.late], c[Measure.finished])
    complaint_rate = _rate(c[Measure.complained], c[Measure.received])
    satisfaction: float | None = None
    if c[Measure.finished] and c[Measure.received]:
        raw = 100 - 100 * (
            c[Measure.late] / c[Measure.finished] + c[Measure.complained] / c[Measure.received]
        )
        satisfaction = round(max(0.0, raw), 1)
    procedures_online = sum(1 for p in offered if p.online_full) if offered is not None else None
    with_fee = [p for p in offered if p.fee_bearing] if offered is not None else None
    fee_online = sum(1 for p in with_fee if p.payable_online) if with_fee is not None else None
    return Indicators(
        key=key,
        label=label[0],
        label_en=label[1],
        received=c[Measure.received],
        online=c[Measure.online],
        online_rate=_rate(c[Measure.online], c[Measure.received]),
        in_processing=c[Measure.in_processing],
        overdue=c[Measure.overdue],
        finished=c[Measure.finished],
        early=c[Measure.early],
        on_time=c[Measure.on_time],
        late=c[Measure.late],
        early_rate=_rate(c[Measure.early], c[Measure.finished]),
        on_time_rate=_rate(c[Measure.early] + c[Measure.on_time], c[Measure.finished]),
        late_rate=late_rate,
        average_days=(
            round((tally.ordinal_sum - tally.start_ordinal_sum) / tally.timed, 2)
            if tally.timed
            else None
        ),
        fee_bearing=c[Measure.fee_bearing],
        paid_online=c[Measure.paid_online],
        paid_online_rate=_rate(c[Measure.paid_online], c[Measure.fee_bearing]),
        results=c[Measure.results],
        electronic_results=c[Measure.electronic_results],
        electronic_result_rate=_rate(c[Measure.electronic_results], c[Measure.results]),
        digitised=c[Measure.digitised],
        digitised_rate=_rate(c[Measure.digitised], c[Measure.received]),
        complained=c[Measure.complained],
        complaint_rate=complaint_rate,
        satisfaction_rate=satisfaction,
        ratings=Ratings(
            very_satisfied=c[Measure.very_satisfied],
            satisfied=c[Measure.satisfied],
            not_satisfied=c[Measure.not_satisfied],
        ),
        procedures=len(offered) if offered is not None else None,
        procedures_online=procedures_online,
        procedures_online_rate=(
            _rate(procedures_online, len(offered))
            if offered is not None and procedures_online is not None
            else None
        ),
        fee_procedures=len(with_fee) if with_fee is not None else None,
        fee_procedures_online=fee_online,
        fee_procedures_online_rate=(
            _rate(fee_online, len(with_fee))
            if with_fee is not None and fee_online is not None
            else None
        ),
    )


def _months(first: date, last: date) -> list[str]:
    found: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _group_of(group_by: GroupBy | None, row: CountRow, catalog: _Catalog) -> Any:
    match group_by:
        case None:
            return None
        case GroupBy.procedure:
            return row.procedure_id
        case GroupBy.field:
            return catalog.procedures[row.procedure_id].field_id
    return row.group


def _label(group_by: GroupBy, group: Any, catalog: _Catalog) -> tuple[str, tuple[str, str]]:
    """The group's key (its code) and its names."""
    match group_by:
        case GroupBy.agency:
            code, name = catalog.agencies[group]
            return code, (name, name)
        case GroupBy.field:
            code, name = catalog.fields[group]
            return code, (name, name)
        case GroupBy.procedure:
            facts = catalog.procedures[group]
            return facts.code, (facts.name, facts.name)
        case GroupBy.channel:
            return str(group), CHANNEL_LABELS.get(int(group), (str(group), str(group)))
        case GroupBy.month:
            year, month = str(group).split("-")
            return str(group), (
                f"Tháng {int(month)}/{year}",
                f"{months.month_abbr[int(month)]} {year}",
            )
    raise AssertionError(group_by)  # pragma: no cover


def _offered_in(
    group_by: GroupBy, group: Any, offered: list[ProcedureFacts]
) -> list[ProcedureFacts] | None:
    match group_by:
        case GroupBy.agency:
            return [p for p in offered if group in p.agency_ids]
        case GroupBy.field:
            return [p for p in offered if p.field_id == group]
        case GroupBy.procedure:
            return [p for p in offered if p.id == group]
    return None


def _order(group_by: GroupBy, groups: Iterable[Any], catalog: _Catalog) -> list[Any]:
    return sorted(groups, key=lambda g: _label(group_by, g, catalog)[0])


# --- The months that have ended, from their summary -----------------------------------------

# How far back the worker keeps the summary built.
SUMMARY_MONTHS = 25
BUILD_MARGIN = timedelta(minutes=2)
# A period of fewer days than this is counted probing the other tables dossier by dossier.
PROBE_DAYS = 62


def _month_days(month: str) -> tuple[date, date]:
    """The first and the last day of a month (YYYY-MM)."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, months.monthrange(year, number)[1])


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return repository.utc(datetime.combine(day, time(), tzinfo=zone))


def _this_month(settings: Settings, moment: datetime) -> str:
    return f"{repository.utc(moment).astimezone(ZoneInfo(settings.time_zone)):%Y-%m}"


def _split(
    first: date, last: date, summarised: set[str]
) -> tuple[list[str], list[tuple[date, date]]]:
    """The period's whole months read from the summary, and its other days as runs of days
    (first, last) read live."""
    whole: list[str] = []
    runs: list[tuple[date, date]] = []
    for month in _months(first, last):
        start, end = _month_days(month)
        if month in summarised and start >= first and end <= last:
            whole.append(month)
            continue
        start, end = max(start, first), min(end, last)
        if runs and runs[-1][1] + timedelta(days=1) == start:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return whole, runs


def _merged(rows: Iterable[CountRow], measures: Iterable[Measure]) -> list[CountRow]:
    """One row per (group, procedure or fee), the counts of the rows given summed."""
    kept = tuple(measures)
    merged: dict[tuple[Any, int, bool | None], CountRow] = {}
    for row in rows:
        key = (row.group, row.procedure_id, row.fee)
        into = merged.get(key)
        if into is None:
            into = merged[key] = CountRow(
                row.group, row.procedure_id, dict.fromkeys(kept, 0), fee=row.fee
            )
        counts = into.counts
        for measure, value in row.counts.items():
            counts[measure] += value
        into.ordinal_sum += row.ordinal_sum
        into.start_ordinal_sum += row.start_ordinal_sum
        into.timed += row.timed
    return list(merged.values())


async def _counts(
    session: AsyncSession,
    settings: Settings,
    where: Where,
    wanted: StatsFilter,
    group_by: GroupBy | None,
    days: Days,
    moment: datetime,
    catalog: _Catalog,
) -> tuple[list[CountRow], list[CountRow]]:
    """Both cohorts' counts by group and procedure: the months that ended before this one and
    have been summarised from the summary, the rest of the period (its partial months at
    either end, this month, a month not summarised yet) live; in processing and overdue now
    always live."""
    current = _this_month(settings, moment)
    built = await repository.builds(session)
    summarised = {month for month in built if month < current}
    whole, runs = _split(wanted.first, wanted.last, summarised)
    if not whole:
        probe = (wanted.last - wanted.first).days < PROBE_DAYS
        received = await repository.count_received(session, where, group_by, days, probe)
        finished = await repository.count_finished(session, where, group_by, days, probe)
        return received, finished
    zone = ZoneInfo(settings.time_zone)
    received_rows: list[CountRow] = []
    finished_rows: list[CountRow] = []
    for first, last in runs:
        part = _narrow(
            where,
            start=_local_midnight(first, zone),
            end=_local_midnight(last + timedelta(days=1), zone),
        )
        probe = (last - first).days < PROBE_DAYS
        for row in await repository.count_received(session, part, group_by, days, probe):
            # Read below with the summarised months' from the dossiers not finished.
            for measure in repository.OPEN_COUNTS:
                row.counts[measure] = 0
            received_rows.append(row)
        finished_rows += await repository.count_finished(session, part, group_by, days, probe)
    fees = catalog.fee_procedures
    received_rows += await repository.summarised(
        session, where, whole, group_by, received=True, fee_procedures=fees
    )
    received_rows += await repository.count_open(session, where, group_by, days)
    finished_rows += await repository.summarised(
        session, where, whole, group_by, received=False, fee_procedures=fees
    )
    return (
        _merged(received_rows, repository.RECEIVED_COUNTS),
        _merged(finished_rows, repository.FINISHED_COUNTS),
    )


async def build_month(
    session: AsyncSession, settings: Settings, month: str, now: datetime | None = None
) -> None:
    """Count a month (YYYY-MM) by agency, procedure and channel with the queries of a live
    report and keep the counts as its summary, replacing the one before."""
    # A change committed while the month is read but made a little before is seen next time.
    built_at = utcnow() - BUILD_MARGIN
    first, last = _month_days(month)
    zone = ZoneInfo(settings.time_zone)
    days = await _days(session, settings, first, last, now or utcnow())
    where = Where(
        start=_local_midnight(first, zone),
        end=_local_midnight(last + timedelta(days=1), zone),
        agency_ids=None,
        procedure_ids=None,
        channel=None,
    )
    by = (GroupBy.agency, GroupBy.channel)
    received = await repository.count_received(session, where, by, days, probe=True)
    finished = await repository.count_finished(session, where, by, days, probe=True)
    await repository.replace_month(session, month, received, finished, built_at)


async def claim_month(session: AsyncSession, month: str) -> bool:
    """Whether this transaction may build the month (no other worker is building it)."""
    return await repository.claim_month(session, month)


def closed_months(settings: Settings, back: int, now: datetime | None = None) -> list[str]:
    """The ``back`` months before this one (local time), oldest first."""
    this = repository.utc(now or utcnow()).astimezone(ZoneInfo(settings.time_zone)).date()
    this = this.replace(day=1)
    found: list[str] = []
    day = this
    for _ in range(back):
        day = (day - timedelta(days=1)).replace(day=1)
        found.append(f"{day:%Y-%m}")
    return sorted(found)


async def stale_months(
    session: AsyncSession,
    settings: Settings,
    back: int = SUMMARY_MONTHS,
    now: datetime | None = None,
) -> list[str]:
    """The months ended (``back`` of them at most) whose summary is missing, or older than a
    rating, feedback or payment of one of their dossiers (received or finished in them).

    The summaries found up to date are marked so as of now, so that the next look reads only
    the changes made since this one."""
    checked_at = utcnow() - BUILD_MARGIN
    wanted = set(closed_months(settings, back, now))
    built = await repository.builds(session)
    stale = {month for month in wanted if month not in built}
    times = [built[month] for month in wanted if month in built]
    if times:
        zone = ZoneInfo(settings.time_zone)
        for row in await repository.changed_since(session, min(times)):
            changed = repository.utc(row.at)
            for moment in (row.received_at, row.finished_at):
                if moment is None:
                    continue
                month = f"{repository.utc(moment).astimezone(zone):%Y-%m}"
                if month in built and month in wanted and changed > built[month]:
                    stale.add(month)
        fresh = sorted(m for m in wanted if m in built and m not in stale)
        await repository.mark_built(session, fresh, checked_at)
    return sorted(stale)


async def report(
    session: AsyncSession,
    settings: Settings,
    wanted: StatsFilter,
    group_by: GroupBy | None = None,
    scope: Scope = EVERYONE,
    now: datetime | None = None,
) -> StatsReport:
    """The indicators of the dossiers the filter picks, in all and by ``group_by``."""
    resolved = await _resolve(session, settings, wanted, scope)
    moment = now or utcnow()
    days = await _days(session, settings, wanted.first, wanted.last, moment)
    catalog = resolved.catalog
    received, finished = await _counts(
        session, settings, resolved.where, wanted, group_by, days, moment, resolved.catalog
    )
    fee_procedures = catalog.fee_procedures
    total = _Tally()
    tallies: dict[Any, _Tally] = {}
    for row in received:
        fee_bearing = row.fee if row.fee is not None else row.procedure_id in fee_procedures
        total.add_received(row, fee_bearing)
        group = _group_of(group_by, row, catalog)
        tallies.setdefault(group, _Tally()).add_received(row, fee_bearing)
    for row in finished:
        total.add_finished(row)
        tallies.setdefault(_group_of(group_by, row, catalog), _Tally()).add_finished(row)
    groups: list[Indicators] = []
    if group_by is not None:
        keys = set(tallies)
        match group_by:
            case GroupBy.month:
                keys |= set(_months(wanted.first, wanted.last))
            case GroupBy.channel:
                keys |= {wanted.channel} if wanted.channel else {1, 2, 3}
            case GroupBy.agency:
                keys |= {
                    a
                    for p in resolved.offered
                    for a in p.agency_ids
                    if resolved.where.agency_ids is None or a in resolved.where.agency_ids
                }
            case GroupBy.field:
                keys |= {p.field_id for p in resolved.offered}
        for group in _order(group_by, keys, catalog):
            key, label = _label(group_by, group, catalog)
            groups.append(
                _indicators(
                    key,
                    label,
                    tallies.get(group, _Tally()),
                    _offered_in(group_by, group, resolved.offered),
                )
            )
    return StatsReport(
        first=wanted.first,
        last=wanted.last,
        agency=wanted.agency,
        field=wanted.field,
        procedure=wanted.procedure,
        channel=wanted.channel,
        group_by=group_by,
        generated_at=moment,
        total=_indicators(None, TOTAL_LABEL, total, resolved.offered),
        groups=groups,
    )


# --- The dossiers behind a number -----------------------------------------------------------


def _bad_group() -> InvalidInput:
    return _problem("key", "Không có nhóm này trong thống kê", "The report has no such group")


async def dossiers_behind(
    session: AsyncSession,
    settings: Settings,
    wanted: StatsFilter,
    measure: Measure,
    group_by: GroupBy | None = None,
    key: str | None = None,
    scope: Scope = EVERYONE,
    cursor: str | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> DossierBriefPage:
    """One page of the dossiers a number of the report counts (the same filter, group and
    measure), newest first; only dossiers of the agencies in ``scope``."""
    resolved = await _resolve(session, settings, wanted, scope)
    catalog = resolved.catalog
    where = resolved.where
    if group_by is not None:
        if not key:
            raise _bad_group()
        match group_by:
            case GroupBy.agency:
                agency_id = catalog.agency_ids.get(key)
                if agency_id is None:
                    raise _bad_group()
                allowed = where.agency_ids
                only = frozenset({agency_id})
                where = _narrow(where, agency_ids=only if allowed is None else only & allowed)
            case GroupBy.field:
                field_id = catalog.field_ids.get(key)
                if field_id is None:
                    raise _bad_group()
                ids = frozenset(p.id for p in catalog.procedures.values() if p.field_id == field_id)
                where = _narrow(where, procedure_ids=_within(ids, where.procedure_ids))
            case GroupBy.procedure:
                procedure_id = catalog.procedure_ids.get(key)
                if procedure_id is None:
                    raise _bad_group()
                where = _narrow(
                    where, procedure_ids=_within(frozenset({procedure_id}), where.procedure_ids)
                )
            case GroupBy.channel:
                if key not in {"1", "2", "3"} or wanted.channel not in (None, int(key)):
                    raise _bad_group()
                where = _narrow(where, channel=int(key))
            case GroupBy.month:
                if key not in _months(wanted.first, wanted.last):
                    raise _bad_group()
                # The month's days within the period.
                year, month = (int(part) for part in key.split("-"))
                zone = ZoneInfo(settings.time_zone)
                next_month = date(year + month // 12, month % 12 + 1, 1)
                where = _narrow(
                    where,
                    start=max(where.start, repository.utc(datetime(year, month, 1, tzinfo=zone))),
                    end=min(where.end, repository.utc(datetime.combine(next_month, time(), zone))),
                )
    before_id: int | None = None
    if cursor:
        try:
            (before,) = decode_cursor(cursor, (int,))
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc
        before_id = int(before)
    limit = max(1, min(limit, PAGE_MAX))
    days = await _days(session, settings, wanted.first, wanted.last, now or utcnow())
    rows = await repository.dossiers_behind(
        session,
        where,
        measure,
        days,
        catalog.fee_procedures,
        before_id,
        limit + 1,
    )
    items = [
        DossierBrief(
            id=row.id,
            code=row.code or "",
            procedure_code=row.procedure_code,
            procedure_name=row.procedure_name,
            agency_code=row.agency_code,
            agency_name=row.agency_name,
            channel=row.channel,
            status=row.status or 0,
            received_at=repository.aware_or_none(row.received_at),
            due_at=repository.aware_or_none(row.due_at),
            finished_at=repository.aware_or_none(row.finished_at),
            supplement_count=row.supplement_count,
        )
        for row in rows[:limit]
    ]
    following = encode_cursor((items[-1].id,)) if len(rows) > limit else None
    return DossierBriefPage(items=items, next_cursor=following)


def _within(ids: frozenset[int], allowed: frozenset[int] | None) -> frozenset[int]:
    return ids if allowed is None else ids & allowed


def _narrow(
    where: Where,
    *,
    agency_ids: frozenset[int] | None = None,
    procedure_ids: frozenset[int] | None = None,
    channel: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Where:
    return Where(
        start=start or where.start,
        end=end or where.end,
        agency_ids=agency_ids if agency_ids is not None else where.agency_ids,
        procedure_ids=procedure_ids if procedure_ids is not None else where.procedure_ids,
        channel=channel if channel is not None else where.channel,
    )


# --- What the filters offer ----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class Choices:
    """The agencies and fields a filter may pick (an official's own agencies only)."""

    agencies: list[Choice]
    fields: list[Choice]


async def choices(session: AsyncSession, scope: Scope = EVERYONE) -> Choices:
    agencies = await repository.agencies(session)
    fields = await repository.fields(session)
    return Choices(
        agencies=[
            Choice(a.code, a.name)
            for a in agencies
            if scope.agency_ids is None or a.id in scope.agency_ids
        ],
        fields=[Choice(f.code, f.name) for f in fields],
    )
