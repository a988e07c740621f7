"""Authentication of enterprise and agency software: `Authorization: Bearer <API key>`, and
scopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.accounts.errors import Unauthorized
from app.accounts.schemas import ApiPrincipal
from app.db import request_session

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
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Missing, malformed, unknown or revoked API key (application/problem+json)",
        "headers": _WWW_AUTHENTICATE,
    },
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The API key lacks a needed scope, or is an agency's where only an "
        "enterprise's works (application/problem+json)",
        "headers": _WWW_AUTHENTICATE,
    },
}


async def api_principal(
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiPrincipal:
    """The enterprise or agency and the key calling; 401 problem+json without a usable key."""
    if credentials is None:
        raise Unauthorized()
    return await api_keys.authenticate(session, credentials.credentials)


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
