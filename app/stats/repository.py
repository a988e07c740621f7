"""Every query of the statistics.

Two cohorts of dossiers make a report: those received in the period (received_at), and those
received whose processing ended in the period (finished_at). Each is read in one pass over
its covering index, grouped by procedure and the breakdown asked for, with the facts that live
in other tables (a payment made online, a scanned file, a complaint, a signed result, a
rating) joined from one pre-grouped list each. Every count has its condition written once, in
``_condition``: the drill-down lists the dossiers behind a number with the same condition.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.sql.expression import Subquery

from app.kit.clock import aware
from app.models.catalog import Agency, Field, Procedure, procedure_agencies
from app.models.dossiers import Channel, Delivery, Dossier, DossierFile, FileOrigin, Status
from app.models.feedback import Feedback, FeedbackKind, Rating, Satisfaction
from app.models.payments import Payment, PaymentState
from app.models.processing import DocumentForm, DossierDocument
from app.models.stats import StatsMonthBuild, StatsMonthCount
from app.stats.schemas import RECEIVED_MEASURES, GroupBy, Measure

PAID_STATES = (PaymentState.paid, PaymentState.refunded, PaymentState.partially_refunded)
DIGITISED_ORIGINS = (FileOrigin.scan, FileOrigin.reuse)
IN_PROCESSING_STATUSES = (
    Status.received,
    Status.processing,
    Status.supplement_requested,
    Status.payment_required,
)
RESULT_STATUSES = (Status.payment_required, Status.result_ready, Status.returned)
RATING_MEASURES = {
    Measure.very_satisfied: Satisfaction.very_satisfied,
    Measure.satisfied: Satisfaction.satisfied,
    Measure.not_satisfied: Satisfaction.not_satisfied,
}
# The counts a report reads from each cohort (fee_bearing is made from received and paid).
RECEIVED_COUNTS = tuple(m for m in Measure if m in RECEIVED_MEASURES and m != Measure.fee_bearing)
FINISHED_COUNTS = tuple(m for m in Measure if m not in RECEIVED_MEASURES)


@dataclass(frozen=True)
class Where:
    """The dossiers a report or a list reads, resolved to ids; times in UTC.

    ``agency_ids`` None means every agency; ``procedure_ids`` None every procedure (a field
    is the set of its procedures)."""

    start: datetime
    end: datetime
    agency_ids: frozenset[int] | None
    procedure_ids: frozenset[int] | None
    channel: int | None


@dataclass(frozen=True)
class Days:
    """How the database reads days in the portal's time zone, and the working days.

    ``ordinals[i]`` is the number of working days from ``base`` to ``base + i`` (a day off
    repeats the number of the working day before it): the difference of two days' numbers is
    the working days between them. ``offset_minutes`` is the zone's offset, used on SQLite,
    which has no time zones (Việt Nam has kept UTC+7 since 1975)."""

    zone: str
    offset_minutes: int
    base: date
    ordinals: Sequence[int]
    now: datetime


def month_key(value: Any) -> str:
    """YYYY-MM from what ``local_month`` gives."""
    return f"{value:%Y-%m}" if isinstance(value, datetime | date) else str(value)


def utc(moment: datetime) -> datetime:
    """In UTC: SQLite keeps a timestamp's clock time but not its offset."""
    return aware(moment).astimezone(UTC)


