"""The Decision 766 indicators against numbers worked out by hand (the dossiers of
tests/stats/conftest.py), by every breakdown, and the dossiers behind each number."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import InvalidInput
from app.models.catalog import Agency
from app.stats import service
from app.stats.schemas import GroupBy, Measure, Scope, StatsFilter
from tests.stats.conftest import AGENCY_A, AGENCY_B, FIELD, MARCH, P1, P2, P3, Scenario


async def test_the_totals_of_march(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    report = await service.report(db_session, settings, MARCH)
    t = report.total
    # Received in March: D1–D10 and D12 (D11 was refused at reception, D13 came in February).
    assert (t.received, t.online, t.online_rate) == (11, 8, 72.7)
    assert (t.in_processing, t.overdue) == (2, 1)
    # Finished in March: D1–D8 and D13. Early D1 D7 D8; on time D2 D4 (paused time excluded);
    # late D3 (after the due time), D5 (two supplement requests), D6 (apology, finished after
    # the first due time), D13.
    assert (t.finished, t.early, t.on_time, t.late) == (9, 3, 2, 4)
    assert (t.early_rate, t.on_time_rate, t.late_rate) == (33.3, 55.6, 44.4)
    # Working days 3+4+4+5+2+6+3+2+7 = 36 over 9 dossiers.
    assert t.average_days == 4.0
    # With fees: P1's D1–D4 and P3's D10 and D12; paid online D1 and D12 (refunded).
    assert (t.fee_bearing, t.paid_online, t.paid_online_rate) == (6, 2, 33.3)
    # Results: finished and not stopped (D8); electronic: D1 alone (D2 unsigned, D3 counter).
    assert (t.results, t.electronic_results, t.electronic_result_rate) == (8, 1, 12.5)
    assert (t.digitised, t.digitised_rate) == (2, 18.2)
    # D3 twice complained of counts once; D4's petition is no complaint.
    assert (t.complained, t.complaint_rate) == (1, 9.1)
    # 100 − (4/9 + 1/11) × 100 = 46.46…
    assert t.satisfaction_rate == 46.5
    assert (t.ratings.very_satisfied, t.ratings.satisfied, t.ratings.not_satisfied) == (1, 1, 1)
    # The field's three procedures: P1 and P2 full online; P1 and P3 with fees, P1 payable.
    assert (t.procedures, t.procedures_online, t.procedures_online_rate) == (3, 2, 66.7)
    assert (t.fee_procedures, t.fee_procedures_online, t.fee_procedures_online_rate) == (2, 1, 50.0)


async def test_a_period_without_dossiers_gives_no_rate(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    empty = StatsFilter(first=date(2024, 1, 1), last=date(2024, 1, 31), field=FIELD)
    report = await service.report(db_session, settings, empty, GroupBy.agency)
    t = report.total
    assert (t.received, t.finished) == (0, 0)
    for rate in (
        t.online_rate,
        t.on_time_rate,
        t.late_rate,
        t.early_rate,
        t.paid_online_rate,
        t.electronic_result_rate,
        t.digitised_rate,
        t.complaint_rate,
        t.satisfaction_rate,
        t.average_days,
    ):
        assert rate is None
    # The catalog's indicators do not depend on the dossiers.
    assert t.procedures_online_rate == 66.7


async def test_by_agency(db_session: AsyncSession, settings: Settings, scenario: Scenario) -> None:
    report = await service.report(db_session, settings, MARCH, GroupBy.agency)
    by = {g.key: g for g in report.groups}
    assert set(by) == {AGENCY_A, AGENCY_B}
    a, b = by[AGENCY_A], by[AGENCY_B]
    assert (a.received, a.finished, a.late, a.on_time_rate) == (10, 9, 4, 55.6)
    assert a.label == "Sở Thống kê thử nghiệm"
    assert (b.received, b.finished, b.paid_online) == (1, 0, 1)
    # Nothing finished at B: no on-time rate, not 0 %.
    assert b.on_time_rate is None and b.late_rate is None and b.satisfaction_rate is None
    assert (a.procedures, a.procedures_online_rate, a.fee_procedures_online_rate) == (3, 66.7, 50)
    assert (b.procedures, b.procedures_online_rate, b.fee_procedures_online_rate) == (1, 0, 0)
    assert a.received + b.received == report.total.received


async def test_by_month_channel_field_and_procedure(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    by_month = await service.report(db_session, settings, MARCH, GroupBy.month)
    assert [(g.key, g.received, g.finished) for g in by_month.groups] == [("2025-03", 11, 9)]
    assert by_month.groups[0].procedures is None

    by_channel = await service.report(db_session, settings, MARCH, GroupBy.channel)
    assert [(g.key, g.received, g.finished, g.late) for g in by_channel.groups] == [
        ("1", 2, 2, 1),  # D2 D10 received; D2 D13 finished, D13 late
        ("2", 8, 6, 2),  # D1 D4–D9 D12 received; D1 D4–D8 finished, D5 D6 late
        ("3", 1, 1, 1),  # D3
    ]
    assert by_channel.groups[0].label_en == "At the counter"

    by_field = await service.report(db_session, settings, MARCH, GroupBy.field)
    assert [(g.key, g.received, g.finished) for g in by_field.groups] == [(FIELD, 11, 9)]

    by_procedure = await service.report(db_session, settings, MARCH, GroupBy.procedure)
    assert [
        (g.key, g.received, g.finished, g.late, g.fee_bearing) for g in by_procedure.groups
    ] == [
        (P1, 4, 4, 1, 4),
        (P2, 5, 4, 2, 0),
        (P3, 2, 1, 1, 2),
    ]


async def test_the_filters(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    only_b = await service.report(
        db_session, settings, MARCH.model_copy(update={"agency": AGENCY_B})
    )
    assert (only_b.total.received, only_b.total.procedures) == (1, 1)
    online = await service.report(db_session, settings, MARCH.model_copy(update={"channel": 2}))
    assert (online.total.received, online.total.online_rate) == (8, 100.0)
    p2 = await service.report(db_session, settings, MARCH.model_copy(update={"procedure": P2}))
    assert (p2.total.received, p2.total.finished, p2.total.late) == (5, 4, 2)


@pytest.mark.parametrize(
    ("wrong", "location"),
    [
        ({"agency": "000.00.00.X00"}, "agency"),
        ({"field": "NOPE"}, "field"),
        ({"procedure": "0.000000"}, "procedure"),
        ({"first": date(2025, 4, 1)}, "to"),
        ({"first": date(2019, 1, 1)}, "to"),
    ],
)
async def test_a_wrong_filter_is_located(
    db_session: AsyncSession,
    settings: Settings,
    scenario: Scenario,
    wrong: dict[str, object],
    location: str,
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await service.report(db_session, settings, MARCH.model_copy(update=wrong))
    assert [p.location for p in raised.value.problems] == [location]


BEHIND = {
    Measure.received: ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "D12"),
    Measure.online: ("D1", "D4", "D5", "D6", "D7", "D8", "D9", "D12"),
    Measure.in_processing: ("D9", "D10"),
    Measure.overdue: ("D9",),
    Measure.fee_bearing: ("D1", "D2", "D3", "D4", "D10", "D12"),
    Measure.paid_online: ("D1", "D12"),
    Measure.digitised: ("D1", "D9"),
    Measure.complained: ("D3",),
    Measure.finished: ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D13"),
    Measure.early: ("D1", "D7", "D8"),
    Measure.on_time: ("D2", "D4"),
    Measure.late: ("D3", "D5", "D6", "D13"),
    Measure.results: ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D13"),
    Measure.electronic_results: ("D1",),
    Measure.very_satisfied: ("D1",),
    Measure.satisfied: ("D2",),
    Measure.not_satisfied: ("D3",),
}


@pytest.mark.parametrize("measure", list(Measure))
async def test_the_dossiers_behind_each_number(
    db_session: AsyncSession, settings: Settings, scenario: Scenario, measure: Measure
) -> None:
    page = await service.dossiers_behind(db_session, settings, MARCH, measure, limit=100)
    assert {d.id for d in page.items} == scenario.of(*BEHIND[measure])
    report = await service.report(db_session, settings, MARCH)
    counted = {
        Measure.very_satisfied: report.total.ratings.very_satisfied,
        Measure.satisfied: report.total.ratings.satisfied,
        Measure.not_satisfied: report.total.ratings.not_satisfied,
    }.get(measure, getattr(report.total, measure.value, None))
    assert counted == len(page.items)


async def test_the_dossiers_behind_a_group_paged(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    late_at_a = await service.dossiers_behind(
        db_session, settings, MARCH, Measure.late, GroupBy.agency, AGENCY_A, limit=3
    )
    assert len(late_at_a.items) == 3 and late_at_a.next_cursor is not None
    rest = await service.dossiers_behind(
        db_session,
        settings,
        MARCH,
        Measure.late,
        GroupBy.agency,
        AGENCY_A,
        cursor=late_at_a.next_cursor,
        limit=3,
    )
    assert rest.next_cursor is None
    assert {d.id for d in late_at_a.items + rest.items} == scenario.of("D3", "D5", "D6", "D13")
    posted = await service.dossiers_behind(
        db_session, settings, MARCH, Measure.received, GroupBy.channel, "3"
    )
    assert {d.code for d in posted.items} == {scenario.codes["D3"]}
    in_march = await service.dossiers_behind(
        db_session, settings, MARCH, Measure.finished, GroupBy.month, "2025-03"
    )
    assert len(in_march.items) == 9
    of_p3 = await service.dossiers_behind(
        db_session, settings, MARCH, Measure.received, GroupBy.procedure, P3
    )
    assert {d.id for d in of_p3.items} == scenario.of("D10", "D12")
    of_field = await service.dossiers_behind(
        db_session, settings, MARCH, Measure.late, GroupBy.field, FIELD
    )
    assert len(of_field.items) == 4
    with pytest.raises(InvalidInput):
        await service.dossiers_behind(
            db_session, settings, MARCH, Measure.late, GroupBy.month, "2025-07"
        )


async def test_an_official_sees_only_their_agencys_dossiers(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    scope_b = Scope(agency_ids=frozenset({await _agency_id(db_session, AGENCY_B)}))
    seen = await service.dossiers_behind(
        db_session, settings, MARCH, Measure.received, scope=scope_b
    )
    assert {d.id for d in seen.items} == scenario.of("D12")
    restricted = await service.report(db_session, settings, MARCH, scope=scope_b)
    assert restricted.total.received == 1
    with pytest.raises(InvalidInput):
        await service.report(
            db_session, settings, MARCH.model_copy(update={"agency": AGENCY_A}), scope=scope_b
        )


async def _agency_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Agency.id).where(Agency.code == code))
    assert found is not None
    return found
