"""The API key pages: an agency's administrator manages the agency's keys at /quan-tri/khoa-api,
an enterprise's members see its keys at /doanh-nghiep/khoa-api, where its owner creates and
revokes them. A new key is shown once, on the page that answers its creation.

Anyone else gets the 404 page of an address that does not exist, and a key of another owner is
not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import api_keys
from app.accounts.errors import ApiKeyInvalid
from app.accounts.schemas import AccountOut, ApiKeyOut
from app.config import Settings
from app.errors import Problem
from app.kit.clock import utcnow
from app.models.accounts import AccountKind
from app.web.routes.admin import Admin, parse_day, render_form_page
from app.web.routes.deps import (
    CurrentAccount,
    PagesDep,
    Session,
    SettingsDep,
    SignInRequired,
    page_not_found,
    read_form_lists,
)
from app.web.templating import Pages

router = APIRouter()

AGENCY_KEYS_URL = "/quan-tri/khoa-api"
ENTERPRISE_KEYS_URL = "/doanh-nghiep/khoa-api"
KEY_FIELDS = ("name", "scopes", "expires_at", "rate_limit")
# Checkbox values and the name, expiry and limit: a few fields, short ones.
MAX_FORM_FIELDS = 20

Prefix = Annotated[str, Path(min_length=api_keys.PREFIX_LENGTH, max_length=16)]
Revoked = Annotated[str, Query(alias="da-thu-hoi", max_length=16)]


@dataclass(frozen=True)
class _Owner:
    """Whose keys a page shows, and whether the reader may create and revoke them."""

    enterprise_tax_code: str | None
    agency_code: str | None
    name: str
    scopes: tuple[str, ...]
    url: str
    manages: bool
    # The administration's links above an agency's page; the account's for an enterprise's.
    admin: bool


def _agency_owner(admin: Admin) -> _Owner:
    return _Owner(
        None,
        admin.agency_code,
        admin.agency_name,
        api_keys.AGENCY_SCOPES,
        AGENCY_KEYS_URL,
        True,
        True,
    )


def _enterprise_owner(request: Request, account: AccountOut | None) -> _Owner:
    """The enterprise of the signed-in staff member (the one they file for); sign in first
    when signed out, the 404 page for anyone else."""
    if account is None:
        raise SignInRequired(request.url.path)
    if account.kind is not AccountKind.enterprise_staff or not account.enterprises:
        raise page_not_found()
    enterprise = account.enterprises[0]
    return _Owner(
        enterprise.tax_code,
        None,
        enterprise.name,
        api_keys.ENTERPRISE_SCOPES,
        ENTERPRISE_KEYS_URL,
        api_keys.manages_enterprise_keys(enterprise.role),
        False,
    )


async def _render(
    request: Request,
    session: Session,
    pages: Pages,
    owner: _Owner,
    *,
    created: tuple[ApiKeyOut, str] | None = None,
    revoked: str = "",
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    keys = await api_keys.list_api_keys(
        session, owner.enterprise_tax_code, agency_code=owner.agency_code
    )
    return render_form_page(
        pages,
        request,
        "pages/api_keys.html",
        {
            "owner": owner,
            "keys": keys,
            "now": utcnow(),
            "created": created[0] if created else None,
            "raw_key": created[1] if created else "",
            "revoked": next((k for k in keys if k.prefix == revoked), None),
            "chosen_scopes": chosen or [],
        },
        fields=KEY_FIELDS,
        values=values,
        problems=problems or [],
        status_code=status_code,
    )


async def _create(
    request: Request, session: Session, pages: Pages, settings: Settings, owner: _Owner
) -> Response:
    """Create the key from the posted form and show it once; or the page with the errors."""
    if not owner.manages:
        raise page_not_found()
    form = await read_form_lists(request, max_fields=MAX_FORM_FIELDS)
    values = {name: form.get(name, [""])[-1].strip() for name in KEY_FIELDS if name != "scopes"}
    scopes = form.get("scopes", [])
    problems: list[Problem] = []
    expires_on = parse_day(values["expires_at"]) if values["expires_at"] else None
    if values["expires_at"] and expires_on is None:
        problems.append(
            Problem(
                "expires_at",
                "Vui lòng nhập một ngày có thật (ngày/tháng/năm)",
                "Enter a real date (day/month/year)",
            )
        )
    limit = values["rate_limit"]
    rate_limit = int(limit) if limit.isascii() and limit.isdigit() and len(limit) <= 9 else None
    if limit and rate_limit is None:
        problems.append(
            Problem(
                "rate_limit",
                "Vui lòng nhập số yêu cầu mỗi phút bằng chữ số, ví dụ 120",
                "Enter the requests a minute in digits, for example 120",
            )
        )
    try:
        created = await api_keys.create_api_key(
            session,
            name=values["name"],
            scopes=scopes,
            enterprise_tax_code=owner.enterprise_tax_code,
            agency_code=owner.agency_code,
            expires_at=api_keys.end_of_day(expires_on, settings.time_zone) if expires_on else None,
            rate_limit=rate_limit,
            found_problems=problems,
        )
    except ApiKeyInvalid as exc:
        return await _render(
            request,
            session,
            pages,
            owner,
            values=values,
            chosen=scopes,
            problems=exc.problems,
            status_code=422,
        )
    return await _render(request, session, pages, owner, created=created)


def _confirm(request: Request, pages: Pages, owner: _Owner, key: ApiKeyOut) -> HTMLResponse:
    return pages.render(request, "pages/api_key_revoke.html", {"owner": owner, "key": key})


async def _key_of(session: Session, owner: _Owner, prefix: str) -> ApiKeyOut:
    """The owner's key with the prefix; the 404 page for any other."""
    keys = await api_keys.list_api_keys(
        session, owner.enterprise_tax_code, agency_code=owner.agency_code
    )
    found = next((k for k in keys if k.prefix == prefix), None)
    if found is None or not owner.manages:
        raise page_not_found()
    return found