def aware_or_none(moment: datetime | None) -> datetime | None:
    return aware(moment) if moment is not None else None


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class _Sql:
    """The expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, session: AsyncSession, days: Days) -> None:
        self.postgres = dialect(session) == "postgresql"
        self.days = days
        # One parameter however many times a query reads it.
        self._ordinals = (
            bindparam("working_day_ordinals", list(days.ordinals), type_=ARRAY(Integer))
            if self.postgres
            else bindparam("working_day_ordinals", json.dumps(list(days.ordinals)), type_=String)
        )

    def local_day(self, column: Any) -> ColumnElement[Any]:
        if self.postgres:
            return cast(func.timezone(self.days.zone, column), Date())
        return func.date(column, f"{self.days.offset_minutes:+d} minutes")

    def local_month(self, column: Any) -> ColumnElement[Any]:
        """The month as YYYY-MM on SQLite; its first moment (local time) on PostgreSQL, where
        truncating is cheaper than formatting (``month_key`` makes both YYYY-MM)."""
        if self.postgres:
            return func.date_trunc("month", func.timezone(self.days.zone, column))
        return func.strftime("%Y-%m", column, f"{self.days.offset_minutes:+d} minutes")

    def ordinal(self, column: Any) -> ColumnElement[int]:
        """The working-day number of a moment's day; days before ``base`` count as ``base``."""
        last = len(self.days.ordinals) - 1
        if self.postgres:
            offset = self.local_day(column) - literal(self.days.base)
            index = func.least(func.greatest(offset, 0), last) + 1
            ordinals = type_coerce(Grouping(cast(self._ordinals, ARRAY(Integer))), ARRAY(Integer))
            return cast(ordinals[index], Integer)
        offset = cast(
            func.julianday(self.local_day(column)) - func.julianday(self.days.base.isoformat()),
            Integer,
        )
        index = func.min(func.max(offset, 0), last)
        path = literal("$[", String) + cast(index, String) + literal("]", String)
        return cast(func.json_extract(self._ordinals, path), Integer)


def _now(days: Days) -> ColumnElement[datetime]:
    return literal(days.now, DateTime(timezone=True))


# --- The facts other tables hold ----------------------------------------------------------


def _paid() -> Select[Any]:
    return select(Payment.dossier_id).where(Payment.state.in_([s.value for s in PAID_STATES]))


def _complained() -> Select[Any]:
    return select(Feedback.dossier_id).where(
        Feedback.kind == FeedbackKind.report.value, Feedback.dossier_id.is_not(None)
    )


def _digitised() -> Select[Any]:
    return select(DossierFile.dossier_id).where(
        DossierFile.origin.in_([o.value for o in DIGITISED_ORIGINS])
    )


def _signed_result() -> Select[Any]:
    return select(DossierDocument.dossier_id).where(
        DossierDocument.form == DocumentForm.result.value, DossierDocument.signed
    )


class _Facts:
    """Whether a dossier has each fact: for a report, columns of lists joined once (for a
    period of days, probes of the lists' indexes dossier by dossier: joining a whole list
    would cost more); for a drill-down, a membership test of the same lists."""

    def __init__(self, joined: dict[str, Subquery] | None, probe: bool = False) -> None:
        self.joined = joined
        self.probe = probe

    def _has(self, name: str, listed: Select[Any]) -> ColumnElement[bool]:
        if self.joined is not None and name in self.joined:
            return self.joined[name].c.dossier_id.is_not(None)
        if self.probe:
            # A scalar subquery with a limit is run for each dossier (its index probed): the
            # planner would hash the whole list for EXISTS.
            probe = listed.where(listed.selected_columns[0] == Dossier.id).limit(1)
            return probe.scalar_subquery().is_not(None)
        return Dossier.id.in_(listed)

    def paid(self) -> ColumnElement[bool]:
        return self._has("paid", _paid())

    def complained(self) -> ColumnElement[bool]:
        return self._has("complained", _complained())

    def digitised(self) -> ColumnElement[bool]:
        return self._has("digitised", _digitised())

    def signed_result(self) -> ColumnElement[bool]:
        return self._has("signed_result", _signed_result())

    def rated(self, score: int) -> ColumnElement[bool]:
        if self.joined is not None:
            return self.joined["rating"].c.score == score
        return Dossier.id.in_(select(Rating.dossier_id).where(Rating.score == score))


def _late() -> ColumnElement[bool]:
    """Decision 766: after the due time (which moved with each supplement's wait, so paused
    time is excluded), more than one supplement request, or an apology and an end after the
    due time first given."""
    return or_(
        Dossier.supplement_count > 1,
        and_(Dossier.due_at.is_not(None), Dossier.finished_at > Dossier.due_at),
        and_(
            Dossier.apology_at.is_not(None),
            Dossier.original_due_at.is_not(None),
            Dossier.finished_at > Dossier.original_due_at,
        ),
    )


