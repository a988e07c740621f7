"""Delegations (ủy quyền): made, listed and revoked by the delegating agency, every wrong field
named in Vietnamese and English, and honoured by routing while they last."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.errors import NotFound
from app.models.dossiers import Dossier
from app.processing import delegations, service
from app.processing.delegation_schemas import DelegationOut, DelegationState
from app.processing.delegations import DelegationInvalid, DelegationNotFound
from app.processing.rules import Action
from app.processing.schemas import WorkOut
from app.storage import FileStorage
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY, PROCEDURE
from tests.processing.conftest import Desk, act, file_dossier

pytestmark = pytest.mark.usefixtures("desk")

# A procedure of the demo catalog that the test commune does not handle.
OTHER_PROCEDURE = "1.001193"
START = date(2026, 3, 2)
END = date(2026, 3, 31)


async def _delegate(
    session: AsyncSession,
    desk: Desk,
    *,
    procedure: str | None = PROCEDURE,
    to: str = AGENCY,
    unit: str | None = None,
    starts_on: date | None = START,
    ends_on: date | None = END,
    note: str = "",
) -> DelegationOut:
    """A delegation of the test commune (the desk's agency)."""
    return await delegations.create_delegation(
        session,
        from_agency_id=desk["admin"].agency_id,
        procedure_code=procedure,
        to_agency_code=to,
        to_unit_code=unit,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
    )


def _problems(exc: pytest.ExceptionInfo[DelegationInvalid]) -> dict[str, str]:
    """Each wrong field's English message; every problem also has its Vietnamese one."""
    for problem in exc.value.problems:
        assert problem.message and problem.message_en and problem.message != problem.message_en
    return {p.location: p.message_en for p in exc.value.problems}


async def test_a_delegation_is_made_listed_and_revoked(
    db_session: AsyncSession, desk: Desk
) -> None:
    made = await _delegate(db_session, desk, note="  Quyết định  số 12/QĐ-UBND ")
    assert made.model_dump(exclude={"id", "from_agency_id", "created_at"}) == {
        "from_agency_code": CHILD_AGENCY,
        "from_agency_name": "UBND xã Thử nghiệm",
        "procedure_code": PROCEDURE,
        "procedure_name": "Thủ tục cấp giấy xác nhận thử nghiệm",
        "to_agency_code": AGENCY,
        "to_agency_name": "UBND tỉnh Thử nghiệm",
        "to_unit_code": None,
        "to_unit_name": None,
        "starts_on": START,
        "ends_on": END,
        "note": "Quyết định số 12/QĐ-UBND",
        "revoked_at": None,
    }
    assert made.state(START - timedelta(days=1)) == DelegationState.scheduled
    assert made.state(START) == made.state(END) == DelegationState.in_force
    assert made.state(END + timedelta(days=1)) == DelegationState.ended

    # All the commune's procedures, to a unit of its own, the next month.
    await officials.create_unit(db_session, CHILD_AGENCY, "tu-phap", "Công chức Tư pháp")
    own_unit = await _delegate(
        db_session,
        desk,
        procedure=None,
        to=CHILD_AGENCY,
        unit="tu-phap",
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 4, 30),
    )
    assert own_unit.procedure_code is None and own_unit.to_unit_name == "Công chức Tư pháp"
    listed = await delegations.list_delegations(db_session, desk["admin"].agency_id)
    assert [d.id for d in listed] == [own_unit.id, made.id]
    assert await delegations.list_delegations(db_session, desk.outsider.agency_id) == []
    assert [p.code for p in await delegations.procedures_of(db_session, made.from_agency_id)] == [
        PROCEDURE
    ]

    with pytest.raises(DelegationNotFound):
        await delegations.revoke_delegation(db_session, desk.outsider.agency_id, made.id)
    revoked = await delegations.revoke_delegation(db_session, made.from_agency_id, made.id)
    assert revoked.revoked_at is not None and revoked.state(START) == DelegationState.revoked
    with pytest.raises(DelegationNotFound):
        await delegations.revoke_delegation(db_session, made.from_agency_id, made.id)
    # Its period is free again.
    await _delegate(db_session, desk)


