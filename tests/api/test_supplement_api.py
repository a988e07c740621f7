"""A supplement over the API with an enterprise's key: what is asked, answers and files only
where asked, resubmission with Idempotency-Key, and the documents issued to the enterprise;
every refusal as problem+json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.accounts.api_keys import SCOPE_SUBMIT
from tests.accounts.test_accounts_service import TAX_CODE
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    CHILD_AGENCY,
    PDF,
    PNG,
    PROBLEM,
    agency_key,
    bearer,
    enterprise_key,
    random_tax_code,
)

DOSSIERS = "/api/v1/dossiers"


@pytest.fixture
async def key(key: str) -> dict[str, str]:
    """The enterprise's key as the header that carries it."""
    return bearer(key)


@pytest.fixture
async def agency(db_session: AsyncSession, key: dict[str, str]) -> dict[str, str]:
    """The key of the commune that receives the enterprise's dossiers."""
    return bearer(await agency_key(db_session))


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def _upload(
    client: httpx.AsyncClient, key: dict[str, str], code: str, slot: str, name: str, data: bytes
) -> httpx.Response:
    return await client.post(
        f"{DOSSIERS}/{code}/files",
        data={"slot": slot},
        files={"file": (name, data, "application/octet-stream")},
        headers=key,
    )


@pytest.fixture
async def asked(client: httpx.AsyncClient, key: dict[str, str], agency: dict[str, str]) -> str:
    """A dossier filed with a declaration, whose desk asks for the name and the photo; its
    code."""
    body = {
        "procedure": API_PROCEDURE,
        "data": {"full_name": "Công ty Minh Phát"},
        "agency": CHILD_AGENCY,
        "delivery": {"method": "online"},
    }
    draft = (await client.post(DOSSIERS, json=body, headers=key)).json()
    added = await _upload(client, key, draft["reference"], "declaration", "to-khai.pdf", PDF)
    assert added.status_code == 201, added.text
    filed = await client.post(f"{DOSSIERS}/{draft['reference']}/submit", headers=key)
    code: str = filed.json()["code"]
    items = [
        {"path": "full_name", "reason": "Tên không khớp giấy phép kinh doanh"},
        {"path": "photo", "reason": "Thiếu ảnh trụ sở"},
    ]
    requested = await client.post(
        f"/api/v1/dossiers/{code}/actions/request_supplement",
        json={"items": items},
        headers=agency,
    )
    assert requested.status_code == 200, requested.text
    return code


async def test_the_enterprise_reads_what_is_asked(
    client: httpx.AsyncClient, key: dict[str, str], asked: str
) -> None:
    response = await client.get(f"{DOSSIERS}/{asked}/supplement", headers=key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(i["path"], i["kind"]) for i in body["items"]] == [
        ("full_name", "answer"),
        ("photo", "file"),
    ]
    assert body["items"][1]["label_vi"] == "Ảnh" and body["items"][1]["label_en"] == "Photo"
    dossier = (await client.get(f"{DOSSIERS}/{asked}", headers=key)).json()
    assert dossier["status"]["code"] == 5


async def test_answers_and_files_change_only_where_asked(
    client: httpx.AsyncClient, key: dict[str, str], asked: str
) -> None:
    url = f"{DOSSIERS}/{asked}/supplement"
    changed = await client.patch(
        url, json={"data": {"full_name": "Công ty TNHH Minh Phát"}}, headers=key
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["full_name"] == "Công ty TNHH Minh Phát"
    refused = await client.patch(
        url, json={"data": {"full_name": "X", "nickname": "Minh Phát"}}, headers=key
    )
    body = _problem(refused, 422, "dossier_invalid")
    assert [e["location"] for e in body["errors"]] == ["data.nickname"]
    assert body["errors"][0]["message"] and body["errors"][0]["message_en"]
    kept = (await client.get(f"{DOSSIERS}/{asked}", headers=key)).json()
    assert kept["data"]["full_name"] == "Công ty TNHH Minh Phát"

    photo = await _upload(client, key, asked, "photo", "tru-so.png", PNG)
    assert photo.status_code == 201, photo.text
    declaration = next(f["id"] for f in kept["files"] if f["slot"] == "declaration")
    body = _problem(
        await _upload(client, key, asked, "declaration", "khac.pdf", PDF), 422, "file_refused"
    )
    assert body["errors"][0]["location"] == "declaration"
    _problem(
        await client.delete(f"{DOSSIERS}/{asked}/files/{declaration}", headers=key),
        422,
        "file_refused",
    )
    removed = await client.delete(f"{DOSSIERS}/{asked}/files/{photo.json()['id']}", headers=key)
    assert removed.status_code == 204


async def test_resubmission_is_checked_and_done_once(
    client: httpx.AsyncClient, key: dict[str, str], asked: str
) -> None:
    url = f"{DOSSIERS}/{asked}/resubmit"
    await client.patch(
        f"{DOSSIERS}/{asked}/supplement", json={"data": {"full_name": None}}, headers=key
    )
    body = _problem(await client.post(url, headers=key), 422, "dossier_invalid")
    assert [e["location"] for e in body["errors"]] == ["data.full_name"]
    await client.patch(
        f"{DOSSIERS}/{asked}/supplement", json={"data": {"full_name": "Minh Phát"}}, headers=key
    )
    once = {**key, "Idempotency-Key": "bo-sung-1"}
    done = await client.post(url, headers=once)
    assert done.status_code == 200, done.text
    assert done.json()["status"]["code"] == 1
    assert [e["kind"] for e in done.json()["events"]][-1] == "resubmitted"
    again = await client.post(url, headers=once)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == done.json()
    _problem(await client.post(url, headers=key), 409, "no_supplement_requested")
    _problem(
        await client.patch(
            f"{DOSSIERS}/{asked}/supplement", json={"data": {"full_name": "Y"}}, headers=key
        ),
        409,
        "no_supplement_requested",
    )


async def test_the_enterprise_downloads_the_documents_issued_to_it(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    key: dict[str, str],
    agency: dict[str, str],
    asked: str,
) -> None:
    listed = await client.get(f"{DOSSIERS}/{asked}/documents", headers=key)
    assert listed.status_code == 200, listed.text
    assert listed.json()["next_cursor"] is None and "link" not in listed.headers
    assert [d["form"] for d in listed.json()["items"]] == ["02"]
    reference = listed.json()["items"][0]["reference"]
    url = f"{DOSSIERS}/{asked}/documents/{reference}"
    pdf = await client.get(url, headers=key)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith(f'attachment; filename="{asked}-02.pdf"')
    # The agency's key reads it at the same address.
    assert (await client.get(url, headers=agency)).status_code == 200
    # Another enterprise's key, or a key without the read scope, gets nothing.
    other = bearer(await enterprise_key(db_session, random_tax_code()))
    _problem(await client.get(url, headers=other), 404, "dossier_not_found")
    _problem(
        await client.get(f"{DOSSIERS}/{asked}/documents", headers=other), 404, "dossier_not_found"
    )
    _out, raw = await api_keys.create_api_key(
        db_session, enterprise_tax_code=TAX_CODE, name="Chỉ nộp", scopes=[SCOPE_SUBMIT]
    )
    _problem(await client.get(url, headers=bearer(raw)), 403, "insufficient_scope")
    _problem(
        await client.get(f"{DOSSIERS}/{asked}/documents/khong-co", headers=key),
        404,
        "document_not_found",
    )