def _early(sql: _Sql) -> ColumnElement[bool]:
    """Not late, and finished on a day before the due day (the routing slip's rule)."""
    return and_(
        not_(_late()),
        Dossier.due_at.is_not(None),
        sql.local_day(Dossier.finished_at) < sql.local_day(Dossier.due_at),
    )


def _in_processing() -> ColumnElement[bool]:
    return and_(
        Dossier.finished_at.is_(None),
        Dossier.status.in_([s.value for s in IN_PROCESSING_STATUSES]),
    )


def _results() -> ColumnElement[bool]:
    return Dossier.status.in_([s.value for s in RESULT_STATUSES])


def _condition(
    measure: Measure, sql: _Sql, facts: _Facts, fee_procedures: frozenset[int]
) -> ColumnElement[bool]:
    """The dossiers of the measure's cohort that a measure counts."""
    match measure:
        case Measure.received | Measure.finished:
            return true()
        case Measure.online:
            return Dossier.channel == Channel.online.value
        case Measure.in_processing:
            return _in_processing()
        case Measure.overdue:
            now = _now(sql.days)
            return and_(
                _in_processing(),
                or_(
                    Dossier.supplement_count > 1,
                    and_(
                        Dossier.due_at.is_not(None),
                        or_(
                            and_(Dossier.paused_at.is_(None), Dossier.due_at < now),
                            and_(
                                Dossier.paused_at.is_not(None),
                                Dossier.paused_at > Dossier.due_at,
                            ),
                        ),
                    ),
                ),
            )
        case Measure.fee_bearing:
            by_procedure = (
                Dossier.procedure_id.in_(sorted(fee_procedures)) if fee_procedures else false()
            )
            return or_(by_procedure, facts.paid())
        case Measure.paid_online:
            return facts.paid()
        case Measure.digitised:
            return facts.digitised()
        case Measure.complained:
            return facts.complained()
        case Measure.late:
            return _late()
        case Measure.early:
            return _early(sql)
        case Measure.on_time:
            return and_(not_(_late()), not_(_early(sql)))
        case Measure.results:
            return _results()
        case Measure.electronic_results:
            return and_(
                _results(), Dossier.delivery == Delivery.online.value, facts.signed_result()
            )
        case Measure.very_satisfied | Measure.satisfied | Measure.not_satisfied:
            return facts.rated(RATING_MEASURES[measure].value)
    raise AssertionError(measure)  # pragma: no cover


def _cohort(where: Where, received: bool) -> list[ColumnElement[bool]]:
    """The dossiers of the period (received in it, or received and finished in it) that the
    filters keep."""
    if received:
        conditions = [Dossier.received_at >= where.start, Dossier.received_at < where.end]
    else:
        conditions = [
            Dossier.finished_at >= where.start,
            Dossier.finished_at < where.end,
            Dossier.received_at.is_not(None),
        ]
    if where.agency_ids is not None:
        conditions.append(Dossier.agency_id.in_(sorted(where.agency_ids)))
    if where.procedure_ids is not None:
        conditions.append(Dossier.procedure_id.in_(sorted(where.procedure_ids)))
    if where.channel is not None:
        conditions.append(Dossier.channel == where.channel)
    return conditions


def _group_column(group_by: GroupBy | None, sql: _Sql, received: bool) -> Any:
    """What the SQL groups by beside the procedure (fields are rolled up from procedures)."""
    match group_by:
        case GroupBy.agency:
            return Dossier.agency_id
        case GroupBy.channel:
            return Dossier.channel
        case GroupBy.month:
            return sql.local_month(Dossier.received_at if received else Dossier.finished_at)
    return literal_column("0")


Groups = GroupBy | tuple[GroupBy, ...] | None


