"""The administrator's pages that steer deadlines and routing: the working calendar, which is
the province's (any administrator may change it), and the delegations of the administrator's
own agency. Every change is written to the audit trail as the last step of its transaction.

Only an official with the admin role sees them; everyone else gets the 404 page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.schemas import OfficialOut
from app.audit import service as audit
from app.catalog import service as catalog
from app.errors import Problem
from app.models.calendar import DayKind
from app.processing import calendar_service, delegations
from app.processing.calendar_service import CalendarDayInvalid
from app.processing.delegations import DelegationInvalid
from app.web.routes.admin import Admin, parse_day, render_form_page
from app.web.routes.deps import (
    PagesDep,
    Session,
    SettingsDep,
    page_not_found,
    read_form,
)
from app.web.templating import Pages

router = APIRouter()

CALENDAR_URL = "/quan-tri/lich-lam-viec"
REMOVE_DAY_URL = f"{CALENDAR_URL}/xoa"
DELEGATIONS_URL = "/quan-tri/uy-quyen"
DAY_FIELDS = ("day", "kind", "name")
DELEGATION_FIELDS = ("procedure", "to_agency", "to_unit", "starts_on", "ends_on", "note")
# The years the calendar pages open: the `holidays` package knows them all.
FIRST_YEAR, LAST_YEAR = 2000, 2100

Year = Annotated[int | None, Query(alias="nam", ge=FIRST_YEAR, le=LAST_YEAR)]
DelegationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _shown(year: int) -> int:
    """The year of the calendar page that shows a day of ``year``, or the nearest there is."""
    return min(max(year, FIRST_YEAR), LAST_YEAR)


async def _audit(
    session: Session,
    request: Request,
    admin: OfficialOut,
    action: str,
    detail: Mapping[str, Any],
) -> None:
    await audit.record(
        session,
        actor=f"account:{admin.account_id}",
        actor_name=admin.full_name,
        action=action,
        ip=request.client.host if request.client else "",
        detail=detail,
    )


# ----------------------------------------------------------------------------- calendar


async def _render_calendar(
    request: Request,
    session: Session,
    pages: Pages,
    year: int,
    *,
    values: Mapping[str, str] | None = None,
    change: date | None = None,
    problems: list[Problem] | None = None,
    saved: date | None = None,
    removed: date | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The calendar of the year; its form filled with ``values``, or else with the day to
    ``change`` if the year has it."""
    days = await calendar_service.year_days(session, year)
    if values is None:
        changed = next((d for d in days if d.day == change), None)
        values = (
            {"day": changed.day.isoformat(), "kind": changed.kind.value, "name": changed.name}
            if changed
            else {}
        )
    return render_form_page(
        pages,
        request,
        "pages/admin_calendar.html",
        {
            "year": year,
            "previous_year": year - 1 if year > FIRST_YEAR else None,
            "next_year": year + 1 if year < LAST_YEAR else None,
            "days": days,
            "kinds": [kind.value for kind in DayKind],
            "saved": next((d for d in days if d.day == saved), None),
            "removed": removed,
        },
        fields=DAY_FIELDS,
        values=values,
        problems=problems or [],
        status_code=status_code,
    )


@router.get(CALENDAR_URL, response_class=HTMLResponse)
async def calendar_page(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    _admin: Admin,
    year: Year = None,
    change: Annotated[date | None, Query(alias="ngay")] = None,
    saved: Annotated[date | None, Query(alias="da-luu")] = None,
    removed: Annotated[date | None, Query(alias="da-xoa")] = None,
) -> HTMLResponse:
    """The year's days off and swapped working days, and the form to add or change one."""
    return await _render_calendar(
        request,
        session,
        pages,
        year or delegations.local_today(settings).year,
        change=change,
        saved=saved,
        removed=removed,
    )


@router.post(CALENDAR_URL, response_class=HTMLResponse)
async def set_calendar_day(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep, admin: Admin
) -> Response:
    """Make a weekday a day off, or a Saturday or Sunday a working day; or the page again
    with the form's errors."""
    data = await read_form(request)
    values = {name: data.get(name, "") for name in DAY_FIELDS}
    day = parse_day(values["day"])
    kind = next((k for k in DayKind if k.value == values["kind"]), None)
    problems: list[Problem] = []
    if day is None or _shown(day.year) != day.year:
        problems.append(
            Problem(
                "day",
                f"Vui lòng nhập một ngày có thật, từ năm {FIRST_YEAR} đến năm {LAST_YEAR}"
                " (ngày/tháng/năm)",
                f"Enter a real date, from {FIRST_YEAR} to {LAST_YEAR} (day/month/year)",
            )
        )
    if kind is None:
        problems.append(
            Problem("kind", "Vui lòng chọn loại ngày", "Choose whether it is a day off or worked")
        )
    if day is not None and kind is not None and not problems:
        try:
            changed = await calendar_service.set_day(session, day, kind, values["name"])
        except CalendarDayInvalid as exc:
            problems = exc.problems
        else:
            await _audit(
                session,
                request,
                admin,
                "calendar.day_set",
                {"day": day.isoformat(), "kind": changed.kind.value, "name": changed.name},
            )
            return RedirectResponse(
                f"{CALENDAR_URL}?nam={day.year}&da-luu={day.isoformat()}", status_code=303
            )
    return await _render_calendar(
        request,
        session,
        pages,
        _shown(day.year if day is not None else delegations.local_today(settings).year),
        values=values,
        problems=problems,
        status_code=422,
    )


