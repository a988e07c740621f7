"""The pages where integrators manage their callbacks (webhooks): an agency's administrator at
/quan-tri/webhooks for the agency's subscriptions, an enterprise's members at
/doanh-nghiep/webhooks for the enterprise's. Both places show the same pages over the same
service as the API; only whose subscriptions they are differs.

Anyone else, and every subscription of another owner, gets the 404 page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from app.accounts import service as accounts
from app.accounts.schemas import OfficialOut
from app.config import Settings
from app.errors import Problem
from app.kit.text import contains_nul
from app.models.accounts import AccountKind, OfficialRole
from app.web.routes.deps import (
    CurrentAccount,
    PagesDep,
    Session,
    SettingsDep,
    SignInRequired,
    field_errors,
    load_official,
    page_not_found,
    read_form_lists,
)
from app.web.templating import Pages
from app.webhooks import service as webhooks
from app.webhooks.errors import SubscriptionInvalid
from app.webhooks.schemas import Owner, SubscriptionChanges, SubscriptionIn, SubscriptionOut

router = APIRouter()

AGENCY_URL = "/quan-tri/webhooks"
ENTERPRISE_URL = "/doanh-nghiep/webhooks"
FIELDS = ("url", "description", "event_types", "procedure_codes", "agency_codes", "contact_email")
TEXT_FIELDS = ("url", "description", "procedure_codes", "agency_codes", "contact_email")
# A subscription form has a box per event type besides its text fields.
MAX_FORM_FIELDS = 60
# What the pages say after a change, by the ``da`` of the address they are sent to.
DONE = ("sua", "bat", "tat", "gui-lai")
CODE_SEPARATORS = re.compile(r"[\s,;]+")

# The public ids: "ep_" and URL-safe base64; anything else is no subscription's.
Reference = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^ep_[A-Za-z0-9_-]+$")]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Done = Annotated[str, Query(alias="da", max_length=10)]
Handler = TypeVar("Handler", bound=Callable[..., Coroutine[Any, Any, Response]])
Model = TypeVar("Model", bound=BaseModel)
NUL_REFUSED = (
    "Văn bản chứa ký tự NUL, không lưu được.",
    "The text holds a NUL character, which cannot be saved.",
)


@dataclass(frozen=True)
class Place:
    """Whose pages: the owner of the subscriptions, the pages' address and the owner's name."""

    owner: Owner
    base: str
    kind: str
    name: str


async def current_place(
    request: Request,
    session: Session,
    account: CurrentAccount,
    official: Annotated[OfficialOut | None, Depends(load_official)],
) -> Place:
    """The agency of the signed-in administrator, or the enterprise of the signed-in member;
    sign in first when signed out, the 404 page for anyone else."""
    if account is None:
        query = request.url.query
        raise SignInRequired(request.url.path + (f"?{query}" if query else ""))
    if request.url.path.startswith(AGENCY_URL):
        if official is None or official.disabled or not official.holds(OfficialRole.admin.value):
            raise page_not_found()
        return Place(
            Owner(agency_id=official.agency_id), AGENCY_URL, "agency", official.agency_name
        )
    if account.kind is AccountKind.enterprise_staff and account.enterprises:
        # As when filing: a member acts for the first enterprise of the account.
        enterprise = await accounts.enterprise_ref(session, account.enterprises[0].tax_code)
        if enterprise is not None:
            owner = Owner(enterprise_id=enterprise.id)
            return Place(owner, ENTERPRISE_URL, "enterprise", enterprise.name)
    raise page_not_found()


PlaceDep = Annotated[Place, Depends(current_place)]


def _page(method: str, path: str = "") -> Callable[[Handler], Handler]:
    """Register the handler at both places: the agency's and the enterprise's."""

    def register(handler: Handler) -> Handler:
        for base in (AGENCY_URL, ENTERPRISE_URL):
            router.add_api_route(
                base + path, handler, methods=[method], response_class=HTMLResponse
            )
        return handler

    return register


def _url(place: Place, reference: str = "", **query: str) -> str:
    path = f"{place.base}/{reference}" if reference else place.base
    return f"{path}?{urlencode(query)}" if query else path


# ----------------------------------------------------------------------------- the form


@dataclass(frozen=True)
class _Form:
    """A subscription's form as posted (or as the subscription is now)."""

    values: dict[str, str]
    event_types: list[str]

    @classmethod
    def posted(cls, data: dict[str, list[str]]) -> _Form:
        values = {name: data.get(name, [""])[-1] for name in TEXT_FIELDS}
        return cls(values, data.get("event_types", []))

    @classmethod
    def saved(cls, subscription: SubscriptionOut) -> _Form:
        values = {
            "url": subscription.url,
            "description": subscription.description,
            "procedure_codes": ", ".join(subscription.procedure_codes),
            "agency_codes": ", ".join(subscription.agency_codes),
            "contact_email": subscription.contact_email or "",
        }
        return cls(values, subscription.event_types)

    def fields(self) -> dict[str, Any]:
        """The service's fields: the codes as lists, an empty contact as none."""
        return {
            "url": self.values["url"],
            "description": self.values["description"],
            "event_types": self.event_types,
            "procedure_codes": _codes(self.values["procedure_codes"]),
            "agency_codes": _codes(self.values["agency_codes"]),
            "contact_email": self.values["contact_email"].strip() or None,
        }

    def model(self, model: type[Model]) -> Model:
        """The service's input: SubscriptionInvalid beside each field holding NUL, which the
        database cannot store (the API refuses it too); ValidationError past a bound."""
        fields = self.fields()
        with_nul = [name for name, value in fields.items() if contains_nul(value)]
        if with_nul:
            raise SubscriptionInvalid([Problem(name, *NUL_REFUSED) for name in with_nul])
        return model.model_validate(fields)