def _several(group_by: Groups) -> tuple[GroupBy | None, ...]:
    return group_by if isinstance(group_by, tuple) else (group_by,)


def _grouped(
    group_by: Groups, sql: _Sql, received: bool
) -> tuple[list[Any], tuple[ColumnElement[Any], ...]]:
    """The group columns (``grp0``…) of a breakdown by one or several columns, and the GROUP BY
    that groups by them and the procedure after them.

    Grouped by position: an expression holding parameters (the time zone) would not match its
    copy in GROUP BY on PostgreSQL."""
    several = _several(group_by)
    columns = [_group_column(one, sql, received).label(f"grp{i}") for i, one in enumerate(several)]
    positions: tuple[ColumnElement[Any], ...] = tuple(
        literal_column(str(i + 1)) for i in range(len(several) + 1)
    )
    return columns, positions


def _group_value(group_by: Groups, row: Any) -> Any:
    """The group of a row: one value, or a tuple for several columns (months as YYYY-MM)."""
    values = tuple(
        month_key(getattr(row, f"grp{i}")) if one is GroupBy.month else getattr(row, f"grp{i}")
        for i, one in enumerate(_several(group_by))
    )
    return values if isinstance(group_by, tuple) else values[0]


@dataclass
class CountRow:
    """The counts of one (group, procedure) of one cohort; or, with ``fee`` set, of one group's
    procedures with a fee (True) or without (False), ``procedure_id`` then 0."""

    group: Any
    procedure_id: int
    counts: dict[Measure, int]
    ordinal_sum: int = 0
    start_ordinal_sum: int = 0
    timed: int = 0
    fee: bool | None = None


async def count_received(
    session: AsyncSession, where: Where, group_by: Groups, days: Days, probe: bool = False
) -> list[CountRow]:
    """The received cohort's counts by group (one column or several) and procedure; ``probe``
    for a short period (see ``_Facts``)."""
    sql = _Sql(session, days)
    joined = (
        {}
        if probe
        else {
            "paid": _paid().distinct().subquery("paid"),
            "complained": _complained().distinct().subquery("complained"),
            "digitised": _digitised().distinct().subquery("digitised"),
        }
    )
    facts = _Facts(joined, probe)
    groups, positions = _grouped(group_by, sql, received=True)
    columns = [
        func.count().filter(_condition(m, sql, facts, frozenset())).label(m.value)
        for m in RECEIVED_COUNTS
    ]
    query = select(*groups, Dossier.procedure_id, *columns).select_from(Dossier)
    for sub in joined.values():
        query = query.outerjoin(sub, sub.c.dossier_id == Dossier.id)
    query = query.where(*_cohort(where, received=True)).group_by(*positions)
    await _tune(session, sql)
    rows = (await session.execute(query)).all()
    return [
        CountRow(
            group=_group_value(group_by, row),
            procedure_id=row.procedure_id,
            counts={m: int(getattr(row, m.value)) for m in RECEIVED_COUNTS},
        )
        for row in rows
    ]


