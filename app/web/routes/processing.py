"""The officials' pages for processing dossiers: the queues, a dossier with the actions open to
the official, its documents, files and routing slip, and the register of the agency.

Every page is for signed-in officials; what each may see and do is the processing service's to
say: a dossier that is not theirs is the 404 page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError

from app.accounts import officials
from app.accounts.schemas import OfficialOut
from app.catalog import service as catalog
from app.config import Settings
from app.dossiers.schemas import status_out
from app.errors import ChangedMeanwhile, Conflict, InvalidInput, Problem
from app.forms.values import parse_date
from app.models.accounts import OfficialRole
from app.models.dossiers import Delivery, Status
from app.processing import contents, reports, service
from app.processing.errors import ActionInvalid
from app.processing.rules import Action
from app.processing.schemas import (
    MAX_ITEMS,
    MAX_REASON_LENGTH,
    ActionIn,
    Actor,
    Queue,
    QueueFilter,
    WorkOut,
)
from app.responses import exported, streamed
from app.web.draftforms import DeliveryView
from app.web.formview import build_answers
from app.web.routes.deps import (
    OfficialDep,
    PagesDep,
    Session,
    SettingsDep,
    StorageDep,
    field_errors,
    page_not_found,
    read_form_lists,
)
from app.web.templating import Pages

router = APIRouter()

WORK_URL = "/can-bo"
REGISTER_URL = f"{WORK_URL}/so-theo-doi"
CODE = r"^[0-9A-Za-z.-]+$"
DossierCode = Annotated[str, Path(max_length=64, pattern=CODE)]
Reference = Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]

# The queues and the actions by the words of their addresses.
QUEUES = {
    "tiep-nhan": Queue.to_receive,
    "cho-nhan-xu-ly": Queue.to_take,
    "cua-toi": Queue.mine,
    "don-vi": Queue.unit,
    "sap-den-han": Queue.due_soon,
    "qua-han": Queue.overdue,
    "cho-bo-sung": Queue.supplement,
    "tra-ket-qua": Queue.to_return,
}
ACTIONS = {
    "tiep-nhan": Action.receive,
    "tu-choi": Action.refuse,
    "yeu-cau-bo-sung": Action.request_supplement,
    "nhan-xu-ly": Action.take,
    "giao": Action.assign,
    "chuyen": Action.forward,
    "tra-lai": Action.send_back,
    "phe-duyet": Action.approve,
    "khong-phe-duyet": Action.deny,
    "ky-so": Action.sign,
    "co-ket-qua": Action.result_ready,
    "tra-ket-qua": Action.return_result,
    "xin-loi": Action.apologize,
    "dung-xu-ly": Action.stop,
}
QUEUE_SLUGS = {queue: slug for slug, queue in QUEUES.items()}
ACTION_SLUGS = {action: slug for slug, action in ACTIONS.items()}
# What each action's form asks, in the order of the page (the error summary follows it).
ACTION_FIELDS: dict[Action, tuple[str, ...]] = {
    Action.refuse: ("reason", "confirm"),
    Action.request_supplement: ("items",),
    Action.assign: ("unit", "official"),
    Action.forward: ("agency", "unit", "official"),
    Action.send_back: ("reason",),
    Action.deny: ("reason", "confirm"),
    Action.return_result: ("method", "tracking_number"),
    Action.apologize: ("reason", "new_due_at"),
    Action.stop: ("reason", "confirm"),
}
# The fields left out when empty.
OPTIONAL = frozenset({"unit", "official", "agency", "method", "tracking_number"})
# Final decisions, taken only with the box ticked that says so.
CONFIRMED = frozenset({Action.refuse, Action.deny, Action.stop})
# Each supplement item is a checkbox and a reason: two fields per item, and a few more.
MAX_ACTION_FIELDS = 2 * MAX_ITEMS + 10
FILTER_FIELDS = ("thu-tuc", "linh-vuc", "trang-thai", "tu-ngay", "den-ngay")
PERIOD_FIELDS = {"from": "tu-ngay", "to": "den-ngay"}
TIME = re.compile(r"^([01]?\d|2[0-3])[:hH.]([0-5]\d)$")


def dossier_url(code: str) -> str:
    return f"{WORK_URL}/ho-so/{quote(code)}"


def _actor(request: Request, official: OfficialOut) -> Actor:
    return service.actor_for_official(official, request.client.host if request.client else "")


def _message(pages: Pages, request: Request, error: Conflict) -> str:
    return error.message_en if pages.locale(request) == "en" else error.message


def _day(text: str, name: str, problems: list[Problem]) -> date | None:
    """A day typed as dd/mm/yyyy (or yyyy-mm-dd); a problem of the field ``name`` if it is not
    a date."""
    if not text:
        return None
    day = parse_date(text)
    if day is None:
        problems.append(
            Problem(
                name,
                "Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 27/3/2007",
                "Enter a date as day/month/year, for example 27/3/2007",
            )
        )
        return None
    return day


# ----------------------------------------------------------------------------- the queues


@dataclass(frozen=True)
class _Filters:
    """The queue filters as typed (for the form) and as the service takes them."""

    values: dict[str, str]
    wanted: QueueFilter
    problems: list[Problem]

    @classmethod
    def read(cls, values: dict[str, str], settings: Settings) -> _Filters:
        problems: list[Problem] = []
        status: int | None = None
        if values["trang-thai"]:
            if values["trang-thai"] not in {str(s.value) for s in Status}:
                problems.append(Problem("trang-thai", "Hãy chọn một trạng thái", "Choose a status"))
            else:
                status = int(values["trang-thai"])
        first = _day(values["tu-ngay"], "tu-ngay", problems)
        last = _day(values["den-ngay"], "den-ngay", problems)
        wanted = QueueFilter(
            procedure=values["thu-tuc"] or None,
            field=values["linh-vuc"] or None,
            status=status,
            received_from=reports.day_start(first, settings) if first else None,
            # The last day is included: what was received before the next day starts.
            received_to=reports.day_start(last + timedelta(days=1), settings) if last else None,
        )
        return cls(values, wanted, problems)


@router.get(WORK_URL, response_class=HTMLResponse)
async def work_home(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
    queue: Annotated[str, Query(alias="hang", max_length=20)] = "",
    procedure: Annotated[str, Query(alias="thu-tuc", max_length=20)] = "",
    field: Annotated[str, Query(alias="linh-vuc", max_length=32)] = "",
    status: Annotated[str, Query(alias="trang-thai", max_length=2)] = "",
    received_from: Annotated[str, Query(alias="tu-ngay", max_length=10)] = "",
    received_to: Annotated[str, Query(alias="den-ngay", max_length=10)] = "",
    cursor: Annotated[str, Query(alias="sau", max_length=200)] = "",
    done: Annotated[str, Query(alias="da-xong", max_length=20)] = "",
    done_code: Annotated[str, Query(alias="ma", max_length=64, pattern=CODE)] = "",
) -> HTMLResponse:
    """The official's queues with their counts, and the chosen one by due time, filtered."""
    actor = _actor(request, official)
    default = Queue.to_receive if official.holds(OfficialRole.receiver.value) else Queue.to_take
    chosen = QUEUES.get(queue, default)
    typed = [procedure, field, status, received_from, received_to]
    filters = _Filters.read(
        dict(zip(FILTER_FIELDS, (v.strip() for v in typed), strict=True)), settings
    )
    errors, links = field_errors(pages, request, filters.problems, FILTER_FIELDS)
    page = None
    if not filters.problems:
        page = await service.queue_page(
            session, actor, chosen, filters.wanted, cursor or None, settings.page_size
        )
    kept = [("hang", QUEUE_SLUGS[chosen]), *((k, v) for k, v in filters.values.items() if v)]
    return pages.render(
        request,
        "pages/work_queues.html",
        {
            "agency_name": official.agency_name,
            "counts": await service.queue_counts(session, actor),
            "queue": chosen,
            "queue_slugs": QUEUE_SLUGS,
            "page": page,
            "values": filters.values,
            "filtered": any(filters.values.values()),
            "fields": await catalog.list_fields(session),
            "statuses": [status_out(s) for s in Status],
            "errors": errors,
            "error_links": links,
            "first_url": f"{WORK_URL}?{urlencode(kept)}",
            "next_url": (
                f"{WORK_URL}?{urlencode([*kept, ('sau', page.next_cursor)])}"
                if page and page.next_cursor
                else ""
            ),
            "is_first_page": not cursor,
            "at_desk": official.holds(OfficialRole.receiver.value),
            "done": ACTIONS.get(done) if done_code else None,
            "done_code": done_code,
        },
        status_code=422 if filters.problems else 200,
    )


