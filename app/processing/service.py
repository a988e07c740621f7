"""Processing a dossier: every action of the one-stop desk and of the agencies behind it.

Each action checks the transition table (app.processing.rules), then in the caller's
transaction: changes the dossier, writes the routing slip, the timeline, the audit trail, the
documents it issues and the outbox messages (e-mail to the applicant, the event for callbacks).
Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.schemas import ApiPrincipal, OfficialOut
from app.audit import service as audit
from app.catalog.workflow import StepKind, SupplementClock, Workflow, workflow_of
from app.config import Settings
from app.documents import service as documents
from app.dossiers.schemas import status_out
from app.errors import InvalidPageCursor, NotFound, Problem
from app.kit.clock import aware, utcnow
from app.kit.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.models.accounts import Unit
from app.models.catalog import Agency
from app.models.dossiers import DeadlineState, Delivery, Dossier, DossierEvent, EventKind, Status
from app.models.payments import PaymentStage
from app.models.processing import DocumentForm, DossierStep, StepOutcome, SupplementRequest
from app.outbox import service as outbox
from app.outbox.mail import KIND as EMAIL
from app.outbox.mail import email_payload
from app.payments import dues
from app.processing import calendar_service, paperwork, repository
from app.processing.calendar import WorkingCalendar
from app.processing.errors import ActionInvalid, WrongState
from app.processing.rules import TRANSITIONS, Action, allowed_roles, available_actions
from app.processing.schemas import (
    PROCESSING_KEY_ROLES,
    ActionIn,
    Actor,
    DocumentRef,
    Person,
    Queue,
    QueueCount,
    QueueFilter,
    QueueItem,
    QueuePage,
    StepOut,
    SupplementItem,
    SupplementOut,
    WorkOut,
)
from app.storage import FileStorage
from app.webhooks import service as webhooks

# The outbox kind of the job receiving an online dossier without the desk.
AUTO_RECEIVE = "processing.auto_receive"
# The outbox kind of a form issued by the worker.
ISSUE_FORM = "processing.issue_form"
WORKER_LABEL = "worker"
QUEUE_PAGE_MAX = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy hồ sơ.", message_en="No such dossier.")


def document_not_found() -> NotFound:
    return NotFound("Không tìm thấy văn bản.", message_en="No such document.")


def actor_for_official(official: OfficialOut, ip: str = "") -> Actor:
    return Actor(
        label=f"account:{official.account_id}",
        name=official.full_name,
        agency_id=official.agency_id,
        agency_code=official.agency_code,
        roles=frozenset(official.roles),
        account_id=official.account_id,
        unit_id=official.unit_id,
        ip=ip,
    )


def actor_for_key(principal: ApiPrincipal, ip: str = "") -> Actor:
    """An agency's API key acts for the whole agency, in every processing role."""
    if principal.agency_id is None or principal.agency_code is None:
        raise _not_found()
    return Actor(
        label=f"apikey:{principal.key_prefix}",
        name=principal.key_name,
        agency_id=principal.agency_id,
        agency_code=principal.agency_code,
        roles=PROCESSING_KEY_ROLES,
        ip=ip,
    )


# --- Deadlines -----------------------------------------------------------------------------


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.time_zone)


def step_outcome(finished: datetime, due: datetime | None, zone: ZoneInfo) -> StepOutcome:
    """Early when finished on a day before the due day, late when after the due time."""
    if due is None:
        return StepOutcome.on_time
    finished, due = aware(finished), aware(due)
    if finished > due:
        return StepOutcome.late
    if finished.astimezone(zone).date() < due.astimezone(zone).date():
        return StepOutcome.early
    return StepOutcome.on_time


def _share_of(workflow: Workflow, position: int, committed_days: Decimal) -> Decimal:
    return committed_days * workflow.steps[position].share / 100


def counts_as_late(dossier: Dossier, now: datetime) -> bool:
    """Late by the rules of Decision 766: the end of processing (or now, while it goes on)
    after the due time, or more than one supplement request."""
    if dossier.supplement_count > 1:
        return True
    if dossier.due_at is None:
        return False
    end = dossier.finished_at or (now if dossier.paused_at is None else dossier.paused_at)
    return aware(end) > aware(dossier.due_at)


# --- Loading and showing -------------------------------------------------------------------


@dataclass
class _Work:
    """A dossier loaded for an action, with what every action needs beside it."""

    dossier: Dossier
    step: DossierStep
    workflow: Workflow
    calendar: WorkingCalendar
    settings: Settings
    storage: FileStorage
    actor: Actor
    now: datetime

    @property
    def status(self) -> Status:
        assert self.dossier.status is not None
        return Status(self.dossier.status)

    @property
    def committed_days(self) -> Decimal:
        return Decimal(self.dossier.procedure.committed_days)


async def _visible_dossier(session: AsyncSession, actor: Actor, code: str) -> Dossier:
    dossier = await repository.dossier_by_code(session, code)
    if (
        dossier is None
        or dossier.status is None
        or dossier.step_id is None
        or not await repository.is_visible(session, actor, dossier.id)
    ):
        raise _not_found()
    return dossier


