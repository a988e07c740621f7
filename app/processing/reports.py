"""The routing slip (form 06) of a dossier and the register (form 07) of an agency, drawn from
the database for the officials' pages and the API, and given as CSV, XLSX or PDF."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.documents import forms, tables
from app.documents.schemas import AgencyPart, RegisterData, RegisterRow, RoutingRow, RoutingSlipData
from app.dossiers.schemas import StatusOut, status_out
from app.errors import InvalidInput, InvalidPageCursor, NotFound, Problem
from app.forms import format_address
from app.kit.clock import aware, utcnow
from app.kit.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.models.accounts import OfficialRole
from app.models.dossiers import Delivery, Dossier
from app.models.processing import StepOutcome
from app.processing import paperwork, repository, service
from app.processing.errors import WrongState
from app.processing.schemas import Actor, StepOut, WorkOut


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.pdf: "application/pdf",
}
# The most rows a download of the register holds: writing 10,000 rows of a spreadsheet takes
# about five seconds, and drawing them as PDF a minute, so the PDF stops at 1,000 rows (about
# 30 pages, five seconds). A longer period is downloaded in parts.
REGISTER_MAX_ROWS = {
    ExportFormat.csv: 10_000,
    ExportFormat.xlsx: 10_000,
    ExportFormat.pdf: 1_000,
}
REGISTER_PAGE_SIZE = 100
# Who may read the register: the one-stop desk that keeps it, and those who oversee the agency.
REGISTER_ROLES = frozenset(
    {OfficialRole.receiver.value, OfficialRole.leader.value, OfficialRole.admin.value}
)
# A routing slip's note is a cell of its table, bounded so a row fits a page.
NOTE_LENGTH = 1000


@dataclass(frozen=True)
class Export:
    """A table as a file to download."""

    content: bytes
    media_type: str
    filename: str


async def _export(data: RoutingSlipData | RegisterData, fmt: ExportFormat, name: str) -> Export:
    match fmt:
        case ExportFormat.pdf:
            content = await forms.render_async(data)
        case ExportFormat.xlsx:
            content = await asyncio.to_thread(tables.to_xlsx, data)
        case ExportFormat.csv:
            content = tables.to_csv(data)
    return Export(content, MEDIA_TYPES[fmt], f"{name}.{fmt.value}")


# --- The routing slip ------------------------------------------------------------------------


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _routing_row(step: StepOut) -> RoutingRow:
    return RoutingRow(
        unit=step.unit_name or step.agency_name,
        handed_over_at=step.handed_over_at,
        received_at=step.received_at,
        giver=step.handed_over_by,
        receiver=step.received_by or step.assignee_name or "",
        outcome=StepOutcome(step.outcome) if step.outcome else None,
        note=_cut(step.note, NOTE_LENGTH),
    )


def routing_slip_of(work: WorkOut, settings: Settings) -> RoutingSlipData:
    """Form 06 of a dossier as an official sees it: one row per hand-off, issued by the
    agency that received it (the lead agency), naming the agencies it went to besides."""
    if work.received_at is None or work.due_at is None:
        raise WrongState(
            "Hồ sơ chưa được tiếp nhận nên chưa có phiếu kiểm soát quá trình.",
            "The dossier has not been received, so it has no routing slip yet.",
        )
    lead = work.routing_slip[0]
    others = [s.agency_name for s in work.routing_slip if s.agency_code != lead.agency_code]
    return RoutingSlipData(
        agency=AgencyPart(code=lead.agency_code, name=lead.agency_name),
        issued_at=utcnow(),
        lookup_url=paperwork.lookup_url(settings, work.code),
        dossier_code=work.code,
        lead_agency=lead.agency_name,
        coordinating_agencies=list(dict.fromkeys(others)),
        received_at=work.received_at,
        due_at=work.due_at,
        rows=[_routing_row(step) for step in work.routing_slip],
    )


async def routing_slip_file(
    session: AsyncSession, settings: Settings, actor: Actor, code: str, fmt: ExportFormat
) -> Export:
    """The routing slip of a dossier the actor may see, as a file (the read is audited)."""
    work = await service.work_on(session, actor, code)
    return await _export(routing_slip_of(work, settings), fmt, f"phieu-kiem-soat-{work.code}")


# --- The register ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days, the last one included."""

    first: date
    last: date

    @property
    def label(self) -> str:
        return f"Từ ngày {self.first:%d/%m/%Y} đến ngày {self.last:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


def day_start(day: date, settings: Settings) -> datetime:
    """Midnight at the start of a day in the portal's time zone."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(settings.time_zone))


def this_month(settings: Settings) -> Period:
    """From the first day of this month to its last, in the portal's time zone."""
    today = utcnow().astimezone(ZoneInfo(settings.time_zone)).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def period(first: date, last: date) -> Period:
    """The days from ``first`` to ``last``; InvalidInput (on ``to``) if it ends before it starts."""
    if last < first:
        raise InvalidInput(
            "Khoảng thời gian chưa đúng.",
            message_en="The period is wrong.",
            problems=[
                Problem(
                    "to",
                    "Ngày cuối phải từ ngày đầu trở đi",
                    "The last day must not be before the first",
                )
            ],
        )
    return Period(first, last)


