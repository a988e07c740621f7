"""An agency's API key authenticates, and is refused (403, insufficient scope) wherever only an
enterprise's key can act: who am I, the dossiers of an applicant, resumable uploads."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.dossier_helpers import API_PROCEDURE, PROBLEM, bearer
from tests.api.dossier_helpers import agency_key as new_agency_key
from tests.api.tus_helpers import TUS, encoded, metadata

AGENCY = "000.00.41.H39"


@pytest.fixture
async def agency_key(db_session: AsyncSession) -> str:
    return await new_agency_key(db_session, AGENCY)


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "insufficient_scope"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_who_am_i_is_for_enterprises(client: httpx.AsyncClient, agency_key: str) -> None:
    response = await client.get(
        "/api/v1/me", headers=bearer(agency_key, **{"Accept-Language": "en"})
    )
    _assert_refused(response)
    assert "agency's API key" in response.json()["detail"]
    vietnamese = await client.get("/api/v1/me", headers=bearer(agency_key))
    assert "khoá API của một cơ quan" in vietnamese.json()["detail"]


async def test_dossier_endpoints_refuse_an_agency_key(
    client: httpx.AsyncClient, agency_key: str
) -> None:
    _assert_refused(await client.get("/api/v1/dossiers", headers=bearer(agency_key)))
    _assert_refused(await client.get("/api/v1/dossiers/ABC", headers=bearer(agency_key)))
    _assert_refused(
        await client.post(
            "/api/v1/dossiers", json={"procedure": API_PROCEDURE}, headers=bearer(agency_key)
        )
    )


async def test_uploads_refuse_an_agency_key(client: httpx.AsyncClient, agency_key: str) -> None:
    response = await client.post(
        "/api/v1/uploads",
        headers=bearer(
            agency_key,
            **TUS,
            **{"Upload-Length": "10", "Upload-Metadata": encoded(metadata("ABC"))},
        ),
    )
    _assert_refused(response)