# ----------------------------------------------------------------------------- one dossier


@dataclass(frozen=True)
class _Choices:
    """Whom the assign and forward forms offer to hand the dossier to, as (value, label)."""

    units: list[tuple[str, str]]
    assignees: list[tuple[str, str]]
    next_step: str
    # The agency the next step belongs to, when it is not the official's.
    next_agency: str | None
    forwardees: list[tuple[str, str]]


def _people(staff: list[OfficialOut], role: str | None) -> list[tuple[str, str]]:
    return [
        (o.email, f"{o.full_name} – {o.unit_name}" if o.unit_name else o.full_name)
        for o in staff
        if role in o.roles and not o.disabled
    ]


async def _choices(
    session: Session, official: OfficialOut, work: WorkOut, found: contents.DossierContents
) -> _Choices | None:
    if work.step is None or not {Action.assign, Action.forward} & set(work.actions):
        return None
    staff = await officials.list_officials(session, official.agency_id)
    steps = found.workflow.steps
    following = steps[work.step.position + 1] if work.step.position + 1 < len(steps) else None
    elsewhere = following.agency if following and following.agency != official.agency_code else None
    return _Choices(
        units=[(u.code, u.name) for u in await officials.list_units(session, official.agency_id)],
        assignees=_people(staff, work.step.role),
        next_step=following.name if following else "",
        next_agency=elsewhere,
        forwardees=_people(staff, following.role.value if following else None),
    )


