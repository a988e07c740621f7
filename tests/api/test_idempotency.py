"""Idempotency-Key on the dossier API: replays, reuse, expiry, scope, and concurrent retries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.dossiers.service import FILE_DELETE
from app.idempotency import repository as idempotency_repository
from app.idempotency import service as idempotency
from app.idempotency.errors import IdempotencyKeyInUse
from app.idempotency.schemas import Claim, StoredResponse
from app.kit.clock import utcnow
from app.models.dossiers import Dossier
from app.models.idempotency import IdempotencyRecord
from app.models.outbox import OutboxMessage
from tests.accounts.test_accounts_service import TAX_CODE
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    CHILD_AGENCY,
    PDF,
    PNG,
    POSTAL_ADDRESS,
    PROBLEM,
    bearer,
    enterprise_key,
    random_tax_code,
)

DOSSIERS = "/api/v1/dossiers"
DAY = timedelta(hours=24)
# A procedure of the demo catalog, committed once for the session (for live-server tests).
DEMO_PROCEDURE = "1.001193"


def _keyed(raw: str, idempotency_key: str) -> dict[str, str]:
    return bearer(raw, **{"Idempotency-Key": idempotency_key})


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Dossier)) or 0)


async def test_a_retried_creation_replays_the_first_response(
    client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    before = await _count(db_session)
    body = {"procedure": API_PROCEDURE, "data": {"full_name": "Nguyễn Văn An"}}
    first = await client.post(DOSSIERS, json=body, headers=_keyed(key, "tao-ho-so-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    second = await client.post(DOSSIERS, json=body, headers=_keyed(key, "tao-ho-so-1"))
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert await _count(db_session) == before + 1

    # Another body with the same key is refused; so is the same key on another path.
    other = await client.post(
        DOSSIERS, json={**body, "data": {"full_name": "Khác"}}, headers=_keyed(key, "tao-ho-so-1")
    )
    assert other.status_code == 422 and other.headers["content-type"].startswith(PROBLEM)
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["errors"][0]["location"] == "Idempotency-Key"
    # A new key is a new request.
    third = await client.post(DOSSIERS, json=body, headers=_keyed(key, "tao-ho-so-2"))
    assert third.status_code == 201 and third.json()["reference"] != first.json()["reference"]
    assert await _count(db_session) == before + 2


async def test_keys_belong_to_one_client_and_one_endpoint(
    client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    other = await enterprise_key(db_session, random_tax_code())
    body = {"procedure": API_PROCEDURE}
    mine = await client.post(DOSSIERS, json=body, headers=_keyed(key, "k"))
    theirs = await client.post(DOSSIERS, json=body, headers=_keyed(other, "k"))
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["reference"] != mine.json()["reference"]
    assert theirs.json()["applicant_id_number"] != TAX_CODE

    # The same key on another endpoint is another key.
    reference = mine.json()["reference"]
    patched = await client.patch(
        f"{DOSSIERS}/{reference}", json={"data": {"full_name": "An"}}, headers=_keyed(key, "k")
    )
    assert patched.status_code == 200 and "idempotent-replayed" not in patched.headers


async def test_bad_keys_are_refused_with_400(client: httpx.AsyncClient, key: str) -> None:
    for bad in ("x" * 256, "", "   "):
        response = await client.post(
            DOSSIERS, json={"procedure": API_PROCEDURE}, headers=_keyed(key, bad)
        )
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["code"] == "idempotency_key_invalid"
    longest = await client.post(
        DOSSIERS, json={"procedure": API_PROCEDURE}, headers=_keyed(key, "x" * 255)
    )
    assert longest.status_code == 201


async def test_a_failed_request_keeps_no_response(client: httpx.AsyncClient, key: str) -> None:
    reference = (
        await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    ).json()["reference"]
    submit = f"{DOSSIERS}/{reference}/submit"
    refused = await client.post(submit, headers=_keyed(key, "nop-1"))
    assert refused.status_code == 422 and refused.json()["code"] == "dossier_invalid"
    changes = {
        "data": {"full_name": "Nguyễn Văn An"},
        "agency": CHILD_AGENCY,
        "delivery": {"method": "post", "address": POSTAL_ADDRESS},
    }
    assert (
        await client.patch(f"{DOSSIERS}/{reference}", json=changes, headers=bearer(key))
    ).status_code == 200
    filed = await client.post(submit, headers=_keyed(key, "nop-1"))
    assert filed.status_code == 200 and "idempotent-replayed" not in filed.headers
    again = await client.post(submit, headers=_keyed(key, "nop-1"))
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == filed.json()
    # Without the key the retry is a new request, refused as the dossier is filed.
    assert (await client.post(submit, headers=bearer(key))).status_code == 409

    withdraw = f"{DOSSIERS}/{filed.json()['code']}/withdraw"
    first = await client.post(withdraw, json={"reason": "Nhầm"}, headers=_keyed(key, "rut"))
    replay = await client.post(withdraw, json={"reason": "Nhầm"}, headers=_keyed(key, "rut"))
    assert first.status_code == replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["status"]["code"] == 7


async def test_deletions_are_replayed(client: httpx.AsyncClient, key: str) -> None:
    reference = (
        await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    ).json()["reference"]
    upload = await client.post(
        f"{DOSSIERS}/{reference}/files?slot=declaration",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=bearer(key),
    )
    file_url = f"{DOSSIERS}/{reference}/files/{upload.json()['id']}"
    for replayed in (False, True):
        response = await client.delete(file_url, headers=_keyed(key, "xoa-tep"))
        assert response.status_code == 204 and response.content == b""
        assert ("idempotent-replayed" in response.headers) is replayed
    for replayed in (False, True):
        response = await client.delete(f"{DOSSIERS}/{reference}", headers=_keyed(key, "xoa"))
        assert response.status_code == 204
        assert ("idempotent-replayed" in response.headers) is replayed
    assert (await client.delete(f"{DOSSIERS}/{reference}", headers=bearer(key))).status_code == 404


async def test_an_upload_is_replayed_by_its_file(
    client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    reference = (
        await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    ).json()["reference"]

    async def upload(content: bytes, name: str = "to-khai.pdf") -> httpx.Response:
        return await client.post(
            f"{DOSSIERS}/{reference}/files",
            data={"slot": "declaration"},
            files={"file": (name, content, "application/pdf")},
            headers=_keyed(key, "tep-1"),
        )

    first = await upload(PDF)
    assert first.status_code == 201, first.text
    second = await upload(PDF)
    assert second.status_code == 201 and second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    for other in (await upload(PDF + b"1"), await upload(PDF, "khac.pdf")):
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    dossier = (await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key))).json()
    assert [f["id"] for f in dossier["files"]] == [first.json()["id"]]


async def test_an_upload_that_lost_the_race_for_its_key_is_undone(
    client: httpx.AsyncClient,
    key: str,
    db_session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two uploads with one key at once: the second, which looked before the first committed,
    finds the first's record when it records its own; it drops its copy and replays."""
    reference = (
        await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    ).json()["reference"]

    async def upload() -> httpx.Response:
        return await client.post(
            f"{DOSSIERS}/{reference}/files?slot=photo",
            files={"file": ("anh.png", PNG, "image/png")},
            headers=_keyed(key, "dua-tranh"),
        )

    first = await upload()
    deletions = select(func.count()).where(OutboxMessage.kind == FILE_DELETE)
    before = await db_session.scalar(deletions)

    async def looked_too_early(*args: Any) -> None:
        return None

    monkeypatch.setattr(idempotency, "find", looked_too_early)
    second = await upload()
    assert second.status_code == 201 and second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    dossier = (await client.get(f"{DOSSIERS}/{reference}", headers=bearer(key))).json()
    assert [f["id"] for f in dossier["files"]] == [first.json()["id"]]
    assert await db_session.scalar(deletions) == (before or 0) + 1, "its copy leaves storage"


