"""Every query of processing: dossiers as officials see them, the routing slip, the queues."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.accounts import Account, Official, OfficialRole, Unit
from app.models.catalog import Agency, Delegation, Field, Procedure
from app.models.dossiers import DeadlineState, Dossier, DossierFile, Status
from app.models.processing import DossierStep, SupplementRequest
from app.processing.schemas import Actor, Person, Queue, QueueFilter

_Row = TypeVar("_Row", bound=Any)
OPEN_STATUSES = (
    Status.received,
    Status.processing,
    Status.supplement_requested,
    Status.result_ready,
)
WORKING_STATUSES = (Status.received, Status.processing)


async def _dossier_where(session: AsyncSession, condition: ColumnElement[bool]) -> Dossier | None:
    """One dossier with what processing reads of it: procedure, version, agency, files."""
    found: Dossier | None = await session.scalar(
        select(Dossier)
        .where(condition)
        .options(
            selectinload(Dossier.procedure),
            selectinload(Dossier.procedure_version),
            selectinload(Dossier.agency),
            selectinload(Dossier.files),
        )
        .execution_options(populate_existing=True)
    )
    return found


async def dossier_by_code(session: AsyncSession, code: str) -> Dossier | None:
    return await _dossier_where(session, Dossier.code == code)


async def dossier_by_id(session: AsyncSession, dossier_id: int) -> Dossier | None:
    return await _dossier_where(session, Dossier.id == dossier_id)


async def steps_by_id(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, DossierStep]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.scalars(select(DossierStep).where(DossierStep.id.in_(wanted)))
    return {step.id: step for step in rows}


async def last_step_at(session: AsyncSession, dossier_id: int, position: int) -> DossierStep | None:
    """The latest row of the routing slip for one step of the workflow."""
    found: DossierStep | None = await session.scalar(
        select(DossierStep)
        .where(DossierStep.dossier_id == dossier_id, DossierStep.position == position)
        .order_by(DossierStep.id.desc())
        .limit(1)
    )
    return found


async def step_by_id(session: AsyncSession, step_id: int) -> DossierStep | None:
    return await session.get(DossierStep, step_id, populate_existing=True)


async def steps_of(session: AsyncSession, dossier_id: int) -> list[DossierStep]:
    rows = await session.scalars(
        select(DossierStep).where(DossierStep.dossier_id == dossier_id).order_by(DossierStep.id)
    )
    return list(rows)


async def supplements_of(session: AsyncSession, dossier_id: int) -> list[SupplementRequest]:
    rows = await session.scalars(
        select(SupplementRequest)
        .where(SupplementRequest.dossier_id == dossier_id)
        .order_by(SupplementRequest.id)
    )
    return list(rows)


async def open_supplement(session: AsyncSession, dossier_id: int) -> SupplementRequest | None:
    found: SupplementRequest | None = await session.scalar(
        select(SupplementRequest)
        .where(
            SupplementRequest.dossier_id == dossier_id,
            SupplementRequest.resubmitted_at.is_(None),
        )
        .order_by(SupplementRequest.id.desc())
        .limit(1)
    )
    return found


async def agencies_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Agency]:
    if not ids:
        return {}
    rows = await session.scalars(select(Agency).where(Agency.id.in_(sorted(set(ids)))))
    return {agency.id: agency for agency in rows}


async def agency_by_code(session: AsyncSession, code: str) -> Agency | None:
    found: Agency | None = await session.scalar(select(Agency).where(Agency.code == code))
    return found


async def units_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    rows = await session.scalars(select(Unit).where(Unit.id.in_(sorted(set(ids)))))
    return {unit.id: unit for unit in rows}


async def unit_by_code(session: AsyncSession, agency_id: int, code: str) -> Unit | None:
    found: Unit | None = await session.scalar(
        select(Unit).where(Unit.agency_id == agency_id, Unit.code == code)
    )
    return found


async def people_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Person]:
    """Each account's full name and, for an official, title."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Account.id, Account.full_name, Official.title)
        .outerjoin(Official, Official.account_id == Account.id)
        .where(Account.id.in_(sorted(set(ids))))
    )
    return {row.id: Person(row.full_name, row.title or "") for row in rows}


async def official_by_email(session: AsyncSession, email: str) -> Official | None:
    found: Official | None = await session.scalar(
        select(Official)
        .join(Account, Account.id == Official.account_id)
        .where(Account.email == email, Account.disabled.is_(False))
        .options(selectinload(Official.account))
    )
    return found


