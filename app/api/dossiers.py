"""Dossier endpoints for enterprise software: drafts, files, submission, withdrawal; and the
public lookup of a dossier's status by its code."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable
from datetime import UTC
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, field_validator, model_validator

from app.accounts import api_keys
from app.accounts.api_keys import SCOPE_READ, SCOPE_SUBMIT
from app.accounts.schemas import ApiPrincipal
from app.api import problems
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Session, requires
from app.api.conditional import ConditionalRoute, IfMatch, check_if_match
from app.api.idempotent import (
    IDEMPOTENCY_RESPONSES,
    IdempotencyKey,
    key_lifetime,
    once,
    replayable,
    respond,
    route_of,
)
from app.api.pagination import PAGED, CursorPage, PageQuery
from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import DossierInvalid, FileNotFound, FileTooLarge, LookupFailed
from app.dossiers.schemas import (
    Applicant,
    DeliveryIn,
    DocumentBrief,
    DossierOut,
    DossierSummary,
    DraftChanges,
    FileOut,
    LookupOut,
    SupplementAsked,
    SupplementChanges,
)
from app.errors import InvalidInput, Problem
from app.forms.identifiers import is_email, normalize_phone
from app.idempotency import service as idempotency
from app.idempotency.schemas import StoredResponse
from app.kit.clock import aware
from app.kit.multipart import MultipartReader
from app.kit.text import contains_nul
from app.responses import streamed

router = APIRouter(route_class=ConditionalRoute)

MIB = 1024 * 1024
TAGS: list[str | Enum] = ["dossiers"]
# Codes, references and ids are short ASCII tokens; refusing anything else up front also keeps
# bytes PostgreSQL cannot store (NUL) away from the database.
TOKEN = r"^[0-9A-Za-z._-]+$"
PRINTABLE = r"^[ -~]+$"

Submitter = Annotated[ApiPrincipal, Depends(requires(SCOPE_SUBMIT))]
Reader = Annotated[ApiPrincipal, Depends(requires(SCOPE_READ))]
Reference = Annotated[
    str,
    Path(
        max_length=64,
        pattern=TOKEN,
        description="The draft's reference, or the dossier's code once submitted",
    ),
]
DossierCode = Annotated[
    str, Path(max_length=64, pattern=TOKEN, description="The dossier's code (or its reference)")
]
FileId = Annotated[str, Path(max_length=64, pattern=TOKEN, description="The file's id")]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such dossier or file of the caller's enterprise"},
}
READ_RESPONSES = UNAUTHORIZED | FORBIDDEN | NOT_FOUND


def _changing(
    ok: int, what_422: str, *, location: bool = False, body: bool = True
) -> dict[int | str, dict[str, Any]]:
    """The documented responses of a state-changing endpoint that honours Idempotency-Key."""
    created = {
        "Location": {"description": "Where the created resource is", "schema": {"type": "string"}}
    }
    documented = replayable(ok, created if location else None)
    if not body:
        documented[ok]["description"] = "Done"
    return (
        documented
        | UNAUTHORIZED
        | FORBIDDEN
        | NOT_FOUND
        | IDEMPOTENCY_RESPONSES
        | {
            422: {
                "description": f"{what_422}, or Idempotency-Key used before for another"
                " request; `errors` locates each problem"
            }
        }
    )


# --- Request bodies --------------------------------------------------------------------------


# A body any of whose text holds NUL (which PostgreSQL cannot store) is refused whole.
class NoNul(BaseModel):
    @model_validator(mode="after")
    def _refuse_nul(self) -> Any:
        if contains_nul(self.model_dump()):
            raise ValueError("văn bản chứa ký tự NUL / text contains a NUL character")
        return self


class Contact(BaseModel):
    """How the agency reaches the enterprise about this dossier."""

    phone: str = Field(default="", max_length=40, description="A Vietnamese phone number")
    email: str = Field(default="", max_length=254)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not value.strip():
            return ""
        phone = normalize_phone(value)
        if phone is None:
            raise ValueError("số điện thoại không hợp lệ / not a Vietnamese phone number")
        return phone

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if value and not is_email(value):
            raise ValueError("địa chỉ thư điện tử không hợp lệ / not an e-mail address")
        return value


class DossierCreate(NoNul):
    """A new draft, optionally filed at once."""

    procedure: str = Field(
        min_length=1, max_length=40, pattern=PRINTABLE, description="The procedure's code"
    )
    agency: str | None = Field(
        default=None,
        max_length=40,
        pattern=PRINTABLE,
        description="Receiving agency code; optional when one agency handles the procedure",
    )
    data: dict[str, Any] = Field(
        default_factory=dict, description="Answers to the procedure's form, by field key"
    )
    delivery: DeliveryIn | None = Field(default=None, description="How the result is returned")
    contact: Contact = Field(default_factory=Contact)
    submit: bool = Field(
        default=False,
        description="File the dossier now: every answer, file and choice is checked, and"
        " nothing is kept if anything is wrong",
    )


class DraftPatch(DraftChanges, NoNul):
    """A change to a draft; every part optional. `data` is merged key by key (null removes)."""


class SupplementPatch(SupplementChanges, NoNul):
    """Answers for a supplement, merged key by key (null removes one): only the answers the
    agency asked for may change."""


class Withdrawal(NoNul):
    reason: str = Field(description="Why the applicant takes the dossier back")


class DossierPage(CursorPage[DossierSummary]):
    """A page of the enterprise's drafts and dossiers."""


