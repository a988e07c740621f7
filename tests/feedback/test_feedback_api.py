"""Ratings and feedback through the API: an enterprise's key rates its returned dossier once and
sends feedback; the agency's key reads its inbox and answers once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service as dossiers
from app.storage import FileStorage
from tests.api.dossier_helpers import (
    PROBLEM,
    agency_key,
    bearer,
    enterprise_key,
    random_tax_code,
    request_client,
)
from tests.feedback.conftest import signed_result
from tests.fixtures.catalogs import AGENCY, PROCEDURE
from tests.fixtures.processing import Desk

pytestmark = pytest.mark.usefixtures("desk")


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with request_client(app, db_session) as http:
        yield http


async def test_an_enterprise_rates_and_sends_feedback_and_the_agency_answers(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    client: httpx.AsyncClient,
) -> None:
    tax_code = random_tax_code()
    key = await enterprise_key(db_session, tax_code)
    applicant = await dossiers.applicant_for_enterprise(
        db_session, tax_code, email="ketoan@example.com"
    )
    code = await signed_result(db_session, settings, storage, desk, applicant)

    missing = await client.get(f"/api/v1/dossiers/{code}/rating", headers=bearer(key))
    assert missing.status_code == 200 and missing.json()["rating"] is None
    assert missing.json()["ratable"] is True
    wrong = await client.post(
        f"/api/v1/dossiers/{code}/rating", json={"score": 4}, headers=bearer(key)
    )
    assert wrong.status_code == 422
    rated = await client.post(
        f"/api/v1/dossiers/{code}/rating",
        json={"score": 1, "comment": "Nhanh gọn"},
        headers=bearer(key, **{"Idempotency-Key": "rate-1"}),
    )
    assert rated.status_code == 201, rated.text
    assert rated.json()["label_vi"] == "Rất hài lòng"
    replay = await client.post(
        f"/api/v1/dossiers/{code}/rating",
        json={"score": 1, "comment": "Nhanh gọn"},
        headers=bearer(key, **{"Idempotency-Key": "rate-1"}),
    )
    assert replay.status_code == 201 and replay.headers.get("idempotent-replayed") == "true"
    twice = await client.post(
        f"/api/v1/dossiers/{code}/rating", json={"score": 3}, headers=bearer(key)
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_rated"
    assert twice.headers["content-type"].startswith(PROBLEM)
    read = await client.get(f"/api/v1/dossiers/{code}/rating", headers=bearer(key))
    assert read.status_code == 200 and read.headers["etag"]
    assert read.json()["rating"]["score"] == 1 and read.json()["ratable"] is False

    sent = await client.post(
        "/api/v1/feedback",
        json={
            "kind": "report",
            "subject": "Chậm",
            "body": "Trả kết quả chậm",
            "dossier_code": code,
        },
        headers=bearer(key),
    )
    assert sent.status_code == 201, sent.text
    reference = sent.json()["reference"]
    assert sent.headers["location"].endswith(reference)
    listed = await client.get("/api/v1/feedback", headers=bearer(key))
    assert reference in [f["reference"] for f in listed.json()["items"]]
    procedure_only = await client.post(
        "/api/v1/feedback",
        json={
            "kind": "petition",
            "subject": "A",
            "body": "B",
            "procedure_code": PROCEDURE,
            "agency_code": AGENCY,
        },
        headers=bearer(key),
    )
    assert procedure_only.status_code == 422
    assert procedure_only.json()["errors"][0]["location"] == "agency_code"
    # What the enterprise sends on a procedure is its own too, apart from any dossier.
    petition = await client.post(
        "/api/v1/feedback",
        json={
            "kind": "petition",
            "subject": "Mẫu đơn",
            "body": "Đề nghị cho nộp bản chụp",
            "procedure_code": PROCEDURE,
        },
        headers=bearer(key),
    )
    assert petition.status_code == 201, petition.text
    petition_ref = petition.json()["reference"]
    listed = await client.get("/api/v1/feedback", headers=bearer(key))
    assert [f["reference"] for f in listed.json()["items"]][:2] == [petition_ref, reference]
    read_back = await client.get(f"/api/v1/feedback/{petition_ref}", headers=bearer(key))
    assert read_back.status_code == 200 and read_back.json()["subject"] == "Mẫu đơn"
    stranger = await enterprise_key(db_session, random_tax_code())
    assert (
        await client.get(f"/api/v1/feedback/{petition_ref}", headers=bearer(stranger))
    ).status_code == 404
    assert (await client.get("/api/v1/feedback", headers=bearer(stranger))).json()["items"] == []

    agency = await agency_key(db_session)
    refused = await client.get("/api/v1/feedback", headers=bearer(agency))
    assert refused.status_code == 403
    inbox = await client.get("/api/v1/agency/feedback", headers=bearer(agency))
    assert inbox.status_code == 200
    assert reference in [f["reference"] for f in inbox.json()["items"]]
    assert (await client.get("/api/v1/agency/feedback", headers=bearer(key))).status_code == 403
    other = await agency_key(db_session, AGENCY)
    assert (
        await client.get(f"/api/v1/agency/feedback/{reference}", headers=bearer(other))
    ).status_code == 404
    answered = await client.post(
        f"/api/v1/agency/feedback/{reference}/answer",
        json={"answer": "Đã rút kinh nghiệm."},
        headers=bearer(agency),
    )
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    again = await client.post(
        f"/api/v1/agency/feedback/{reference}/answer",
        json={"answer": "Lần hai"},
        headers=bearer(agency),
    )
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    seen = await client.get(f"/api/v1/feedback/{reference}", headers=bearer(key))
    assert seen.json()["answer"] == "Đã rút kinh nghiệm."


async def test_a_dossier_not_returned_cannot_be_rated(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    client: httpx.AsyncClient,
) -> None:
    tax_code = random_tax_code()
    key = await enterprise_key(db_session, tax_code)
    applicant = await dossiers.applicant_for_enterprise(db_session, tax_code)
    code = await signed_result(db_session, settings, storage, desk, applicant, returned=False)
    early = await client.post(
        f"/api/v1/dossiers/{code}/rating", json={"score": 2}, headers=bearer(key)
    )
    assert early.status_code == 409 and early.json()["code"] == "not_returned_yet"
    status = await client.get(f"/api/v1/dossiers/{code}/rating", headers=bearer(key))
    assert status.json() == {"dossier_code": code, "ratable": False, "rating": None}
    stranger = await enterprise_key(db_session, random_tax_code())
    hidden = await client.post(
        f"/api/v1/dossiers/{code}/rating", json={"score": 2}, headers=bearer(stranger)
    )
    assert hidden.status_code == 404
