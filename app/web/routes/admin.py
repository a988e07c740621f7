"""The administrator's pages: the officials and the units of the administrator's own agency.

Only an official with the admin role sees them. Everyone else, and every official of another
agency, gets the 404 page of an address that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import officials
from app.accounts.errors import OfficialInvalid, UnitInvalid
from app.accounts.schemas import OfficialOut
from app.errors import Problem
from app.models.accounts import OfficialRole
from app.web.routes.deps import (
    PagesDep,
    Session,
    field_errors,
    page_not_found,
    read_form,
    read_form_lists,
    require_roles,
)
from app.web.templating import Pages

router = APIRouter()

OFFICIALS_URL = "/quan-tri/can-bo"
NEW_OFFICIAL_URL = f"{OFFICIALS_URL}/them"
UNITS_URL = "/quan-tri/don-vi"
NEW_OFFICIAL_FIELDS = ("full_name", "email", "phone", "password", "title", "unit", "roles")
EDIT_FIELDS = ("roles", "unit", "title", "disabled")
UNIT_FIELDS = ("code", "name")

Admin = Annotated[OfficialOut, Depends(require_roles(OfficialRole.admin.value))]
# Ids are database integers: a larger number is no official's, not a database error.
AccountId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SavedId = Annotated[int, Query(alias="da-luu", ge=0, le=2**31 - 1)]


def parse_day(text: str) -> date | None:
    """A date as a date input sends it (2026-01-01), or as people write it (1/1/2026)."""
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    return None


def render_form_page(
    pages: Pages,
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    fields: Sequence[str],
    values: Mapping[str, Any] | None = None,
    problems: Sequence[Problem] = (),
    status_code: int = 200,
) -> HTMLResponse:
    """A page with a form: the values to show in it, and its problems in the reader's language,
    beside each field (in the order of ``fields``) and in the error summary."""
    errors, links = field_errors(pages, request, problems, fields)
    return pages.render(
        request,
        template,
        {**context, "values": values or {}, "errors": errors, "error_links": links},
        status_code=status_code,
    )


async def _official_here(session: Session, admin: OfficialOut, account_id: int) -> OfficialOut:
    """An official of the administrator's agency; the 404 page for any other."""
    found = await officials.official_of(session, account_id)
    if found is None or found.agency_id != admin.agency_id:
        raise page_not_found()
    return found


# ----------------------------------------------------------------------------- officials


@router.get(OFFICIALS_URL, response_class=HTMLResponse)
async def official_list(
    request: Request, session: Session, pages: PagesDep, admin: Admin, saved: SavedId = 0
) -> HTMLResponse:
    """The officials of the agency with their roles, unit, title and status."""
    found = await officials.list_officials(session, admin.agency_id)
    return pages.render(
        request,
        "pages/admin_officials.html",
        {
            "agency_name": admin.agency_name,
            "officials": found,
            "saved": next((o for o in found if o.account_id == saved), None),
        },
    )