async def count_finished(
    session: AsyncSession, where: Where, group_by: Groups, days: Days, probe: bool = False
) -> list[CountRow]:
    """The finished cohort's counts by group and procedure, with the sums of the working-day
    numbers of the days the clock started and processing ended; ``probe`` for a short
    period (see ``_Facts``)."""
    sql = _Sql(session, days)
    rating = select(Rating.dossier_id, Rating.score).subquery("rating")
    joined = {"rating": rating}
    if not probe:
        joined["signed_result"] = _signed_result().distinct().subquery("signed_result")
    facts = _Facts(joined, probe)
    groups, positions = _grouped(group_by, sql, received=False)
    timed = Dossier.clock_started_at.is_not(None)
    columns = [
        func.count().filter(_condition(m, sql, facts, frozenset())).label(m.value)
        for m in FINISHED_COUNTS
    ]
    query = (
        select(
            *groups,
            Dossier.procedure_id,
            *columns,
            func.count().filter(timed).label("timed"),
            func.coalesce(func.sum(sql.ordinal(Dossier.finished_at)).filter(timed), 0).label(
                "ordinal_sum"
            ),
            func.coalesce(func.sum(sql.ordinal(Dossier.clock_started_at)).filter(timed), 0).label(
                "start_ordinal_sum"
            ),
        )
        .select_from(Dossier)
        .outerjoin(rating, rating.c.dossier_id == Dossier.id)
        .where(*_cohort(where, received=False))
        .group_by(*positions)
    )
    if not probe:
        signed = joined["signed_result"]
        query = query.outerjoin(signed, signed.c.dossier_id == Dossier.id)
    await _tune(session, sql)
    rows = (await session.execute(query)).all()
    return [
        CountRow(
            group=_group_value(group_by, row),
            procedure_id=row.procedure_id,
            counts={m: int(getattr(row, m.value)) for m in FINISHED_COUNTS},
            ordinal_sum=int(row.ordinal_sum),
            start_ordinal_sum=int(row.start_ordinal_sum),
            timed=int(row.timed),
        )
        for row in rows
    ]


# The counts that change with time: never summarised.
OPEN_COUNTS = (Measure.in_processing, Measure.overdue)


async def count_open(
    session: AsyncSession, where: Where, group_by: Groups, days: Days
) -> list[CountRow]:
    """The received cohort's dossiers still in processing and overdue now, by group and
    procedure: read from the dossiers not finished (a partial index of them), however many
    the period has."""
    sql = _Sql(session, days)
    facts = _Facts(None)
    groups, positions = _grouped(group_by, sql, received=True)
    columns = [
        func.count().filter(_condition(m, sql, facts, frozenset())).label(m.value)
        for m in OPEN_COUNTS
    ]
    query = (
        select(*groups, Dossier.procedure_id, *columns)
        .where(*_cohort(where, received=True), Dossier.finished_at.is_(None))
        .group_by(*positions)
    )
    rows = (await session.execute(query)).all()
    return [
        CountRow(
            group=_group_value(group_by, row),
            procedure_id=row.procedure_id,
            counts={m: int(getattr(row, m.value)) for m in OPEN_COUNTS},
        )
        for row in rows
    ]


# --- The summary of the months that have ended ------------------------------------------------

RECEIVED_COHORT = "received"
FINISHED_COHORT = "finished"
# What the summary keeps of each cohort.
SUMMARY_RECEIVED = tuple(m for m in RECEIVED_COUNTS if m not in OPEN_COUNTS)
SUMMARY_FINISHED = FINISHED_COUNTS


def _summary_group(group_by: GroupBy | None) -> Any:
    match group_by:
        case GroupBy.agency:
            return StatsMonthCount.agency_id
        case GroupBy.channel:
            return StatsMonthCount.channel
        case GroupBy.month:
            return StatsMonthCount.month
    return literal_column("0")


