"""Every action of the transition table, its guards and what it writes, on the real database
and storage."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.errors import NotFound
from app.kit.clock import utcnow
from app.models.audit import AuditRecord
from app.models.dossiers import Delivery, Dossier, Status
from app.models.outbox import OutboxMessage
from app.models.processing import DossierDocument
from app.processing import calendar_service, service
from app.processing.errors import ActionInvalid, WrongState
from app.processing.rules import Action
from app.processing.schemas import SupplementItem
from app.storage import FileStorage
from tests.fixtures.processing import event_types
from tests.processing.conftest import ROLES, Desk, act, file_dossier

pytestmark = pytest.mark.usefixtures("desk")


async def test_a_dossier_goes_from_the_desk_to_its_returned_result(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    work = await service.work_on(db_session, desk["receiver"], code)
    assert work.status.code == Status.registered
    assert work.actions == [Action.receive, Action.refuse, Action.request_supplement]

    work = await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    assert work.status.code == Status.received
    assert work.due_at is not None and work.due_at == work.original_due_at
    assert work.step is not None and work.step.kind == "appraise"
    assert [d.form for d in work.documents] == ["01"]

    # The desk no longer sees it; the specialist does, and forwarding takes it on the way.
    with pytest.raises(NotFound):
        await service.work_on(db_session, desk["receiver"], code)
    work = await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    assert work.status.code == Status.processing and work.step and work.step.kind == "approve"
    work = await act(db_session, settings, storage, desk["leader"], code, Action.approve)
    work = await act(db_session, settings, storage, desk["leader"], code, Action.sign)
    assert work.step and work.step.kind == "return"
    assert [d.form for d in work.documents] == ["01", "result"]
    work = await act(db_session, settings, storage, desk["clerk"], code, Action.result_ready)
    assert work.status.code == Status.result_ready and work.finished_at is not None
    work = await act(db_session, settings, storage, desk["clerk"], code, Action.return_result)
    assert work.status.code == Status.returned and work.return_method == Delivery.online
    assert work.late is False

    slip = work.routing_slip
    assert [row.position for row in slip] == [0, 1, 2, 3, 4]
    assert all(row.finished_at and row.outcome for row in slip)
    assert [row.result for row in slip] == [
        "received",
        "forwarded",
        "approved",
        "signed",
        "returned",
    ]
    assert await event_types(db_session, code) == [
        "dossier.submitted",
        "dossier.received",
        "dossier.forwarded",
        "dossier.approved",
        "dossier.step_completed",
        "dossier.result_ready",
        "dossier.returned",
    ]
    actions = list(
        await db_session.scalars(
            select(AuditRecord.action)
            .join(Dossier, Dossier.id == AuditRecord.dossier_id)
            .where(Dossier.code == code)
            .order_by(AuditRecord.id)
        )
    )
    assert actions.count("dossier.read") == 1
    assert "dossier.returned" in actions
    assert (await audit.verify(db_session)).ok


async def test_the_result_carries_the_agencys_pades_signature(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    from app.documents import service as documents

    code = await file_dossier(db_session, settings, applicant)
    for actor, action in (
        (desk["receiver"], Action.receive),
        (desk["specialist"], Action.forward),
        (desk["leader"], Action.approve),
        (desk["leader"], Action.sign),
    ):
        await act(db_session, settings, storage, actor, code, action)
    result = await db_session.scalar(
        select(DossierDocument).where(DossierDocument.form == "result")
    )
    assert result is not None and result.signed
    _found, stream = await documents.open_document(db_session, storage, result.reference)
    pdf = b"".join([chunk async for chunk in stream])
    report = await documents.verify_pdf(db_session, pdf)
    assert report.signatures and report.all_good
    assert report.signatures[0].subfilter == "/ETSI.CAdES.detached"


async def test_supplement_at_the_desk_sends_the_dossier_back_to_reception(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    with pytest.raises(ActionInvalid):
        await act(db_session, settings, storage, desk["receiver"], code, Action.request_supplement)
    work = await act(
        db_session,
        settings,
        storage,
        desk["receiver"],
        code,
        Action.request_supplement,
        items=[SupplementItem(path="declaration", reason="Thiếu chữ ký")],
    )
    assert work.status.code == Status.supplement_requested
    assert work.supplements[0].items[0].reason == "Thiếu chữ ký"
    assert [d.form for d in work.documents] == ["02"]
    dossier = await db_session.scalar(select(Dossier).where(Dossier.code == code))
    assert dossier is not None
    await db_session.refresh(dossier, ["procedure", "procedure_version", "agency"])
    await service.resubmitted(db_session, settings, dossier)
    work = await service.work_on(db_session, desk["receiver"], code)
    assert work.status.code == Status.registered
    assert work.supplements[0].resubmitted_at is not None


async def test_a_supplement_during_appraisal_pauses_the_clock(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    await act(db_session, settings, storage, desk["specialist"], code, Action.take)
    work = await act(
        db_session,
        settings,
        storage,
        desk["specialist"],
        code,
        Action.request_supplement,
        items=[SupplementItem(path="full_name", reason="Họ tên không khớp CCCD")],
    )
    due_before = work.due_at
    assert due_before is not None
    # Three working days of waiting, seen from the applicant's resubmission.
    dossier = await db_session.scalar(select(Dossier).where(Dossier.code == code))
    assert dossier is not None
    paused_at = utcnow() - timedelta(days=7)
    await db_session.execute(
        update(Dossier).where(Dossier.id == dossier.id).values(paused_at=paused_at)
    )
    await db_session.refresh(dossier)
    await db_session.refresh(dossier, ["procedure", "procedure_version", "agency"])
    await service.resubmitted(db_session, settings, dossier)
    work = await service.work_on(db_session, desk["specialist"], code)
    assert work.status.code == Status.processing
    # The due time moves by the working time of the wait (a week holds four or five working
    # days, fewer around a public holiday such as 24 November).
    (request,) = work.supplements
    assert request.resubmitted_at is not None
    calendar = await calendar_service.working_calendar(db_session, settings)
    shift = calendar.working_time(paused_at, request.resubmitted_at)
    assert shift >= 3 * calendar.day_length
    assert work.due_at is not None and work.due_at == calendar.add(due_before, shift)
    assert work.supplement_count == 1 and work.late is False
    # The law allows one request; a second one is allowed but makes the dossier late.
    work = await act(
        db_session,
        settings,
        storage,
        desk["specialist"],
        code,
        Action.request_supplement,
        items=[SupplementItem(path="declaration", reason="Thiếu trang 2")],
    )
    assert work.supplement_count == 2 and work.late is True


async def test_refusal_and_stop_need_a_reason_and_issue_their_form(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    with pytest.raises(ActionInvalid):
        await act(db_session, settings, storage, desk["receiver"], code, Action.refuse)
    work = await act(
        db_session,
        settings,
        storage,
        desk["receiver"],
        code,
        Action.refuse,
        reason="Không thuộc thẩm quyền",
    )
    assert work.status.code == Status.not_accepted and [d.form for d in work.documents] == ["03"]

    other = await file_dossier(db_session, settings, applicant)
    await act(db_session, settings, storage, desk["receiver"], other, Action.receive)
    work = await act(
        db_session,
        settings,
        storage,
        desk["leader"],
        other,
        Action.stop,
        reason="Theo đề nghị của cơ quan điều tra",
    )
    assert work.status.code == Status.stopped and work.documents[-1].form == "05"
    with pytest.raises(WrongState):
        await act(db_session, settings, storage, desk["leader"], other, Action.stop, reason="x")


async def test_the_apology_moves_the_date_once_and_is_flagged_when_late(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    work = await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    assert work.due_at is not None
    with pytest.raises(ActionInvalid):
        await act(
            db_session,
            settings,
            storage,
            desk["leader"],
            code,
            Action.apologize,
            reason="Chờ ý kiến",
            new_due_at=work.due_at - timedelta(days=1),
        )
    # Given in Vietnam's time: kept as the same instant on every database.
    new_due = (work.due_at + timedelta(days=10)).astimezone(timezone(timedelta(hours=7)))
    work = await act(
        db_session,
        settings,
        storage,
        desk["leader"],
        code,
        Action.apologize,
        reason="Chờ ý kiến cơ quan phối hợp",
        new_due_at=new_due,
    )
    assert work.due_at == new_due and work.apology_at is not None
    # Issued three working days ahead of a three-day limit: in time.
    assert work.apology_late is False
    assert work.documents[-1].form == "04"
    with pytest.raises(WrongState):
        await act(
            db_session,
            settings,
            storage,
            desk["leader"],
            code,
            Action.apologize,
            reason="Lần hai",
            new_due_at=new_due + timedelta(days=1),
        )


async def test_send_back_and_assign_write_rows_of_the_routing_slip(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    with pytest.raises(ActionInvalid):
        await act(db_session, settings, storage, desk["leader"], code, Action.send_back)
    work = await act(
        db_session,
        settings,
        storage,
        desk["leader"],
        code,
        Action.send_back,
        reason="Bổ sung ý kiến thẩm định",
    )
    assert work.step and work.step.kind == "appraise"
    # Back to the specialist who appraised it.
    assert work.step.assignee_name == "Cán bộ specialist"
    with pytest.raises(ActionInvalid):
        await act(
            db_session,
            settings,
            storage,
            desk["leader"],
            code,
            Action.assign,
            official="nobody@commune.example",
        )
    work = await act(
        db_session,
        settings,
        storage,
        desk["leader"],
        code,
        Action.assign,
        official="specialist@commune.example",
        reason="Giao lại",
    )
    assert [row.result for row in work.routing_slip] == [
        "received",
        "forwarded",
        "sent_back",
        "assigned",
        None,
    ]


async def test_no_action_reaches_a_dossier_of_another_agency(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    with pytest.raises(NotFound):
        await service.work_on(db_session, desk.outsider, code)
    for action in Action:
        with pytest.raises(NotFound):
            await act(db_session, settings, storage, desk.outsider, code, action, reason="x")
        with pytest.raises(NotFound):
            await act(
                db_session, settings, storage, desk["leader"], "000.01.99.H99-000000-0000", action
            )


# Who may take each action on a dossier waiting at the step the action belongs to.
ALLOWED = {
    Action.receive: {"receiver"},
    Action.refuse: {"receiver"},
    Action.request_supplement: {"receiver"},
    Action.take: {"specialist"},
    Action.assign: {"leader"},
    Action.forward: {"specialist"},
    Action.send_back: {"leader"},
    Action.approve: {"leader"},
    Action.deny: {"leader"},
    Action.sign: {"leader"},
    Action.result_ready: {"clerk"},
    Action.return_result: {"clerk"},
    Action.apologize: {"leader"},
    Action.stop: {"leader"},
}
# The steps each action is tried on: at the desk, at appraisal, at approval, at signing, at
# the return step.
STAGE = {
    Action.receive: 0,
    Action.refuse: 0,
    Action.request_supplement: 0,
    Action.take: 1,
    Action.assign: 1,
    Action.forward: 1,
    Action.send_back: 1,
    Action.approve: 2,
    Action.deny: 2,
    Action.sign: 3,
    Action.result_ready: 4,
    Action.return_result: 5,
    Action.apologize: 1,
    Action.stop: 1,
}
PATH = [
    ("receiver", Action.receive),
    ("specialist", Action.forward),
    ("leader", Action.approve),
    ("leader", Action.sign),
    ("clerk", Action.result_ready),
]


def _payload(action: Action) -> dict[str, object]:
    match action:
        case Action.request_supplement:
            return {"items": [SupplementItem(path="full_name", reason="Sai họ tên")]}
        case Action.assign:
            return {"official": "specialist@commune.example"}
        case Action.apologize:
            return {"reason": "Chờ ý kiến", "new_due_at": utcnow() + timedelta(days=60)}
        case Action.refuse | Action.stop | Action.deny | Action.send_back:
            return {"reason": "Lý do"}
        case _:
            return {}


async def test_each_role_may_take_only_its_own_actions(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    """Every role tries every action on a dossier waiting at the action's step: every role but
    the allowed one is told there is no such dossier (404) and changes nothing; then the
    allowed role succeeds."""
    for action in Action:
        code = await file_dossier(db_session, settings, applicant)
        for actor_role, step_action in PATH[: STAGE[action]]:
            await act(db_session, settings, storage, desk[actor_role], code, step_action)
        if action == Action.send_back:
            # The first work step has nothing before it but the desk: take it one step on.
            await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
        for role in ROLES:
            if role not in ALLOWED[action]:
                with pytest.raises(NotFound):
                    await act(
                        db_session, settings, storage, desk[role], code, action, **_payload(action)
                    )
        (allowed,) = ALLOWED[action]
        await act(db_session, settings, storage, desk[allowed], code, action, **_payload(action))


async def test_queues_count_and_page_what_each_official_sees(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    from app.processing.schemas import Queue, QueueFilter

    codes = [await file_dossier(db_session, settings, applicant) for _ in range(5)]
    for code in codes[:2]:
        await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    counts = {c.queue: c.count for c in await service.queue_counts(db_session, desk["receiver"])}
    assert counts[Queue.to_receive] == 3
    counts = {c.queue: c.count for c in await service.queue_counts(db_session, desk["leader"])}
    assert counts[Queue.to_receive] == 3
    assert {c.count for c in await service.queue_counts(db_session, desk.outsider)} == {0}

    page = await service.queue_page(
        db_session, desk["receiver"], Queue.to_receive, QueueFilter(), None, 2
    )
    assert page.count == 3 and len(page.items) == 2 and page.next_cursor
    rest = await service.queue_page(
        db_session, desk["receiver"], Queue.to_receive, QueueFilter(), page.next_cursor, 2
    )
    assert [i.code for i in page.items + rest.items] == codes[2:]
    assert rest.next_cursor is None

    waiting = await service.queue_page(
        db_session, desk["specialist"], Queue.to_take, QueueFilter(), None, 10
    )
    assert [i.code for i in waiting.items] == codes[:2]
    await act(db_session, settings, storage, desk["specialist"], codes[0], Action.take)
    waiting = await service.queue_page(
        db_session, desk["specialist"], Queue.to_take, QueueFilter(), None, 10
    )
    assert [i.code for i in waiting.items] == codes[1:2]
    mine = await service.queue_page(
        db_session, desk["specialist"], Queue.mine, QueueFilter(), None, 10
    )
    assert [i.code for i in mine.items] == [codes[0]]
    filtered = await service.queue_page(
        db_session, desk["leader"], Queue.mine, QueueFilter(procedure="1.000000"), None, 10
    )
    assert filtered.count == 0


async def test_the_deadline_watch_marks_overdue_dossiers_once_and_reminds(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    from contextlib import asynccontextmanager

    from app.processing import tasks
    from app.processing.schemas import Queue

    code = await file_dossier(db_session, settings, applicant)
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    await act(db_session, settings, storage, desk["specialist"], code, Action.take)
    await db_session.execute(
        update(Dossier).where(Dossier.code == code).values(due_at=utcnow() - timedelta(hours=1))
    )

    @asynccontextmanager
    async def unit_of_work():  # type: ignore[no-untyped-def]
        yield db_session

    before = await db_session.scalar(select(func.count()).select_from(OutboxMessage))
    report = await tasks.watch_deadlines(unit_of_work, settings)
    assert report.overdue == 1
    again = await tasks.watch_deadlines(unit_of_work, settings)
    assert again.overdue == 0
    assert (await event_types(db_session, code))[-1] == "dossier.overdue"
    mails = list(
        await db_session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.kind == "email")
            .order_by(OutboxMessage.id.desc())
            .limit(3)
        )
    )
    assert {m["to"] for m in mails} >= {"specialist@commune.example", "leader@commune.example"}
    assert (await db_session.scalar(select(func.count()).select_from(OutboxMessage)) or 0) > (
        before or 0
    )
    page = await service.queue_page(
        db_session,
        desk["specialist"],
        Queue.overdue,
        __import__("app.processing.schemas", fromlist=["QueueFilter"]).QueueFilter(),
        None,
        10,
    )
    assert [i.code for i in page.items] == [code]
