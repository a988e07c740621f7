"""Resumable uploads (tus 1.0.0) over real HTTP, with the reference client tuspy.

The live server commits to the session's database: every test makes its own accounts (fresh
e-mail addresses and tax codes) and drafts.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError
from tusclient.storage.filestorage import FileStorage as UrlStorage

from app.accounts import api_keys
from app.api.uploads import TusHeaderInvalid, parse_metadata
from app.config import Settings
from app.db import Database
from app.dossiers import repository, tasks
from app.dossiers import service as dossiers
from app.dossiers.uploads import SLICE_SIZE
from app.kit.clock import utcnow
from app.kit.signing import SESSION_COOKIE
from app.models.dossiers import DossierFile, Upload
from app.storage import FileStorage, storage_from_url
from app.storage import NotFound as NotStored
from tests.api.tus_helpers import (
    MIB,
    PROBLEM,
    SLOT,
    SLOT_LIMIT,
    TUS,
    Caller,
    encoded,
    make_citizen,
    make_enterprise,
    metadata,
    pdf,
)


@pytest.fixture
async def citizen(database: Database, settings: Settings) -> Caller:
    return await make_citizen(database, settings)


@pytest.fixture
async def enterprise(database: Database, settings: Settings) -> Caller:
    return await make_enterprise(database, settings)


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[FileStorage]:
    store = storage_from_url(settings.storage_url)
    yield store
    await store.aclose()


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def endpoint(live_server: str) -> str:
    return f"{live_server}/api/v1/uploads"


def create(http: httpx.Client, caller: Caller, length: int, **changes: str) -> str:
    """A new upload's URL (POST), asserting it was created."""
    response = http.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **caller.headers,
            "Upload-Length": str(length),
            "Upload-Metadata": encoded({**metadata(caller.draft), **changes}),
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["tus-resumable"] == "1.0.0"
    return response.headers["location"]


def patch(
    http: httpx.Client, caller: Caller, url: str, offset: int, body: bytes, **headers: str
) -> httpx.Response:
    return http.patch(
        url,
        content=body,
        headers={
            **TUS,
            **caller.headers,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            **headers,
        },
    )


def head(http: httpx.Client, caller: Caller, url: str) -> httpx.Response:
    return http.head(url, headers={**TUS, **caller.headers})


def delete(http: httpx.Client, caller: Caller, url: str) -> httpx.Response:
    return http.delete(url, headers={**TUS, **caller.headers})


