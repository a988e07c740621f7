"""Idempotency keys: remember the first response to a request made with a key, replay it.

A key belongs to one client and one route. Its record is written in the same transaction as
the change it guards, so a change and its record commit or vanish together: a request that
failed (and rolled back) leaves no record, and may be retried with the same key.

Two ways of using it:

- ``claim`` before the work, ``complete`` after it (JSON requests, whose fingerprint is known
  at once). A concurrent request with the same key is refused at once while the first one
  runs (IdempotencyKeyInUse, 409 with Retry-After: on PostgreSQL the key's advisory lock is
  held by the first transaction), and replays its response once it has committed; it never
  does the work a second time.
- ``find`` before reading the body and ``record`` after the work, when the fingerprint is
  known only once the body has been read (file uploads): a replay is found up front; a
  concurrent first use is found by ``record``, and the caller undoes its own work.

Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.idempotency import repository
from app.idempotency.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)
from app.idempotency.schemas import Claim, Recorded, StoredResponse
from app.kit.clock import utcnow
from app.models.idempotency import IdempotencyRecord

MAX_KEY_LENGTH = 255
# The status of a record whose request is still running: only its own transaction sees it.
RUNNING = 0
# Statuses whose responses have no body.
_NO_BODY = frozenset({204, 304})
_KEY = re.compile(r"[\x20-\x7e]+")


def check_key(key: str) -> str:
    """The key if it is usable: 1 to 255 printable ASCII characters; IdempotencyKeyInvalid."""
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key) or not key.strip():
        raise IdempotencyKeyInvalid(MAX_KEY_LENGTH)
    return key


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        # Length-prefixed, so no two different lists of parts hash alike.
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """What identifies a request: SHA-256 of its method, path and body."""
    return _digest("request", method.upper(), path, body)


def upload_fingerprint(method: str, path: str, slot: str, sha256: str, filename: str) -> str:
    """What identifies a multipart file upload: its slot, the file's SHA-256 and its name."""
    return _digest("upload", method.upper(), path, slot, sha256, filename)


def _recorded(record: IdempotencyRecord) -> Recorded:
    if record.response_status == RUNNING:
        return Recorded(fingerprint=record.fingerprint, response=None)
    body: dict[str, Any] | None = dict(record.response_body)
    if record.response_status in _NO_BODY:
        body = None
    return Recorded(
        fingerprint=record.fingerprint,
        response=StoredResponse(
            status=record.response_status,
            body=body,
            headers={str(k): str(v) for k, v in record.response_headers.items()},
        ),
    )


async def find(session: AsyncSession, client: str, route: str, key: str) -> Recorded | None:
    """The live record of the key, if it was used before and has not expired."""
    record = await repository.live(session, client, route, key, utcnow())
    return _recorded(record) if record is not None else None


def replay(recorded: Recorded, fingerprint: str) -> StoredResponse:
    """The response to repeat for a request using a recorded key.

    IdempotencyKeyReused if the key was first used for another request, IdempotencyKeyInUse if
    that request has not finished.
    """
    if recorded.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if recorded.response is None:
        raise IdempotencyKeyInUse()
    return recorded.response


async def claim(
    session: AsyncSession,
    client: str,
    route: str,
    key: str,
    fingerprint: str,
    lifetime: timedelta,
) -> Claim | StoredResponse:
    """Take the key for the running request (a Claim, kept for ``lifetime``), or give the
    response to replay.

    IdempotencyKeyInUse without waiting while another transaction holds the key (PostgreSQL's
    advisory lock on it, taken here for the rest of the transaction). The record is inserted
    inside a savepoint; should another request have taken the key meanwhile all the same, the
    insert fails and the record it committed is replayed (IdempotencyKeyInUse if it is still
    not visible). Expired records of the key are replaced.
    """
    if not await repository.try_lock_key(session, client, route, key):
        raise IdempotencyKeyInUse()
    now = utcnow()
    # A write before the savepoint, on purpose: SQLite (pysqlite) begins its transaction at the
    # first write, and a SAVEPOINT opened outside a transaction would commit when released.
    await repository.delete_expired_key(session, client, route, key, now)
    found = await repository.live(session, client, route, key, now)
    if found is not None:
        return replay(_recorded(found), fingerprint)
    record = IdempotencyRecord(
        client=client,
        route=route,
        key=key,
        fingerprint=fingerprint,
        response_status=RUNNING,
        response_body={},
        response_headers={},
        created_at=now,
        expires_at=now + lifetime,
    )
    try:
        async with session.begin_nested():
            await repository.add(session, record)
            await session.flush()
    except IntegrityError:
        found = await repository.live(session, client, route, key, utcnow())
        if found is None:
            raise IdempotencyKeyInUse() from None
        return replay(_recorded(found), fingerprint)
    return Claim(record_id=record.id)


async def complete(session: AsyncSession, claim: Claim, response: StoredResponse) -> None:
    """Keep the response of the request that claimed the key, in its transaction."""
    await repository.set_response(
        session, claim.record_id, response.status, response.body or {}, dict(response.headers)
    )
    await session.flush()


async def record(
    session: AsyncSession,
    client: str,
    route: str,
    key: str,
    fingerprint: str,
    response: StoredResponse,
    lifetime: timedelta,
) -> StoredResponse | None:
    """Keep the response of work already done: None when kept; the earlier response when
    another request used the key first (the caller must then undo its own work and answer
    with it). IdempotencyKeyReused or IdempotencyKeyInUse as for ``claim``."""
    claimed = await claim(session, client, route, key, fingerprint, lifetime)
    if isinstance(claimed, StoredResponse):
        return claimed
    await complete(session, claimed, response)
    return None


async def purge_expired(session: AsyncSession) -> int:
    """Delete the records past their lifetime (for the worker's housekeeping)."""
    deleted = await repository.delete_expired(session, utcnow())
    await session.flush()
    return deleted
