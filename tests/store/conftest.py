"""Fixtures of the document store's tests: the dossiers' rich catalog and applicants, and the
processing fixtures (loaded for the whole suite) to walk a dossier to its result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.models.dossiers import Delivery
from app.storage import FileStorage
from tests.dossiers.conftest import AGENCY_A, PDF, RICH, chunks, rich

__all__ = ["Filed", "add", "file_rich", "rich"]


@dataclass(frozen=True)
class Filed:
    code: str
    reference: str


async def add(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    reference: str,
    slot: str,
    name: str,
    data: bytes,
) -> str:
    """Upload a file into a slot; its id."""
    added = await dossiers.add_file(
        session, storage, settings, applicant, reference, slot, name, chunks(data)
    )
    return added.id


async def file_rich(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    declaration: bytes = PDF,
    name: str = "tờ khai.pdf",
) -> Filed:
    """A dossier of the rich procedure filed online with its declaration."""
    draft = await dossiers.start_draft(session, applicant, RICH, settings)
    await dossiers.update_draft(
        session,
        applicant,
        draft.reference,
        DraftChanges(
            data={"full_name": "Nguyễn Văn An"},
            agency=AGENCY_A,
            delivery=DeliveryIn(method=Delivery.online),
        ),
        settings,
    )
    await add(
        session, storage, settings, applicant, draft.reference, "declaration", name, declaration
    )
    filed = await dossiers.submit(session, applicant, draft.reference, settings)
    assert filed.code is not None
    return Filed(filed.code, draft.reference)


async def new_draft(session: AsyncSession, settings: Settings, applicant: Applicant) -> str:
    draft = await dossiers.start_draft(session, applicant, RICH, settings)
    return draft.reference


async def read_all(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])
