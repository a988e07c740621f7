"""The audit trail: rows appended in the caller's transaction, each sealed with a SHA-256 over
its content and the hash of the row before it, so that changing, deleting or moving a row
afterwards breaks the chain where it happened.

The hash covers the canonical form of every column but ``id`` and ``hash``: a JSON object with
sorted keys, no spaces, UTF-8 without escapes, ``at`` in UTC ISO 8601 with microseconds
(``2026-11-24T08:30:00.123456+00:00``). ``content_hash`` computes it, so that a tool of the
auditors' own can be checked against this one. Changing the form invalidates every stored row.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.schemas import AuditOut, AuditReport, Break
from app.kit.clock import aware, utcnow

# The previous_hash of the first row.
GENESIS = "0" * 64
# Rows read per query by ``verify``: its memory stays bounded by this, whatever the chain length.
BATCH_SIZE = 1000
MAX_PAGE_SIZE = 100
# The widths of the columns filled from what people and proxies send; longer values are cut
# rather than refused (by PostgreSQL) or kept whole (by SQLite).
_NAME_WIDTH = 255
_IP_WIDTH = 45


def _storable(text: str) -> str:
    """The text as both databases keep it: PostgreSQL refuses NUL characters and lone
    surrogates, which would otherwise fail the whole transaction being audited."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _number(text: str) -> int | float:
    # JSONB keeps numbers as decimals and gives 1e+16 back as 10000000000000000, an int, so
    # whole numbers are kept as ints from the start and hash alike on both databases.
    value = float(text)
    return int(value) if value.is_integer() else value


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, dict):
        return {_storable(k): _storable_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable_json(v) for v in value]
    return value


def plain_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The detail exactly as both databases give it back, so that the hash of what is written
    is the hash of what is read: tuples become lists, keys strings, whole floats ints.
    TypeError for values JSON cannot hold, ValueError for NaN and infinities."""
    text = json.dumps(dict(detail), allow_nan=False)
    plain: dict[str, Any] = _storable_json(json.loads(text, parse_float=_number))
    return plain


def content_hash(
    *,
    at: datetime,
    actor: str,
    actor_name: str,
    ip: str,
    action: str,
    dossier_id: int | None,
    dossier_code: str | None,
    detail: Mapping[str, Any],
    previous_hash: str,
) -> str:
    """The hash a row must carry: SHA-256 (hex) of the canonical form of its fields."""
    canonical = json.dumps(
        {
            "action": action,
            "actor": actor,
            "actor_name": actor_name,
            # SQLite gives the stored time back without its zone; it was written in UTC.
            "at": aware(at).astimezone(UTC).isoformat(timespec="microseconds"),
            "detail": detail,
            "dossier_code": dossier_code,
            "dossier_id": dossier_id,
            "ip": ip,
            "previous_hash": previous_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def record(
    session: AsyncSession,
    *,
    actor: str,
    actor_name: str,
    action: str,
    ip: str = "",
    dossier_id: int | None = None,
    dossier_code: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append a row to the trail in the caller's transaction (written, never committed).

    Call it as the last step of the transaction: from here to the commit, no other transaction
    can append to the trail (see below). ``actor`` is "account:<id>", "apikey:<prefix>",
    "worker" or "applicant:<account id>"; ``detail`` holds JSON values only.

    On PostgreSQL the transaction must run at READ COMMITTED (the default): a snapshot taken
    earlier in the transaction could miss the newest row and fork the chain, so RuntimeError.
    """
    values: dict[str, Any] = {
        "actor": _storable(actor),
        "actor_name": _storable(actor_name)[:_NAME_WIDTH],
        "ip": _storable(ip)[:_IP_WIDTH],
        "action": _storable(action),
        "dossier_id": dossier_id,
        "dossier_code": _storable(dossier_code) if dossier_code is not None else None,
        "detail": plain_detail(detail or {}),
    }
    # Two transactions must never read the same last row and both chain onto it. Each database
    # serialises appenders with a lock held until the commit (a lock released earlier would let
    # the next appender read the chain before this row is visible); callers append last, so
    # the lock is held only for these few statements and the commit.
    if repository.dialect(session) == "postgresql":
        # Row locks cannot do it: there is no row to lock in an empty table, and under READ
        # COMMITTED a waiter on the last row wakes up to that same row, not to the one added
        # meanwhile. An advisory lock taken before reading makes the read see every row
        # committed by earlier holders, since each statement of READ COMMITTED takes a fresh
        # snapshot. Row ids are drawn under the lock too, so id order is chain order.
        isolation = await repository.lock_chain(session)
        if isolation != "read committed":
            raise RuntimeError(f"the audit trail needs READ COMMITTED, not {isolation.upper()}")
        previous = await repository.last_hash(session) or GENESIS
        at = utcnow()
        sealed = content_hash(at=at, previous_hash=previous, **values)
        await repository.add(
            session, {**values, "at": at, "previous_hash": previous, "hash": sealed}
        )
        return
    # SQLite: reading the last row first would be wrong. pysqlite starts a transaction only at
    # its first write, so a read before it sees the chain of that moment and another writer
    # may append before this one takes the write lock: a fork. And in a transaction that had
    # only read so far, WAL fails the first write with SQLITE_BUSY_SNAPSHOT whenever another
    # writer committed meanwhile, without waiting. So write first: the insert waits (up to the
    # busy timeout) for the one write lock, and a WAL writer always reads the newest data. Once
    # it holds the lock, the row before this one is the last row of the chain, for good. Until
    # it is sealed the row has an empty previous_hash, which no sealed row has (so a trigger
    # can refuse every other update), and a random hash, which collides with none.
    record_id = await repository.add(
        session, {**values, "at": utcnow(), "previous_hash": "", "hash": secrets.token_hex(32)}
    )
    previous = await repository.hash_before(session, record_id) or GENESIS
    at = utcnow()
    await repository.seal(
        session, record_id, at, previous, content_hash(at=at, previous_hash=previous, **values)
    )