async def summarised(
    session: AsyncSession,
    where: Where,
    months: Sequence[str],
    group_by: GroupBy | None,
    received: bool,
    fee_procedures: frozenset[int],
) -> list[CountRow]:
    """A cohort's counts of whole months from the summary, with the filters of ``where`` (its
    period is ``months``); the working days as ``ordinal_sum``. By group and procedure for a
    breakdown by procedure or field; otherwise by group and whether the procedures have a fee
    (``fee_procedures``), all a report needs of them."""
    if not months:
        return []
    measures = SUMMARY_RECEIVED if received else SUMMARY_FINISHED
    t = StatsMonthCount
    conditions: list[ColumnElement[bool]] = [
        t.cohort == (RECEIVED_COHORT if received else FINISHED_COHORT),
        t.month.in_(sorted(months)),
    ]
    if where.agency_ids is not None:
        conditions.append(t.agency_id.in_(sorted(where.agency_ids)))
    if where.procedure_ids is not None:
        conditions.append(t.procedure_id.in_(sorted(where.procedure_ids)))
    if where.channel is not None:
        conditions.append(t.channel == where.channel)
    by_procedure = group_by in (GroupBy.procedure, GroupBy.field)
    second: Any = (
        t.procedure_id
        if by_procedure
        else (t.procedure_id.in_(sorted(fee_procedures)) if fee_procedures else false())
    )
    sums = [func.sum(getattr(t, m.value)) for m in measures]
    if not received:
        sums += [func.sum(t.timed), func.sum(t.working_days)]
    query = (
        select(_summary_group(group_by), second, *sums)
        .where(*conditions)
        .group_by(literal_column("1"), literal_column("2"))
    )
    rows = (await session.execute(query)).all()
    found: list[CountRow] = []
    width = len(measures)
    for row in rows:
        counts = dict(zip(measures, (int(value) for value in row[2 : 2 + width]), strict=True))
        found.append(
            CountRow(
                group=row[0],
                procedure_id=int(row[1]) if by_procedure else 0,
                counts=counts,
                ordinal_sum=0 if received else int(row[2 + width + 1]),
                timed=0 if received else int(row[2 + width]),
                fee=None if by_procedure else bool(row[1]),
            )
        )
    return found


async def replace_month(
    session: AsyncSession,
    month: str,
    received: Sequence[CountRow],
    finished: Sequence[CountRow],
    built_at: datetime,
) -> None:
    """The month's summary made of the rows counted grouped by (agency, channel), and the time
    it was built (before its dossiers were read)."""
    await session.execute(delete(StatsMonthCount).where(StatsMonthCount.month == month))
    values: list[dict[str, Any]] = []
    for row in received:
        agency_id, channel = row.group
        values.append(
            {
                "cohort": RECEIVED_COHORT,
                "month": month,
                "agency_id": agency_id,
                "procedure_id": row.procedure_id,
                "channel": channel,
                **{m.value: row.counts[m] for m in SUMMARY_RECEIVED},
            }
        )
    for row in finished:
        agency_id, channel = row.group
        values.append(
            {
                "cohort": FINISHED_COHORT,
                "month": month,
                "agency_id": agency_id,
                "procedure_id": row.procedure_id,
                "channel": channel,
                **{m.value: row.counts[m] for m in SUMMARY_FINISHED},
                "timed": row.timed,
                "working_days": row.ordinal_sum - row.start_ordinal_sum,
            }
        )
    for first in range(0, len(values), 2000):
        await session.execute(insert(StatsMonthCount), values[first : first + 2000])
    await session.execute(delete(StatsMonthBuild).where(StatsMonthBuild.month == month))
    session.add(StatsMonthBuild(month=month, built_at=built_at))
    await session.flush()


async def claim_month(session: AsyncSession, month: str) -> bool:
    """Whether this transaction may build the month's summary: on PostgreSQL, not while
    another worker builds it (a lock held until the transaction ends)."""
    if dialect(session) != "postgresql":
        return True
    key = func.hashtext(literal(f"motcua.stats.{month}", String))
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(key))))


async def builds(session: AsyncSession) -> dict[str, datetime]:
    """When each summarised month was built."""
    rows = (await session.execute(select(StatsMonthBuild.month, StatsMonthBuild.built_at))).all()
    return {row.month: aware(row.built_at) for row in rows}


async def mark_built(session: AsyncSession, months: Sequence[str], at: datetime) -> None:
    """The summaries of ``months`` hold every change made before ``at`` (found unchanged)."""
    if months:
        await session.execute(
            update(StatsMonthBuild)
            .where(StatsMonthBuild.month.in_(list(months)), StatsMonthBuild.built_at < at)
            .values(built_at=at)
        )


