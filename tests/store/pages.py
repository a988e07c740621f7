"""Signed-in applicants for the store's page tests, and posting a page's form as a browser
does (the CSRF token in its cookie and first in the form)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.web.i18n import LOCALE_COOKIE
from app.web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, sign
from tests.conftest import TEST_SECRET_KEY

CSRF = sign(TEST_SECRET_KEY, "csrf", "a-store-browser")


async def signed_in_citizen(session: AsyncSession, n: int) -> tuple[Applicant, str]:
    """A citizen and the session cookie a browser signed in as them would send."""
    account = await accounts.sign_up_citizen(
        session,
        CitizenSignUp(
            full_name=f"Phạm Thị Lan {n}",
            email=f"kho{n}@example.com",
            phone=f"0913{n:06d}",
            citizen_id=f"00100100{n:04d}",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    signed = await accounts.start_session(session, account.id)
    applicant = await dossiers.applicant_for_account(session, account)
    return applicant, sign(TEST_SECRET_KEY, "session", signed.token)


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