async def _render_new(
    request: Request,
    session: Session,
    pages: Pages,
    admin: OfficialOut,
    form: dict[str, list[str]],
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    return render_form_page(
        pages,
        request,
        "pages/admin_official_new.html",
        {
            "agency_name": admin.agency_name,
            "units": await officials.list_units(session, admin.agency_id),
            "roles": officials.ROLES,
            "chosen_roles": form.get("roles", []),
        },
        fields=NEW_OFFICIAL_FIELDS,
        values={k: v[-1] for k, v in form.items() if k != "password" and v},
        problems=problems,
        status_code=status_code,
    )


@router.get(NEW_OFFICIAL_URL, response_class=HTMLResponse)
async def new_official_form(
    request: Request, session: Session, pages: PagesDep, admin: Admin
) -> HTMLResponse:
    """The form to add an official to the agency."""
    return await _render_new(request, session, pages, admin, {}, [])


@router.post(NEW_OFFICIAL_URL, response_class=HTMLResponse)
async def new_official(
    request: Request, session: Session, pages: PagesDep, admin: Admin
) -> Response:
    """Create the official in the administrator's agency; or the form again with its errors."""
    form = await read_form_lists(request)

    def last(name: str) -> str:
        return form.get(name, [""])[-1]

    try:
        made = await officials.create_official(
            session,
            email=last("email"),
            password=last("password"),
            full_name=last("full_name"),
            agency_code=admin.agency_code,
            roles=form.get("roles", []),
            unit_code=last("unit") or None,
            title=last("title"),
            phone=last("phone") or None,
        )
    except OfficialInvalid as exc:
        return await _render_new(
            request, session, pages, admin, form, exc.problems, status_code=422
        )
    return RedirectResponse(f"{OFFICIALS_URL}?da-luu={made.account_id}", status_code=303)


@dataclass(frozen=True)
class _EditForm:
    """The values of the form that changes an official."""

    roles: list[str]
    unit: str
    title: str

    @classmethod
    def saved(cls, official: OfficialOut) -> _EditForm:
        """The values the official has now."""
        return cls(official.roles, official.unit_code or "", official.title)


async def _render_edit(
    request: Request,
    session: Session,
    pages: Pages,
    official: OfficialOut,
    form: _EditForm,
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    return render_form_page(
        pages,
        request,
        "pages/admin_official_edit.html",
        {
            "official": official,
            "units": await officials.list_units(session, official.agency_id),
            "roles": officials.ROLES,
            "chosen_roles": form.roles,
        },
        fields=EDIT_FIELDS,
        values={"unit": form.unit, "title": form.title},
        problems=problems,
        status_code=status_code,
    )


async def _update(
    request: Request,
    session: Session,
    pages: Pages,
    admin: OfficialOut,
    official: OfficialOut,
    form: _EditForm,
    *,
    disabled: bool,
) -> Response:
    """Save the change and go back to the list; or the edit page again with its errors."""
    try:
        await officials.update_official(
            session,
            official.account_id,
            roles=form.roles,
            unit_code=form.unit,
            title=form.title,
            disabled=disabled,
            by=admin.account_id,
        )
    except OfficialInvalid as exc:
        return await _render_edit(
            request, session, pages, official, form, exc.problems, status_code=422
        )
    return RedirectResponse(f"{OFFICIALS_URL}?da-luu={official.account_id}", status_code=303)


@router.get(f"{OFFICIALS_URL}/{{account_id}}", response_class=HTMLResponse)
async def edit_official_form(
    request: Request, session: Session, pages: PagesDep, admin: Admin, account_id: AccountId
) -> HTMLResponse:
    """An official of the agency: change the roles, unit and title; disable or enable."""
    official = await _official_here(session, admin, account_id)
    return await _render_edit(request, session, pages, official, _EditForm.saved(official), [])


@router.post(f"{OFFICIALS_URL}/{{account_id}}", response_class=HTMLResponse)
async def edit_official(
    request: Request, session: Session, pages: PagesDep, admin: Admin, account_id: AccountId
) -> Response:
    """Save the official's roles, unit and title; or the form again with its errors."""
    official = await _official_here(session, admin, account_id)
    data = await read_form_lists(request)
    form = _EditForm(
        roles=data.get("roles", []),
        unit=data.get("unit", [""])[-1],
        title=data.get("title", [""])[-1],
    )
    return await _update(request, session, pages, admin, official, form, disabled=official.disabled)


@router.post(f"{OFFICIALS_URL}/{{account_id}}/khoa", response_class=HTMLResponse)
async def disable_official(
    request: Request, session: Session, pages: PagesDep, admin: Admin, account_id: AccountId
) -> Response:
    """Disable the official's account: it is signed out and can no longer sign in."""
    official = await _official_here(session, admin, account_id)
    saved = _EditForm.saved(official)
    return await _update(request, session, pages, admin, official, saved, disabled=True)


@router.post(f"{OFFICIALS_URL}/{{account_id}}/mo-khoa", response_class=HTMLResponse)
async def enable_official(
    request: Request, session: Session, pages: PagesDep, admin: Admin, account_id: AccountId
) -> Response:
    """Enable the official's account again."""
    official = await _official_here(session, admin, account_id)
    saved = _EditForm.saved(official)
    return await _update(request, session, pages, admin, official, saved, disabled=False)


# ----------------------------------------------------------------------------- units


async def _render_units(
    request: Request,
    session: Session,
    pages: Pages,
    admin: OfficialOut,
    *,
    added: int = 0,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    units = await officials.list_units(session, admin.agency_id)
    return render_form_page(
        pages,
        request,
        "pages/admin_units.html",
        {
            "agency_name": admin.agency_name,
            "units": units,
            "added": next((u for u in units if u.id == added), None),
        },
        fields=UNIT_FIELDS,
        values=values,
        problems=problems or [],
        status_code=status_code,
    )


@router.get(UNITS_URL, response_class=HTMLResponse)
async def unit_list(
    request: Request,
    session: Session,
    pages: PagesDep,
    admin: Admin,
    added: Annotated[int, Query(alias="da-them", ge=0, le=2**31 - 1)] = 0,
) -> HTMLResponse:
    """The units of the agency, and the form to add one."""
    return await _render_units(request, session, pages, admin, added=added)


@router.post(UNITS_URL, response_class=HTMLResponse)
async def new_unit(request: Request, session: Session, pages: PagesDep, admin: Admin) -> Response:
    """Add the unit to the administrator's agency; or the page again with the form's errors."""
    data = await read_form(request)
    values = {name: data.get(name, "") for name in UNIT_FIELDS}
    try:
        unit = await officials.create_unit(
            session, admin.agency_code, values["code"], values["name"]
        )
    except UnitInvalid as exc:
        return await _render_units(
            request, session, pages, admin, values=values, problems=exc.problems, status_code=422
        )
    return RedirectResponse(f"{UNITS_URL}?da-them={unit.id}", status_code=303)
