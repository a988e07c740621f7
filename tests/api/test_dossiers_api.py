"""The dossier API over HTTP: drafts, files, submission, listing, withdrawal, access."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import create_app
from tests.accounts.test_accounts_service import TAX_CODE
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    CHILD_AGENCY,
    EXE,
    PDF,
    PNG,
    POSTAL_ADDRESS,
    PROBLEM,
    ZIP,
    bearer,
    enterprise_key,
    random_tax_code,
    request_client,
)

DOSSIERS = "/api/v1/dossiers"


async def _draft(client: httpx.AsyncClient, key: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        DOSSIERS, json={"procedure": API_PROCEDURE, **body}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _upload(
    client: httpx.AsyncClient,
    key: str,
    reference: str,
    name: str,
    content: bytes,
    *,
    slot: str = "declaration",
    in_query: bool = False,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{DOSSIERS}/{reference}/files",
        params={"slot": slot} if in_query else None,
        data=None if in_query else {"slot": slot},
        files={"file": (name, content, "application/octet-stream")},
        headers=bearer(key, **(headers or {})),
    )


def _assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def _file(client: httpx.AsyncClient, key: str) -> httpx.Response:
    """A dossier created and submitted at once."""
    body = {"procedure": API_PROCEDURE, **_complete(), "submit": True}
    response = await client.post(DOSSIERS, json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    return response


def _complete(agency: str = CHILD_AGENCY) -> dict[str, Any]:
    return {
        "data": {"full_name": "Nguyễn Văn An"},
        "agency": agency,
        "delivery": {"method": "post", "address": POSTAL_ADDRESS},
    }


async def test_a_draft_is_filled_given_files_and_submitted(
    client: httpx.AsyncClient, key: str, settings: Settings
) -> None:
    response = await client.post(
        DOSSIERS,
        json={
            "procedure": API_PROCEDURE,
            "data": {"full_name": "Nguyễn Văn An"},
            "contact": {"phone": "0912 345 678", "email": "ke-toan@minhphat.vn"},
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    reference = draft["reference"]
    assert response.headers["location"] == f"{DOSSIERS}/{reference}"
    assert draft["code"] is None and draft["status"]["code"] is None
    assert draft["status"]["label_vi"] == "Bản nháp"
    assert draft["applicant_id_number"] == TAX_CODE and draft["applicant_type"] == 2
    assert draft["applicant_phone"] == "0912345678"
    assert draft["data"] == {"full_name": "Nguyễn Văn An"}
    assert draft["agency"] is None, "two agencies handle it: none is chosen for the applicant"

    response = await client.patch(
        f"{DOSSIERS}/{reference}",
        json={"agency": CHILD_AGENCY, "delivery": {"method": "post", "address": POSTAL_ADDRESS}},
        headers=bearer(key),
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["agency"]["code"] == CHILD_AGENCY and changed["delivery"] == "post"
    assert changed["delivery_address"]["commune"] == "02647"

    pdf = await _upload(client, key, reference, "Tờ khai đăng ký.pdf", PDF, in_query=True)
    assert pdf.status_code == 201, pdf.text
    pdf_file = pdf.json()
    assert pdf_file["content_type"] == "application/pdf" and pdf_file["size"] == len(PDF)
    assert pdf_file["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert pdf_file["name"] == "Tờ khai đăng ký.pdf" and pdf_file["slot"] == "declaration"
    assert pdf.headers["location"] == f"{DOSSIERS}/{reference}/files/{pdf_file['id']}"
    png = await _upload(client, key, reference, "anh.png", PNG, slot="photo")
    assert png.status_code == 201, png.text
    png_file = png.json()
    assert png_file["content_type"] == "image/png" and png_file["slot"] == "photo"

    download = await client.get(pdf.headers["location"], headers=bearer(key))
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(PDF))
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="To khai dang ky.pdf"' in disposition
    assert f"filename*=UTF-8''{quote('Tờ khai đăng ký.pdf', safe='')}" in disposition

    png_url = f"{DOSSIERS}/{reference}/files/{png_file['id']}"
    assert (await client.delete(png_url, headers=bearer(key))).status_code == 204
    _assert_problem(await client.get(png_url, headers=bearer(key)), 404, "file_not_found")
    _assert_problem(await client.delete(png_url, headers=bearer(key)), 404, "file_not_found")
    current = (await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key))).json()
    assert [f["id"] for f in current["files"]] == [pdf_file["id"]]
    assert current["data"] == {"full_name": "Nguyễn Văn An"}

    response = await client.post(f"{DOSSIERS}/{reference}/submit", headers=bearer(key))
    assert response.status_code == 200, response.text
    submitted = response.json()
    today = datetime.now(ZoneInfo(settings.time_zone)).strftime("%y%m%d")
    assert re.fullmatch(rf"{re.escape(CHILD_AGENCY)}-{today}-\d{{4}}", submitted["code"])
    assert submitted["status"] == {
        "code": 1,
        "label_vi": "Mới đăng ký",
        "label_en": "Newly registered",
    }
    assert submitted["reference"] == reference and submitted["draft_expires_at"] is None
    assert [e["kind"] for e in submitted["events"]] == ["created", "submitted"]
    assert submitted["data"]["declaration"][0]["id"] == pdf_file["id"]

    by_code = await client.get(f"{DOSSIERS}/{submitted['code']}", headers=bearer(key))
    assert by_code.status_code == 200 and by_code.json()["reference"] == reference
    # The file stays readable once the dossier is filed, by its code too.
    again = await client.get(
        f"{DOSSIERS}/{submitted['code']}/files/{pdf_file['id']}", headers=bearer(key)
    )
    assert again.status_code == 200 and again.content == PDF

    for refused in (
        await client.patch(f"{DOSSIERS}/{reference}", json={"data": {}}, headers=bearer(key)),
        await client.post(f"{DOSSIERS}/{reference}/submit", headers=bearer(key)),
        await _upload(client, key, reference, "b.pdf", PDF),
        await client.delete(f"{DOSSIERS}/{reference}", headers=bearer(key)),
    ):
        _assert_problem(refused, 409, "dossier_submitted")


async def test_a_submission_lists_every_problem_then_succeeds(
    client: httpx.AsyncClient, key: str
) -> None:
    draft = await _draft(client, key)
    url = f"{DOSSIERS}/{draft['reference']}"
    response = await client.post(f"{url}/submit", headers=bearer(key, **{"Accept-Language": "en"}))
    body = _assert_problem(response, 422, "dossier_invalid")
    locations = {e["location"] for e in body["errors"]}
    assert locations == {"data.full_name", "agency", "delivery.method"}
    assert all(e["message"] and e["message_en"] for e in body["errors"])
    assert body["detail"].startswith("The dossier is incomplete")

    # A wrong agency and a postal address that is not one are refused at once, each located.
    response = await client.patch(url, json={"agency": "000.00.00.X00"}, headers=bearer(key))
    assert {e["location"] for e in _assert_problem(response, 422, "dossier_invalid")["errors"]} == {
        "agency"
    }
    response = await client.patch(
        url,
        json={"delivery": {"method": "post", "address": {"recipient": "A"}}},
        headers=bearer(key),
    )
    errors = _assert_problem(response, 422, "dossier_invalid")["errors"]
    assert all(e["location"].startswith("delivery.address.") for e in errors)

    assert (await client.patch(url, json=_complete(), headers=bearer(key))).status_code == 200
    response = await client.post(f"{url}/submit", headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.json()["status"]["code"] == 1


async def test_a_dossier_is_created_and_submitted_at_once_or_not_at_all(
    client: httpx.AsyncClient, key: str
) -> None:
    response = await client.post(
        DOSSIERS,
        json={
            "procedure": API_PROCEDURE,
            "agency": "000.00.00.X00",
            "delivery": {"method": "online"},
            "submit": True,
        },
        headers=bearer(key),
    )
    body = _assert_problem(response, 422, "dossier_invalid")
    assert {e["location"] for e in body["errors"]} == {"agency", "data.full_name"}
    listed = await client.get(DOSSIERS, headers=bearer(key))
    assert listed.json() == {"items": [], "next_cursor": None}, "nothing is left behind"

    response = await client.post(
        DOSSIERS,
        json={"procedure": API_PROCEDURE, **_complete(), "submit": True},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"]["code"] == 1 and filed["code"].startswith(f"{CHILD_AGENCY}-")
    assert response.headers["location"] == f"{DOSSIERS}/{filed['reference']}"


async def test_bad_requests_are_refused_with_problems(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(
        DOSSIERS,
        json={"procedure": API_PROCEDURE, "contact": {"phone": "12", "email": "not-mail"}},
        headers=bearer(key),
    )
    locations = {e["location"] for e in _assert_problem(response, 422, "invalid_request")["errors"]}
    assert locations == {"body.contact.phone", "body.contact.email"}
    response = await client.post(
        DOSSIERS, json={"procedure": API_PROCEDURE, "data": {"a": "x\x00y"}}, headers=bearer(key)
    )
    _assert_problem(response, 422, "invalid_request")
    response = await client.post(DOSSIERS, json={"procedure": "9.999999"}, headers=bearer(key))
    assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
    _assert_problem(
        await client.get(f"{DOSSIERS}/no-such-draft", headers=bearer(key)), 404, "dossier_not_found"
    )


async def test_files_are_checked_by_their_content(client: httpx.AsyncClient, key: str) -> None:
    reference = (await _draft(client, key))["reference"]
    body = _assert_problem(
        await _upload(client, key, reference, "to-khai.pdf", ZIP), 422, "file_refused"
    )
    assert body["errors"][0]["location"] == "declaration"
    assert "application/zip" in body["errors"][0]["message_en"]
    body = _assert_problem(
        await _upload(client, key, reference, "setup.exe", EXE, slot="photo"), 422, "file_refused"
    )
    assert "executable" in body["errors"][0]["message_en"]
    _assert_problem(await _upload(client, key, reference, "a.png", PDF), 422, "file_refused")
    _assert_problem(
        await _upload(client, key, reference, "a.png", PNG, slot="no_such_slot"),
        422,
        "file_refused",
    )
    _assert_problem(await _upload(client, key, reference, "a.pdf", b""), 422, "file_refused")
    # No slot at all, no file part, not multipart.
    response = await client.post(
        f"{DOSSIERS}/{reference}/files",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=bearer(key),
    )
    assert _assert_problem(response, 422, "invalid_input")["errors"][0]["location"] == "slot"
    response = await client.post(
        f"{DOSSIERS}/{reference}/files",
        data={"slot": "declaration"},
        files={"other": ("a.pdf", PDF, "application/pdf")},
        headers=bearer(key),
    )
    assert _assert_problem(response, 422, "invalid_input")["errors"][0]["location"] == "file"
    response = await client.post(
        f"{DOSSIERS}/{reference}/files", json={"slot": "declaration"}, headers=bearer(key)
    )
    _assert_problem(response, 422, "invalid_input")
    current = (await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key))).json()
    assert current["files"] == [], "no refused file was kept"


@pytest.fixture
async def small_limit_client(
    settings: Settings, db_session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that takes files of at most 1 MiB."""
    app: FastAPI = create_app(settings.model_copy(update={"max_file_mb": 1}))
    async with request_client(app, db_session) as http:
        yield http
    await app.state.storage.aclose()