def _codes(text: str) -> list[str]:
    return [code for code in CODE_SEPARATORS.split(text) if code]


def _too_long(error: ValidationError) -> list[Problem]:
    """What the model refused before the service saw it: a text or a list too long."""
    problems: list[Problem] = []
    for item in error.errors():
        most = item.get("ctx", {}).get("max_length", 0)
        problems.append(
            Problem(
                str(item["loc"][0]),
                f"Hãy nhập tối đa {most:,} ký tự hoặc mục".replace(",", "."),
                f"Enter at most {most:,} characters or items",
            )
        )
    return problems


def _render_form(
    request: Request,
    pages: Pages,
    place: Place,
    template: str,
    form: _Form,
    problems: list[Problem],
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    errors, links = field_errors(pages, request, problems, FIELDS)
    return pages.render(
        request,
        template,
        {
            "place": place,
            "event_types": webhooks.event_types(),
            "values": form.values,
            "chosen": form.event_types,
            "errors": errors,
            "error_links": links,
            **context,
        },
        status_code=status_code,
    )


# ----------------------------------------------------------------------------- list, create


@_page("GET")
async def subscription_list(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    place: PlaceDep,
    cursor: Annotated[str, Query(alias="sau", max_length=200)] = "",
    deleted: Annotated[bool, Query(alias="da-xoa")] = False,
) -> HTMLResponse:
    """The owner's subscriptions: URL, events, whether enabled, failing since, created."""
    found = await webhooks.list_subscriptions(
        session, place.owner, cursor or None, settings.page_size
    )
    return pages.render(
        request,
        "pages/webhooks.html",
        {
            "place": place,
            "subscriptions": found.items,
            "next_url": _url(place, sau=found.next_cursor) if found.next_cursor else "",
            "deleted": deleted,
        },
    )


@_page("GET", "/them")
async def new_subscription_form(request: Request, pages: PagesDep, place: PlaceDep) -> HTMLResponse:
    """The form to add a subscription."""
    form = _Form({name: "" for name in TEXT_FIELDS}, [])
    return _render_form(request, pages, place, "pages/webhook_new.html", form, [])


@_page("POST", "/them")
async def new_subscription(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep, place: PlaceDep
) -> Response:
    """Add the subscription and show its secret once; or the form again with its errors."""
    form = _Form.posted(await read_form_lists(request, max_fields=MAX_FORM_FIELDS))
    try:
        made, secret = await webhooks.create_subscription(
            session, settings, place.owner, form.model(SubscriptionIn)
        )
    except ValidationError as exc:
        return _render_form(
            request, pages, place, "pages/webhook_new.html", form, _too_long(exc), 422
        )
    except SubscriptionInvalid as exc:
        return _render_form(
            request, pages, place, "pages/webhook_new.html", form, exc.problems, 422
        )
    # Shown on this answer only: the secret never goes into an address or a later page.
    return pages.render(
        request,
        "pages/webhook_secret.html",
        {"place": place, "subscription": made, "secret": secret, "rotated": False},
        status_code=201,
    )


# ----------------------------------------------------------------------------- one subscription


def _moment(text: str, zone: str) -> datetime | None:
    """A moment as a datetime-local input sends it, in the portal's time zone; in UTC."""
    for form in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            local = datetime.strptime(text.strip(), form)
        except ValueError:
            continue
        return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return None


async def _render_subscription(
    request: Request,
    session: Session,
    pages: Pages,
    settings: Settings,
    place: Place,
    reference: str,
    *,
    cursor: str = "",
    done: str = "",
    queued: int = 0,
    since: str = "",
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    subscription = await webhooks.get_subscription(session, place.owner, reference)
    deliveries = await webhooks.list_deliveries(
        session, place.owner, reference, cursor=cursor or None, limit=settings.page_size
    )
    errors, links = field_errors(pages, request, problems or [], ("since",))
    next_url = (
        _url(place, reference, sau=deliveries.next_cursor) + "#lan-gui"
        if deliveries.next_cursor
        else ""
    )
    return pages.render(
        request,
        "pages/webhook.html",
        {
            "place": place,
            "s": subscription,
            "deliveries": deliveries.items,
            "next_url": next_url,
            "is_first_page": not cursor,
            "overlap_hours": settings.webhook_rotation_hours,
            "done": done if done in DONE else "",
            "queued": queued,
            "values": {"since": since},
            "errors": errors,
            "error_links": links,
        },
        status_code=status_code,
    )


@_page("GET", "/{reference}")
async def subscription_page(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    place: PlaceDep,
    reference: Reference,
    cursor: Annotated[str, Query(alias="sau", max_length=200)] = "",
    done: Done = "",
    queued: Annotated[int, Query(alias="so", ge=0, le=2**31 - 1)] = 0,
) -> HTMLResponse:
    """A subscription: its details, the actions on it and its deliveries, newest first."""
    return await _render_subscription(
        request, session, pages, settings, place, reference, cursor=cursor, done=done, queued=queued
    )


def _version(data: dict[str, list[str]]) -> int | None:
    """The version the form was read at: a change made meanwhile is refused, not overwritten."""
    text = data.get("version", [""])[-1]
    return int(text) if text.isdigit() and len(text) < 10 else None


@_page("GET", "/{reference}/sua")
async def edit_subscription_form(
    request: Request, session: Session, pages: PagesDep, place: PlaceDep, reference: Reference
) -> HTMLResponse:
    """The form to change a subscription's URL, events, filters and contact."""
    subscription = await webhooks.get_subscription(session, place.owner, reference)
    return _render_form(
        request,
        pages,
        place,
        "pages/webhook_edit.html",
        _Form.saved(subscription),
        [],
        subscription=subscription,
        version=subscription.version,
    )


@_page("POST", "/{reference}/sua")
async def edit_subscription(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    place: PlaceDep,
    reference: Reference,
) -> Response:
    """Save the changes of the subscription; or the form again with its errors."""
    data = await read_form_lists(request, max_fields=MAX_FORM_FIELDS)
    form = _Form.posted(data)
    version = _version(data)
    try:
        await webhooks.update_subscription(
            session,
            settings,
            place.owner,
            reference,
            form.model(SubscriptionChanges),
            expected_version=version,
        )
    except (ValidationError, SubscriptionInvalid) as exc:
        problems = _too_long(exc) if isinstance(exc, ValidationError) else exc.problems
        subscription = await webhooks.get_subscription(session, place.owner, reference)
        return _render_form(
            request,
            pages,
            place,
            "pages/webhook_edit.html",
            form,
            problems,
            422,
            subscription=subscription,
            version=version or subscription.version,
        )
    return RedirectResponse(_url(place, reference, da="sua"), status_code=303)


async def _enable(
    request: Request,
    session: Session,
    settings: Settings,
    place: Place,
    reference: str,
    *,
    enabled: bool,
) -> Response:
    data = await read_form_lists(request)
    await webhooks.update_subscription(
        session,
        settings,
        place.owner,
        reference,
        SubscriptionChanges(enabled=enabled),
        expected_version=_version(data),
    )
    return RedirectResponse(_url(place, reference, da="bat" if enabled else "tat"), 303)


@_page("POST", "/{reference}/bat")
async def enable_subscription(
    request: Request,
    session: Session,
    settings: SettingsDep,
    place: PlaceDep,
    reference: Reference,
) -> Response:
    """Enable the endpoint again: the deliveries that waited for it go out."""
    return await _enable(request, session, settings, place, reference, enabled=True)


@_page("POST", "/{reference}/tat")
async def disable_subscription(
    request: Request,
    session: Session,
    settings: SettingsDep,
    place: PlaceDep,
    reference: Reference,
) -> Response:
    """Disable the endpoint: its deliveries wait until it is enabled."""
    return await _enable(request, session, settings, place, reference, enabled=False)


@_page("POST", "/{reference}/doi-khoa")
async def rotate_secret(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    place: PlaceDep,
    reference: Reference,
) -> HTMLResponse:
    """A new signing secret, shown once; the old one signs beside it for a while."""
    secret = await webhooks.rotate_secret(session, settings, place.owner, reference)
    subscription = await webhooks.get_subscription(session, place.owner, reference)
    return pages.render(
        request,
        "pages/webhook_secret.html",
        {"place": place, "subscription": subscription, "secret": secret.secret, "rotated": True},
    )


@_page("GET", "/{reference}/xoa")
async def delete_subscription_form(
    request: Request, session: Session, pages: PagesDep, place: PlaceDep, reference: Reference
) -> HTMLResponse:
    """Ask before deleting the subscription."""
    subscription = await webhooks.get_subscription(session, place.owner, reference)
    return pages.render(
        request, "pages/webhook_delete.html", {"place": place, "subscription": subscription}
    )


@_page("POST", "/{reference}/xoa")
async def delete_subscription(
    request: Request, session: Session, place: PlaceDep, reference: Reference
) -> Response:
    """Delete the subscription; the deliveries still waiting are given up."""
    data = await read_form_lists(request)
    await webhooks.delete_subscription(
        session, place.owner, reference, expected_version=_version(data)
    )
    return RedirectResponse(_url(place, **{"da-xoa": "1"}), status_code=303)


@_page("POST", "/{reference}/gui-lai")
async def replay(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    place: PlaceDep,
    reference: Reference,
) -> Response:
    """Queue again every event the subscription wants since the moment given."""
    text = (await read_form_lists(request)).get("since", [""])[-1]
    since = _moment(text, settings.time_zone)
    if since is None:
        problem = Problem(
            "since",
            "Hãy chọn ngày và giờ bắt đầu gửi lại",
            "Choose the day and time to send the events again from",
        )
        return await _render_subscription(
            request,
            session,
            pages,
            settings,
            place,
            reference,
            since=text,
            problems=[problem],
            status_code=422,
        )
    result = await webhooks.replay(session, place.owner, reference, since)
    return RedirectResponse(
        _url(place, reference, da="gui-lai", so=str(result.queued)), status_code=303
    )


# ----------------------------------------------------------------------------- deliveries


@_page("GET", "/{reference}/lan-gui/{delivery_id}")
async def delivery_page(
    request: Request,
    session: Session,
    pages: PagesDep,
    place: PlaceDep,
    reference: Reference,
    delivery_id: DeliveryId,
    done: Done = "",
) -> HTMLResponse:
    """A delivery: its event, state and every attempt with what the endpoint answered."""
    subscription = await webhooks.get_subscription(session, place.owner, reference)
    delivery = await webhooks.get_delivery(session, place.owner, reference, delivery_id)
    return pages.render(
        request,
        "pages/webhook_delivery.html",
        {"place": place, "s": subscription, "d": delivery, "done": done == "gui-lai"},
    )


@_page("POST", "/{reference}/lan-gui/{delivery_id}/gui-lai")
async def redeliver(
    session: Session, place: PlaceDep, reference: Reference, delivery_id: DeliveryId
) -> Response:
    """Send the delivery's event again, as a new delivery with the same webhook-id."""
    again = await webhooks.redeliver(session, place.owner, reference, delivery_id)
    return RedirectResponse(
        f"{place.base}/{reference}/lan-gui/{again.id}?da=gui-lai", status_code=303
    )