def upload_id(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


async def upload_row(database: Database, url: str) -> Upload | None:
    async with database.unit_of_work() as session:
        found: Upload | None = await session.get(Upload, upload_id(url))
        return found


async def stored_sha256(storage: FileStorage, key: str) -> str:
    digest = hashlib.sha256()
    async with await storage.open(key) as stream:
        async for chunk in stream:
            digest.update(chunk)
    return digest.hexdigest()


async def assert_attached(
    database: Database, storage: FileStorage, file_id: str, data: bytes
) -> None:
    """The dossier file has the original's size and SHA-256, and so do its stored bytes."""
    async with database.unit_of_work() as session:
        file = await session.scalar(select(DossierFile).where(DossierFile.reference == file_id))
    assert file is not None
    original = hashlib.sha256(data).hexdigest()
    assert (file.slot, file.size, file.sha256) == (SLOT, len(data), original)
    assert file.content_type == "application/pdf"
    assert await stored_sha256(storage, file.storage_key) == original


async def assert_nothing_stored(storage: FileStorage, key: str) -> None:
    assert not await storage.exists(key)
    with pytest.raises(NotStored):
        await storage.partial_size(key)


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["tus-resumable"] == "1.0.0"
    if response.request.method != "HEAD":
        assert response.headers["content-type"].startswith(PROBLEM)
        if code is not None:
            assert response.json()["code"] == code


# --- The protocol ----------------------------------------------------------------------------


def test_upload_metadata_is_parsed_as_the_protocol_says() -> None:
    assert parse_metadata("") == {}
    assert parse_metadata("dossier YWJj, slot aWRfY2FyZA==,is_draft,filename 4bucLnBkZg==") == {
        "dossier": "abc",
        "slot": "id_card",
        "is_draft": "",
        "filename": "Ờ.pdf",
    }
    for bad in ("dossier YWJj,dossier YWJj", "dossier %%%", "filename //79"):
        with pytest.raises(TusHeaderInvalid):
            parse_metadata(bad)


def test_options_advertise_the_protocol(http: httpx.Client, settings: Settings) -> None:
    response = http.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-extension"] == "creation,termination,expiration"
    assert int(response.headers["tus-max-size"]) == settings.max_file_mb * MIB


async def test_a_whole_upload_with_tuspy_and_an_api_key(
    live_server: str, enterprise: Caller, database: Database, storage: FileStorage
) -> None:
    data = pdf(6 * MIB + 12345)
    client = tus.TusClient(endpoint(live_server), headers=enterprise.headers)
    uploader = client.uploader(
        file_stream=io.BytesIO(data), chunk_size=2 * MIB, metadata=metadata(enterprise.draft)
    )
    uploader.upload()
    assert uploader.offset == len(data)
    file_id = uploader.request.response_headers["upload-file-id"]
    await assert_attached(database, storage, file_id, data)

    # A client whose last answer was lost learns the file from HEAD.
    with httpx.Client() as http:
        response = head(http, enterprise, uploader.url)
    assert response.status_code == 200
    assert response.headers["upload-offset"] == response.headers["upload-length"] == str(len(data))
    assert response.headers["upload-file-id"] == file_id
    assert response.headers["cache-control"] == "no-store"
    assert "upload-expires" not in response.headers
    async with database.unit_of_work() as session:
        draft = await repository.by_reference(session, enterprise.draft)
        assert draft is not None
        applicant = await dossiers.applicant_for_enterprise(session, draft.applicant_id_number)
        shown = await dossiers.get_dossier(session, applicant, enterprise.draft)
    assert [(f.id, f.name) for f in shown.files] == [(file_id, "giay-chung-sinh.pdf")]


async def test_a_client_that_stops_is_resumed_by_another_from_the_stored_url(
    live_server: str,
    citizen: Caller,
    database: Database,
    storage: FileStorage,
    tmp_path: Path,
) -> None:
    data = pdf(5 * MIB + 777)
    # From a file path: the stored URL is found again by the file's fingerprint.
    path = tmp_path / "giay-chung-sinh.pdf"
    path.write_bytes(data)
    urls = UrlStorage(str(tmp_path / "urls.json"))
    first = tus.TusClient(endpoint(live_server), headers=citizen.headers).uploader(
        file_path=str(path),
        chunk_size=MIB,
        metadata=metadata(citizen.draft),
        store_url=True,
        url_storage=urls,
    )
    first.upload(stop_at=2 * MIB)  # two chunks, then the client goes away
    assert first.offset == 2 * MIB

    second = tus.TusClient(endpoint(live_server), headers=citizen.headers).uploader(
        file_path=str(path),
        chunk_size=MIB,
        metadata=metadata(citizen.draft),
        store_url=True,
        url_storage=urls,
    )
    assert second.url == first.url and second.offset == 2 * MIB
    second.upload()
    await assert_attached(
        database, storage, second.request.response_headers["upload-file-id"], data
    )


def _send_and_drop(live_server: str, path: str, headers: dict[str, str], body: bytes) -> None:
    """A PATCH whose connection is cut after ``body``, short of its Content-Length."""
    address = urlsplit(live_server)
    with socket.create_connection((address.hostname, address.port)) as connection:
        lines = [f"PATCH {path} HTTP/1.1", f"Host: {address.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        time.sleep(0.5)


async def test_a_patch_cut_off_keeps_its_whole_slices(
    live_server: str, enterprise: Caller, database: Database, storage: FileStorage
) -> None:
    data = pdf(SLICE_SIZE + MIB + MIB // 2)
    with httpx.Client(timeout=30) as http:
        http.base_url = httpx.URL(live_server)
        url = create(http, enterprise, len(data))
        _send_and_drop(
            live_server,
            urlsplit(url).path,
            {
                **TUS,
                **enterprise.headers,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(len(data)),
            },
            data[: SLICE_SIZE + MIB],
        )
        deadline = time.monotonic() + 15
        while True:
            offset = int(head(http, enterprise, url).headers["upload-offset"])
            if offset == SLICE_SIZE or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert offset == SLICE_SIZE

    uploader = tus.TusClient(endpoint(live_server), headers=enterprise.headers).uploader(
        file_stream=io.BytesIO(data), url=url, chunk_size=MIB
    )
    assert uploader.offset == SLICE_SIZE
    uploader.upload()
    await assert_attached(
        database, storage, uploader.request.response_headers["upload-file-id"], data
    )


async def test_patches_at_the_wrong_offset_get_409(http: httpx.Client, citizen: Caller) -> None:
    data = pdf(300_000)
    url = create(http, citizen, len(data))
    assert_problem(patch(http, citizen, url, 5, data[5:1000]), 409, "upload_offset_mismatch")
    response = patch(http, citizen, url, 0, data[:1000])
    assert response.status_code == 204, response.text
    assert response.headers["upload-offset"] == "1000"
    assert "upload-expires" in response.headers
    assert_problem(patch(http, citizen, url, 0, data[:1000]), 409, "upload_offset_mismatch")
    assert head(http, citizen, url).headers["upload-offset"] == "1000"


def test_concurrent_patches_do_not_both_append(
    live_server: str, http: httpx.Client, citizen: Caller
) -> None:
    """While one PATCH is still sending, another at the same offset waits, then gets 409."""
    data = pdf(200_000)
    url = create(http, citizen, len(data))
    address = urlsplit(live_server)
    slow = socket.create_connection((address.hostname, address.port))
    headers = {
        **TUS,
        **citizen.headers,
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": "100000",
    }
    lines = [f"PATCH {urlsplit(url).path} HTTP/1.1", f"Host: {address.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    slow.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data[:50_000])
    time.sleep(0.5)  # the first PATCH now holds the upload

    answers: list[httpx.Response] = []
    racing = threading.Thread(
        target=lambda: answers.append(patch(http, citizen, url, 0, data[:100_000]))
    )
    racing.start()
    time.sleep(0.5)
    assert not answers  # waiting for the first
    slow.sendall(data[50_000:100_000])
    first = slow.recv(65536).decode("latin-1")
    slow.close()
    racing.join(timeout=15)
    assert first.startswith("HTTP/1.1 204"), first
    assert "upload-offset: 100000" in first.lower()
    assert_problem(answers[0], 409, "upload_offset_mismatch")
    assert head(http, citizen, url).headers["upload-offset"] == "100000"


def test_another_tus_version_or_none_gets_412(http: httpx.Client, citizen: Caller) -> None:
    for version in ({"Tus-Resumable": "0.2.2"}, {}):
        response = http.post(
            "/api/v1/uploads",
            headers={
                **version,
                **citizen.headers,
                "Upload-Length": "10",
                "Upload-Metadata": encoded(metadata(citizen.draft)),
            },
        )
        assert_problem(response, 412, "tus_version_unsupported")
        assert response.headers["tus-version"] == "1.0.0"


def test_bytes_of_another_type_get_415(http: httpx.Client, citizen: Caller) -> None:
    url = create(http, citizen, 1000)
    response = patch(http, citizen, url, 0, b"x" * 10, **{"Content-Type": "application/pdf"})
    assert_problem(response, 415, "unsupported_media_type")
    assert head(http, citizen, url).headers["upload-offset"] == "0"


def test_an_upload_over_the_limit_is_refused_at_creation(
    http: httpx.Client, enterprise: Caller
) -> None:
    response = http.post(
        "/api/v1/uploads",
        headers={
            **TUS,
            **enterprise.headers,
            "Upload-Length": str(SLOT_LIMIT + 1),
            "Upload-Metadata": encoded(metadata(enterprise.draft)),
            "Accept-Language": "en",
        },
    )
    assert_problem(response, 413, "file_too_large")
    assert "10 MB" in response.json()["detail"]


def test_creation_needs_right_headers_and_a_draft_of_yours(
    http: httpx.Client, citizen: Caller, enterprise: Caller
) -> None:
    def post(**headers: str) -> httpx.Response:
        return http.post("/api/v1/uploads", headers={**TUS, **citizen.headers, **headers})

    good = encoded(metadata(citizen.draft))
    assert_problem(post(**{"Upload-Metadata": good}), 400, "tus_header_invalid")
    assert_problem(post(**{"Upload-Length": "-1", "Upload-Metadata": good}), 400)
    assert_problem(post(**{"Upload-Length": "10"}), 400, "tus_header_invalid")
    assert_problem(
        post(**{"Upload-Length": "10", "Upload-Metadata": "dossier %%%"}), 400, "tus_header_invalid"
    )
    assert_problem(post(**{"Upload-Length": "0", "Upload-Metadata": good}), 422, "file_refused")
    other = encoded(metadata(enterprise.draft))
    assert_problem(post(**{"Upload-Length": "10", "Upload-Metadata": other}), 404)
    unknown_slot = encoded({**metadata(citizen.draft), "slot": "nope"})
    assert_problem(post(**{"Upload-Length": "10", "Upload-Metadata": unknown_slot}), 422)
    response = http.post(
        "/api/v1/uploads",
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": good},
    )
    assert_problem(response, 401, "unauthorized")


async def test_a_zip_posing_as_a_pdf_is_refused_at_the_end_and_nothing_is_kept(
    http: httpx.Client, citizen: Caller, database: Database, storage: FileStorage
) -> None:
    data = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + os.urandom(400_000)
    url = create(http, citizen, len(data))
    row = await upload_row(database, url)
    assert row is not None
    response = patch(http, citizen, url, 0, data[:200_000])
    assert response.status_code == 204
    response = patch(http, citizen, url, 200_000, data[200_000:])
    assert_problem(response, 422, "file_refused")
    assert response.json()["errors"][0]["location"] == SLOT
    assert "upload-file-id" not in response.headers
    assert_problem(head(http, citizen, url), 404)
    assert await upload_row(database, url) is None
    await assert_nothing_stored(storage, row.storage_key)


async def test_delete_terminates_an_upload(
    http: httpx.Client, citizen: Caller, database: Database, storage: FileStorage
) -> None:
    data = pdf(100_000)
    url = create(http, citizen, len(data))
    assert patch(http, citizen, url, 0, data[:40_000]).status_code == 204
    row = await upload_row(database, url)
    assert row is not None
    response = delete(http, citizen, url)
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert_problem(head(http, citizen, url), 404)
    assert_problem(patch(http, citizen, url, 40_000, data[40_000:]), 404, "upload_not_found")
    assert_problem(delete(http, citizen, url), 404)
    await assert_nothing_stored(storage, row.storage_key)


async def test_deleting_a_finished_upload_leaves_its_file(
    http: httpx.Client, citizen: Caller, database: Database, storage: FileStorage
) -> None:
    data = pdf(50_000)
    url = create(http, citizen, len(data))
    response = patch(http, citizen, url, 0, data)
    assert response.status_code == 204
    file_id = response.headers["upload-file-id"]
    assert delete(http, citizen, url).status_code == 204
    assert_problem(head(http, citizen, url), 404)
    await assert_attached(database, storage, file_id, data)


async def test_expired_uploads_are_gone(
    http: httpx.Client, citizen: Caller, database: Database, storage: FileStorage
) -> None:
    data = pdf(100_000)
    url = create(http, citizen, len(data))
    assert patch(http, citizen, url, 0, data[:10_000]).status_code == 204
    row = await upload_row(database, url)
    assert row is not None
    assert await storage.partial_size(row.storage_key) == 10_000
    async with database.unit_of_work() as session:
        await session.execute(
            update(Upload)
            .where(Upload.id == row.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert_problem(head(http, citizen, url), 404)
    assert_problem(patch(http, citizen, url, 10_000, data[10_000:]), 404, "upload_not_found")
    assert await tasks.expire_uploads(database.unit_of_work, storage) >= 1
    assert await upload_row(database, url) is None
    await assert_nothing_stored(storage, row.storage_key)


async def test_someone_else_cannot_see_or_touch_an_upload(
    http: httpx.Client, citizen: Caller, database: Database, settings: Settings
) -> None:
    data = pdf(100_000)
    url = create(http, citizen, len(data))
    assert patch(http, citizen, url, 0, data[:10_000]).status_code == 204
    stranger = await make_citizen(database, settings)
    company = await make_enterprise(database, settings)
    for other in (stranger, company):
        assert_problem(head(http, other, url), 404)
        assert_problem(patch(http, other, url, 10_000, data[10_000:]), 404, "upload_not_found")
        assert_problem(delete(http, other, url), 404)
    assert head(http, citizen, url).headers["upload-offset"] == "10000"
    # No credentials at all, or a key without the right scope.
    assert_problem(head(http, Caller({}, ""), url), 401)
    reader = await make_enterprise(database, settings, scopes=(api_keys.SCOPE_READ,))
    assert_problem(head(http, reader, url), 403)


async def test_the_pages_upload_with_the_session_cookie(
    live_server: str, citizen: Caller, database: Database, storage: FileStorage
) -> None:
    data = pdf(3 * MIB + 5)
    uploader = tus.TusClient(endpoint(live_server), headers=citizen.headers).uploader(
        file_stream=io.BytesIO(data), chunk_size=MIB, metadata=metadata(citizen.draft)
    )
    uploader.upload()
    await assert_attached(
        database, storage, uploader.request.response_headers["upload-file-id"], data
    )
    # A session cookie whose signature does not hold is no session.
    forged = tus.TusClient(
        endpoint(live_server), headers={"Cookie": f"{SESSION_COOKIE}=abc.def"}
    ).uploader(file_stream=io.BytesIO(data), metadata=metadata(citizen.draft))
    with pytest.raises(TusCommunicationError) as refused:
        forged.upload()
    assert refused.value.status_code == 401


# --- An API key's requests a minute ----------------------------------------------------------


async def test_a_keys_fourth_request_in_a_minute_gets_429(
    live_server: str, enterprise: Caller, database: Database, fixed_clock: None
) -> None:
    async with database.unit_of_work() as session:
        draft = await repository.by_reference(session, enterprise.draft)
        assert draft is not None
        _out, raw = await api_keys.create_api_key(
            session,
            enterprise_tax_code=draft.applicant_id_number,
            name="Three a minute",
            scopes=[api_keys.SCOPE_SUBMIT],
            rate_limit=3,
        )
    limited = Caller({"Authorization": f"Bearer {raw}"}, enterprise.draft)
    data = pdf(2 * MIB)
    # Three requests: the creation and two chunks.
    uploader = tus.TusClient(endpoint(live_server), headers=limited.headers).uploader(
        file_stream=io.BytesIO(data), chunk_size=MIB, metadata=metadata(limited.draft)
    )
    uploader.upload()
    assert uploader.offset == len(data)
    last = uploader.request.response_headers
    assert (last["ratelimit-limit"], last["ratelimit-remaining"]) == ("3", "0")
    assert last["ratelimit-reset"] == "30"

    with httpx.Client(base_url=live_server, headers={"Accept-Language": "en"}) as http:
        refused = delete(http, limited, uploader.url)
        assert_problem(refused, 429, "rate_limited")
        assert refused.headers["retry-after"] == "30"
        assert refused.headers["ratelimit-remaining"] == "0"
        body = refused.json()
        assert body["status"] == 429 and body["type"].endswith("rate_limited")
        assert "3 requests a minute" in body["detail"]
        # Another key of the same enterprise counts on its own.
        other = head(http, enterprise, uploader.url)
        assert other.status_code == 200
        left, limit = other.headers["ratelimit-remaining"], other.headers["ratelimit-limit"]
        assert int(left) == int(limit) - 1
    # The refused termination did nothing.
    assert await upload_row(database, uploader.url) is not None
