"""Worker jobs of dossiers: expired drafts, abandoned uploads, files no row refers to.

Each batch is its own unit of work, and storage objects are deleted only after the rows that
named them are gone for good (committed): a crash in between leaves a stray object, which the
next ``delete_stray_files`` removes, never a row pointing at nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.dossiers import repository
from app.kit.clock import utcnow
from app.storage import FileStorage, new_key
from app.store import service as store

log = logging.getLogger(__name__)

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
BATCH = 100
# Objects younger than this may belong to a request still running (a key is stamped when its
# upload starts, and a slow one can take hours): they are left alone.
STRAY_GRACE = timedelta(hours=24)
FILES_PREFIX = "files/"
KEY_TIME = "%Y%m%d%H%M%S"


@dataclass
class CleanupReport:
    drafts: int = 0
    uploads: int = 0
    stray_files: int = 0


async def delete_stored(storage: FileStorage, payload: dict[str, Any]) -> None:
    """The outbox deliverer of ``storage.delete`` messages: an object, or with ``partial`` the
    partial object of an unfinished resumable upload."""
    if payload.get("partial"):
        await storage.discard_partial(str(payload["key"]))
    else:
        await storage.delete(str(payload["key"]))


async def expire_drafts(
    unit_of_work: UnitOfWork, storage: FileStorage, now: datetime | None = None
) -> int:
    """Delete drafts past their expiry, then their files and unfinished uploads; returns how
    many drafts went."""
    now = now or utcnow()
    count = 0
    while True:
        async with unit_of_work() as session:
            drafts = await repository.expired_drafts(session, now, BATCH)
            keys: list[str] = []
            partials: list[str] = []
            for draft in drafts:
                unfinished = await repository.unfinished_upload_keys(session, [draft.id])
                # Checked again as it is deleted: a draft submitted since it was read stays.
                if await repository.delete_expired_draft(session, draft.id, now):
                    keys += [f.storage_key for f in draft.files]
                    partials += unfinished
                    count += 1
        for key in keys:
            await storage.delete(key)
        for key in partials:
            await storage.discard_partial(key)
        if len(drafts) < BATCH:
            return count


async def expire_uploads(
    unit_of_work: UnitOfWork, storage: FileStorage, now: datetime | None = None
) -> int:
    """Discard resumable uploads never finished before their expiry (tus expiration)."""
    now = now or utcnow()
    count = 0
    while True:
        async with unit_of_work() as session:
            uploads = await repository.expired_uploads(session, now, BATCH)
            keys = [u.storage_key for u in uploads]
            for upload in uploads:
                await repository.delete_upload(session, upload)
        for key in keys:
            await storage.discard_partial(key)
        count += len(uploads)
        if len(uploads) < BATCH:
            return count


def file_key(now: datetime | None = None) -> str:
    """A new random storage key that tells when it was made: ``files/<YYYYMMDDHHMMSS>/<random>``
    (the clean-up judges the age of a stray object by its key, on every backend alike)."""
    return f"{FILES_PREFIX}{(now or utcnow()).strftime(KEY_TIME)}/{new_key()}"


def stored_at(key: str) -> datetime | None:
    """When an object was stored, from its key; None for a key of another form."""
    parts = key.split("/")
    if len(parts) != 3 or len(parts[1]) != len("YYYYMMDDHHMMSS") or not parts[1].isdigit():
        return None
    return datetime.strptime(parts[1], KEY_TIME).replace(tzinfo=UTC)


KnownKeys = Callable[[AsyncSession, Sequence[str]], Awaitable[set[str]]]


async def delete_stray(
    unit_of_work: UnitOfWork,
    storage: FileStorage,
    prefix: str,
    known_keys: KnownKeys,
    *,
    grace: timedelta = STRAY_GRACE,
) -> int:
    """Delete the stored objects under ``prefix`` that no row refers to (``known_keys`` tells
    which are referred to), once older than ``grace``: a younger one may belong to a request
    still running; an older one was left by a request that failed or a process that died after
    writing it."""
    cutoff = utcnow() - grace
    candidates: list[str] = []
    async for key in storage.list_keys(prefix):
        at = stored_at(key)
        if at is not None and at < cutoff:
            candidates.append(key)
    deleted = 0
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        async with unit_of_work() as session:
            known = await known_keys(session, batch)
        for key in batch:
            if key not in known:
                await storage.delete(key)
                deleted += 1
    return deleted


async def delete_stray_files(
    unit_of_work: UnitOfWork, storage: FileStorage, *, grace: timedelta = STRAY_GRACE
) -> int:
    """Delete stored dossier files that no file row refers to, nor a document store (which
    keeps a filed file replaced during a supplement), once older than ``grace``."""
    return await delete_stray(unit_of_work, storage, FILES_PREFIX, _known_keys, grace=grace)


async def _known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    return await repository.known_keys(session, keys) | await store.known_keys(session, keys)


async def clean_up(
    unit_of_work: UnitOfWork, storage: FileStorage, *, grace: timedelta = STRAY_GRACE
) -> CleanupReport:
    """Every clean-up job of dossiers, in order."""
    report = CleanupReport()
    report.drafts = await expire_drafts(unit_of_work, storage)
    report.uploads = await expire_uploads(unit_of_work, storage)
    report.stray_files = await delete_stray_files(unit_of_work, storage, grace=grace)
    if report.drafts or report.uploads or report.stray_files:
        log.info("dossier clean-up: %s", report)
    return report
