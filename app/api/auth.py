"""Authentication of enterprise and agency software: `Authorization: Bearer <API key>`,
scopes, and each key's requests a minute."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts import api_keys
from app.accounts.errors import RateLimited, Unauthorized
from app.accounts.schemas import ApiPrincipal
from app.config import Settings
from app.db import request_session
from app.kit.clock import utcnow

Session = Annotated[AsyncSession, Depends(request_session, scope="function")]

# auto_error=False: a missing or non-Bearer header reaches us as None, and is refused as a
# problem+json 401 like every other bad key, instead of FastAPI's own 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description=(
        "An enterprise's or an agency's API key (`mck_…`), made with `motcua apikeys create`."
    ),
)

_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}},
}
_RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests a minute the key may make",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current minute",
        "schema": {"type": "integer"},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the current minute's count starts again",
        "schema": {"type": "integer"},
    },
}
# Every operation that takes a key documents these, with its own responses.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Missing, malformed, unknown, revoked or expired API key (code "
        "api_key_expired for an expired one) (application/problem+json)",
        "headers": _WWW_AUTHENTICATE,
    },
    429: {
        "description": "The key made more requests this minute than its limit (code "
        "rate_limited) (application/problem+json)",
        "headers": {
            "Retry-After": {
                "description": "Seconds until the key may call again",
                "schema": {"type": "integer"},
            },
            **_RATE_LIMIT_HEADERS,
        },
    },
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The API key lacks a needed scope, or is an agency's where only an "
        "enterprise's works (application/problem+json)",
        "headers": _WWW_AUTHENTICATE,
    },
}


@asynccontextmanager
async def _apart_from(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A unit of work of its own on the request session's database, committed at once, whatever
    becomes of the request's. On a connection already in a transaction it is a savepoint."""
    async with AsyncSession(
        bind=session.bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as own:
        try:
            yield own
            await own.commit()
        except BaseException:
            await own.rollback()
            raise


async def admit_key(request: Request, session: AsyncSession, raw_key: str) -> ApiPrincipal:
    """The enterprise or agency and the key behind a raw key, with its request counted: 401
    problem+json for a key that is not usable, 429 past its requests a minute.

    The count is committed before the request's own work starts (a failing request still
    counts, and SQLite's one writer is free again); ``RateLimitHeaders`` puts the RateLimit-*
    headers on whatever answers the request.
    """
    settings: Settings = request.app.state.settings
    async with _apart_from(session) as counting:
        principal, window = await api_keys.admit_request(
            counting, raw_key, default_rate_limit=settings.api_rate_limit
        )
    now = utcnow()
    if window.exceeded:
        raise RateLimited(window, now)
    request.state.rate_limit_headers = window.headers(now)
    return principal


async def api_principal(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiPrincipal:
    """The enterprise or agency and the key calling (see ``admit_key``)."""
    if credentials is None:
        raise Unauthorized()
    return await admit_key(request, session, credentials.credentials)


Principal = Annotated[ApiPrincipal, Depends(api_principal)]


def requires(*scopes: str) -> Callable[[ApiPrincipal], Awaitable[ApiPrincipal]]:
    """A dependency giving the caller if its key has every scope; 403 problem+json if not.

    Use with ``UNAUTHORIZED | FORBIDDEN`` as the endpoint's documented responses.
    """

    async def principal_with_scopes(
        principal: Annotated[ApiPrincipal, Depends(api_principal)],
    ) -> ApiPrincipal:
        api_keys.require_scopes(principal, *scopes)
        return principal

    return principal_with_scopes


class RateLimitHeaders:
    """Adds the admitted API key's RateLimit-* headers to the answer, whatever made it: a
    returned model, a response an endpoint built itself, a stored idempotent reply, a download.
    (FastAPI copies a dependency's headers only onto the responses it builds.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            counted: dict[str, str] = scope.get("state", {}).get("rate_limit_headers", {})
            if message["type"] == "http.response.start" and counted:
                headers = MutableHeaders(scope=message)
                for name, value in counted.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