async def active_delegation(
    session: AsyncSession, agency_id: int, procedure_id: int, day: date
) -> Delegation | None:
    """The delegation of the agency's decisions on this procedure in force on ``day``; one
    naming the procedure wins over one for all the agency's procedures."""
    found: Delegation | None = await session.scalar(
        select(Delegation)
        .where(
            Delegation.from_agency_id == agency_id,
            or_(Delegation.procedure_id == procedure_id, Delegation.procedure_id.is_(None)),
            Delegation.starts_on <= day,
            Delegation.ends_on >= day,
            Delegation.revoked_at.is_(None),
        )
        .order_by(Delegation.procedure_id.is_(None), Delegation.id.desc())
        .limit(1)
    )
    return found


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


def _waiting_for_role(actor: Actor) -> ColumnElement[bool]:
    """Handed to no one in particular, at a step for one of the actor's roles, in the actor's
    unit or in no unit."""
    in_unit = (
        or_(Dossier.handling_unit_id.is_(None), Dossier.handling_unit_id == actor.unit_id)
        if actor.unit_id is not None
        else Dossier.handling_unit_id.is_(None)
    )
    return and_(
        Dossier.assignee_id.is_(None),
        in_unit,
        select(DossierStep.id)
        .where(DossierStep.id == Dossier.step_id, DossierStep.role.in_(sorted(actor.roles)))
        .exists(),
    )


def _visible(actor: Actor) -> ColumnElement[bool]:
    """The dossiers of the actor's agency that are theirs to see: all of them for leaders and
    agency keys; otherwise those assigned to them, to their unit, or waiting unassigned for
    someone holding one of their roles."""
    in_agency = Dossier.handling_agency_id == actor.agency_id
    if actor.sees_whole_agency:
        return in_agency
    for_unit = (
        and_(Dossier.assignee_id.is_(None), Dossier.handling_unit_id == actor.unit_id)
        if actor.unit_id is not None
        else false()
    )
    return and_(
        in_agency,
        or_(Dossier.assignee_id == actor.account_id, for_unit, _waiting_for_role(actor)),
    )


def _in_status(statuses: Sequence[Status], wanted: int | None) -> ColumnElement[bool]:
    """The queue's statuses, narrowed to the one asked for: a single condition on the column,
    as two (``status IN (2, 4) AND status = 4``) make PostgreSQL expect a handful of rows
    where there are thousands, and plan for a handful."""
    chosen = [status for status in statuses if wanted is None or status == wanted]
    if not chosen:
        return false()
    return Dossier.status == chosen[0] if len(chosen) == 1 else Dossier.status.in_(chosen)


def _queue_condition(actor: Actor, queue: Queue, status: int | None = None) -> ColumnElement[bool]:
    visible = _visible(actor)
    match queue:
        case Queue.to_receive:
            return and_(visible, _in_status([Status.registered], status))
        case Queue.to_take:
            return and_(
                Dossier.handling_agency_id == actor.agency_id,
                _in_status(WORKING_STATUSES, status),
                _waiting_for_role(actor),
            )
        case Queue.mine:
            return and_(
                Dossier.assignee_id == actor.account_id
                if actor.account_id is not None
                else false(),
                _in_status(OPEN_STATUSES, status),
            )
        case Queue.unit:
            return and_(
                Dossier.handling_unit_id == actor.unit_id if actor.unit_id else false(),
                _in_status(OPEN_STATUSES, status),
            )
        case Queue.due_soon:
            return and_(
                visible,
                _in_status(WORKING_STATUSES, status),
                Dossier.deadline_state == DeadlineState.due_soon,
            )
        case Queue.overdue:
            return and_(
                visible,
                _in_status(WORKING_STATUSES, status),
                Dossier.deadline_state == DeadlineState.overdue,
            )
        case Queue.supplement:
            return and_(visible, _in_status([Status.supplement_requested], status))
        case Queue.to_return:
            return and_(visible, _in_status([Status.result_ready], status))


def sort_column(queue: Queue) -> ColumnElement[datetime]:
    """Dossiers not yet received have no due time: they wait in the order they came."""
    if queue in (Queue.to_receive, Queue.supplement):
        return Dossier.submitted_at  # type: ignore[return-value]
    return Dossier.due_at  # type: ignore[return-value]


def _filtered(statement: Select[_Row], wanted: QueueFilter) -> Select[_Row]:
    if wanted.procedure or wanted.field:
        statement = statement.join(Procedure, Procedure.id == Dossier.procedure_id)
    if wanted.procedure:
        statement = statement.where(Procedure.code == wanted.procedure)
    if wanted.field:
        statement = statement.join(Field, Field.id == Procedure.field_id).where(
            Field.code == wanted.field
        )
    # The status asked for narrows the queue's own statuses (_queue_condition).
    if wanted.received_from is not None:
        statement = statement.where(Dossier.received_at >= wanted.received_from)
    if wanted.received_to is not None:
        statement = statement.where(Dossier.received_at < wanted.received_to)
    return statement


