"""The enterprise's document store (kho dữ liệu) for its software: every file it filed and
every result issued to it, to download again, delete from the store, or put in a new dossier's
file slot instead of another upload."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field

from app.accounts import api_keys
from app.accounts.api_keys import SCOPE_READ, SCOPE_SUBMIT
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Session, requires
from app.api.conditional import ConditionalRoute
from app.api.dossiers import DOWNLOADED, TOKEN, NoNul, Reference
from app.api.idempotent import IDEMPOTENCY_RESPONSES, IdempotencyKey, once, replayable
from app.api.pagination import PAGED, CursorPage, PageQuery
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant, FileOut
from app.idempotency.schemas import StoredResponse
from app.models.store import StoredKind
from app.responses import streamed
from app.store import service
from app.store.schemas import StoredDocumentOut

router = APIRouter(route_class=ConditionalRoute)

TAGS: list[str | Enum] = ["store"]
Submitter = Annotated[ApiPrincipal, Depends(requires(SCOPE_SUBMIT))]
Reader = Annotated[ApiPrincipal, Depends(requires(SCOPE_READ))]
DocumentRef = Annotated[
    str,
    Path(max_length=64, pattern=TOKEN, description="The document's reference in the store"),
]
SLOT = r"^[a-z][a-z0-9_]*(\[[0-9]{1,3}\]\.[a-z][a-z0-9_]*)?$"

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such document in the enterprise's store"},
}
READ_RESPONSES = UNAUTHORIZED | FORBIDDEN | NOT_FOUND


class StoredDocumentPage(CursorPage[StoredDocumentOut]):
    """A page of the enterprise's stored documents."""


class FromStore(NoNul):
    """A document of the store to put in a file slot of a draft (or of a slot a supplement
    asks for)."""

    slot: str = Field(
        max_length=200,
        pattern=SLOT,
        description="The form's file field: `declaration` or `children[0].birth_certificate`",
    )
    document: str = Field(
        max_length=64, pattern=TOKEN, description="The document's reference in the store"
    )


async def _applicant(session: Session, principal: ApiPrincipal) -> Applicant:
    return await dossiers.applicant_for_enterprise(session, api_keys.enterprise_of(principal))


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(
    "/store/documents",
    response_model=StoredDocumentPage,
    tags=TAGS,
    responses=UNAUTHORIZED | FORBIDDEN | PAGED,
)
async def list_stored_documents(
    session: Session,
    principal: Reader,
    paging: PageQuery,
    kind: Annotated[
        StoredKind | None,
        Query(description="`upload`: files filed; `result`: signed results issued"),
    ] = None,
) -> StoredDocumentPage:
    """The enterprise's stored documents, newest first, a page at a time."""
    applicant = await _applicant(session, principal)
    page = await service.list_documents(
        session, applicant, kind=kind, cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer(StoredDocumentPage(items=page.items, next_cursor=page.next_cursor))


@router.get(
    "/store/documents/{stored}",
    response_model=StoredDocumentOut,
    tags=TAGS,
    responses=READ_RESPONSES,
)
async def get_stored_document(
    session: Session, principal: Reader, stored: DocumentRef
) -> StoredDocumentOut:
    """One document of the enterprise's store: its label, name, type, size, SHA-256, dossier."""
    applicant = await _applicant(session, principal)
    return await service.get_document(session, applicant, stored)


@router.get(
    "/store/documents/{stored}/content",
    response_class=StreamingResponse,
    tags=TAGS,
    responses=DOWNLOADED | READ_RESPONSES,
)
async def download_stored_document(
    request: Request, session: Session, principal: Reader, stored: DocumentRef
) -> StreamingResponse:
    """Download a document of the store (`Content-Disposition: attachment`)."""
    applicant = await _applicant(session, principal)
    document, stream = await service.open_document(
        session, request.app.state.storage, applicant, stored
    )
    return streamed(stream, document.content_type, document.name, document.size)


@router.delete(
    "/store/documents/{stored}",
    status_code=204,
    response_class=Response,
    tags=TAGS,
    responses=replayable(204)
    | READ_RESPONSES
    | IDEMPOTENCY_RESPONSES
    | {422: {"description": "Idempotency-Key used before for another request"}},
)
async def delete_stored_document(
    request: Request,
    session: Session,
    principal: Submitter,
    stored: DocumentRef,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Take a document out of the store. The dossier it came from keeps its file, as the law
    asks: nothing of the dossier changes."""
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await service.delete_document(session, applicant, stored)
        return StoredResponse(204, None)

    return await once(request, session, applicant.client, idempotency_key, work)


CREATED_HEADERS = {
    "Location": {"description": "Where the file is downloaded", "schema": {"type": "string"}}
}


@router.post(
    "/dossiers/{reference}/files/from-store",
    status_code=201,
    response_model=FileOut,
    tags=["dossiers", "store"],
    responses=replayable(201, CREATED_HEADERS)
    | UNAUTHORIZED
    | FORBIDDEN
    | {404: {"description": "No such dossier, or no such document in the enterprise's store"}}
    | IDEMPOTENCY_RESPONSES
    | {
        409: {"description": "The dossier is filed and does not wait for this slot"},
        413: {"description": "The document is larger than the slot takes"},
        422: {
            "description": "Unknown or full slot, a document whose type the slot does not"
            " take, or Idempotency-Key used before for another request; `errors` locates"
            " each problem"
        },
    },
)
async def add_file_from_store(
    request: Request,
    session: Session,
    principal: Submitter,
    reference: Reference,
    body: FromStore,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Fill a draft's file slot (or one a supplement asks for) with a document of the store
    instead of an upload: the dossier gets its own copy, checked as an upload is (the slot's
    types and size limits); the file's `origin` is `reuse`."""
    applicant = await _applicant(session, principal)
    settings = _settings(request)

    async def work() -> StoredResponse:
        added = await dossiers.add_stored_file(
            session,
            request.app.state.storage,
            settings,
            applicant,
            reference,
            body.slot,
            body.document,
        )
        location = str(
            request.app.url_path_for("download_file", reference=reference, file_id=added.id)
        )
        return StoredResponse(201, added.model_dump(mode="json"), {"Location": location})

    return await once(request, session, applicant.client, idempotency_key, work)
