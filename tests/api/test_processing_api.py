"""The processing API for an agency's key: queues, a dossier's processing, actions (with
Idempotency-Key), issued documents; every refusal as problem+json."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers.schemas import Applicant
from tests.api.dossier_helpers import PROBLEM, agency_key, bearer
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY
from tests.fixtures.processing import Desk, file_dossier

pytestmark = pytest.mark.usefixtures("desk")


async def test_an_agency_key_works_its_queue_and_takes_actions(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
    desk: Desk,
) -> None:
    key = bearer(await agency_key(db_session, CHILD_AGENCY))
    code = await file_dossier(db_session, settings, applicant)

    counts = await client.get("/api/v1/queue/counts", headers=key)
    assert counts.status_code == 200, counts.text
    assert {c["queue"]: c["count"] for c in counts.json()}["to_receive"] == 1
    queue = await client.get("/api/v1/queue", params={"queue": "to_receive"}, headers=key)
    assert [item["code"] for item in queue.json()["items"]] == [code]
    assert queue.json()["count"] == 1

    received = await client.post(
        f"/api/v1/dossiers/{code}/actions/receive",
        json={},
        headers={**key, "Idempotency-Key": "nhan-1"},
    )
    assert received.status_code == 200, received.text
    assert received.json()["status"]["code"] == 2
    again = await client.post(
        f"/api/v1/dossiers/{code}/actions/receive",
        json={},
        headers={**key, "Idempotency-Key": "nhan-1"},
    )
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    twice = await client.post(f"/api/v1/dossiers/{code}/actions/receive", json={}, headers=key)
    assert twice.status_code == 409 and twice.headers["content-type"].startswith(PROBLEM)
    assert twice.json()["code"] == "wrong_state"

    refused = await client.post(f"/api/v1/dossiers/{code}/actions/send_back", json={}, headers=key)
    assert refused.status_code in (409, 422)
    bad = await client.post(
        f"/api/v1/dossiers/{code}/actions/request_supplement", json={"items": []}, headers=key
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == "items"
    with_nul = await client.post(
        f"/api/v1/dossiers/{code}/actions/assign", json={"official": "a\u0000b"}, headers=key
    )
    assert with_nul.status_code == 422 and with_nul.json()["code"] == "invalid_request"

    work = await client.get(f"/api/v1/dossiers/{code}/processing", headers=key)
    assert work.status_code == 200
    receipt = work.json()["documents"][0]
    assert receipt["form"] == "01"
    pdf = await client.get(f"/api/v1/dossiers/{code}/documents/{receipt['reference']}", headers=key)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-type-options"] == "nosniff"


async def test_another_agencys_key_sees_nothing(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
) -> None:
    key = bearer(await agency_key(db_session, AGENCY))
    code = await file_dossier(db_session, settings, applicant)
    for response in (
        await client.get(f"/api/v1/dossiers/{code}/processing", headers=key),
        await client.post(f"/api/v1/dossiers/{code}/actions/receive", json={}, headers=key),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    counts = await client.get("/api/v1/queue/counts", headers=key)
    assert {c["count"] for c in counts.json()} == {0}


async def test_processing_needs_an_agency_key_with_the_scope(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    assert (await client.get("/api/v1/queue")).status_code == 401
    bad_cursor = await client.get(
        "/api/v1/queue",
        params={"cursor": "abc"},
        headers=bearer(await agency_key(db_session, CHILD_AGENCY)),
    )
    assert bad_cursor.status_code == 422
    assert bad_cursor.headers["content-type"].startswith(PROBLEM)