class RegisterTooLong(InvalidInput):
    """More dossiers in the period than a download holds."""

    code = "register_too_long"

    def __init__(self, count: int, limit: int, fmt: ExportFormat) -> None:
        name = fmt.value.upper()
        vi_count, vi_limit = (f"{n:,}".replace(",", ".") for n in (count, limit))
        super().__init__(
            f"Khoảng thời gian đã chọn có {vi_count} hồ sơ, nhiều hơn {vi_limit} dòng mà bản "
            f"{name} chứa được: hãy chọn khoảng thời gian ngắn hơn.",
            message_en=f"The period holds {count:,} dossiers, more than the {limit:,} rows a "
            f"{name} file holds: choose a shorter period.",
        )


class RegisterEntry(BaseModel):
    """A row of the register, with the dossier's status for the page."""

    row: RegisterRow
    status: StatusOut


class RegisterPage(BaseModel):
    agency_name: str
    entries: list[RegisterEntry]
    count: int
    next_cursor: str | None


def register_agency_id(actor: Actor) -> int:
    """The agency whose register the actor may read; NotFound for anyone else."""
    if not actor.roles & REGISTER_ROLES:
        raise NotFound("Không tìm thấy sổ theo dõi hồ sơ.", message_en="No such register.")
    return actor.agency_id


async def _agency_part(session: AsyncSession, actor: Actor) -> AgencyPart:
    agency = await repository.agency_by_code(session, actor.agency_code)
    assert agency is not None, "an actor's agency exists"
    return AgencyPart(code=agency.code, name=agency.name)


def _bounds(days: Period, settings: Settings) -> tuple[datetime, datetime]:
    return day_start(days.first, settings), day_start(days.last + timedelta(days=1), settings)


def _note(dossier: Dossier) -> str:
    """The status, and what made the dossier late if it was: for the register's last column."""
    parts = [status_out(dossier.status).label_vi]
    if dossier.supplement_count:
        parts.append(f"yêu cầu bổ sung {dossier.supplement_count} lần")
    if dossier.apology_at is not None:
        parts.append("có phiếu xin lỗi và hẹn lại")
    return "; ".join(parts)


def _register_row(number: int, dossier: Dossier, lead_agency: str) -> RegisterRow:
    assert dossier.code is not None and dossier.received_at is not None
    address = format_address(dossier.delivery_address) if dossier.delivery_address else ""
    method = dossier.return_method or dossier.delivery
    return RegisterRow(
        number=number,
        dossier_code=dossier.code,
        procedure=dossier.procedure.name,
        applicant=dossier.applicant_name,
        contact=", ".join(part for part in (address, dossier.applicant_phone) if part),
        lead_agency=lead_agency,
        received_at=aware(dossier.received_at),
        due_at=aware(dossier.due_at) if dossier.due_at else None,
        returned_at=aware(dossier.returned_at) if dossier.returned_at else None,
        delivery=Delivery(method) if method else None,
        note=_note(dossier),
    )


def _cursor_after(cursor: str | None) -> tuple[tuple[datetime, int] | None, int]:
    """The (received time, id) a page of the register starts after, and its first number."""
    if not cursor:
        return None, 1
    try:
        micros, last_id, number = decode_cursor(cursor, (int, int, int))
    except InvalidCursor as exc:
        raise InvalidPageCursor() from exc
    moment = service.EPOCH + timedelta(microseconds=int(micros))
    return (moment, int(last_id)), int(number)


async def register_page(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    days: Period,
    cursor: str | None,
    limit: int = REGISTER_PAGE_SIZE,
) -> RegisterPage:
    """One page of the register of the actor's agency: the dossiers it received in the period,
    numbered in the order they were received."""
    agency_id = register_agency_id(actor)
    agency = await _agency_part(session, actor)
    start, end = _bounds(days, settings)
    after, first_number = _cursor_after(cursor)
    rows = await repository.register_rows(session, agency_id, start, end, after, limit + 1)
    entries = [
        RegisterEntry(
            row=_register_row(number, dossier, agency.name), status=status_out(dossier.status)
        )
        for number, dossier in enumerate(rows[:limit], start=first_number)
    ]
    next_cursor = None
    if len(rows) > limit:
        last = entries[-1].row
        micros = (last.received_at - service.EPOCH) // timedelta(microseconds=1)
        next_cursor = encode_cursor((micros, rows[limit - 1].id, last.number + 1))
    return RegisterPage(
        agency_name=agency.name,
        entries=entries,
        count=await repository.register_count(session, agency_id, start, end),
        next_cursor=next_cursor,
    )


async def register_file(
    session: AsyncSession, settings: Settings, actor: Actor, days: Period, fmt: ExportFormat
) -> Export:
    """The whole register of the actor's agency for the period, as a file; RegisterTooLong
    past the rows the format holds."""
    agency_id = register_agency_id(actor)
    agency = await _agency_part(session, actor)
    start, end = _bounds(days, settings)
    limit = REGISTER_MAX_ROWS[fmt]
    count = await repository.register_count(session, agency_id, start, end)
    if count > limit:
        raise RegisterTooLong(count, limit, fmt)
    rows = await repository.register_rows(session, agency_id, start, end, None, limit)
    data = RegisterData(
        agency=agency,
        issued_at=utcnow(),
        lookup_url=f"{settings.base_url.rstrip('/')}/",
        period=days.label,
        rows=[_register_row(n, d, agency.name) for n, d in enumerate(rows, start=1)],
    )
    return await _export(data, fmt, f"so-theo-doi-{agency.code}-{days.slug}")
