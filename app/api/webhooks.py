"""Callbacks for enterprises' and agencies' software: subscriptions, their secrets, their
deliveries. A key with the `webhooks:manage` scope manages its owner's subscriptions only."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse, Response

from app.accounts.api_keys import SCOPE_WEBHOOKS
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Session, requires
from app.api.conditional import check_if_match_version, none_match, version_tag
from app.api.dossiers import NoNul
from app.api.idempotent import IDEMPOTENCY_RESPONSES, IdempotencyKey, once, replayable
from app.api.pagination import PAGED, CursorPage, PageQuery
from app.config import Settings
from app.idempotency.schemas import StoredResponse
from app.models.webhooks import DeliveryState
from app.webhooks import service
from app.webhooks.schemas import (
    CreatedSubscription,
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    EventTypeOut,
    Owner,
    ReplayIn,
    ReplayOut,
    SecretOut,
    SubscriptionChanges,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPage,
)

router = APIRouter(prefix="/webhooks")

TAGS: list[str | Enum] = ["webhooks"]
Manager = Annotated[ApiPrincipal, Depends(requires(SCOPE_WEBHOOKS))]
SubscriptionId = Annotated[
    str, Path(max_length=40, pattern=r"^ep_[A-Za-z0-9_-]+$", description="The subscription's id")
]
DeliveryId = Annotated[int, Path(ge=1, description="The delivery's id")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag (W/"<version>") the change was decided on: 412 if the'
        " subscription changed since. Optional.",
        json_schema_extra={"maxLength": 100},
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="The ETag the client holds: 304 without a body while it is current",
        json_schema_extra={"maxLength": 1000},
    ),
]

ETAG: dict[str, Any] = {
    "ETag": {"description": 'W/"<version>" of the subscription', "schema": {"type": "string"}}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such subscription of the caller's (or no such delivery of it)"},
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "A field is wrong (`errors` locates each: unknown event type, URL not"
        " http(s) or reaching a private address, bad e-mail, a text holding NUL), or"
        " Idempotency-Key used before for another request"
    },
}
PRECONDITION: dict[int | str, dict[str, Any]] = {
    412: {"description": "If-Match does not name the subscription's present version"},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: If-None-Match names the present version"},
}
READ = UNAUTHORIZED | FORBIDDEN | NOT_FOUND


WRITE = READ | IDEMPOTENCY_RESPONSES | INVALID


async def _owner(session: Session, principal: Manager) -> Owner:
    return await service.owner_of_key(session, principal)


OwnerOf = Annotated[Owner, Depends(_owner)]


class SubscriptionBody(SubscriptionIn, NoNul):
    """A new subscription: where to post, and which events (empty lists: all of them)."""


class SubscriptionPatch(SubscriptionChanges, NoNul):
    """A change of a subscription: only the fields given change; `enabled: true` resumes a
    disabled endpoint and the deliveries waiting for it."""


class ReplayBody(ReplayIn, NoNul):
    """The moment from which to send the subscription's events again."""


class EventTypePage(CursorPage[EventTypeOut]):
    """A page of the event types, by name."""


async def _expected(
    session: Session, owner: Owner, reference: str, if_match: str | None
) -> int | None:
    """The version a change was decided on (If-Match), 412 when it is not the present one;
    the service refuses it again if the subscription changes before it is written."""
    if if_match is None:
        return None
    present = await service.get_subscription(session, owner, reference)
    check_if_match_version(if_match, present.version)
    return present.version


def _tagged(out: SubscriptionOut, status: int = 200) -> StoredResponse:
    return StoredResponse(status, out.model_dump(mode="json"), {"ETag": version_tag(out.version)})


@router.get("/event-types", response_model=EventTypePage, tags=TAGS, responses=PAGED)
async def list_event_types(paging: PageQuery) -> EventTypePage:
    """Every event type a subscription may ask for, with its description (no key needed)."""
    page = paging.of(service.event_types(), lambda event_type: (event_type.name,), (str,))
    return paging.answer(EventTypePage(items=page.items, next_cursor=page.next_cursor))


