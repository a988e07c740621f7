"""Signed-in people for the page tests, and posting the pages' forms as a browser does."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from csrf import TOKEN, with_csrf_field
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import AccountOut, CitizenSignUp
from app.web.i18n import LOCALE_COOKIE
from app.web.security import CSRF_COOKIE, SESSION_COOKIE, sign
from tests.conftest import TEST_SECRET_KEY

# httpx sends a multipart body only when there are files; an empty file input keeps it so, as
# a browser sends one for a file input left empty.
NO_FILE = [("_none", ("", b"", "application/octet-stream"))]


@dataclass(frozen=True)
class Person:
    account: AccountOut
    session_cookie: str


async def make_person(session: AsyncSession, n: int = 1) -> Person:
    """A citizen with a session, phone 0912 34n nnn and citizen ID 0010000nnnnn."""
    account = await accounts.sign_up_citizen(
        session,
        CitizenSignUp(
            full_name="Nguyễn Văn An" if n == 1 else f"Lê Thị Hoa {n}",
            email=f"web{n}@example.com",
            phone=f"0912{n:06d}",
            citizen_id=f"00100000{n:04d}",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    signed = await accounts.start_session(session, account.id)
    return Person(account, sign(TEST_SECRET_KEY, "session", signed.token))


def browse_as(client: httpx.AsyncClient, person: Person | None, lang: str = "vi") -> None:
    """The client's cookies: the person's session (or none), the CSRF token and the language."""
    client.cookies.clear()
    if person is not None:
        client.cookies.set(SESSION_COOKIE, person.session_cookie)
    client.cookies.set(CSRF_COOKIE, TOKEN)
    client.cookies.set(LOCALE_COOKIE, lang)


def _as_dict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


async def post_multipart(
    client: httpx.AsyncClient,
    url: str,
    pairs: list[tuple[str, str]],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> httpx.Response:
    """A page of a draft posted as its form does: multipart, the CSRF token first."""
    return await client.post(url, data=with_csrf_field(_as_dict(pairs)), files=files or NO_FILE)


async def post_form(
    client: httpx.AsyncClient, url: str, pairs: list[tuple[str, str]]
) -> httpx.Response:
    """A form without files (url-encoded), the CSRF token first."""
    return await client.post(url, data=with_csrf_field(_as_dict(pairs)))
