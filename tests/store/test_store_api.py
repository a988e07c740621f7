"""The document store through the API: an enterprise's key lists, reads, downloads and deletes
its documents, and fills a draft's slot from them; never another enterprise's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.dossier_helpers import (
    CHILD_AGENCY,
    PDF,
    bearer,
    enterprise_key,
    import_api_catalog,
    random_tax_code,
    request_client,
)

DOSSIERS = "/api/v1/dossiers"
STORE = "/api/v1/store/documents"
PROBLEM = "application/problem+json"


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with request_client(app, db_session) as http:
        yield http


@pytest.fixture
async def procedure(db_session: AsyncSession) -> str:
    return await import_api_catalog(db_session)


async def _draft(client: httpx.AsyncClient, key: str, procedure: str) -> str:
    answer = await client.post(
        DOSSIERS,
        headers=bearer(key),
        json={
            "procedure": procedure,
            "agency": CHILD_AGENCY,
            "data": {"full_name": "Công ty Thử nghiệm"},
            "delivery": {"method": "online"},
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["reference"])


async def _file(client: httpx.AsyncClient, key: str, procedure: str, content: bytes) -> str:
    """A dossier filed with its declaration; its code."""
    reference = await _draft(client, key, procedure)
    added = await client.post(
        f"{DOSSIERS}/{reference}/files?slot=declaration",
        headers=bearer(key),
        files={"file": ("to-khai.pdf", content, "application/pdf")},
    )
    assert added.status_code == 201, added.text
    filed = await client.post(f"{DOSSIERS}/{reference}/submit", headers=bearer(key))
    assert filed.status_code == 200, filed.text
    return str(filed.json()["code"])


async def test_the_store_through_the_api(
    client: httpx.AsyncClient, db_session: AsyncSession, procedure: str
) -> None:
    key = await enterprise_key(db_session, random_tax_code())
    code = await _file(client, key, procedure, PDF)
    await _file(client, key, procedure, PDF)  # the same bytes: kept once
    await _file(client, key, procedure, PDF + b"1")

    listed = await client.get(STORE, headers=bearer(key), params={"limit": 1})
    assert listed.status_code == 200
    assert listed.headers["link"].endswith('rel="next"')
    following = await client.get(
        STORE, headers=bearer(key), params={"limit": 1, "cursor": listed.json()["next_cursor"]}
    )
    [newest], [first] = listed.json()["items"], following.json()["items"]
    assert following.json()["next_cursor"] is None
    assert first["dossier_code"] == code and first["kind"] == "upload"
    assert (first["label"], first["slot"], first["name"]) == (
        "Tờ khai",
        "declaration",
        "to-khai.pdf",
    )
    assert newest["size"] == len(PDF) + 1
    assert "storage_key" not in first
    assert (await client.get(STORE, headers=bearer(key), params={"kind": "result"})).json()[
        "items"
    ] == []

    one = await client.get(f"{STORE}/{first['reference']}", headers=bearer(key))
    assert one.status_code == 200 and one.json() == first
    again = await client.get(
        f"{STORE}/{first['reference']}",
        headers=bearer(key, **{"If-None-Match": one.headers["etag"]}),
    )
    assert again.status_code == 304
    content = await client.get(f"{STORE}/{first['reference']}/content", headers=bearer(key))
    assert content.status_code == 200 and content.content == PDF
    assert "attachment" in content.headers["content-disposition"]

    # A slot for images refuses the PDF; the declaration takes it, once per Idempotency-Key.
    reference = await _draft(client, key, procedure)
    refused = await client.post(
        f"{DOSSIERS}/{reference}/files/from-store",
        headers=bearer(key),
        json={"slot": "photo", "document": first["reference"]},
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "file_refused"
    assert refused.json()["errors"][0]["location"] == "photo"
    headers = bearer(key, **{"Idempotency-Key": "reuse-1"})
    body = {"slot": "declaration", "document": first["reference"]}
    added = await client.post(
        f"{DOSSIERS}/{reference}/files/from-store", headers=headers, json=body
    )
    assert added.status_code == 201, added.text
    assert added.json()["origin"] == "reuse" and added.json()["sha256"] == first["sha256"]
    replayed = await client.post(
        f"{DOSSIERS}/{reference}/files/from-store", headers=headers, json=body
    )
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == added.json()
    draft = await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key))
    assert [f["id"] for f in draft.json()["files"]] == [added.json()["id"]]
    copy = await client.get(added.headers["location"], headers=bearer(key))
    assert copy.status_code == 200 and copy.content == PDF

    # Another enterprise sees nothing of it and cannot reuse it.
    other = await enterprise_key(db_session, random_tax_code())
    for path in (f"{STORE}/{first['reference']}", f"{STORE}/{first['reference']}/content"):
        missing = await client.get(path, headers=bearer(other))
        assert missing.status_code == 404 and missing.json()["code"] == "stored_document_not_found"
    theirs = await _draft(client, other, procedure)
    stolen = await client.post(
        f"{DOSSIERS}/{theirs}/files/from-store",
        headers=bearer(other),
        json={"slot": "declaration", "document": first["reference"]},
    )
    assert stolen.status_code == 404
    assert (await client.get(f"{DOSSIERS}/{theirs}", headers=bearer(other))).json()["files"] == []
    assert (await client.get(STORE, headers=bearer(other))).json()["items"] == []

    # Deleting needs dossiers:submit; it takes the document out of the store only.
    reader = await enterprise_key(
        db_session,
        random_tax_code(),
        scopes=("dossiers:read",),
    )
    assert (
        await client.delete(f"{STORE}/{first['reference']}", headers=bearer(reader))
    ).status_code == 403
    deleted = await client.delete(f"{STORE}/{first['reference']}", headers=bearer(key))
    assert deleted.status_code == 204
    assert (
        await client.get(f"{STORE}/{first['reference']}", headers=bearer(key))
    ).status_code == 404
    filed = await client.get(f"{DOSSIERS}/{code}", headers=bearer(key))
    file_id = filed.json()["files"][0]["id"]
    kept = await client.get(f"{DOSSIERS}/{code}/files/{file_id}", headers=bearer(key))
    assert kept.status_code == 200 and kept.content == PDF


async def test_store_needs_a_key_with_the_right_scope(
    client: httpx.AsyncClient, db_session: AsyncSession, procedure: str
) -> None:
    assert (await client.get(STORE)).status_code == 401
    catalog_only = await enterprise_key(db_session, random_tax_code(), scopes=("catalog:read",))
    assert (await client.get(STORE, headers=bearer(catalog_only))).status_code == 403
    reader = await enterprise_key(db_session, random_tax_code(), scopes=("dossiers:read",))
    assert (await client.get(STORE, headers=bearer(reader))).status_code == 200
    assert (await client.delete(f"{STORE}/abc", headers=bearer(reader))).status_code == 403
    bad = await client.get(STORE, headers=bearer(reader), params={"cursor": "nonsense"})
    assert bad.status_code == 422