async def _revoke(session: Session, owner: _Owner, prefix: str) -> Response:
    await _key_of(session, owner, prefix)
    await api_keys.revoke_api_key(
        session,
        prefix,
        enterprise_tax_code=owner.enterprise_tax_code,
        agency_code=owner.agency_code,
    )
    return RedirectResponse(f"{owner.url}?da-thu-hoi={prefix}", status_code=303)


# ----------------------------------------------------------------------------- agency


@router.get(AGENCY_KEYS_URL, response_class=HTMLResponse)
async def agency_keys(
    request: Request, session: Session, pages: PagesDep, admin: Admin, revoked: Revoked = ""
) -> HTMLResponse:
    """The agency's API keys, and the form to create one."""
    return await _render(request, session, pages, _agency_owner(admin), revoked=revoked)


@router.post(AGENCY_KEYS_URL, response_class=HTMLResponse)
async def new_agency_key(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep, admin: Admin
) -> Response:
    """Create an API key of the agency and show it once; or the page with the form's errors."""
    return await _create(request, session, pages, settings, _agency_owner(admin))


@router.get(f"{AGENCY_KEYS_URL}/{{prefix}}/thu-hoi", response_class=HTMLResponse)
async def confirm_agency_revoke(
    request: Request, session: Session, pages: PagesDep, admin: Admin, prefix: Prefix
) -> HTMLResponse:
    """Ask to confirm the revocation of one of the agency's keys."""
    owner = _agency_owner(admin)
    return _confirm(request, pages, owner, await _key_of(session, owner, prefix))


@router.post(f"{AGENCY_KEYS_URL}/{{prefix}}/thu-hoi", response_class=HTMLResponse)
async def revoke_agency_key(session: Session, admin: Admin, prefix: Prefix) -> Response:
    """Revoke one of the agency's keys; the 404 page for any other."""
    return await _revoke(session, _agency_owner(admin), prefix)


# ----------------------------------------------------------------------------- enterprise


@router.get(ENTERPRISE_KEYS_URL, response_class=HTMLResponse)
async def enterprise_keys(
    request: Request,
    session: Session,
    pages: PagesDep,
    account: CurrentAccount,
    revoked: Revoked = "",
) -> HTMLResponse:
    """The enterprise's API keys; its owner also gets the form to create one."""
    owner = _enterprise_owner(request, account)
    return await _render(request, session, pages, owner, revoked=revoked)


@router.post(ENTERPRISE_KEYS_URL, response_class=HTMLResponse)
async def new_enterprise_key(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    account: CurrentAccount,
) -> Response:
    """Create an API key of the enterprise (its owner only) and show it once."""
    owner = _enterprise_owner(request, account)
    return await _create(request, session, pages, settings, owner)


@router.get(f"{ENTERPRISE_KEYS_URL}/{{prefix}}/thu-hoi", response_class=HTMLResponse)
async def confirm_enterprise_revoke(
    request: Request, session: Session, pages: PagesDep, account: CurrentAccount, prefix: Prefix
) -> HTMLResponse:
    """Ask the enterprise's owner to confirm the revocation of one of its keys."""
    owner = _enterprise_owner(request, account)
    return _confirm(request, pages, owner, await _key_of(session, owner, prefix))


@router.post(f"{ENTERPRISE_KEYS_URL}/{{prefix}}/thu-hoi", response_class=HTMLResponse)
async def revoke_enterprise_key(
    request: Request, session: Session, account: CurrentAccount, prefix: Prefix
) -> Response:
    """Revoke one of the enterprise's keys (its owner only); the 404 page for any other."""
    return await _revoke(session, _enterprise_owner(request, account), prefix)