async def changed_since(session: AsyncSession, since: datetime) -> list[Any]:
    """The dossiers with a rating, feedback or payment made (or a payment paid) after
    ``since``: their received_at, finished_at and the latest such change."""
    changes = union_all(
        select(Rating.dossier_id, Rating.created_at.label("changed")).where(
            Rating.created_at > since
        ),
        select(Feedback.dossier_id, Feedback.created_at.label("changed")).where(
            Feedback.created_at > since, Feedback.dossier_id.is_not(None)
        ),
        select(Payment.dossier_id, Payment.created_at.label("changed")).where(
            Payment.created_at > since
        ),
        select(Payment.dossier_id, Payment.paid_at.label("changed")).where(Payment.paid_at > since),
    ).subquery("changes")
    query = (
        select(Dossier.received_at, Dossier.finished_at, func.max(changes.c.changed).label("at"))
        .join(changes, changes.c.dossier_id == Dossier.id)
        .where(Dossier.received_at.is_not(None))
        .group_by(Dossier.id, Dossier.received_at, Dossier.finished_at)
    )
    return list((await session.execute(query)).all())


async def _tune(session: AsyncSession, sql: _Sql) -> None:
    """Room for the hash joins of a year's dossiers on PostgreSQL, no compiling of plans (for
    this transaction only)."""
    if sql.postgres:
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
        # Compiling a plan costed as high as a year's report takes longer than running it.
        await session.execute(text("SET LOCAL jit = off"))


async def dossiers_behind(
    session: AsyncSession,
    where: Where,
    measure: Measure,
    days: Days,
    fee_procedures: frozenset[int],
    before_id: int | None,
    limit: int,
) -> list[Any]:
    """The dossiers a number counts, newest first (by id), ``limit`` of them after the cursor."""
    sql = _Sql(session, days)
    received = measure in RECEIVED_MEASURES
    conditions = _cohort(where, received)
    conditions.append(_condition(measure, sql, _Facts(None), fee_procedures))
    if before_id is not None:
        conditions.append(Dossier.id < before_id)
    query = (
        select(
            Dossier.id,
            Dossier.code,
            Procedure.code.label("procedure_code"),
            Procedure.name.label("procedure_name"),
            Agency.code.label("agency_code"),
            Agency.name.label("agency_name"),
            Dossier.channel,
            Dossier.status,
            Dossier.received_at,
            Dossier.due_at,
            Dossier.finished_at,
            Dossier.supplement_count,
        )
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(*conditions)
        .order_by(Dossier.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).all())


# --- The catalog --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureFacts:
    id: int
    code: str
    name: str
    field_id: int
    published: bool
    online_full: bool
    fee_bearing: bool
    payable_online: bool
    agency_ids: frozenset[int]


async def procedures(session: AsyncSession) -> dict[int, ProcedureFacts]:
    """Every procedure with what the indicators ask of it, and the agencies that handle it."""
    handled: dict[int, set[int]] = {}
    for procedure_id, agency_id in (
        await session.execute(
            select(procedure_agencies.c.procedure_id, procedure_agencies.c.agency_id)
        )
    ).all():
        handled.setdefault(procedure_id, set()).add(agency_id)
    rows = (
        await session.execute(
            select(
                Procedure.id,
                Procedure.code,
                Procedure.name,
                Procedure.field_id,
                Procedure.published,
                Procedure.online_level,
                Procedure.fees,
                Procedure.payment_stage,
            )
        )
    ).all()
    return {
        row.id: ProcedureFacts(
            id=row.id,
            code=row.code,
            name=row.name,
            field_id=row.field_id,
            published=row.published,
            online_full=row.online_level == "full",
            fee_bearing=_has_fee(row.fees),
            payable_online=row.payment_stage is not None,
            agency_ids=frozenset(handled.get(row.id, ())),
        )
        for row in rows
    }


def _has_fee(fees: Any) -> bool:
    if not isinstance(fees, list):
        return False
    return any(
        isinstance(fee, dict) and isinstance(fee.get("amount"), int | float) and fee["amount"] > 0
        for fee in fees
    )


async def agencies(session: AsyncSession) -> list[Agency]:
    return list((await session.scalars(select(Agency).order_by(Agency.code))).all())


async def fields(session: AsyncSession) -> list[Field]:
    return list((await session.scalars(select(Field).order_by(Field.code))).all())
