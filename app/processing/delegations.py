"""Delegations (ủy quyền): an agency hands its decisions on one procedure, or on all of them, to
another agency or to one of its own units for a period. While one is in force, routing
(service._target) hands the approve and sign steps of the agency's dossiers to the delegate.

Made and revoked by the agency's administrators (the pages under /quan-tri, the command line).
Services flush and never commit. Every field is checked before anything is refused.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import single_line
from app.catalog import service as catalog
from app.catalog.schemas import AgencyKey
from app.config import Settings
from app.errors import InvalidInput, NotFound, ProblemList
from app.kit.clock import aware, utcnow
from app.models.catalog import Agency, Delegation
from app.processing import delegation_repository as repository
from app.processing import repository as processing
from app.processing.delegation_schemas import DelegationOut, ProcedureChoice

MAX_NOTE_LENGTH = 500


class DelegationInvalid(InvalidInput):
    """Some fields of a delegation are wrong; ``problems`` name them."""

    code = "delegation_invalid"


class DelegationNotFound(NotFound):
    code = "delegation_not_found"

    def __init__(self) -> None:
        super().__init__(
            "Cơ quan không có ủy quyền này, hoặc ủy quyền đã được thu hồi.",
            message_en="The agency has no such delegation, or it was revoked already.",
        )


def local_today(settings: Settings) -> date:
    """Today in the portal's time zone: the day on which routing asks for a delegation."""
    return utcnow().astimezone(ZoneInfo(settings.time_zone)).date()


def _out(row: repository.Described) -> DelegationOut:
    delegation = row.Delegation
    return DelegationOut(
        id=delegation.id,
        from_agency_id=delegation.from_agency_id,
        from_agency_code=row.from_agency_code,
        from_agency_name=row.from_agency_name,
        procedure_code=row.procedure_code,
        procedure_name=row.procedure_name,
        to_agency_code=row.to_agency_code,
        to_agency_name=row.to_agency_name,
        to_unit_code=row.to_unit_code,
        to_unit_name=row.to_unit_name,
        starts_on=delegation.starts_on,
        ends_on=delegation.ends_on,
        note=delegation.note,
        created_at=aware(delegation.created_at),
        revoked_at=aware(delegation.revoked_at) if delegation.revoked_at else None,
    )


async def _delegation(session: AsyncSession, delegation_id: int) -> DelegationOut:
    row = await repository.described(session, delegation_id)
    assert row is not None, "read back in the transaction that wrote it"
    return _out(row)


async def list_delegations(session: AsyncSession, agency_id: int) -> list[DelegationOut]:
    """The agency's delegations, revoked and ended ones too, the latest period first."""
    return [_out(row) for row in await repository.described_of_agency(session, agency_id)]


async def procedures_of(session: AsyncSession, agency_id: int) -> list[ProcedureChoice]:
    """The procedures the agency handles, which it may delegate, by code."""
    return [
        ProcedureChoice(code=p.code, name=p.name)
        for p in await repository.procedures_of_agency(session, agency_id)
    ]


# ----------------------------------------------------------------------------- checks


async def _check_procedure(
    session: AsyncSession, agency: Agency, code: str, problems: ProblemList
) -> tuple[bool, int | None]:
    """Whether the procedure is one the agency may delegate, and its id (None for all, when
    the code is empty)."""
    if not code:
        return True, None
    procedure = await repository.procedure_by_code(session, code)
    if procedure is None:
        problems.add(
            "procedure",
            f"Không có thủ tục nào có mã {code}",
            f"There is no procedure with the code {code}",
        )
        return False, None
    if not await repository.handles(session, agency.id, procedure.id):
        problems.add(
            "procedure",
            f"{agency.name} không giải quyết thủ tục {code}, nên không thể ủy quyền thủ tục này",
            f"{agency.name} does not handle the procedure {code}, so it cannot delegate it",
        )
        return False, None
    return True, procedure.id


async def _check_delegate(
    session: AsyncSession,
    agency: Agency,
    to_agency_code: str,
    to_unit_code: str | None,
    problems: ProblemList,
) -> tuple[AgencyKey | None, int | None]:
    """The agency the decisions go to, and the id of its unit if one is named."""
    code = single_line(to_agency_code)
    if not code:
        problems.add(
            "to_agency",
            "Vui lòng chọn cơ quan nhận ủy quyền",
            "Choose the agency the decisions are handed to",
        )
        return None, None
    delegate = await catalog.agency_by_code(session, code)
    if delegate is None:
        problems.add(
            "to_agency",
            f"Không có cơ quan nào có mã {code}",
            f"There is no agency with the code {code}",
        )
        return None, None
    unit_code = single_line(to_unit_code or "")
    if not unit_code:
        if delegate.id == agency.id:
            problems.add(
                "to_agency",
                "Cơ quan không thể ủy quyền cho chính mình: hãy chọn cơ quan khác, hoặc một"
                " đơn vị của cơ quan",
                "An agency cannot delegate to itself: choose another agency, or one of its"
                " own units",
            )
        return delegate, None
    unit = await processing.unit_by_code(session, delegate.id, unit_code)
    if unit is None:
        problems.add(
            "to_unit",
            f"{delegate.name} không có đơn vị nào có mã {unit_code}",
            f"{delegate.name} has no unit with the code {unit_code}",
        )
        return delegate, None
    return delegate, unit.id