def _break(row: Row[Any], previous_id: int | None, previous_hash: str) -> Break | None:
    """Why the row breaks the chain after the row ``previous_id``, None when it does not."""
    try:
        computed = content_hash(
            at=row.at,
            actor=row.actor,
            actor_name=row.actor_name,
            ip=row.ip,
            action=row.action,
            dossier_id=row.dossier_id,
            dossier_code=row.dossier_code,
            detail=row.detail,
            previous_hash=row.previous_hash,
        )
    except ValueError:
        # Content no row written by ``record`` can hold (NaN, a lone surrogate in SQLite's
        # JSON text) was put there afterwards.
        return Break.changed
    if row.hash != computed:
        return Break.changed
    if row.previous_hash == previous_hash:
        return None
    # Ids may also be missing where a transaction rolled back (PostgreSQL does not reuse
    # them), but those leave the links intact: a broken link next to a hole means deletion.
    if previous_id is None or row.id > previous_id + 1:
        return Break.deleted
    return Break.unlinked


async def verify(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> AuditReport:
    """Walk the whole chain in id order, ``batch_size`` rows per query, and report the first
    row that breaks it (changed, deleted before, or moved) or that it is intact."""
    checked = 0
    last_id: int | None = None
    last_hash = GENESIS
    while True:
        rows = await repository.batch_after(session, last_id, batch_size)
        for row in rows:
            checked += 1
            reason = _break(row, last_id, last_hash)
            if reason is not None:
                return AuditReport(
                    ok=False,
                    rows_checked=checked,
                    first_broken_id=row.id,
                    reason=reason,
                    last_id=last_id,
                    last_hash=last_hash if last_id is not None else None,
                )
            last_id, last_hash = row.id, row.hash
        if len(rows) < batch_size:
            return AuditReport(
                ok=True,
                rows_checked=checked,
                last_id=last_id,
                last_hash=last_hash if last_id is not None else None,
            )


async def trail_of_dossier(
    session: AsyncSession, dossier_id: int, limit: int, cursor: int | None = None
) -> list[AuditOut]:
    """Who read or changed the dossier, newest first; for the next page, pass the id of the
    last row of this one as ``cursor``."""
    rows = await repository.of_dossier(
        session, dossier_id, cursor, max(1, min(limit, MAX_PAGE_SIZE))
    )
    return [
        AuditOut(
            id=row.id,
            at=aware(row.at),
            actor=row.actor,
            actor_name=row.actor_name,
            ip=row.ip,
            action=row.action,
            dossier_id=row.dossier_id,
            dossier_code=row.dossier_code,
            detail=row.detail,
        )
        for row in rows
    ]
