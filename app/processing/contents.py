"""What an official reads of a dossier besides its processing: the applicant's answers with the
form they answer, the files, where a posted result goes; a file's or a document's content; and
whether the dossier is still theirs to see after an action.

The readers take the ``WorkOut`` that ``service.work_on`` gave: the caller has been through the
check that the dossier is theirs to see (and its audit row) first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.catalog.workflow import Workflow
from app.documents import service as documents
from app.documents.schemas import DocumentOut
from app.dossiers.errors import FileNotFound
from app.dossiers.schemas import FileOut, PostalAddress, file_out
from app.forms import FormDefinition, format_address
from app.models.dossiers import Delivery, Dossier
from app.processing import repository, service
from app.processing.schemas import Actor, WorkOut
from app.storage import FileStorage, ObjectStream


@dataclass(frozen=True)
class PostalDelivery:
    """Where the result is posted, the address in one line."""

    recipient: str
    phone: str
    address: str


@dataclass(frozen=True)
class DossierContents:
    definition: FormDefinition
    workflow: Workflow
    data: dict[str, Any]
    files: list[FileOut]
    postal: PostalDelivery | None


async def _dossier(session: AsyncSession, work: WorkOut) -> Dossier:
    dossier = await repository.dossier_by_code(session, work.code)
    # work_on has just found it.
    assert dossier is not None
    return dossier


def _postal(dossier: Dossier) -> PostalDelivery | None:
    if dossier.delivery != Delivery.post or not dossier.delivery_address:
        return None
    address = PostalAddress.model_validate(dossier.delivery_address)
    return PostalDelivery(
        recipient=address.recipient,
        phone=address.phone,
        address=format_address(
            {"province": address.province, "commune": address.commune, "street": address.street}
        ),
    )


async def contents_of(session: AsyncSession, work: WorkOut) -> DossierContents:
    """The answers, files and postal address of the dossier, with its form and workflow."""
    dossier = await _dossier(session, work)
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    return DossierContents(
        definition=target.definition,
        workflow=target.workflow,
        data=dict(dossier.data),
        files=[file_out(f) for f in dossier.files],
        postal=_postal(dossier),
    )


async def open_file(
    session: AsyncSession, storage: FileStorage, work: WorkOut, file_id: str
) -> tuple[FileOut, ObjectStream]:
    """A file the applicant attached to the dossier, and its content."""
    dossier = await _dossier(session, work)
    file = await repository.file_of(session, dossier.id, file_id)
    if file is None:
        raise FileNotFound()
    return file_out(file), await storage.open(file.storage_key)


async def open_document(
    session: AsyncSession, storage: FileStorage, work: WorkOut, reference: str
) -> tuple[DocumentOut, ObjectStream]:
    """A document issued on the dossier (a form or the signed result), and its content."""
    if not any(d.reference == reference for d in work.documents):
        raise service.document_not_found()
    return await documents.open_document(session, storage, reference)


async def sees(session: AsyncSession, actor: Actor, code: str) -> bool:
    """Whether the actor sees the dossier: after an action it may have gone on to someone
    else."""
    return await repository.is_visible_code(session, actor, code)
