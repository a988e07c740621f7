"""Worker job of documents: stored PDFs no row refers to (left by a transaction that failed after
the file was written), deleted once old enough."""

from __future__ import annotations

from datetime import timedelta

from app.documents import repository
from app.documents.service import DOCUMENTS_PREFIX
from app.dossiers.tasks import STRAY_GRACE, UnitOfWork, delete_stray
from app.storage import FileStorage


async def delete_stray_documents(
    unit_of_work: UnitOfWork, storage: FileStorage, *, grace: timedelta = STRAY_GRACE
) -> int:
    """Delete stored documents that no document row refers to, once older than ``grace``."""
    return await delete_stray(
        unit_of_work, storage, DOCUMENTS_PREFIX, repository.known_keys, grace=grace
    )