async def _step(session: AsyncSession, dossier: Dossier) -> DossierStep:
    assert dossier.step_id is not None
    step = await repository.step_by_id(session, dossier.step_id)
    assert step is not None
    return step


@dataclass(frozen=True)
class RoutingSlip:
    """A dossier's routing slip, oldest step first, with the agencies, units and people its
    steps name (by id)."""

    steps: list[DossierStep]
    agencies: dict[int, Agency]
    units: dict[int, Unit]
    people: dict[int, Person]


async def routing_slip(session: AsyncSession, dossier_id: int) -> RoutingSlip:
    """The dossier's routing slip with whom and where each step names."""
    steps = await repository.steps_of(session, dossier_id)
    return RoutingSlip(
        steps=steps,
        agencies=await repository.agencies_by_id(session, [s.agency_id for s in steps]),
        units=await repository.units_by_id(session, [s.unit_id for s in steps if s.unit_id]),
        people=await repository.people_by_id(
            session, [s.assignee_id for s in steps if s.assignee_id]
        ),
    )


async def dossier_by_code(session: AsyncSession, code: str) -> Dossier | None:
    """The dossier as processing reads it (procedure, version, agency, files), fresh from the
    database, whoever may see it: for the portal's own jobs, never for a request."""
    return await repository.dossier_by_code(session, code)


async def supplements_of(session: AsyncSession, dossier_id: int) -> list[SupplementRequest]:
    """Every supplement the dossier was asked for, oldest first."""
    return await repository.supplements_of(session, dossier_id)


def _steps_out(slip: RoutingSlip, workflow: Workflow) -> list[StepOut]:
    agencies, units, people = slip.agencies, slip.units, slip.people
    return [
        StepOut(
            position=s.position,
            code=s.code,
            kind=s.kind,
            name=workflow.steps[s.position].name,
            role=s.role,
            agency_code=agencies[s.agency_id].code,
            agency_name=agencies[s.agency_id].name,
            unit_name=units[s.unit_id].name if s.unit_id else None,
            assignee_name=people[s.assignee_id].name if s.assignee_id in people else None,
            handed_over_by=s.handed_over_by,
            handed_over_at=aware(s.handed_over_at),
            received_by=s.received_by,
            received_at=aware(s.received_at) if s.received_at else None,
            due_at=aware(s.due_at) if s.due_at else None,
            finished_at=aware(s.finished_at) if s.finished_at else None,
            result=s.result,
            outcome=s.outcome,
            note=s.note,
        )
        for s in slip.steps
    ]


def _utc(value: datetime | None) -> datetime | None:
    return aware(value).astimezone(UTC) if value else None


def _when(value: datetime | None) -> datetime | None:
    return aware(value) if value else None


def _supplement_out(request: SupplementRequest) -> SupplementOut:
    return SupplementOut(
        requested_at=aware(request.requested_at),
        requested_by=request.requested_by,
        items=[SupplementItem.model_validate(item) for item in request.items],
        note=request.note,
        due_before=_when(request.due_before),
        resubmitted_at=_when(request.resubmitted_at),
        due_after=_when(request.due_after),
    )


async def _work_out(session: AsyncSession, actor: Actor, dossier: Dossier) -> WorkOut:
    workflow = workflow_of(dossier.procedure_version.workflow)
    rows = await routing_slip(session, dossier.id)
    slip = _steps_out(rows, workflow)
    current = next(
        (out for out, s in zip(slip, rows.steps, strict=True) if s.id == dossier.step_id)
    )
    assert dossier.status is not None
    return WorkOut(
        code=dossier.code or "",
        status=status_out(dossier.status),
        channel=dossier.channel,
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure.name,
        agency_code=dossier.agency.code if dossier.agency else "",
        applicant_name=dossier.applicant_name,
        applicant_id_number=dossier.applicant_id_number,
        applicant_phone=dossier.applicant_phone,
        applicant_email=dossier.applicant_email,
        submitted_at=_when(dossier.submitted_at),
        received_at=_when(dossier.received_at),
        due_at=_when(dossier.due_at),
        original_due_at=_when(dossier.original_due_at),
        finished_at=_when(dossier.finished_at),
        returned_at=_when(dossier.returned_at),
        supplement_count=dossier.supplement_count,
        late=counts_as_late(dossier, utcnow()),
        apology_at=_when(dossier.apology_at),
        apology_late=dossier.apology_late,
        deadline_state=dossier.deadline_state,
        decision=dossier.decision,
        delivery=dossier.delivery,
        return_method=dossier.return_method,
        postal_tracking=dossier.postal_tracking,
        step=current,
        actions=available_actions(
            roles=actor.roles,
            status=Status(dossier.status),
            step_kind=StepKind(current.kind),
            step_role=current.role,
        ),
        routing_slip=slip,
        supplements=[_supplement_out(r) for r in await supplements_of(session, dossier.id)],
        documents=[
            DocumentRef(
                reference=d.reference,
                form=d.form,
                signed=d.signed,
                created_at=d.created_at,
            )
            for d in await documents.documents_of(session, dossier.id)
        ],
    )