async def test_expired_keys_are_forgotten(
    client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    body = {"procedure": API_PROCEDURE}
    first = await client.post(DOSSIERS, json=body, headers=_keyed(key, "cu"))
    await db_session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.key == "cu")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    second = await client.post(DOSSIERS, json=body, headers=_keyed(key, "cu"))
    assert second.status_code == 201 and "idempotent-replayed" not in second.headers
    assert second.json()["reference"] != first.json()["reference"]
    keys = await db_session.scalars(
        select(IdempotencyRecord.expires_at).where(IdempotencyRecord.key == "cu")
    )
    assert len(list(keys)) == 1, "the expired record was replaced"

    await db_session.execute(
        update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    assert await idempotency.purge_expired(db_session) >= 1
    assert await db_session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


async def test_keys_live_as_long_as_the_settings_say(
    app: FastAPI, client: httpx.AsyncClient, key: str, db_session: AsyncSession
) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"idempotency_hours": 3})
    try:
        created = await client.post(
            DOSSIERS, json={"procedure": API_PROCEDURE}, headers=_keyed(key, "ba-gio")
        )
    finally:
        app.state.settings = settings
    assert created.status_code == 201, created.text
    record = (
        await db_session.execute(
            select(IdempotencyRecord.created_at, IdempotencyRecord.expires_at).where(
                IdempotencyRecord.key == "ba-gio"
            )
        )
    ).one()
    assert record.expires_at - record.created_at == timedelta(hours=3)