@router.post(
    "",
    response_model=CreatedSubscription,
    status_code=201,
    tags=TAGS,
    responses=replayable(201, ETAG) | UNAUTHORIZED | FORBIDDEN | WRITE,
)
async def create_subscription(
    request: Request,
    session: Session,
    principal: Manager,
    owner: OwnerOf,
    body: SubscriptionBody,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Subscribe an endpoint to events; the answer holds its signing secret (`whsec_…`)."""
    settings: Settings = request.app.state.settings

    async def work() -> StoredResponse:
        out, secret = await service.create_subscription(session, settings, owner, body)
        created = CreatedSubscription(**out.model_dump(), secret=secret)
        return StoredResponse(
            201, created.model_dump(mode="json"), {"ETag": version_tag(out.version)}
        )

    return await once(request, session, principal.key_prefix, idempotency_key, work)


@router.get(
    "", response_model=SubscriptionPage, tags=TAGS, responses=UNAUTHORIZED | FORBIDDEN | PAGED
)
async def list_subscriptions(
    session: Session, owner: OwnerOf, paging: PageQuery
) -> SubscriptionPage:
    """The caller's subscriptions, oldest first, a page at a time (`next_cursor`)."""
    return paging.answer(
        await service.list_subscriptions(session, owner, paging.cursor, paging.limit)
    )


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionOut,
    tags=TAGS,
    responses={200: {"headers": ETAG}} | NOT_MODIFIED | READ,
)
async def get_subscription(
    session: Session,
    owner: OwnerOf,
    subscription_id: SubscriptionId,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One subscription of the caller, with its ETag."""
    out = await service.get_subscription(session, owner, subscription_id)
    etag = version_tag(out.version)
    if not none_match(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": etag})


@router.patch(
    "/{subscription_id}",
    response_model=SubscriptionOut,
    tags=TAGS,
    responses={200: {"headers": ETAG}} | READ | INVALID | PRECONDITION,
)
async def update_subscription(
    request: Request,
    session: Session,
    owner: OwnerOf,
    subscription_id: SubscriptionId,
    body: SubscriptionPatch,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields given; `enabled: true` resumes a disabled endpoint and what waited."""
    settings: Settings = request.app.state.settings
    expected = await _expected(session, owner, subscription_id, if_match)
    out = await service.update_subscription(
        session, settings, owner, subscription_id, body, expected
    )
    tagged = _tagged(out)
    return JSONResponse(tagged.body, headers=tagged.headers)


@router.delete(
    "/{subscription_id}",
    status_code=204,
    tags=TAGS,
    responses=READ | PRECONDITION,
)
async def delete_subscription(
    session: Session, owner: OwnerOf, subscription_id: SubscriptionId, if_match: IfMatch = None
) -> Response:
    """Delete a subscription; its deliveries still waiting fail."""
    expected = await _expected(session, owner, subscription_id, if_match)
    await service.delete_subscription(session, owner, subscription_id, expected)
    return Response(status_code=204)


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=SecretOut,
    tags=TAGS,
    responses=replayable(200) | WRITE,
)
async def rotate_secret(
    request: Request,
    session: Session,
    principal: Manager,
    owner: OwnerOf,
    subscription_id: SubscriptionId,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A new signing secret; the previous one keeps signing beside it until
    `previous_secret_expires_at`."""
    settings: Settings = request.app.state.settings

    async def work() -> StoredResponse:
        out = await service.rotate_secret(session, settings, owner, subscription_id)
        return StoredResponse(200, out.model_dump(mode="json"))

    return await once(request, session, principal.key_prefix, idempotency_key, work)


@router.get("/{subscription_id}/secret", response_model=SecretOut, tags=TAGS, responses=READ)
async def get_secret(
    request: Request, session: Session, owner: OwnerOf, subscription_id: SubscriptionId
) -> SecretOut:
    """The present signing secret of a subscription."""
    settings: Settings = request.app.state.settings
    return await service.get_secret(session, settings, owner, subscription_id)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=DeliveryPage,
    tags=TAGS,
    responses=READ | PAGED,
)
async def list_deliveries(
    session: Session,
    owner: OwnerOf,
    subscription_id: SubscriptionId,
    paging: PageQuery,
    state: DeliveryState | None = None,
) -> DeliveryPage:
    """The deliveries of a subscription, newest first, optionally in one state."""
    return paging.answer(
        await service.list_deliveries(
            session,
            owner,
            subscription_id,
            state.value if state else None,
            paging.cursor,
            paging.limit,
        )
    )


@router.get(
    "/{subscription_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    tags=TAGS,
    responses=READ,
)
async def get_delivery(
    session: Session, owner: OwnerOf, subscription_id: SubscriptionId, delivery_id: DeliveryId
) -> DeliveryDetail:
    """One delivery with the event it carries and each attempt (status, time, error)."""
    return await service.get_delivery(session, owner, subscription_id, delivery_id)


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=202,
    tags=TAGS,
    responses=replayable(202) | WRITE,
)
async def redeliver(
    request: Request,
    session: Session,
    principal: Manager,
    owner: OwnerOf,
    subscription_id: SubscriptionId,
    delivery_id: DeliveryId,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Send a delivery's event again, as a new delivery with the same webhook-id."""

    async def work() -> StoredResponse:
        out = await service.redeliver(session, owner, subscription_id, delivery_id)
        return StoredResponse(202, out.model_dump(mode="json"))

    return await once(request, session, principal.key_prefix, idempotency_key, work)


@router.post(
    "/{subscription_id}/replay",
    response_model=ReplayOut,
    status_code=202,
    tags=TAGS,
    responses=replayable(202) | WRITE,
)
async def replay(
    request: Request,
    session: Session,
    principal: Manager,
    owner: OwnerOf,
    subscription_id: SubscriptionId,
    body: ReplayBody,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Send again every event the subscription wants since `since`, oldest first, at most
    10,000 at a time (`truncated` then says to replay again from `until`)."""

    async def work() -> StoredResponse:
        out = await service.replay(session, owner, subscription_id, body.since)
        return StoredResponse(202, out.model_dump(mode="json"))

    return await once(request, session, principal.key_prefix, idempotency_key, work)