async def work_on(session: AsyncSession, actor: Actor, code: str) -> WorkOut:
    """A dossier as the official sees it; the read is written to the audit trail."""
    dossier = await _visible_dossier(session, actor, code)
    out = await _work_out(session, actor, dossier)
    await audit.record(
        session,
        actor=actor.label,
        actor_name=actor.name,
        action="dossier.read",
        ip=actor.ip,
        dossier_id=dossier.id,
        dossier_code=dossier.code,
    )
    return out


# --- Opening a dossier to processing -------------------------------------------------------


async def open_dossier(session: AsyncSession, dossier: Dossier, workflow: Workflow) -> None:
    """Hand a newly registered dossier to the receiving agency's desk (the first row of its
    routing slip); online dossiers of procedures that allow it are received by the worker."""
    assert dossier.agency_id is not None and dossier.submitted_at is not None
    step = DossierStep(
        dossier_id=dossier.id,
        position=0,
        code=workflow.steps[0].code,
        kind=workflow.steps[0].kind.value,
        role=workflow.steps[0].role.value,
        agency_id=dossier.agency_id,
        handed_over_by=dossier.applicant_name,
        handed_over_at=dossier.submitted_at,
        note="",
    )
    await repository.add(session, step)
    dossier.step_id = step.id
    dossier.handling_agency_id = dossier.agency_id
    if workflow.auto_receive:
        await outbox.enqueue(session, AUTO_RECEIVE, {"dossier_id": dossier.id})
    await session.flush()
    await publish(session, dossier, EventKind.submitted, dossier.submitted_at, {})


# --- The actions ---------------------------------------------------------------------------


def _reason_required(payload: ActionIn) -> str:
    if not payload.reason:
        raise ActionInvalid(
            [Problem("reason", "Hãy nêu lý do", "Give the reason")],
        )
    return payload.reason


async def publish(
    session: AsyncSession, dossier: Dossier, kind: EventKind, at: datetime, data: dict[str, Any]
) -> None:
    """The event for callbacks, written in the caller's transaction."""
    await webhooks.publish(session, dossier, kind, at, data)


async def _event(
    session: AsyncSession, work: _Work, kind: EventKind, note: str = "", **data: Any
) -> None:
    """The timeline row, the audit row and the event for callbacks of one transition."""
    dossier = work.dossier
    session.add(
        DossierEvent(
            dossier_id=dossier.id,
            at=work.now,
            kind=kind,
            status=dossier.status,
            account_id=work.actor.account_id,
            note=note,
        )
    )
    await session.flush()
    await publish(session, dossier, kind, work.now, {"note": note, **data})
    await audit.record(
        session,
        actor=work.actor.label,
        actor_name=work.actor.name,
        action=f"dossier.{kind.value}",
        ip=work.actor.ip,
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        detail={"status": dossier.status, "note": note, **data},
    )


async def _tell_applicant(work: _Work, session: AsyncSession, subject: str, body: str) -> None:
    dossier = work.dossier
    if dossier.applicant_email:
        link = f"{work.settings.base_url.rstrip('/')}/ho-so/{dossier.code}"
        text = (
            f"Kính gửi {dossier.applicant_name},\n\n{body}\n\nTheo dõi hồ sơ / Follow it: {link}\n"
        )
        await outbox.enqueue(
            session,
            EMAIL,
            email_payload(dossier.applicant_email, f"{subject} ({dossier.code})", text),
        )


def _finish(work: _Work, result: str, note: str = "") -> None:
    step = work.step
    if step.received_at is None:
        step.received_at = work.now
        step.received_by = work.actor.name
    if step.assignee_id is None:
        step.assignee_id = work.actor.account_id
    step.finished_at = work.now
    step.result = result
    step.outcome = step_outcome(work.now, step.due_at, _zone(work.settings)).value
    if note:
        step.note = note


@dataclass(frozen=True)
class _Target:
    agency_id: int
    unit_id: int | None
    assignee_id: int | None