async def test_a_retry_while_the_first_runs_is_refused_without_waiting(
    database: Database,
) -> None:
    """PostgreSQL: the second request does not wait on the first's uncommitted record (it
    would hold a connection, and then replay late); it is told to retry (409, Retry-After),
    and replays once the first has committed. SQLite has one writer: it cannot happen."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL runs two writers at once")
    client = f"test:{uuid.uuid4().hex[:12]}"
    fingerprint = idempotency.request_fingerprint("POST", "/x", b"{}")
    stored = StoredResponse(201, {"ok": True})
    async with database.unit_of_work() as first:
        claimed = await idempotency.claim(first, client, "POST /x", "k", fingerprint, DAY)
        assert isinstance(claimed, Claim)
        await idempotency.complete(first, claimed, stored)
        async with database.unit_of_work() as second:
            # Waiting for the first would fail the test instead of hanging it.
            await second.execute(text("SET LOCAL lock_timeout = '2s'"))
            with pytest.raises(IdempotencyKeyInUse) as refused:
                await idempotency.claim(second, client, "POST /x", "k", fingerprint, DAY)
            assert refused.value.status == 409 and refused.value.headers["Retry-After"] == "1"
    async with database.unit_of_work() as later:
        again = await idempotency.claim(later, client, "POST /x", "k", fingerprint, DAY)
        assert again == stored
        await later.execute(delete(IdempotencyRecord).where(IdempotencyRecord.client == client))


async def test_a_key_taken_meanwhile_is_replayed_or_refused(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The insert that loses the race on the unique key: it replays what the winner stored, or
    answers 409 while that is not visible yet."""
    client = f"test:{uuid.uuid4().hex[:12]}"
    fingerprint = idempotency.request_fingerprint("POST", "/x", b"{}")
    claimed = await idempotency.claim(db_session, client, "POST /x", "k", fingerprint, DAY)
    assert isinstance(claimed, Claim)
    stored = StoredResponse(201, {"ok": True}, {"Location": "/x/1"})
    await idempotency.complete(db_session, claimed, stored)

    real_live = idempotency_repository.live
    calls = 0

    async def read_before_the_other_committed(*args: Any) -> IdempotencyRecord | None:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real_live(*args)

    monkeypatch.setattr(idempotency_repository, "live", read_before_the_other_committed)
    again = await idempotency.claim(db_session, client, "POST /x", "k", fingerprint, DAY)
    assert again == stored and calls == 2

    async def never_visible(*args: Any) -> IdempotencyRecord | None:
        return None

    monkeypatch.setattr(idempotency_repository, "live", never_visible)
    with pytest.raises(IdempotencyKeyInUse):
        await idempotency.claim(db_session, client, "POST /x", "k", fingerprint, DAY)
    # The session is still usable: the failed insert was rolled back to its savepoint.
    records = select(func.count()).where(IdempotencyRecord.client == client)
    assert await db_session.scalar(records) == 1


@pytest.fixture
async def committed_key(database: Database) -> AsyncIterator[str]:
    """A key of an enterprise committed to the database the live server uses."""
    async with database.unit_of_work() as session:
        raw = await enterprise_key(session, random_tax_code())
    yield raw


async def test_concurrent_retries_create_one_dossier(live_server: str, committed_key: str) -> None:
    body = {"procedure": DEMO_PROCEDURE, "data": {"child_full_name": "NGUYỄN VĂN BÌNH"}}
    idempotency_key = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        responses = await asyncio.gather(
            *(
                http.post(f"{DOSSIERS}", json=body, headers=_keyed(committed_key, idempotency_key))
                for _ in range(6)
            )
        )
        created = [r for r in responses if r.status_code == 201]
        assert created, [r.text for r in responses]
        for response in responses:
            if response.status_code != 201:
                assert response.status_code == 409, response.text
                assert response.json()["code"] == "idempotency_key_in_use"
        assert len({r.json()["reference"] for r in created}) == 1
        assert sum("idempotent-replayed" not in r.headers for r in created) == 1
        listed = await http.get(DOSSIERS, headers=bearer(committed_key))
        assert [d["reference"] for d in listed.json()["items"]] == [created[0].json()["reference"]]
        deleted = await http.delete(created[0].headers["location"], headers=bearer(committed_key))
        assert deleted.status_code == 204