class DocumentPage(CursorPage[DocumentBrief]):
    """A page of the documents issued on a dossier."""


# --- Helpers ---------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _applicant(
    session: Session, principal: ApiPrincipal, *, phone: str = "", email: str = ""
) -> Applicant:
    return await service.applicant_for_enterprise(
        session, api_keys.enterprise_of(principal), phone=phone, email=email
    )


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _dossier_path(request: Request, reference: str) -> str:
    return str(request.app.url_path_for("get_dossier", reference=reference))


async def _fill(
    session: Session,
    applicant: Applicant,
    dossier: DossierOut,
    body: DossierCreate,
    settings: Settings,
) -> DossierOut:
    """Apply the body to a new draft and submit it if asked, listing every problem at once."""
    reference = dossier.reference
    found: list[Problem] = []
    changes = [
        DraftChanges(data=body.data) if body.data else None,
        DraftChanges(agency=body.agency) if body.agency is not None else None,
        DraftChanges(delivery=body.delivery) if body.delivery is not None else None,
    ]
    for change in changes:
        if change is None:
            continue
        try:
            dossier = await service.update_draft(session, applicant, reference, change, settings)
        except DossierInvalid as exc:
            found.extend(exc.problems)
    if body.submit:
        try:
            dossier = await service.submit(session, applicant, reference, settings)
        except DossierInvalid as exc:
            seen = {p.location for p in found}
            found.extend(p for p in exc.problems if p.location not in seen)
    if found:
        raise DossierInvalid(
            "Hồ sơ chưa đủ hoặc chưa đúng: hãy sửa các mục được nêu rồi gửi lại.",
            message_en="The dossier is incomplete or wrong: fix the items listed and send it"
            " again.",
            problems=found,
        )
    return dossier


# --- Drafts and dossiers ---------------------------------------------------------------------