@router.post(REMOVE_DAY_URL, response_class=HTMLResponse)
async def remove_calendar_day(
    request: Request, session: Session, pages: PagesDep, admin: Admin
) -> Response:
    """Remove a day: it follows the Monday-to-Friday rule again."""
    data = await read_form(request)
    day = parse_day(data.get("day", ""))
    if day is None:
        raise page_not_found()
    await calendar_service.remove_day(session, day)
    await _audit(session, request, admin, "calendar.day_removed", {"day": day.isoformat()})
    return RedirectResponse(
        f"{CALENDAR_URL}?nam={_shown(day.year)}&da-xoa={day.isoformat()}", status_code=303
    )


# ----------------------------------------------------------------------------- delegations


async def _render_delegations(
    request: Request,
    session: Session,
    pages: Pages,
    admin: OfficialOut,
    today: date,
    *,
    added: int = 0,
    revoked: int = 0,
    values: Mapping[str, str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = await delegations.list_delegations(session, admin.agency_id)
    return render_form_page(
        pages,
        request,
        "pages/admin_delegations.html",
        {
            "agency_name": admin.agency_name,
            "delegations": found,
            "today": today,
            "procedures": await delegations.procedures_of(session, admin.agency_id),
            "agencies": await catalog.list_agencies(session),
            "added": next((d for d in found if d.id == added), None),
            "revoked": next((d for d in found if d.id == revoked), None),
        },
        fields=DELEGATION_FIELDS,
        values=values,
        problems=problems or [],
        status_code=status_code,
    )


@router.get(DELEGATIONS_URL, response_class=HTMLResponse)
async def delegation_list(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    admin: Admin,
    added: Annotated[int, Query(alias="da-them", ge=0, le=2**31 - 1)] = 0,
    revoked: Annotated[int, Query(alias="da-thu-hoi", ge=0, le=2**31 - 1)] = 0,
) -> HTMLResponse:
    """The agency's delegations, and the form to delegate a procedure or all of them."""
    return await _render_delegations(
        request,
        session,
        pages,
        admin,
        delegations.local_today(settings),
        added=added,
        revoked=revoked,
    )


@router.post(DELEGATIONS_URL, response_class=HTMLResponse)
async def new_delegation(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep, admin: Admin
) -> Response:
    """Delegate the agency's decisions; or the page again with the form's errors."""
    data = await read_form(request)
    values = {name: data.get(name, "") for name in DELEGATION_FIELDS}
    try:
        made = await delegations.create_delegation(
            session,
            from_agency_id=admin.agency_id,
            procedure_code=values["procedure"] or None,
            to_agency_code=values["to_agency"],
            to_unit_code=values["to_unit"] or None,
            starts_on=parse_day(values["starts_on"]),
            ends_on=parse_day(values["ends_on"]),
            note=values["note"],
        )
    except DelegationInvalid as exc:
        return await _render_delegations(
            request,
            session,
            pages,
            admin,
            delegations.local_today(settings),
            values=values,
            problems=exc.problems,
            status_code=422,
        )
    await _audit(
        session,
        request,
        admin,
        "delegation.created",
        {
            "delegation_id": made.id,
            "procedure": made.procedure_code,
            "to_agency": made.to_agency_code,
            "to_unit": made.to_unit_code,
            "starts_on": made.starts_on.isoformat(),
            "ends_on": made.ends_on.isoformat(),
        },
    )
    return RedirectResponse(f"{DELEGATIONS_URL}?da-them={made.id}", status_code=303)


@router.post(f"{DELEGATIONS_URL}/{{delegation_id}}/thu-hoi", response_class=HTMLResponse)
async def revoke_delegation(
    request: Request, session: Session, admin: Admin, delegation_id: DelegationId
) -> Response:
    """Revoke one of the agency's delegations; the 404 page for any other."""
    revoked = await delegations.revoke_delegation(session, admin.agency_id, delegation_id)
    await _audit(session, request, admin, "delegation.revoked", {"delegation_id": revoked.id})
    return RedirectResponse(f"{DELEGATIONS_URL}?da-thu-hoi={revoked.id}", status_code=303)
