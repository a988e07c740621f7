"""Worker job of documents: stored PDFs no row refers to (left by a transaction that failed after
the file was written), deleted once old enough."""

from __future__ import annotations

from datetime import timedelta

from app.documents import repository
from app.documents.service import DOCUMENTS_PREFIX
from app.dossiers.tasks import BATCH, STRAY_GRACE, UnitOfWork, stored_at
from app.kit.clock import utcnow
from app.storage import FileStorage


async def delete_stray_documents(
    unit_of_work: UnitOfWork, storage: FileStorage, *, grace: timedelta = STRAY_GRACE
) -> int:
    """Delete stored documents that no document row refers to, once older than ``grace``
    (younger ones may belong to a request still running)."""
    cutoff = utcnow() - grace
    candidates: list[str] = []
    async for key in storage.list_keys(DOCUMENTS_PREFIX):
        at = stored_at(key)
        if at is not None and at < cutoff:
            candidates.append(key)
    deleted = 0
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        async with unit_of_work() as session:
            known = await repository.known_keys(session, batch)
        for key in batch:
            if key not in known:
                await storage.delete(key)
                deleted += 1
    return deleted
