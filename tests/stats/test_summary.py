"""The summary of the months that have ended gives the very numbers of a live report: for the
hand-computed dossiers of tests/stats/conftest.py and for datasets drawn at random, by every
breakdown and filter, over periods with partial months at either end; it is built again when
a rating, complaint or payment comes after; this month and the dossiers still in processing
are always read live."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.kit.clock import aware, utcnow
from app.models.catalog import Agency, Procedure, ProcedureVersion
from app.models.dossiers import Dossier, DossierFile
from app.models.feedback import Feedback, Rating
from app.models.payments import Payment
from app.models.processing import DossierDocument
from app.models.stats import StatsMonthBuild, StatsMonthCount
from app.stats import service, tasks
from app.stats.schemas import GroupBy, StatsFilter, StatsReport
from tests.stats.conftest import AGENCY_A, AGENCY_B, FIELD, P1, P2, P3, Scenario, _dossier, local

PERIODS = [
    (date(2025, 3, 1), date(2025, 3, 31)),
    (date(2025, 1, 1), date(2025, 12, 31)),
    (date(2025, 2, 15), date(2025, 4, 10)),
    (date(2025, 3, 5), date(2025, 3, 20)),
    (date(2025, 2, 1), date(2025, 5, 31)),
    (date(2024, 12, 20), date(2025, 3, 31)),
]
FILTERS: list[dict[str, Any]] = [
    {},
    {"field": FIELD},
    {"agency": AGENCY_A},
    {"agency": AGENCY_B, "field": FIELD},
    {"procedure": P1},
    {"procedure": P3, "channel": 1},
    {"channel": 2},
    {"agency": AGENCY_A, "channel": 3},
]
BREAKDOWNS: list[GroupBy | None] = [None, *GroupBy]


def _unit_of_work(session: AsyncSession) -> Any:
    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    return unit_of_work


async def _reports(
    session: AsyncSession, settings: Settings, now: datetime
) -> dict[tuple[Any, ...], dict[str, Any]]:
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for first, last in PERIODS:
        for filters in FILTERS:
            wanted = StatsFilter(first=first, last=last, **filters)
            for group_by in BREAKDOWNS:
                made = await service.report(session, settings, wanted, group_by, now=now)
                found[(first, last, tuple(sorted(filters.items())), group_by)] = made.model_dump()
    return found


async def _summarise(session: AsyncSession, settings: Settings, now: datetime) -> list[str]:
    return await tasks.refresh_summary(_unit_of_work(session), settings, now=now)


async def _forget_summary(session: AsyncSession) -> None:
    await session.execute(delete(StatsMonthCount))
    await session.execute(delete(StatsMonthBuild))


async def _assert_summary_agrees(session: AsyncSession, settings: Settings, now: datetime) -> None:
    await _forget_summary(session)
    live = await _reports(session, settings, now)
    built = await _summarise(session, settings, now)
    assert "2025-03" in built
    assert await session.scalar(select(StatsMonthCount.month).limit(1)) is not None
    summarised = await _reports(session, settings, now)
    for key, report in live.items():
        assert summarised[key] == report, key


async def test_the_summary_gives_the_numbers_worked_out_by_hand(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    now = utcnow()
    await _assert_summary_agrees(db_session, settings, now)
    # The hand-computed numbers of March, now from the summary (and D9, D10 still live).
    march = StatsFilter(first=date(2025, 3, 1), last=date(2025, 3, 31), field=FIELD)
    t = (await service.report(db_session, settings, march, now=now)).total
    assert (t.received, t.online, t.in_processing, t.overdue) == (11, 8, 2, 1)
    assert (t.finished, t.early, t.on_time, t.late, t.average_days) == (9, 3, 2, 4, 4.0)
    assert (t.fee_bearing, t.paid_online, t.digitised, t.complained) == (6, 2, 2, 1)
    assert (t.results, t.electronic_results) == (8, 1)
    assert (t.ratings.very_satisfied, t.ratings.satisfied, t.ratings.not_satisfied) == (1, 1, 1)


async def _lookups(session: AsyncSession) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    versions: dict[str, tuple[int, int]] = {}
    for procedure in (
        await session.scalars(select(Procedure).where(Procedure.code.in_([P1, P2, P3])))
    ).all():
        version = await session.scalar(
            select(ProcedureVersion.id).where(ProcedureVersion.procedure_id == procedure.id)
        )
        versions[procedure.code] = (procedure.id, version or 0)
    agencies = {
        a.code: a.id
        for a in (
            await session.scalars(select(Agency).where(Agency.code.in_([AGENCY_A, AGENCY_B])))
        ).all()
    }
    return versions, agencies


def _moment(draw: random.Random) -> datetime:
    """A time of January to May 2025, often within an hour of a local midnight at a month's
    end (where UTC and local months differ)."""
    if draw.random() < 0.3:
        month = draw.randint(1, 5)
        first = datetime(2025, month, 1, tzinfo=UTC) - timedelta(hours=7)
        return first + timedelta(minutes=draw.randint(-90, 90))
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=draw.randint(0, 150 * 24 * 60))


async def _random_dossiers(session: AsyncSession, seed: int, count: int) -> list[int]:
    draw = random.Random(seed)
    versions, agencies = await _lookups(session)
    handled = {P1: [AGENCY_A], P2: [AGENCY_A], P3: [AGENCY_A, AGENCY_B]}
    made: list[int] = []
    for _ in range(count):
        procedure = draw.choice([P1, P2, P3])
        received = _moment(draw)
        due = received + timedelta(days=draw.randint(1, 15), hours=draw.randint(0, 9))
        finished: datetime | None = received + timedelta(hours=draw.randint(1, 30 * 24))
        status = draw.choice([8, 9, 10, 10, 10])
        paused = None
        if draw.random() < 0.15:
            finished, status = None, draw.choice([2, 4, 5, 6])
            paused = received + timedelta(days=2) if status == 5 else None
        dossier = await _dossier(
            session,
            versions,
            agencies,
            procedure,
            draw.choice(handled[procedure]),
            status=status,
            channel=draw.choice([1, 2, 2, 3]),
            delivery=draw.choice(["online", "counter"]),
            received_at=received,
            due_at=due,
            original_due_at=due - timedelta(days=draw.choice([0, 0, 2])),
            finished_at=finished,
            paused_at=paused,
            supplement_count=draw.choice([0, 0, 0, 1, 2]),
            apology_at=received + timedelta(days=1) if draw.random() < 0.1 else None,
        )
        made.append(dossier.id)
        await _random_facts(session, draw, dossier, agencies[AGENCY_A])
    await session.flush()
    return made


async def _random_facts(
    session: AsyncSession, draw: random.Random, dossier: Dossier, agency_id: int
) -> None:
    number = dossier.id
    if draw.random() < 0.4:
        session.add(_payment(number, agency_id, draw.choice(["paid", "expired", "refunded"])))
    if draw.random() < 0.5:
        session.add(
            DossierFile(
                reference=f"rf-{number}",
                dossier_id=number,
                slot="declaration",
                storage_key=f"stats/{number}/file",
                display_name="tờ khai.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                origin=draw.choice(["scan", "upload", "reuse"]),
            )
        )
    if dossier.finished_at is not None and draw.random() < 0.6:
        session.add(
            DossierDocument(
                reference=f"rd-{number}",
                dossier_id=number,
                form="result",
                storage_key=f"stats/{number}/result.pdf",
                size=10,
                sha256="0" * 64,
                signed=draw.random() < 0.7,
            )
        )
    if dossier.finished_at is not None and draw.random() < 0.4:
        session.add(Rating(dossier_id=number, score=draw.randint(1, 3)))
    if draw.random() < 0.15:
        session.add(_feedback(number, agency_id, draw.choice(["report", "petition"])))


def _payment(dossier_id: int, agency_id: int, state: str, **values: Any) -> Payment:
    return Payment(
        reference=f"rp-{dossier_id}-{state}",
        dossier_id=dossier_id,
        agency_id=agency_id,
        stage="before_result",
        gateway="sandbox",
        amount=50000,
        lines=[],
        state=state,
        expires_at=local(20),
        **values,
    )


def _feedback(dossier_id: int, agency_id: int, kind: str, **values: Any) -> Feedback:
    return Feedback(
        reference=f"rk-{dossier_id}-{kind}",
        kind=kind,
        dossier_id=dossier_id,
        agency_id=agency_id,
        sender_name="Nguyễn Văn An",
        subject="Phản ánh",
        body="Hồ sơ chậm.",
        due_at=local(20),
        **values,
    )


@pytest.mark.parametrize("seed", [7, 766])
async def test_the_summary_agrees_with_live_counting_on_random_dossiers(
    db_session: AsyncSession, settings: Settings, scenario: Scenario, seed: int
) -> None:
    await _random_dossiers(db_session, seed, 120)
    await _assert_summary_agrees(db_session, settings, utcnow())


async def _march(session: AsyncSession, settings: Settings, now: datetime) -> StatsReport:
    march = StatsFilter(first=date(2025, 3, 1), last=date(2025, 3, 31), field=FIELD)
    return await service.report(session, settings, march, now=now)


async def _live_march(session: AsyncSession, settings: Settings, now: datetime) -> StatsReport:
    """The report of March without the summary (the summary kept as it was)."""
    builds = list((await session.scalars(select(StatsMonthBuild))).all())
    kept = [(b.month, b.built_at) for b in builds]
    await session.execute(delete(StatsMonthBuild))
    try:
        return await _march(session, settings, now)
    finally:
        session.add_all([StatsMonthBuild(month=m, built_at=t) for m, t in kept])
        await session.flush()


async def test_a_rating_complaint_or_payment_after_the_build_is_counted_at_the_next_refresh(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    session = db_session
    now = utcnow()
    await _summarise(session, settings, now)
    # Built after every fact of the scenario: nothing to build again.
    later = utcnow() + timedelta(minutes=1)
    await session.execute(update(StatsMonthBuild).values(built_at=later))
    assert await service.stale_months(session, settings, now=now) == []
    assert await _summarise(session, settings, now) == []
    before = await _march(session, settings, now)
    _, agencies = await _lookups(session)
    agency_id = agencies[AGENCY_A]
    ids = scenario.ids
    # D7 (finished in March) rated; D5 (received in March) complained of and paid online.
    after = later + timedelta(seconds=5)
    session.add(Rating(dossier_id=ids["D7"], score=1, created_at=after))
    session.add(_feedback(ids["D5"], agency_id, "report", created_at=after))
    session.add(_payment(ids["D5"], agency_id, "paid", created_at=after, paid_at=after))
    # A payment made long ago, paid now (D6).
    session.add(_payment(ids["D6"], agency_id, "paid", created_at=local(5), paid_at=after))
    await session.flush()
    stale = await service.stale_months(session, settings, now=now)
    assert stale == ["2025-03"]
    # Until then the summary still gives the numbers of its build.
    assert (await _march(session, settings, now)).total == before.total
    assert await _summarise(session, settings, now) == ["2025-03"]
    fresh = (await _march(session, settings, now)).total
    assert fresh.ratings.very_satisfied == before.total.ratings.very_satisfied + 1
    assert fresh.complained == before.total.complained + 1
    assert fresh.paid_online == before.total.paid_online + 2
    assert fresh == (await _live_march(session, settings, now)).total


async def test_a_change_makes_the_months_the_dossier_was_received_and_finished_in_stale(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    session = db_session
    now = utcnow()
    await _summarise(session, settings, now)
    later = utcnow() + timedelta(minutes=1)
    await session.execute(update(StatsMonthBuild).values(built_at=later))
    # D13: received in February, finished in March.
    session.add(Rating(dossier_id=scenario.ids["D13"], score=2, created_at=later + timedelta(1)))
    await session.flush()
    assert await service.stale_months(session, settings, now=now) == ["2025-02", "2025-03"]


async def test_in_processing_and_overdue_of_a_summarised_month_stay_live(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    session = db_session
    now = utcnow()
    await _summarise(session, settings, now)
    before = (await _march(session, settings, now)).total
    assert (before.in_processing, before.overdue) == (2, 1)
    # D9 (overdue) is finished now: no longer in processing, at once.
    await session.execute(
        update(Dossier).where(Dossier.id == scenario.ids["D9"]).values(status=10, finished_at=now)
    )
    # D10's wait for a supplement ends and its due time has long passed: overdue now.
    await session.execute(
        update(Dossier).where(Dossier.id == scenario.ids["D10"]).values(status=4, paused_at=None)
    )
    after = (await _march(session, settings, now)).total
    assert (after.in_processing, after.overdue) == (1, 1)
    assert after.received == before.received
    assert after == (await _live_march(session, settings, now)).total


async def test_this_month_is_always_counted_live(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    session = db_session
    now = utcnow()
    this_year = StatsFilter(first=date(now.year, 1, 1), last=now.date() + timedelta(days=1))
    before = (await service.report(session, settings, this_year, now=now)).total
    # Even a summary of this month (built on demand) is not read: the month has not ended.
    month = f"{now + timedelta(hours=7):%Y-%m}"
    await service.build_month(session, settings, month, now)
    assert month not in await tasks.refresh_summary(_unit_of_work(session), settings, now=now)
    versions, agencies = await _lookups(session)
    await _dossier(
        session,
        versions,
        agencies,
        P2,
        AGENCY_A,
        status=10,
        channel=2,
        delivery="online",
        received_at=now - timedelta(minutes=5),
        due_at=now + timedelta(days=3),
        original_due_at=now + timedelta(days=3),
        finished_at=now,
    )
    after = (await service.report(session, settings, this_year, now=now)).total
    assert (after.received, after.finished) == (before.received + 1, before.finished + 1)


async def test_the_months_summarised_are_those_ended(settings: Settings) -> None:
    now = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)  # 1 April 00:30 in Việt Nam
    assert service.closed_months(settings, 3, now) == ["2026-01", "2026-02", "2026-03"]
    assert service.closed_months(settings, 14, now)[0] == "2025-02"


def test_the_rebuild_command_builds_the_months_asked_for(
    fresh_database_url: str, settings: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, "MOTCUA_DATABASE_URL": fresh_database_url}
    env["MOTCUA_ENVIRONMENT"] = "development"

    def motcua(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert motcua("db", "upgrade").returncode == 0
    done = motcua("stats", "rebuild", "--months", "3")
    assert done.returncode == 0, done.stderr
    assert "3 months summarised" in done.stdout
    refused = motcua("stats", "rebuild", "--months", "0")
    assert refused.returncode != 0

    async def months() -> list[str]:
        database = Database(fresh_database_url)
        try:
            async with database.unit_of_work() as session:
                return list(await session.scalars(select(StatsMonthBuild.month)))
        finally:
            await database.dispose()

    assert sorted(asyncio.run(months())) == service.closed_months(settings, 3)


async def test_a_look_at_the_changes_marks_the_unchanged_summaries_up_to_date(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    session = db_session
    now = utcnow()
    await _summarise(session, settings, now)
    long_ago = now - timedelta(days=30)
    await session.execute(update(StatsMonthBuild).values(built_at=long_ago))
    # The scenario's facts were made after: the months of their dossiers are built again.
    # (D12, received in March and finished in April, has a payment and a rating.)
    assert await service.stale_months(session, settings, now=now) == ["2025-03", "2025-04"]
    built = {b.month: aware(b.built_at) for b in await session.scalars(select(StatsMonthBuild))}
    assert built["2025-03"] == long_ago
    # January has no change: from now on only the changes made after this look are read.
    assert now - timedelta(minutes=5) < built["2025-01"] <= utcnow()


async def test_a_month_another_worker_is_building_is_left_to_it(
    db_session: AsyncSession, settings: Settings, scenario: Scenario, database: Database
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    key = "SELECT pg_advisory_lock(hashtext('motcua.stats.2025-03'))"
    async with database.engine.connect() as other:
        await other.execute(text(key))
        try:
            built = await tasks.refresh_summary(
                _unit_of_work(db_session), settings, every=True, now=utcnow()
            )
        finally:
            await other.execute(text("SELECT pg_advisory_unlock_all()"))
    assert "2025-02" in built and "2025-04" in built
    assert "2025-03" not in built