def _delivery(work: WorkOut, postal: contents.PostalDelivery | None) -> DeliveryView | None:
    """How the applicant gets the result, with where to post it."""
    if work.delivery is None:
        return None
    if postal is None:
        return DeliveryView(work.delivery)
    return DeliveryView(work.delivery, postal.recipient, postal.phone, postal.address)


async def _render_dossier(
    request: Request,
    session: Session,
    pages: Pages,
    official: OfficialOut,
    code: str,
    *,
    done: Action | None = None,
    refused: str = "",
    failed: Action | None = None,
    problems: list[Problem] | None = None,
    form: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The dossier's page; after a refused action, with that action's form as it was sent and
    its errors (their ids are ``f-<action>-<field>``)."""
    work = await service.work_on(session, _actor(request, official), code)
    found = await contents.contents_of(session, work)
    locale = pages.locale(request)
    prefix = f"{failed.value}-" if failed else ""
    order = [prefix + name for name in ACTION_FIELDS.get(failed, ())] if failed else []
    errors, links = field_errors(
        pages,
        request,
        [Problem(prefix + p.location, p.message, p.message_en) for p in problems or []],
        order,
    )
    sent = form or {}
    items = [(f.key, f.label.get(locale)) for f in found.definition.fields]
    context: dict[str, Any] = {
        "work": work,
        "sections": build_answers(found.definition, found.data, locale),
        "files": found.files,
        # The applicant's files are downloaded from the officials' own address.
        "file_url": lambda file_id: f"{dossier_url(work.code)}/tep/{quote(file_id)}",
        "delivery": _delivery(work, found.postal),
        "items": items,
        "item_labels": dict(items),
        "choices": await _choices(session, official, work, found),
        "deliveries": [d.value for d in Delivery],
        "action_slugs": ACTION_SLUGS,
        "dossier_url": dossier_url(work.code),
        "done": done,
        "refused": refused,
        "failed": failed,
        "values": {prefix + name: values[-1] for name, values in sent.items() if values},
        "chosen_items": sent.get("items", []) if failed is Action.request_supplement else [],
        "errors": errors,
        "error_links": links,
    }
    return pages.render(request, "pages/work_dossier.html", context, status_code=status_code)


@router.get(f"{WORK_URL}/ho-so/{{code}}", response_class=HTMLResponse)
async def dossier_page(
    request: Request,
    session: Session,
    pages: PagesDep,
    official: OfficialDep,
    code: DossierCode,
    done: Annotated[str, Query(alias="da-xong", max_length=20)] = "",
) -> HTMLResponse:
    """A dossier as the official works on it: facts, routing slip, supplements, documents,
    the applicant's answers and files, and a form for each action open to the official."""
    return await _render_dossier(request, session, pages, official, code, done=ACTIONS.get(done))


def _new_due(form: dict[str, list[str]], settings: Settings) -> datetime:
    """The apology's new appointment from its day and time, in the portal's time zone."""
    day = parse_date(form.get("new_due_at", [""])[-1].strip())
    moment = TIME.fullmatch(form.get("new_due_time", [""])[-1].strip())
    if day is None or moment is None:
        raise ActionInvalid(
            [
                Problem(
                    "new_due_at",
                    "Hãy nhập ngày hẹn mới (ngày/tháng/năm) và giờ hẹn (giờ:phút)",
                    "Enter the new date (day/month/year) and time (hours:minutes)",
                )
            ]
        )
    at = time(int(moment[1]), int(moment[2]))
    # In UTC, as every moment is stored: SQLite keeps the wall time and drops the zone.
    return datetime.combine(day, at, tzinfo=ZoneInfo(settings.time_zone)).astimezone(UTC)


def _input_problems(error: ValidationError, paths: list[str]) -> list[Problem]:
    """What the action's model refused in the form, located at the form's fields."""
    problems: list[Problem] = []
    for item in error.errors():
        where = item["loc"]
        if where[0] == "items" and len(where) > 2 and isinstance(where[1], int):
            problems.append(
                Problem(
                    f"reason-{paths[where[1]]}",
                    "Hãy nêu lý do cần bổ sung, hoàn thiện mục này "
                    f"(tối đa {MAX_REASON_LENGTH:,} ký tự)".replace(",", "."),
                    "Give the reason to complete or correct this item "
                    f"(at most {MAX_REASON_LENGTH:,} characters)",
                )
            )
        elif item["type"] == "string_too_long":
            most = item.get("ctx", {}).get("max_length", 0)
            problems.append(
                Problem(
                    str(where[0]),
                    f"Hãy nhập tối đa {most:,} ký tự".replace(",", "."),
                    f"Enter at most {most:,} characters",
                )
            )
        else:
            problems.append(
                Problem(str(where[0]), "Giá trị này không hợp lệ", "This value is not valid")
            )
    return problems


def _payload(action: Action, form: dict[str, list[str]], settings: Settings) -> ActionIn:
    """What the action's form says, as the service takes it; ActionInvalid with every problem
    of the form otherwise."""

    def text(name: str) -> str:
        return form.get(name, [""])[-1].strip()

    asks = ACTION_FIELDS.get(action, ())
    paths = form.get("items", []) if "items" in asks else []
    values: dict[str, Any] = {name: text(name) or None for name in asks if name in OPTIONAL}
    values["reason"] = text("reason")
    values["items"] = [{"path": path, "reason": text(f"reason-{path}")} for path in paths]
    problems: list[Problem] = []
    if action in CONFIRMED and text("confirm") != "yes":
        problems.append(
            Problem(
                "confirm",
                "Hãy đánh dấu ô xác nhận nếu bạn chắc chắn",
                "Tick the box to confirm, if you are sure",
            )
        )
    if "new_due_at" in asks:
        try:
            values["new_due_at"] = _new_due(form, settings)
        except ActionInvalid as exc:
            problems.extend(exc.problems)
    try:
        payload = ActionIn.model_validate(values)
    except ValidationError as exc:
        problems.extend(_input_problems(exc, paths))
    if problems:
        raise ActionInvalid(problems)
    return payload


@router.post(f"{WORK_URL}/ho-so/{{code}}/{{slug}}", response_class=HTMLResponse)
async def act(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    storage: StorageDep,
    official: OfficialDep,
    code: DossierCode,
    slug: Annotated[str, Path(max_length=20)],
) -> Response:
    """Take the action; back to the dossier (or to the queues once it has gone on to someone
    else) with a notice, or the page again with the form's errors or the reason it could not
    be done."""
    action = ACTIONS.get(slug)
    if action is None:
        raise page_not_found()
    form = await read_form_lists(request, MAX_ACTION_FIELDS)
    actor = _actor(request, official)
    try:
        payload = _payload(action, form, settings)
        # A savepoint: a refused action leaves nothing behind, and the page is shown again in
        # the same unit of work.
        async with session.begin_nested():
            await service.act(session, settings, storage, actor, code, action, payload)
    except ActionInvalid as exc:
        return await _render_dossier(
            request,
            session,
            pages,
            official,
            code,
            failed=action,
            problems=exc.problems,
            form=form,
            status_code=exc.status,
        )
    except (Conflict, StaleDataError) as exc:
        conflict = exc if isinstance(exc, Conflict) else ChangedMeanwhile()
        return await _render_dossier(
            request,
            session,
            pages,
            official,
            code,
            refused=_message(pages, request, conflict),
            status_code=conflict.status,
        )
    done = urlencode({"da-xong": slug})
    if await contents.sees(session, actor, code):
        return RedirectResponse(f"{dossier_url(code)}?{done}", status_code=303)
    return RedirectResponse(f"{WORK_URL}?{done}&{urlencode({'ma': code})}", status_code=303)


# ----------------------------------------------------------------------------- downloads


@router.get(f"{WORK_URL}/ho-so/{{code}}/van-ban/{{reference}}")
async def document(
    request: Request,
    session: Session,
    storage: StorageDep,
    official: OfficialDep,
    code: DossierCode,
    reference: Reference,
) -> StreamingResponse:
    """A document issued on the dossier (a form or the signed result), as PDF."""
    work = await service.work_on(session, _actor(request, official), code)
    found, stream = await contents.open_document(session, storage, work, reference)
    return streamed(stream, "application/pdf", f"{work.code}-{found.form}.pdf", found.size)


@router.get(f"{WORK_URL}/ho-so/{{code}}/tep/{{file_id}}")
async def applicant_file(
    request: Request,
    session: Session,
    storage: StorageDep,
    official: OfficialDep,
    code: DossierCode,
    file_id: Reference,
) -> StreamingResponse:
    """A file the applicant attached to the dossier."""
    work = await service.work_on(session, _actor(request, official), code)
    file, stream = await contents.open_file(session, storage, work, file_id)
    return streamed(stream, file.content_type, file.name, file.size)


@router.get(f"{WORK_URL}/ho-so/{{code}}/phieu-kiem-soat.{{fmt}}")
async def routing_slip(
    request: Request,
    session: Session,
    settings: SettingsDep,
    official: OfficialDep,
    code: DossierCode,
    fmt: reports.ExportFormat,
) -> Response:
    """The routing slip (form 06) of the dossier, as PDF, CSV or XLSX."""
    actor = _actor(request, official)
    return exported(await reports.routing_slip_file(session, settings, actor, code, fmt))


# ----------------------------------------------------------------------------- the register


def _period(first: str, last: str, settings: Settings) -> reports.Period:
    """The days typed (this month when none are); InvalidInput located at the form's fields."""
    problems: list[Problem] = []
    month = reports.this_month(settings)
    start = _day(first.strip(), "tu-ngay", problems) or month.first
    end = _day(last.strip(), "den-ngay", problems) or month.last
    try:
        days = reports.period(start, end)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput(
            "Khoảng thời gian chưa đúng.",
            message_en="The period is wrong.",
            problems=[
                Problem(PERIOD_FIELDS.get(p.location, p.location), p.message, p.message_en)
                for p in problems
            ],
        )
    return days


FirstDay = Annotated[str, Query(alias="tu-ngay", max_length=10)]
LastDay = Annotated[str, Query(alias="den-ngay", max_length=10)]


@router.get(REGISTER_URL, response_class=HTMLResponse)
async def register(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
    first: FirstDay = "",
    last: LastDay = "",
    cursor: Annotated[str, Query(alias="sau", max_length=200)] = "",
) -> HTMLResponse:
    """The register (form 07) of the agency for a period, numbered, with its downloads."""
    actor = _actor(request, official)
    reports.register_agency_id(actor)
    values = {"tu-ngay": first, "den-ngay": last}
    try:
        days = _period(first, last, settings)
    except InvalidInput as exc:
        errors, links = field_errors(pages, request, exc.problems, list(PERIOD_FIELDS.values()))
        context = {"values": values, "errors": errors, "error_links": links, "register": None}
        return pages.render(request, "pages/work_register.html", context, status_code=exc.status)
    page = await reports.register_page(session, settings, actor, days, cursor or None)
    shown = {"tu-ngay": f"{days.first:%d/%m/%Y}", "den-ngay": f"{days.last:%d/%m/%Y}"}
    query = urlencode(shown)
    return pages.render(
        request,
        "pages/work_register.html",
        {
            "values": shown,
            "errors": {},
            "error_links": [],
            "register": page,
            "days": days,
            "downloads": {
                fmt.value: f"{REGISTER_URL}.{fmt.value}?{query}"
                for fmt in reports.ExportFormat
                if page.count <= reports.REGISTER_MAX_ROWS[fmt]
            },
            "max_rows": reports.REGISTER_MAX_ROWS,
            "first_url": f"{REGISTER_URL}?{query}",
            "next_url": (
                f"{REGISTER_URL}?{urlencode({**shown, 'sau': page.next_cursor})}"
                if page.next_cursor
                else ""
            ),
            "is_first_page": not cursor,
        },
    )


@router.get(f"{REGISTER_URL}.{{fmt}}")
async def register_file(
    request: Request,
    session: Session,
    settings: SettingsDep,
    official: OfficialDep,
    fmt: reports.ExportFormat,
    first: FirstDay = "",
    last: LastDay = "",
) -> Response:
    """The whole register of the period as CSV, XLSX or PDF (up to the rows each holds)."""
    days = _period(first, last, settings)
    actor = _actor(request, official)
    return exported(await reports.register_file(session, settings, actor, days, fmt))