def _check_period(
    starts_on: date | None, ends_on: date | None, problems: ProblemList
) -> tuple[date, date] | None:
    """Both days, when both are given and in order."""
    if starts_on is None:
        problems.add(
            "starts_on",
            "Vui lòng nhập ngày bắt đầu ủy quyền, là một ngày có thật",
            "Enter the first day of the delegation, a real date",
        )
    if ends_on is None:
        problems.add(
            "ends_on",
            "Vui lòng nhập ngày kết thúc ủy quyền, là một ngày có thật",
            "Enter the last day of the delegation, a real date",
        )
    if starts_on is None or ends_on is None:
        return None
    if ends_on < starts_on:
        problems.add(
            "ends_on",
            f"Ngày kết thúc ({ends_on:%d/%m/%Y}) không được trước ngày bắt đầu"
            f" ({starts_on:%d/%m/%Y})",
            f"The last day ({ends_on:%d/%m/%Y}) cannot be before the first day"
            f" ({starts_on:%d/%m/%Y})",
        )
        return None
    return starts_on, ends_on


def _check_note(note: str, problems: ProblemList) -> str:
    clean = single_line(note)
    if len(clean) > MAX_NOTE_LENGTH:
        problems.add(
            "note",
            f"Ghi chú không được dài quá {MAX_NOTE_LENGTH} ký tự",
            f"The note must be {MAX_NOTE_LENGTH} characters or fewer",
        )
    return clean


def _overlap(clash: Delegation, procedure_code: str, problems: ProblemList) -> None:
    period = f"{clash.starts_on:%d/%m/%Y} – {clash.ends_on:%d/%m/%Y}"
    what_vi = f"Thủ tục {procedure_code}" if procedure_code else "Mọi thủ tục của cơ quan"
    what_en = f"The procedure {procedure_code} is" if procedure_code else "All its procedures are"
    problems.add(
        "starts_on",
        f"{what_vi} đã được ủy quyền trong thời gian {period}: hãy thu hồi ủy quyền đó trước,"
        " hoặc chọn thời gian khác",
        f"{what_en} already delegated over {period}: revoke that delegation first, or choose"
        " another period",
    )


# ----------------------------------------------------------------------------- changes


async def create_delegation(
    session: AsyncSession,
    *,
    from_agency_id: int,
    procedure_code: str | None,
    to_agency_code: str,
    to_unit_code: str | None,
    starts_on: date | None,
    ends_on: date | None,
    note: str = "",
) -> DelegationOut:
    """The agency hands its decisions on the procedure (None: on all its procedures) to the
    agency, or to its unit, from ``starts_on`` to ``ends_on`` included (local dates; None for
    a date that is missing or not a real one).

    Raises DelegationInvalid naming every wrong field: an unknown procedure or one the agency
    does not handle, an unknown agency or unit, the agency itself without a unit, a period
    ending before it starts, or one sharing a day with a delegation of the same procedure that
    is not revoked."""
    agency = await repository.lock_agency(session, from_agency_id)
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan ủy quyền.", message_en="No such delegating agency.")
    problems = ProblemList()
    code = single_line(procedure_code or "")
    procedure_ok, procedure_id = await _check_procedure(session, agency, code, problems)
    delegate, unit_id = await _check_delegate(
        session, agency, to_agency_code, to_unit_code, problems
    )
    period = _check_period(starts_on, ends_on, problems)
    clean_note = _check_note(note, problems)
    if procedure_ok and period is not None:
        clash = await repository.overlapping(session, agency.id, procedure_id, *period)
        if clash is not None:
            _overlap(clash, code, problems)
    if problems or delegate is None or period is None:
        raise DelegationInvalid(
            "Chưa lưu được ủy quyền: vui lòng sửa các lỗi dưới đây.",
            message_en="The delegation was not saved: please correct the errors below.",
            problems=problems.items,
        )
    delegation = Delegation(
        from_agency_id=agency.id,
        procedure_id=procedure_id,
        to_agency_id=delegate.id,
        to_unit_id=unit_id,
        starts_on=period[0],
        ends_on=period[1],
        note=clean_note,
        created_at=utcnow(),
    )
    session.add(delegation)
    await session.flush()
    return await _delegation(session, delegation.id)


async def revoke_delegation(
    session: AsyncSession, agency_id: int, delegation_id: int
) -> DelegationOut:
    """End the agency's delegation now: routing no longer hands anything to the delegate.
    DelegationNotFound for another agency's, or one revoked already."""
    if not await repository.revoke(session, agency_id, delegation_id, utcnow()):
        raise DelegationNotFound()
    return await _delegation(session, delegation_id)