async def test_files_over_the_limit_are_refused_with_413(
    small_limit_client: httpx.AsyncClient, key: str
) -> None:
    client = small_limit_client
    reference = (await _draft(client, key))["reference"]
    # Announced too big: refused before the body is read.
    big = PDF + b"0" * (2 * 1024 * 1024)
    response = await _upload(client, key, reference, "big.pdf", big, in_query=True)
    body = _assert_problem(response, 413, "file_too_large")
    assert body["errors"][0]["location"] == "declaration"
    response = await _upload(client, key, reference, "big.pdf", big)
    assert _assert_problem(response, 413, "file_too_large")["errors"][0]["location"] == "file"

    # Not announced too big (within the framing allowance) but past the limit as it streams.
    response = await client.post(
        f"{DOSSIERS}/{reference}/files?slot=declaration",
        files={"file": ("big.pdf", PDF + b"0" * (1024 * 1024), "application/pdf")},
        headers=bearer(key),
    )
    _assert_problem(response, 413, "file_too_large")
    current = (await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key))).json()
    assert current["files"] == []


async def test_drafts_and_dossiers_are_listed_newest_first_with_a_cursor(
    client: httpx.AsyncClient, key: str
) -> None:
    references = [(await _draft(client, key))["reference"] for _ in range(3)]
    filed = await _file(client, key)
    filed_reference = filed.json()["reference"]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(DOSSIERS, params=params, headers=bearer(key))).json()
        seen += [item["reference"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert seen == [filed_reference, *reversed(references)]

    def refs(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [item["reference"] for item in response.json()["items"]]

    assert refs(await client.get(DOSSIERS, params={"drafts": "true"}, headers=bearer(key))) == list(
        reversed(references)
    )
    assert refs(await client.get(DOSSIERS, params={"drafts": "false"}, headers=bearer(key))) == [
        filed_reference
    ]
    assert refs(await client.get(DOSSIERS, params={"status": 1}, headers=bearer(key))) == [
        filed_reference
    ]
    assert refs(await client.get(DOSSIERS, params={"status": 7}, headers=bearer(key))) == []
    by_procedure = await client.get(
        DOSSIERS, params={"procedure": API_PROCEDURE}, headers=bearer(key)
    )
    assert len(refs(by_procedure)) == 4
    assert (
        refs(await client.get(DOSSIERS, params={"procedure": "9.000001"}, headers=bearer(key)))
        == []
    )
    summary = (await client.get(DOSSIERS, params={"limit": 1}, headers=bearer(key))).json()[
        "items"
    ][0]
    assert summary["procedure_code"] == API_PROCEDURE and "data" not in summary
    _assert_problem(
        await client.get(DOSSIERS, params={"cursor": "not-a-cursor"}, headers=bearer(key)),
        422,
        "invalid_input",
    )
    _assert_problem(
        await client.get(DOSSIERS, params={"limit": 0}, headers=bearer(key)), 422, "invalid_request"
    )


async def test_a_dossier_is_withdrawn_once(client: httpx.AsyncClient, key: str) -> None:
    filed = await _file(client, key)
    code = filed.json()["code"]
    url = f"{DOSSIERS}/{code}/withdraw"
    body = _assert_problem(
        await client.post(url, json={"reason": "  "}, headers=bearer(key)), 422, "invalid_input"
    )
    assert body["errors"][0]["location"] == "reason"
    response = await client.post(url, json={"reason": "Nộp nhầm thủ tục"}, headers=bearer(key))
    assert response.status_code == 200, response.text
    withdrawn = response.json()
    assert withdrawn["status"]["code"] == 7 and withdrawn["withdrawal_reason"] == "Nộp nhầm thủ tục"
    assert withdrawn["withdrawn_at"] is not None
    assert [e["kind"] for e in withdrawn["events"]] == ["created", "submitted", "withdrawn"]
    _assert_problem(
        await client.post(url, json={"reason": "Lần nữa"}, headers=bearer(key)),
        409,
        "cannot_withdraw",
    )
    # A draft has nothing to withdraw.
    draft = await _draft(client, key)
    _assert_problem(
        await client.post(
            f"{DOSSIERS}/{draft['reference']}/withdraw", json={"reason": "x"}, headers=bearer(key)
        ),
        404,
        "dossier_not_found",
    )


async def test_a_draft_is_deleted(client: httpx.AsyncClient, key: str) -> None:
    reference = (await _draft(client, key))["reference"]
    assert (await _upload(client, key, reference, "a.pdf", PDF)).status_code == 201
    assert (await client.delete(f"{DOSSIERS}/{reference}", headers=bearer(key))).status_code == 204
    _assert_problem(
        await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key)), 404, "dossier_not_found"
    )


async def test_another_enterprise_sees_nothing(
    client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    reference = (await _draft(client, key))["reference"]
    file_id = (await _upload(client, key, reference, "a.pdf", PDF)).json()["id"]
    filed = await _file(client, key)
    code = filed.json()["code"]
    other = await enterprise_key(db_session, random_tax_code())

    for response in (
        await client.get(f"{DOSSIERS}/{reference}", headers=bearer(other)),
        await client.get(f"{DOSSIERS}/{code}", headers=bearer(other)),
        await client.patch(f"{DOSSIERS}/{reference}", json={"data": {}}, headers=bearer(other)),
        await client.post(f"{DOSSIERS}/{reference}/submit", headers=bearer(other)),
        await client.delete(f"{DOSSIERS}/{reference}", headers=bearer(other)),
        await client.post(
            f"{DOSSIERS}/{code}/withdraw", json={"reason": "x"}, headers=bearer(other)
        ),
        await _upload(client, other, reference, "b.pdf", PDF),
    ):
        _assert_problem(response, 404, "dossier_not_found")
    for response in (
        await client.get(f"{DOSSIERS}/{reference}/files/{file_id}", headers=bearer(other)),
        await client.delete(f"{DOSSIERS}/{reference}/files/{file_id}", headers=bearer(other)),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(DOSSIERS, headers=bearer(other))).json()["items"] == []
    # Nor can the owner reach a file through another of its dossiers.
    second = (await _draft(client, key))["reference"]
    _assert_problem(
        await client.get(f"{DOSSIERS}/{second}/files/{file_id}", headers=bearer(key)),
        404,
        "file_not_found",
    )


async def test_keys_need_the_right_scope(
    client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    reader = await enterprise_key(
        db_session, TAX_CODE, scopes=("dossiers:read",), name="Báo cáo", new_enterprise=False
    )
    reference = (await _draft(client, key))["reference"]
    for response in (
        await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(reader)),
        await client.patch(f"{DOSSIERS}/{reference}", json={}, headers=bearer(reader)),
        await client.post(f"{DOSSIERS}/{reference}/submit", headers=bearer(reader)),
        await _upload(client, reader, reference, "a.pdf", PDF),
        await client.delete(f"{DOSSIERS}/{reference}", headers=bearer(reader)),
    ):
        body = _assert_problem(response, 403, "insufficient_scope")
        assert 'scope="dossiers:submit"' in response.headers["www-authenticate"], body
    assert (await client.get(f"{DOSSIERS}/{reference}", headers=bearer(reader))).status_code == 200
    assert (await client.get(DOSSIERS, headers=bearer(reader))).status_code == 200
    response = await client.get(DOSSIERS)
    _assert_problem(response, 401, "unauthorized")


async def test_the_openapi_document_describes_the_dossier_api(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    create = paths["/api/v1/dossiers"]["post"]
    assert create["security"] == [{"ApiKey": []}]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    assert set(create["responses"]["201"]["headers"]) == {"Location", "Idempotent-Replayed", "ETag"}
    for status in ("400", "401", "403", "409", "422"):
        assert PROBLEM in create["responses"][status]["content"]
    upload = paths["/api/v1/dossiers/{reference}/files"]["post"]
    multipart = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert multipart["properties"]["file"] == {"type": "string", "format": "binary"}
    assert "413" in upload["responses"]
    download = paths["/api/v1/dossiers/{reference}/files/{file_id}"]["get"]
    assert "*/*" in download["responses"]["200"]["content"]
    lookup = paths["/api/v1/lookup"]["get"]
    assert "security" not in lookup and "429" in lookup["responses"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/dossiers") and method in ("post", "patch", "delete"):
                names = {p["name"] for p in operation["parameters"]}
                assert "Idempotency-Key" in names, (method, path)