async def _target(
    session: AsyncSession, work: _Work, position: int, payload: ActionIn | None
) -> _Target:
    """Who the step at ``position`` goes to: the agency the workflow names (the lead agency,
    or its delegate for the decision while a delegation lasts), or the agency, unit and
    official the actor chose."""
    dossier = work.dossier
    definition = work.workflow.steps[position]
    assert dossier.agency_id is not None
    agency_id, unit_id = dossier.agency_id, None
    if definition.agency:
        coordinating = await repository.agency_by_code(session, definition.agency)
        assert coordinating is not None, "workflow agencies are checked at import"
        agency_id = coordinating.id
    elif definition.kind in (StepKind.approve, StepKind.sign):
        today = work.now.astimezone(_zone(work.settings)).date()
        delegation = await repository.active_delegation(
            session, agency_id, dossier.procedure_id, today
        )
        if delegation is not None:
            agency_id, unit_id = delegation.to_agency_id, delegation.to_unit_id
    if payload is None:
        return _Target(agency_id, unit_id, None)
    problems: list[Problem] = []
    if payload.agency:
        chosen = await repository.agency_by_code(session, payload.agency)
        if chosen is None:
            problems.append(
                Problem(
                    "agency",
                    f"Không có cơ quan mã {payload.agency}",
                    f"No agency with code {payload.agency}",
                )
            )
        else:
            agency_id, unit_id = chosen.id, None
    assignee_id = None
    if payload.unit and not problems:
        unit = await repository.unit_by_code(session, agency_id, payload.unit)
        if unit is None:
            problems.append(
                Problem(
                    "unit",
                    f"Cơ quan không có đơn vị mã {payload.unit}",
                    f"The agency has no unit with code {payload.unit}",
                )
            )
        else:
            unit_id = unit.id
    if payload.official and not problems:
        official = await repository.official_by_email(session, payload.official.strip().lower())
        if official is None or official.agency_id != agency_id:
            problems.append(
                Problem(
                    "official",
                    "Không có cán bộ này ở cơ quan được chọn",
                    "No such official at the chosen agency",
                )
            )
        elif definition.role.value not in official.role_set:
            problems.append(
                Problem(
                    "official",
                    "Cán bộ này không giữ vai trò của bước xử lý",
                    "This official does not hold the step's role",
                )
            )
        else:
            assignee_id = official.account_id
            unit_id = unit_id or official.unit_id
    if problems:
        raise ActionInvalid(problems)
    return _Target(agency_id, unit_id, assignee_id)


async def _hand_over(
    session: AsyncSession, work: _Work, position: int, target: _Target, note: str = ""
) -> None:
    """Open a new row of the routing slip: the step at ``position`` handed to ``target``."""
    dossier = work.dossier
    definition = work.workflow.steps[position]
    share = _share_of(work.workflow, position, work.committed_days)
    due = work.calendar.add(
        work.calendar.clock_start(work.now), work.calendar.day_length * float(share)
    )
    step = DossierStep(
        dossier_id=dossier.id,
        position=position,
        code=definition.code,
        kind=definition.kind.value,
        role=definition.role.value,
        agency_id=target.agency_id,
        unit_id=target.unit_id,
        assignee_id=target.assignee_id,
        handed_over_by=work.actor.name,
        handed_over_at=work.now,
        due_at=due,
        note=note,
    )
    await repository.add(session, step)
    dossier.step_id = step.id
    dossier.handling_agency_id = target.agency_id
    dossier.handling_unit_id = target.unit_id
    dossier.assignee_id = target.assignee_id
    work.step = step


