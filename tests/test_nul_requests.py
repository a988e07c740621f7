"""A NUL character anywhere a person could type gets a clear answer, never a database crash."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp


async def test_nul_in_a_query_is_refused_on_api_and_pages(client: httpx.AsyncClient) -> None:
    api = await client.get("/api/v1/procedures?q=khai%00sinh")
    assert api.status_code == 422
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "nul_in_address"
    page = await client.get("/thu-tuc?q=khai%00sinh")
    assert page.status_code == 422
    assert "NUL" in page.text


async def test_nul_in_sign_up_and_sign_in_fields(db_session: AsyncSession) -> None:
    account = await accounts.sign_up_citizen(
        db_session,
        CitizenSignUp(
            full_name="Lê\x00Văn Nam",
            email="nul-name@example.com",
            phone="0912345670",
            citizen_id="001099012345",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    assert account.full_name == "Lê Văn Nam"
    assert accounts.normalize_email("nul\x00-name@example.com") == ""
