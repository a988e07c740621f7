"""Browsing the pages as a signed-in person, and posting their forms as a browser does (the
CSRF token in its cookie and first in the form)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.web.i18n import LOCALE_COOKIE
from app.web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, sign
from tests.conftest import TEST_SECRET_KEY

CSRF = sign(TEST_SECRET_KEY, "csrf", "a-feedback-browser")


async def session_cookie(session: AsyncSession, account_id: int | None) -> str:
    assert account_id is not None
    signed = await accounts.start_session(session, account_id)
    return sign(TEST_SECRET_KEY, "session", signed.token)


def browse_as(client: httpx.AsyncClient, cookie: str | None, lang: str = "vi") -> None:
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)
    client.cookies.set(CSRF_COOKIE, CSRF)
    client.cookies.set(LOCALE_COOKIE, lang)


async def post_form(
    client: httpx.AsyncClient, url: str, fields: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(url, data={CSRF_FIELD: CSRF, **(fields or {})})


async def post_file(
    client: httpx.AsyncClient, url: str, name: str, content: bytes, code: str = ""
) -> httpx.Response:
    return await client.post(
        url,
        data={CSRF_FIELD: CSRF, "dossier_code": code},
        files=[("file", (name, content, "application/pdf"))],
    )