async def _receive(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    work.dossier.received_at = work.now
    _finish(work, "received", payload.reason)
    due = await dues.due_of(session, work.dossier)
    if due is not None and due.stage is PaymentStage.before_processing and due.outstanding:
        await _wait_for_payment(session, work, due.outstanding)
        return
    await _start_processing(session, work)


async def _start_processing(session: AsyncSession, work: _Work) -> None:
    """The clock starts, the first step is handed over and the receipt (form 01) issued: at
    reception, or when the fees asked before processing are paid."""
    dossier = work.dossier
    calendar = work.calendar
    start = calendar.clock_start(work.now)
    due = calendar.add_days(start, work.committed_days)
    dossier.clock_started_at = start
    dossier.due_at = dossier.original_due_at = due
    dossier.status = Status.received
    dossier.deadline_state = DeadlineState.on_track
    await _hand_over(session, work, 1, await _target(session, work, 1, None))
    await paperwork.issue(
        session,
        work.storage,
        work.settings,
        dossier,
        DocumentForm.receipt,
        actor_name=work.actor.name,
    )
    await _event(session, work, EventKind.received, due_at=due.isoformat())
    local_due = due.astimezone(_zone(work.settings))
    await _tell_applicant(
        work,
        session,
        "Hồ sơ đã được tiếp nhận / Dossier received",
        f"Hồ sơ của bạn đã được tiếp nhận. Hẹn trả kết quả: {local_due:%H:%M %d/%m/%Y}.\n"
        f"Your dossier has been received. Result due: {local_due:%H:%M %d/%m/%Y}.",
    )


async def _wait_for_payment(session: AsyncSession, work: _Work, outstanding: int) -> None:
    """Status 6: nothing moves until the fees are paid. Before processing the clock has not
    started; before the result, processing has ended (finished_at), so the wait for the
    applicant counts against neither deadline."""
    dossier = work.dossier
    dossier.status = Status.payment_required
    dossier.deadline_state = None
    await _event(session, work, EventKind.payment_required, amount=outstanding)
    amount = f"{outstanding:,}".replace(",", ".")
    await _tell_applicant(
        work,
        session,
        "Yêu cầu nộp phí, lệ phí / Fees to pay",
        f"Hồ sơ của bạn cần nộp phí, lệ phí {amount} đồng. Hãy thanh toán trực tuyến trên trang"
        " hồ sơ để hồ sơ được tiếp tục giải quyết.\n"
        f"Your dossier needs its fees paid ({amount} VND). Pay online on the dossier's page so it"
        " can go on.",
    )


async def _refuse(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    reason = _reason_required(payload)
    work.dossier.status = Status.not_accepted
    work.dossier.finished_at = work.now
    _finish(work, "refused", reason)
    await paperwork.issue(
        session,
        work.storage,
        work.settings,
        work.dossier,
        DocumentForm.refusal,
        actor_name=work.actor.name,
        reason=reason,
    )
    await _event(session, work, EventKind.refused, reason)
    await _tell_applicant(
        work,
        session,
        "Hồ sơ không được tiếp nhận / Dossier not accepted",
        f"Hồ sơ của bạn không được tiếp nhận. Lý do: {reason}\n"
        f"Your dossier was not accepted. Reason: {reason}",
    )


async def _request_supplement(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    if not payload.items:
        raise ActionInvalid(
            [
                Problem(
                    "items",
                    "Hãy liệt kê mọi nội dung cần bổ sung, kèm lý do",
                    "List everything to complete, each with its reason",
                )
            ]
        )
    dossier = work.dossier
    session.add(
        SupplementRequest(
            dossier_id=dossier.id,
            requested_at=work.now,
            requested_by=work.actor.name,
            items=[item.model_dump() for item in payload.items],
            note=payload.reason,
            due_before=dossier.due_at,
        )
    )
    dossier.supplement_count += 1
    dossier.status = Status.supplement_requested
    dossier.paused_at = work.now
    await session.flush()
    await paperwork.issue(
        session,
        work.storage,
        work.settings,
        dossier,
        DocumentForm.supplement,
        actor_name=work.actor.name,
        items=payload.items,
        reason=payload.reason,
    )
    await _event(
        session,
        work,
        EventKind.supplement_requested,
        payload.reason,
        items=[item.model_dump() for item in payload.items],
        count=dossier.supplement_count,
    )
    listed = "\n".join(f"- {item.path}: {item.reason}" for item in payload.items)
    await _tell_applicant(
        work,
        session,
        "Yêu cầu bổ sung hồ sơ / Supplement requested",
        "Cơ quan yêu cầu bổ sung, hoàn thiện hồ sơ. Hãy mở hồ sơ trên Cổng để sửa các mục sau "
        f"và nộp lại:\n{listed}\n\nThe agency asks you to complete the dossier: open it on "
        "the portal, correct the items above and submit it again.",
    )


async def _take(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    work.step.received_at = work.now
    work.step.received_by = work.actor.name
    work.step.assignee_id = work.actor.account_id
    work.dossier.assignee_id = work.actor.account_id
    work.dossier.status = Status.processing
    await _event(session, work, EventKind.taken, payload.reason)


async def _reassign(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    if not (payload.unit or payload.official or payload.agency):
        raise ActionInvalid(
            [Problem("official", "Hãy chọn đơn vị hoặc cán bộ", "Choose a unit or an official")]
        )
    position = work.step.position
    target = await _target(session, work, position, payload)
    _finish(work, "assigned", payload.reason)
    await _hand_over(session, work, position, target, payload.reason)
    await _event(session, work, EventKind.assigned, payload.reason)


async def _advance(
    session: AsyncSession, work: _Work, payload: ActionIn, result: str, kind: EventKind
) -> None:
    position = work.step.position + 1
    target = await _target(session, work, position, payload)
    _finish(work, result, payload.reason)
    work.dossier.status = Status.processing
    await _hand_over(session, work, position, target)
    await _event(session, work, kind, payload.reason, step=work.step.code)


async def _forward(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    await _advance(session, work, payload, "forwarded", EventKind.forwarded)


async def _send_back(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    reason = _reason_required(payload)
    position = work.step.position - 1
    if position < 1:
        raise WrongState(
            "Không thể trả lại bước tiếp nhận; hãy yêu cầu bổ sung hoặc dừng xử lý.",
            "The receive step cannot be sent back to; request a supplement or stop instead.",
        )
    previous = await repository.last_step_at(session, work.dossier.id, position)
    target = _Target(
        previous.agency_id if previous else work.step.agency_id,
        previous.unit_id if previous else None,
        previous.assignee_id if previous else None,
    )
    _finish(work, "sent_back", reason)
    await _hand_over(session, work, position, target, reason)
    await _event(session, work, EventKind.sent_back, reason)


async def _decide(session: AsyncSession, work: _Work, payload: ActionIn, *, approved: bool) -> None:
    if not approved:
        _reason_required(payload)
    work.dossier.decision = "approved" if approved else "denied"
    await _advance(
        session,
        work,
        payload,
        work.dossier.decision,
        EventKind.approved if approved else EventKind.denied,
    )


async def _approve(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    await _decide(session, work, payload, approved=True)


async def _deny(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    await _decide(session, work, payload, approved=False)


async def _sign(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    await paperwork.issue_result(
        session,
        work.storage,
        work.settings,
        work.dossier,
        signer_name=work.actor.name,
        signing_agency_id=work.step.agency_id,
    )
    await _advance(session, work, payload, "signed", EventKind.signed)


async def _result_ready(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    dossier = work.dossier
    dossier.finished_at = work.now
    work.step.received_at = work.step.received_at or work.now
    work.step.received_by = work.step.received_by or work.actor.name
    due = await dues.due_of(session, dossier)
    if due is not None and due.stage is PaymentStage.before_result and due.outstanding:
        await _wait_for_payment(session, work, due.outstanding)
        return
    await _result_is_ready(session, work, payload.reason)


async def _result_is_ready(session: AsyncSession, work: _Work, note: str) -> None:
    dossier = work.dossier
    dossier.status = Status.result_ready
    await _event(session, work, EventKind.result_ready, note)
    online = dossier.delivery == Delivery.online
    await _tell_applicant(
        work,
        session,
        "Đã có kết quả / Result ready",
        (
            "Hồ sơ đã được giải quyết. Kết quả điện tử có chữ ký số đã sẵn sàng để tải về."
            if online
            else "Hồ sơ đã được giải quyết. Kết quả sẽ được trả theo cách bạn đã chọn."
        )
        + "\nYour dossier has been processed; the result is ready.",
    )


async def _return(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    dossier = work.dossier
    method = payload.method or (Delivery(dossier.delivery) if dossier.delivery else None)
    if method is None:
        raise ActionInvalid(
            [Problem("method", "Hãy chọn cách trả kết quả", "Choose how the result was returned")]
        )
    if method == Delivery.post and not payload.tracking_number:
        raise ActionInvalid(
            [
                Problem(
                    "tracking_number",
                    "Hãy nhập số hiệu bưu gửi",
                    "Enter the postal tracking number",
                )
            ]
        )
    dossier.status = Status.returned
    dossier.returned_at = work.now
    dossier.return_method = method.value
    dossier.postal_tracking = payload.tracking_number if method == Delivery.post else None
    _finish(work, "returned", payload.reason)
    await _event(
        session,
        work,
        EventKind.returned,
        payload.reason,
        method=method.value,
        tracking_number=dossier.postal_tracking,
    )
    await _tell_applicant(
        work,
        session,
        "Đã trả kết quả / Result returned",
        "Kết quả giải quyết hồ sơ đã được trả."
        + (f" Số hiệu bưu gửi: {dossier.postal_tracking}." if dossier.postal_tracking else "")
        + "\nThe result of your dossier has been returned.",
    )


async def _apologize(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    dossier = work.dossier
    reason = _reason_required(payload)
    if dossier.apology_at is not None:
        raise WrongState(
            "Hồ sơ đã có phiếu xin lỗi; ngày hẹn chỉ được dời một lần.",
            "The dossier already has an apology; the date may be moved only once.",
        )
    due = aware(dossier.due_at) if dossier.due_at else None
    if due is None:
        raise WrongState(
            "Hồ sơ chưa được tiếp nhận nên chưa có ngày hẹn.",
            "The dossier has not been received, so it has no appointment yet.",
        )
    if payload.new_due_at is None or aware(payload.new_due_at) <= due:
        raise ActionInvalid(
            [
                Problem(
                    "new_due_at",
                    "Hãy chọn ngày hẹn mới sau ngày hẹn hiện tại",
                    "Choose a new date after the current appointment",
                )
            ]
        )
    # In UTC: SQLite keeps a timestamp's clock time but not its offset.
    new_due = aware(payload.new_due_at).astimezone(UTC)
    # The law asks for the apology at least one working day before the appointment.
    dossier.apology_late = work.calendar.working_time(work.now, due) < work.calendar.day_length
    dossier.apology_at = work.now
    dossier.due_at = new_due
    await paperwork.issue(
        session,
        work.storage,
        work.settings,
        dossier,
        DocumentForm.apology,
        actor_name=work.actor.name,
        reason=reason,
        previous_due=due,
    )
    await _event(
        session,
        work,
        EventKind.apology_issued,
        reason,
        new_due_at=new_due.isoformat(),
        late=dossier.apology_late,
    )
    local_due = new_due.astimezone(_zone(work.settings))
    await _tell_applicant(
        work,
        session,
        "Xin lỗi và hẹn lại ngày trả kết quả / Apology and new date",
        f"Cơ quan xin lỗi vì chưa trả kết quả đúng hẹn. Lý do: {reason}\n"
        f"Ngày hẹn mới: {local_due:%H:%M %d/%m/%Y}.\n"
        f"The agency apologises for the delay. New date: {local_due:%H:%M %d/%m/%Y}.",
    )


async def _stop(session: AsyncSession, work: _Work, payload: ActionIn) -> None:
    reason = _reason_required(payload)
    dossier = work.dossier
    dossier.status = Status.stopped
    dossier.finished_at = work.now
    dossier.paused_at = None
    _finish(work, "stopped", reason)
    await paperwork.issue(
        session,
        work.storage,
        work.settings,
        dossier,
        DocumentForm.stop,
        actor_name=work.actor.name,
        reason=reason,
    )
    await _event(session, work, EventKind.stopped, reason)
    await _tell_applicant(
        work,
        session,
        "Dừng giải quyết hồ sơ / Processing stopped",
        f"Cơ quan đã dừng giải quyết hồ sơ. Lý do: {reason}\n"
        f"The agency stopped processing the dossier. Reason: {reason}",
    )


Handler = Callable[[AsyncSession, _Work, ActionIn], Awaitable[None]]
_HANDLERS: dict[Action, Handler] = {
    Action.receive: _receive,
    Action.refuse: _refuse,
    Action.request_supplement: _request_supplement,
    Action.take: _take,
    Action.assign: _reassign,
    Action.forward: _forward,
    Action.send_back: _send_back,
    Action.approve: _approve,
    Action.deny: _deny,
    Action.sign: _sign,
    Action.result_ready: _result_ready,
    Action.return_result: _return,
    Action.apologize: _apologize,
    Action.stop: _stop,
}


async def _load_work(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    actor: Actor,
    dossier: Dossier,
) -> _Work:
    return _Work(
        dossier=dossier,
        step=await _step(session, dossier),
        workflow=workflow_of(dossier.procedure_version.workflow),
        calendar=await calendar_service.working_calendar(session, settings),
        settings=settings,
        storage=storage,
        actor=actor,
        now=utcnow(),
    )


async def _perform(session: AsyncSession, work: _Work, action: Action, payload: ActionIn) -> None:
    transition = TRANSITIONS[action]
    # Someone who may never take this action on this step is told the dossier is not theirs;
    # a state the action does not apply to is a conflict they can understand.
    if not work.actor.roles & allowed_roles(action, work.step.role):
        raise _not_found()
    if work.status not in transition.statuses or StepKind(work.step.kind) not in transition.steps:
        raise WrongState(
            "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ.",
            "This action does not apply to the dossier in its present state.",
        )
    await _HANDLERS[action](session, work, payload)
    await session.flush()


async def act(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    actor: Actor,
    code: str,
    action: Action,
    payload: ActionIn,
) -> WorkOut:
    """Take one action on a dossier the actor may see; NotFound for any other dossier."""
    dossier = await _visible_dossier(session, actor, code)
    work = await _load_work(session, settings, storage, actor, dossier)
    await _perform(session, work, action, payload)
    return await _work_out(session, actor, dossier)


def _system_actor(dossier: Dossier, name: str) -> Actor:
    assert dossier.agency is not None
    return Actor(
        label=WORKER_LABEL,
        name=name,
        agency_id=dossier.agency.id,
        agency_code=dossier.agency.code,
        roles=PROCESSING_KEY_ROLES,
    )


async def auto_receive(
    session: AsyncSession, settings: Settings, storage: FileStorage, dossier_id: int
) -> bool:
    """Receive an online dossier without the desk, where its procedure says so; False when
    the dossier was meanwhile withdrawn or received."""
    dossier = await repository.dossier_by_id(session, dossier_id)
    if dossier is None or dossier.status != Status.registered or dossier.agency is None:
        return False
    actor = _system_actor(dossier, "Tiếp nhận tự động / Automatic reception")
    work = await _load_work(session, settings, storage, actor, dossier)
    await _perform(session, work, Action.receive, ActionIn())
    return True


async def payment_settled(
    session: AsyncSession, settings: Settings, storage: FileStorage, dossier_id: int
) -> bool:
    """A payment of the dossier settled: once nothing is owed, a dossier waiting for its fees
    (status 6) goes on where it stopped, into processing or to its result. False when it was
    not waiting or still owes something."""
    dossier = await repository.dossier_by_id(session, dossier_id)
    if dossier is None or dossier.status != Status.payment_required or dossier.agency is None:
        return False
    due = await dues.due_of(session, dossier)
    if due is not None and due.outstanding:
        return False
    actor = _system_actor(dossier, "Cổng thanh toán / Payment gateway")
    work = await _load_work(session, settings, storage, actor, dossier)
    if dossier.finished_at is None:
        await _start_processing(session, work)
    else:
        await _result_is_ready(session, work, "")
    await session.flush()
    return True


async def _audit_applicant(
    session: AsyncSession, dossier: Dossier, kind: EventKind, detail: dict[str, Any]
) -> None:
    """What the applicant did to their dossier, in the audit trail (the last write)."""
    await audit.record(
        session,
        actor=f"applicant:{dossier.account_id or dossier.enterprise_id}",
        actor_name=dossier.applicant_name,
        action=f"dossier.{kind.value}",
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        detail=detail,
    )


async def withdrawn(session: AsyncSession, dossier: Dossier, reason: str) -> None:
    """The applicant took the dossier back: the open step ends, the stop notice (form 05) is
    issued by the worker, and the event goes out."""
    now = utcnow()
    dossier.finished_at = now
    dossier.paused_at = None
    if dossier.step_id is not None:
        step = await _step(session, dossier)
        step.finished_at = now
        step.result = "withdrawn"
        step.note = reason
    await outbox.enqueue(
        session,
        ISSUE_FORM,
        {"dossier_id": dossier.id, "form": DocumentForm.stop.value, "reason": reason},
    )
    await publish(session, dossier, EventKind.withdrawn, now, {"note": reason})
    await _audit_applicant(session, dossier, EventKind.withdrawn, {"note": reason})


async def issue_form(
    session: AsyncSession, settings: Settings, storage: FileStorage, payload: dict[str, Any]
) -> None:
    """A form issued by the worker for something the applicant did (the stop notice of a
    withdrawal), where the request had no storage at hand."""
    dossier = await repository.dossier_by_id(session, int(payload["dossier_id"]))
    if dossier is None:
        return
    await paperwork.issue(
        session,
        storage,
        settings,
        dossier,
        DocumentForm(payload["form"]),
        actor_name=dossier.agency.name if dossier.agency else "",
        reason=str(payload.get("reason", "")),
    )


# --- The applicant's side --------------------------------------------------------------------


async def open_supplement(session: AsyncSession, dossier_id: int) -> SupplementOut | None:
    """The supplement request the applicant has still to answer, if there is one."""
    request = await repository.open_supplement(session, dossier_id)
    return _supplement_out(request) if request is not None else None


async def resubmitted(session: AsyncSession, settings: Settings, dossier: Dossier) -> None:
    """The applicant completed the dossier: the clock resumes (the waiting time is added to the
    due times) or restarts, as the procedure says; the dossier goes back where it was."""
    request = await repository.open_supplement(session, dossier.id)
    if request is None or dossier.status != Status.supplement_requested:
        raise WrongState("Hồ sơ không chờ bổ sung.", "The dossier is not waiting for a supplement.")
    now = utcnow()
    calendar = await calendar_service.working_calendar(session, settings)
    workflow = workflow_of(dossier.procedure_version.workflow)
    step = await _step(session, dossier)
    request.resubmitted_at = now
    if dossier.clock_started_at is None:
        dossier.status = Status.registered
    else:
        paused_at = aware(dossier.paused_at) if dossier.paused_at else now
        if workflow.supplement_clock == SupplementClock.restart:
            start = calendar.clock_start(now)
            dossier.clock_started_at = start
            dossier.due_at = calendar.add_days(start, Decimal(dossier.procedure.committed_days))
            shift = calendar.working_time(paused_at, now)
        else:
            shift = calendar.working_time(paused_at, now)
            assert dossier.due_at is not None
            dossier.due_at = calendar.add(aware(dossier.due_at), shift)
        if step.due_at is not None:
            step.due_at = calendar.add(aware(step.due_at), shift)
        dossier.status = Status.processing if step.received_at else Status.received
    dossier.paused_at = None
    request.due_after = dossier.due_at
    session.add(
        DossierEvent(
            dossier_id=dossier.id,
            at=now,
            kind=EventKind.resubmitted,
            status=dossier.status,
            account_id=dossier.account_id,
        )
    )
    await session.flush()
    await publish(session, dossier, EventKind.resubmitted, now, {})
    await _audit_applicant(session, dossier, EventKind.resubmitted, {})


# --- Queues ----------------------------------------------------------------------------------


async def queue_page(
    session: AsyncSession,
    actor: Actor,
    queue: Queue,
    wanted: QueueFilter,
    cursor: str | None,
    limit: int,
) -> QueuePage:
    """One page of a queue, by due time (arrival time for dossiers not yet received)."""
    after = None
    if cursor:
        try:
            micros, last_id = decode_cursor(cursor, (int, int))
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc
        after = (EPOCH + timedelta(microseconds=int(micros)), int(last_id))
    limit = max(1, min(limit, QUEUE_PAGE_MAX))
    # In UTC: SQLite compares timestamps as text, so every bound must share the stored offset.
    wanted = wanted.model_copy(
        update={
            "received_from": _utc(wanted.received_from),
            "received_to": _utc(wanted.received_to),
        }
    )
    rows = await repository.queue_page(session, actor, queue, wanted, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    steps = await repository.steps_by_id(session, [r.step_id for r in rows if r.step_id])
    people = await repository.people_by_id(session, [r.assignee_id for r in rows if r.assignee_id])
    items = [
        QueueItem(
            code=row.code or "",
            status=status_out(row.status),
            procedure_code=row.procedure.code,
            procedure_name=row.procedure.name,
            applicant_name=row.applicant_name,
            channel=row.channel,
            received_at=_when(row.received_at),
            submitted_at=_when(row.submitted_at),
            due_at=_when(row.due_at),
            deadline_state=row.deadline_state,
            step_kind=steps[row.step_id].kind if row.step_id in steps else None,
            assignee_name=people[row.assignee_id].name if row.assignee_id in people else None,
        )
        for row in rows
    ]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        moment = last.submitted_at if queue in (Queue.to_receive, Queue.supplement) else last.due_at
        assert moment is not None
        micros = (aware(moment) - EPOCH) // timedelta(microseconds=1)
        next_cursor = encode_cursor((micros, last.id))
    return QueuePage(
        queue=queue,
        items=items,
        next_cursor=next_cursor,
        count=await repository.queue_count(session, actor, queue, wanted),
    )


async def queue_counts(session: AsyncSession, actor: Actor) -> list[QueueCount]:
    return [
        QueueCount(queue=queue, count=await repository.queue_count(session, actor, queue))
        for queue in Queue
    ]