async def queue_page(
    session: AsyncSession,
    actor: Actor,
    queue: Queue,
    wanted: QueueFilter,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Dossier]:
    column = sort_column(queue)
    condition = _queue_condition(actor, queue, wanted.status)
    statement = _filtered(select(Dossier).where(condition), wanted)
    if after is not None:
        # A row comparison is one range of the queue's index, where an OR of two comparisons
        # lets the planner read and sort the rest of the queue.
        statement = statement.where(tuple_(column, Dossier.id) > after)
    rows = await session.scalars(
        statement.options(selectinload(Dossier.procedure)).order_by(column, Dossier.id).limit(limit)
    )
    return list(rows)


async def queue_count(
    session: AsyncSession, actor: Actor, queue: Queue, wanted: QueueFilter | None = None
) -> int:
    condition = _queue_condition(actor, queue, wanted.status if wanted is not None else None)
    statement = select(Dossier.id).where(condition)
    if wanted is not None:
        statement = _filtered(statement, wanted)
    count = await session.scalar(select(func.count()).select_from(statement.subquery()))
    return int(count or 0)


async def is_visible(session: AsyncSession, actor: Actor, dossier_id: int) -> bool:
    found = await session.scalar(select(true()).where(Dossier.id == dossier_id, _visible(actor)))
    return bool(found)


async def deadline_candidates(
    session: AsyncSession, horizon: datetime, after_id: int, limit: int
) -> list[Dossier]:
    """Dossiers in processing due by ``horizon`` and not yet marked overdue, by id."""
    rows = await session.scalars(
        select(Dossier)
        .where(
            Dossier.status.in_(WORKING_STATUSES),
            Dossier.due_at <= horizon,
            or_(
                Dossier.deadline_state.is_(None),
                Dossier.deadline_state != DeadlineState.overdue,
            ),
            Dossier.id > after_id,
        )
        .options(selectinload(Dossier.procedure), selectinload(Dossier.agency))
        .order_by(Dossier.id)
        .limit(limit)
    )
    return list(rows)


async def reminder_recipients(session: AsyncSession, dossier: Dossier) -> list[str]:
    """The e-mail of the official holding the dossier, and of the leaders of their unit (or
    of the agency when no unit holds it)."""
    leaders = (
        select(Account.email)
        .join(Official, Official.account_id == Account.id)
        .where(
            Official.agency_id == dossier.handling_agency_id,
            Official.roles.like(f"%{OfficialRole.leader.value}%"),
            Account.disabled.is_(False),
        )
    )
    if dossier.handling_unit_id is not None:
        leaders = leaders.where(Official.unit_id == dossier.handling_unit_id)
    emails = list(await session.scalars(leaders))
    if dossier.assignee_id is not None:
        assignee = await session.scalar(
            select(Account.email).where(
                Account.id == dossier.assignee_id, Account.disabled.is_(False)
            )
        )
        if assignee:
            emails.insert(0, assignee)
    return list(dict.fromkeys(emails))


# --- The officials' pages and the reports ----------------------------------------------------


async def is_visible_code(session: AsyncSession, actor: Actor, code: str) -> bool:
    """Whether the actor sees the dossier of this code (after an action, it may have gone on
    to someone else)."""
    found = await session.scalar(select(true()).where(Dossier.code == code, _visible(actor)))
    return bool(found)


async def file_of(session: AsyncSession, dossier_id: int, reference: str) -> DossierFile | None:
    """A file of the dossier, by its public reference."""
    found: DossierFile | None = await session.scalar(
        select(DossierFile).where(
            DossierFile.dossier_id == dossier_id, DossierFile.reference == reference
        )
    )
    return found


def _received_by(agency_id: int, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        Dossier.agency_id == agency_id, Dossier.received_at >= start, Dossier.received_at < end
    )


async def register_rows(
    session: AsyncSession,
    agency_id: int,
    start: datetime,
    end: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Dossier]:
    """The dossiers the agency received from ``start`` until before ``end``, in the order they
    were received, after the (received time, id) of the last row of a previous page."""
    statement = select(Dossier).where(_received_by(agency_id, start, end))
    if after is not None:
        moment, last_id = after
        statement = statement.where(
            or_(
                Dossier.received_at > moment,
                and_(Dossier.received_at == moment, Dossier.id > last_id),
            )
        )
    rows = await session.scalars(
        statement.options(selectinload(Dossier.procedure))
        .order_by(Dossier.received_at, Dossier.id)
        .limit(limit)
    )
    return list(rows)


async def register_count(
    session: AsyncSession, agency_id: int, start: datetime, end: datetime
) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Dossier).where(_received_by(agency_id, start, end))
    )
    return int(count or 0)