async def test_every_wrong_field_is_named(db_session: AsyncSession, desk: Desk) -> None:
    with pytest.raises(DelegationInvalid) as unknown:
        await _delegate(
            db_session,
            desk,
            procedure="9.999999",
            to="000.00.00.X00",
            unit="nope",
            starts_on=None,
            ends_on=None,
            note="x" * 501,
        )
    assert _problems(unknown) == {
        "procedure": "There is no procedure with the code 9.999999",
        "to_agency": "There is no agency with the code 000.00.00.X00",
        "starts_on": "Enter the first day of the delegation, a real date",
        "ends_on": "Enter the last day of the delegation, a real date",
        "note": "The note must be 500 characters or fewer",
    }
    assert unknown.value.problems[0].message == "Không có thủ tục nào có mã 9.999999"

    with pytest.raises(DelegationInvalid) as wrong:
        await _delegate(
            db_session,
            desk,
            procedure=OTHER_PROCEDURE,
            unit="nope",
            starts_on=END,
            ends_on=START,
        )
    assert _problems(wrong) == {
        "procedure": f"UBND xã Thử nghiệm does not handle the procedure {OTHER_PROCEDURE},"
        " so it cannot delegate it",
        "to_unit": "UBND tỉnh Thử nghiệm has no unit with the code nope",
        "ends_on": "The last day (02/03/2026) cannot be before the first day (31/03/2026)",
    }

    with pytest.raises(DelegationInvalid) as itself:
        await _delegate(db_session, desk, to=f" {CHILD_AGENCY} ")
    assert _problems(itself) == {
        "to_agency": "An agency cannot delegate to itself: choose another agency, or one of its"
        " own units",
    }
    with pytest.raises(DelegationInvalid) as nobody:
        await _delegate(db_session, desk, to=" ")
    assert _problems(nobody) == {"to_agency": "Choose the agency the decisions are handed to"}
    assert await delegations.list_delegations(db_session, desk["admin"].agency_id) == []


async def test_overlapping_delegations_of_the_same_procedure_are_refused(
    db_session: AsyncSession, desk: Desk
) -> None:
    await _delegate(db_session, desk)
    with pytest.raises(DelegationInvalid) as same:
        await _delegate(db_session, desk, starts_on=END, ends_on=END + timedelta(days=5))
    assert _problems(same) == {
        "starts_on": f"The procedure {PROCEDURE} is already delegated over 02/03/2026 –"
        " 31/03/2026: revoke that delegation first, or choose another period",
    }
    # One for all the agency's procedures does not clash with one naming a procedure: routing
    # prefers the one naming it.
    everything = await _delegate(db_session, desk, procedure=None)
    with pytest.raises(DelegationInvalid) as again:
        await _delegate(db_session, desk, procedure="", starts_on=date(2026, 1, 1))
    assert _problems(again)["starts_on"].startswith("All its procedures are already delegated")
    # The day after the end is free.
    await _delegate(db_session, desk, starts_on=END + timedelta(days=1), ends_on=END + timedelta(1))
    await delegations.revoke_delegation(db_session, everything.from_agency_id, everything.id)
    await _delegate(db_session, desk, procedure=None, starts_on=date(2026, 1, 1))


# ----------------------------------------------------------------------------- routing


async def _to_approval(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> WorkOut:
    """A new dossier received by the desk and forwarded by the specialist to its approval."""
    code = await file_dossier(session, settings, applicant)
    await act(session, settings, storage, desk["receiver"], code, Action.receive)
    work = await act(session, settings, storage, desk["specialist"], code, Action.forward)
    assert work.step is not None and work.step.kind == "approve"
    return work


async def test_routing_hands_the_decision_to_the_delegate_while_it_lasts(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = delegations.local_today(settings)
    delegation = await _delegate(
        db_session, desk, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)
    )

    work = await _to_approval(db_session, settings, storage, desk, applicant)
    assert work.step is not None and work.step.agency_code == AGENCY
    handled = await db_session.scalar(
        select(Dossier.handling_agency_id).where(Dossier.code == work.code)
    )
    assert handled == desk.outsider.agency_id
    # The commune's leader no longer sees it; the province's approves, and signs as well.
    with pytest.raises(NotFound):
        await service.work_on(db_session, desk["leader"], work.code)
    work = await act(db_session, settings, storage, desk.outsider, work.code, Action.approve)
    assert work.step is not None and work.step.kind == "sign" and work.step.agency_code == AGENCY
    work = await act(db_session, settings, storage, desk.outsider, work.code, Action.sign)
    # The result goes back to the commune's desk.
    assert work.step is not None and work.step.kind == "return"
    assert work.step.agency_code == CHILD_AGENCY

    # The day after its last day, the commune decides again.
    after = datetime.combine(delegation.ends_on + timedelta(days=1), time(3), tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: after)
    later = await _to_approval(db_session, settings, storage, desk, applicant)
    assert later.step is not None and later.step.agency_code == CHILD_AGENCY
    await act(db_session, settings, storage, desk["leader"], later.code, Action.approve)


async def test_a_revoked_delegation_no_longer_routes(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    today = delegations.local_today(settings)
    await officials.create_unit(db_session, AGENCY, "lanh-dao", "Lãnh đạo tỉnh")
    delegation = await _delegate(db_session, desk, unit="lanh-dao", starts_on=today, ends_on=today)
    work = await _to_approval(db_session, settings, storage, desk, applicant)
    assert work.step is not None and work.step.unit_name == "Lãnh đạo tỉnh"
    await delegations.revoke_delegation(db_session, delegation.from_agency_id, delegation.id)
    work = await _to_approval(db_session, settings, storage, desk, applicant)
    assert work.step is not None and work.step.agency_code == CHILD_AGENCY
    assert work.step.unit_name is None
