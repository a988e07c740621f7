"""The Idempotency-Key header on the API's state-changing endpoints (see app.idempotency)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.idempotency import service as idempotency
from app.idempotency.schemas import StoredResponse

REPLAYED = "Idempotent-Replayed"
MAX_ROUTE_LENGTH = 200

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "A unique key of this operation (such as a UUID), at most 255 printable ASCII"
            " characters. Retrying with the same key and the same request gives the first"
            f" response again, with `{REPLAYED}: true`, instead of acting twice; the same key"
            " with another request is refused (422), and while the first request still runs"
            " the retry is answered 409 with Retry-After. Keys are kept per API client and"
            " per endpoint for the hours the portal is configured with (24 by default)."
        ),
        json_schema_extra={"maxLength": idempotency.MAX_KEY_LENGTH},
    ),
]

REPLAYED_HEADER: dict[str, Any] = {
    REPLAYED: {
        "description": "`true` when this is the stored response to an earlier request made"
        " with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def replayable(
    status: int, headers: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The documented success of an endpoint honouring Idempotency-Key: it may be a replay
    (``Idempotent-Replayed``), with the endpoint's own ``headers`` besides."""
    return {status: {"headers": {**REPLAYED_HEADER, **(headers or {})}}}


IDEMPOTENCY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Idempotency-Key empty, too long or not printable ASCII"},
    409: {
        "description": "A request with the same Idempotency-Key is still being processed, or"
        " the resource is not in a state that allows this",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def route_of(request: Request) -> str:
    """The endpoint a request reached, as keys are scoped: ``POST /api/v1/dossiers``."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    return f"{request.method} {path}"[:MAX_ROUTE_LENGTH]


def key_lifetime(request: Request) -> timedelta:
    """How long the portal keeps idempotency keys (``idempotency_hours``)."""
    settings: Settings = request.app.state.settings
    return timedelta(hours=settings.idempotency_hours)


def respond(stored: StoredResponse, *, replayed: bool = False) -> Response:
    """The HTTP response for a stored one (a replay says so in a header)."""
    headers = dict(stored.headers)
    if replayed:
        headers[REPLAYED] = "true"
    if stored.body is None:
        return Response(status_code=stored.status, headers=headers)
    return JSONResponse(stored.body, status_code=stored.status, headers=headers)


async def once(
    request: Request,
    session: AsyncSession,
    client: str,
    key: str | None,
    work: Callable[[], Awaitable[StoredResponse]],
) -> Response:
    """Do the work, unless the key was used for this request before: then replay its response.

    The key is claimed in the request's transaction before the work and its response kept
    after it, so both commit (or roll back) with the change itself.
    """
    if key is None:
        return respond(await work())
    key = idempotency.check_key(key)
    fingerprint = idempotency.request_fingerprint(
        request.method, request.url.path, await request.body()
    )
    claimed = await idempotency.claim(
        session, client, route_of(request), key, fingerprint, key_lifetime(request)
    )
    if isinstance(claimed, StoredResponse):
        return respond(claimed, replayed=True)
    response = await work()
    await idempotency.complete(session, claimed, response)
    return respond(response)