@router.post(
    "/dossiers",
    status_code=201,
    response_model=DossierOut,
    tags=TAGS,
    responses=_changing(
        201,
        "Wrong answers, agency, delivery or contact (every problem listed)",
        location=True,
    ),
)
async def create_dossier(
    request: Request,
    session: Session,
    principal: Submitter,
    body: DossierCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start a draft with its answers, agency and delivery; with `submit: true`, file it."""
    settings = _settings(request)
    applicant = await _applicant(
        session, principal, phone=body.contact.phone, email=body.contact.email
    )

    async def work() -> StoredResponse:
        draft = await service.start_draft(session, applicant, body.procedure, settings)
        dossier = await _fill(session, applicant, draft, body, settings)
        location = _dossier_path(request, dossier.reference)
        return StoredResponse(201, _json(dossier), {"Location": location})

    return await once(request, session, applicant.client, idempotency_key, work)


@router.get("/dossiers", response_model=DossierPage, tags=TAGS, responses=READ_RESPONSES | PAGED)
async def list_dossiers(
    session: Session,
    principal: Reader,
    paging: PageQuery,
    drafts: Annotated[
        bool | None, Query(description="true: drafts only; false: submitted dossiers only")
    ] = None,
    status: Annotated[
        int | None, Query(ge=1, le=10, description="Only dossiers with this status code")
    ] = None,
    procedure: Annotated[
        str | None, Query(max_length=40, pattern=PRINTABLE, description="A procedure's code")
    ] = None,
) -> DossierPage:
    """The enterprise's drafts and dossiers, newest first, a page at a time."""
    applicant = await _applicant(session, principal)
    page = await service.list_dossiers(
        session,
        applicant,
        drafts=drafts,
        status=status,
        procedure_code=procedure,
        cursor=paging.cursor,
        limit=paging.limit,
    )
    return paging.answer(DossierPage(items=page.items, next_cursor=page.next_cursor))


@router.get("/dossiers/{reference}", response_model=DossierOut, tags=TAGS, responses=READ_RESPONSES)
async def get_dossier(session: Session, principal: Reader, reference: Reference) -> DossierOut:
    """A draft (by reference) or a dossier (by code or reference), with files and history."""
    applicant = await _applicant(session, principal)
    return await service.get_dossier(session, applicant, reference)


@router.patch(
    "/dossiers/{reference}",
    response_model=DossierOut,
    tags=TAGS,
    responses=_changing(200, "Wrong agency or delivery"),
)
async def change_draft(
    request: Request,
    session: Session,
    principal: Submitter,
    reference: Reference,
    changes: DraftPatch,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Change a draft: answers merged key by key (null removes one), agency, delivery."""
    settings = _settings(request)
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.get_dossier(session, applicant, reference))
        dossier = await service.update_draft(session, applicant, reference, changes, settings)
        return StoredResponse(200, _json(dossier))

    return await once(request, session, applicant.client, idempotency_key, work)


@router.delete(
    "/dossiers/{reference}",
    status_code=204,
    response_class=Response,
    tags=TAGS,
    responses=_changing(204, "Invalid parameters", body=False),
)
async def delete_draft(
    request: Request,
    session: Session,
    principal: Submitter,
    reference: Reference,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Delete a draft and its files (a submitted dossier cannot be deleted: 409)."""
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.get_dossier(session, applicant, reference))
        await service.delete_draft(session, applicant, reference)
        return StoredResponse(204, None)

    return await once(request, session, applicant.client, idempotency_key, work)


@router.post(
    "/dossiers/{reference}/submit",
    response_model=DossierOut,
    tags=TAGS,
    responses=_changing(200, "The dossier is incomplete or wrong (every problem listed)"),
)
async def submit_dossier(
    request: Request,
    session: Session,
    principal: Submitter,
    reference: Reference,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """File a draft: every answer, file and choice is checked; it gets its code and status 1."""
    settings = _settings(request)
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.get_dossier(session, applicant, reference))
        dossier = await service.submit(session, applicant, reference, settings)
        return StoredResponse(200, _json(dossier))

    return await once(request, session, applicant.client, idempotency_key, work)


@router.post(
    "/dossiers/{code}/withdraw",
    response_model=DossierOut,
    tags=TAGS,
    responses=_changing(200, "No reason, or a reason that is too long"),
)
async def withdraw_dossier(
    request: Request,
    session: Session,
    principal: Submitter,
    code: DossierCode,
    body: Withdrawal,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Take a submitted dossier back (status 7) before it has a result; 409 if it has one."""
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.get_dossier(session, applicant, code))
        dossier = await service.withdraw(session, applicant, code, body.reason)
        return StoredResponse(200, _json(dossier))

    return await once(request, session, applicant.client, idempotency_key, work)


# --- Supplements ------------------------------------------------------------------------------


@router.get(
    "/dossiers/{code}/supplement",
    response_model=SupplementAsked,
    tags=TAGS,
    responses=READ_RESPONSES
    | {409: {"description": "The dossier is not waiting for a supplement"}},
)
async def get_supplement(session: Session, principal: Reader, code: DossierCode) -> SupplementAsked:
    """What the agency asks to complete or correct (status 5), each item with its reason."""
    applicant = await _applicant(session, principal)
    return await service.supplement_of(session, applicant, code)


@router.patch(
    "/dossiers/{code}/supplement",
    response_model=DossierOut,
    tags=TAGS,
    responses=_changing(
        200, "An answer that was not asked for is changed (each one listed), or holds NUL"
    ),
)
async def change_supplement(
    request: Request,
    session: Session,
    principal: Submitter,
    code: DossierCode,
    changes: SupplementPatch,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Change the answers a supplement asks for (status 5); files go through the files
    endpoints, into the slots asked for. Nothing is kept if anything else would change."""
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.get_dossier(session, applicant, code))
        dossier = await service.update_supplement(session, applicant, code, changes)
        return StoredResponse(200, _json(dossier))

    return await once(request, session, applicant.client, idempotency_key, work)


@router.post(
    "/dossiers/{code}/resubmit",
    response_model=DossierOut,
    tags=TAGS,
    responses=_changing(200, "The dossier is still incomplete or wrong (every problem listed)"),
)
async def resubmit_dossier(
    request: Request,
    session: Session,
    principal: Submitter,
    code: DossierCode,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Send the completed dossier back to the agency: it is checked whole against its form
    again; the processing clock then resumes (or restarts, as the procedure says)."""
    settings = _settings(request)
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.get_dossier(session, applicant, code))
        dossier = await service.resubmit(session, applicant, code, settings)
        return StoredResponse(200, _json(dossier))

    return await once(request, session, applicant.client, idempotency_key, work)


# --- Documents issued to the applicant -------------------------------------------------------


def _issued_order(document: DocumentBrief) -> tuple[str, str]:
    # In UTC with every digit, so that the text sorts as the moment does.
    moment = aware(document.created_at).astimezone(UTC).isoformat(timespec="microseconds")
    return moment, document.reference


@router.get(
    "/dossiers/{code}/documents",
    response_model=DocumentPage,
    tags=TAGS,
    responses=READ_RESPONSES | PAGED,
)
async def list_documents(
    session: Session, principal: Reader, paging: PageQuery, code: DossierCode
) -> DocumentPage:
    """The documents issued to the enterprise on its dossier, oldest first, a page at a time:
    the forms sent to it (receipt, supplement request, refusal, apology, stop notice) and, once
    ready, its signed result if it chose to receive the result online. Download each from
    `/dossiers/{code}/documents/{reference}`."""
    applicant = await _applicant(session, principal)
    issued = await service.documents_of(session, applicant, code)
    page = paging.of(issued, _issued_order, (str, str))
    return paging.answer(DocumentPage(items=page.items, next_cursor=page.next_cursor))


# --- Files -----------------------------------------------------------------------------------

MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A `slot` field (unless given as a query parameter), then one `file`"
        " part. The file's type is read from its content and must suit the slot.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "slot": {
                            "type": "string",
                            "description": "The form's file field: `declaration` or"
                            " `children[0].birth_certificate`; before the file part",
                        },
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


def _refuse_oversize(request: Request, settings: Settings, slot: str | None) -> None:
    """413 before reading a body that announces more than a file may have, plus room for the
    multipart framing."""
    try:
        length = int(request.headers.get("content-length", ""))
    except ValueError:
        return
    if length > (settings.max_file_mb + 1) * MIB:
        raise FileTooLarge(slot or "file", settings.max_file_mb * MIB)


async def _sha256(chunks: AsyncIterable[bytes]) -> str:
    digest = hashlib.sha256()
    async for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _no_file() -> InvalidInput:
    message = "Hãy gửi một tệp trong phần “file” của dữ liệu multipart/form-data."
    message_en = "Send one file in the “file” part of the multipart/form-data body."
    return InvalidInput(
        message, message_en=message_en, problems=[Problem("file", message, message_en)]
    )


def _one_file() -> InvalidInput:
    message = "Mỗi yêu cầu chỉ gửi một tệp."
    message_en = "Send one file per request."
    return InvalidInput(
        message, message_en=message_en, problems=[Problem("file", message, message_en)]
    )


def _no_slot() -> InvalidInput:
    message = "Hãy cho biết mục tệp (slot) trước phần tệp, hoặc trong tham số ?slot=."
    message_en = "Name the file slot before the file part, or as the ?slot= parameter."
    return InvalidInput(
        message, message_en=message_en, problems=[Problem("slot", message, message_en)]
    )


@router.post(
    "/dossiers/{reference}/files",
    status_code=201,
    response_model=FileOut,
    tags=TAGS,
    openapi_extra=MULTIPART_BODY,
    responses=_changing(
        201,
        "Unknown or full slot, a file whose content is not of an accepted type or does not"
        " match its name, an empty file, a malformed body",
        location=True,
    )
    | {413: {"description": "The file is larger than allowed"}},
)
async def add_file(
    request: Request,
    session: Session,
    principal: Submitter,
    reference: Reference,
    slot: Annotated[
        str | None,
        Query(max_length=200, description="The file slot, instead of a `slot` form field"),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Add a file to a draft's slot, or to a slot a supplement asks for (multipart/form-data,
    streamed: no size known in advance)."""
    settings = _settings(request)
    _refuse_oversize(request, settings, slot)
    applicant = await _applicant(session, principal)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    route = route_of(request)
    # The fingerprint of an upload is known only once the file has been read: a replay is
    # looked for first, so that a retried upload is hashed and not stored again.
    previous = await idempotency.find(session, applicant.client, route, key) if key else None
    chosen = slot
    fingerprint = ""
    outcome: StoredResponse | None = None
    added: FileOut | None = None
    reader = MultipartReader(request.headers.get("content-type", ""), request.stream())
    async for part in reader:
        if part.filename is None:
            if part.name == "slot" and not slot:
                chosen = (await part.text(limit=200)).strip()
            continue
        if part.name != "file":
            continue
        if outcome is not None:
            raise _one_file()
        if not chosen:
            raise _no_slot()
        if previous is not None:
            sha256 = await _sha256(part.chunks())
            fingerprint = idempotency.upload_fingerprint(
                request.method, request.url.path, chosen, sha256, part.filename
            )
            outcome = idempotency.replay(previous, fingerprint)
            continue
        added = await service.add_file(
            session,
            request.app.state.storage,
            settings,
            applicant,
            reference,
            chosen,
            part.filename,
            part.chunks(),
        )
        fingerprint = idempotency.upload_fingerprint(
            request.method, request.url.path, chosen, added.sha256, part.filename
        )
        location = str(
            request.app.url_path_for("download_file", reference=reference, file_id=added.id)
        )
        outcome = StoredResponse(201, _json(added), {"Location": location})
    if outcome is None:
        raise _no_file()
    if previous is not None:
        return respond(outcome, replayed=True)
    if key is not None and added is not None:
        earlier = await idempotency.record(
            session, applicant.client, route, key, fingerprint, outcome, key_lifetime(request)
        )
        if earlier is not None:
            # Another request with this key was first: its file stays, this copy goes.
            await service.remove_file(session, applicant, reference, added.id)
            return respond(earlier, replayed=True)
    return respond(outcome)


DOWNLOADED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's content, with the type read from it at upload",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/dossiers/{reference}/files/{file_id}",
    response_class=StreamingResponse,
    tags=TAGS,
    responses=DOWNLOADED | READ_RESPONSES,
)
async def download_file(
    request: Request, session: Session, principal: Reader, reference: Reference, file_id: FileId
) -> StreamingResponse:
    """Download a file of a draft or dossier (`Content-Disposition: attachment`)."""
    applicant = await _applicant(session, principal)
    dossier = await service.get_dossier(session, applicant, reference)
    if not any(f.id == file_id for f in dossier.files):
        raise FileNotFound()
    file, stream = await service.open_file(session, request.app.state.storage, applicant, file_id)
    return streamed(stream, file.content_type, file.name, file.size)


@router.delete(
    "/dossiers/{reference}/files/{file_id}",
    status_code=204,
    response_class=Response,
    tags=TAGS,
    responses=_changing(204, "Invalid parameters", body=False),
)
async def delete_file(
    request: Request,
    session: Session,
    principal: Submitter,
    reference: Reference,
    file_id: FileId,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Take a file out of a draft, or out of a slot a supplement asks for; it leaves storage
    once that is committed."""
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        await service.remove_file(session, applicant, reference, file_id)
        return StoredResponse(204, None)

    return await once(request, session, applicant.client, idempotency_key, work)


# --- Public lookup ---------------------------------------------------------------------------


@router.get(
    "/lookup",
    response_model=LookupOut,
    tags=["lookup"],
    responses={
        404: {"description": "No dossier matches this code and these 4 digits"},
        429: {
            "description": "Too many lookups from this address or for this code",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
    },
)
async def lookup(
    request: Request,
    session: Session,
    code: Annotated[
        str,
        Query(min_length=1, max_length=64, pattern=PRINTABLE, description="The dossier code"),
    ],
    verifier: Annotated[
        str,
        Query(
            min_length=1,
            max_length=32,
            pattern=PRINTABLE,
            description="The last 4 digits of the applicant's phone number or ID number",
        ),
    ],
) -> Response:
    """Public: a dossier's status, current step and appointment, for its code and verifier."""
    client = request.client.host if request.client else ""
    found = await service.lookup(session, code, verifier, client=client)
    if found is None:
        # Returned, not raised: the attempt just counted must be committed.
        return problems.portal_error(request, LookupFailed())
    return JSONResponse(_json(found))
