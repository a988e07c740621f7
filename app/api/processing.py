"""Processing endpoints for agencies' systems: the queues and the actions on a dossier.

An agency's API key (scope `dossiers:process`, bound to the agency) acts for the whole agency,
in every processing role."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.accounts import api_keys
from app.accounts.api_keys import SCOPE_PROCESS, SCOPE_READ
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Principal, Session, requires
from app.api.conditional import ConditionalRoute, IfMatch, check_if_match
from app.api.dossiers import DOWNLOADED, TOKEN, NoNul
from app.api.idempotent import IDEMPOTENCY_RESPONSES, IdempotencyKey, once, replayable
from app.api.pagination import PAGED, PageQuery
from app.config import Settings
from app.documents import service as documents
from app.dossiers import service as dossiers
from app.idempotency.schemas import StoredResponse
from app.processing import reports, service
from app.processing.rules import Action
from app.processing.schemas import (
    ActionIn,
    Actor,
    Queue,
    QueueCount,
    QueueFilter,
    QueuePage,
    WorkOut,
)
from app.responses import exported, streamed

router = APIRouter(route_class=ConditionalRoute)

TAGS: list[str | Enum] = ["processing"]
Processor = Annotated[ApiPrincipal, Depends(requires(SCOPE_PROCESS))]
DossierCode = Annotated[str, Path(max_length=64, pattern=TOKEN, description="The dossier's code")]
DocumentId = Annotated[str, Path(max_length=64, pattern=TOKEN, description="The document's id")]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such dossier for the agency (or not the caller's to act on)"},
}
READ_RESPONSES = UNAUTHORIZED | FORBIDDEN | NOT_FOUND
ACTION_RESPONSES = (
    replayable(200)
    | READ_RESPONSES
    | IDEMPOTENCY_RESPONSES
    | {
        409: {
            "description": "The action does not apply to the dossier in its present state,"
            " or a request with the same Idempotency-Key is still running"
        },
        422: {
            "description": "The action's details are incomplete or wrong (`errors` locates"
            " each), or Idempotency-Key used before for another request"
        },
    }
)


class ActionBody(ActionIn, NoNul):
    """What an action takes; each action reads the parts it needs (see the action's text)."""


def _actor(request: Request, principal: ApiPrincipal) -> Actor:
    return service.actor_for_key(principal, request.client.host if request.client else "")


@router.get("/queue", response_model=QueuePage, tags=TAGS, responses=READ_RESPONSES | PAGED)
async def get_queue(
    request: Request,
    session: Session,
    principal: Processor,
    paging: PageQuery,
    queue: Queue = Queue.to_receive,
    procedure: Annotated[str | None, Query(max_length=20, pattern=TOKEN)] = None,
    field: Annotated[str | None, Query(max_length=32, pattern=TOKEN)] = None,
    status: Annotated[int | None, Query(ge=1, le=10)] = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> QueuePage:
    """One page of a queue of the agency, by due time (by arrival for the dossiers not yet
    received); `count` is the size of the whole queue."""
    wanted = QueueFilter(
        procedure=procedure,
        field=field,
        status=status,
        received_from=received_from,
        received_to=received_to,
    )
    page = await service.queue_page(
        session, _actor(request, principal), queue, wanted, paging.cursor, paging.limit
    )
    return paging.answer(page)


@router.get("/queue/counts", response_model=list[QueueCount], tags=TAGS, responses=READ_RESPONSES)
async def get_queue_counts(
    request: Request, session: Session, principal: Processor
) -> list[QueueCount]:
    """How many dossiers each queue of the agency holds."""
    return await service.queue_counts(session, _actor(request, principal))


@router.get(
    "/dossiers/{code}/processing", response_model=WorkOut, tags=TAGS, responses=READ_RESPONSES
)
async def get_work(
    request: Request, session: Session, principal: Processor, code: DossierCode
) -> WorkOut:
    """A dossier of the agency with its routing slip, supplements, documents and the actions
    open now (the read is audited)."""
    return await service.work_on(session, _actor(request, principal), code)


@router.post(
    "/dossiers/{code}/actions/{action}",
    response_model=WorkOut,
    tags=TAGS,
    responses=ACTION_RESPONSES,
)
async def take_action(
    request: Request,
    session: Session,
    principal: Processor,
    code: DossierCode,
    action: Action,
    body: ActionBody,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Take one action on a dossier: receive, request_supplement (items), refuse (reason),
    take, assign (unit or official), forward (optionally agency, unit, official), send_back
    (reason), approve, deny (reason), sign, result_ready, return (method, tracking_number for
    post), apologize (reason, new_due_at), stop (reason)."""
    settings: Settings = request.app.state.settings
    actor = _actor(request, principal)

    async def work() -> StoredResponse:
        await check_if_match(if_match, lambda: service.work_on(session, actor, code))
        done = await service.act(
            session, settings, request.app.state.storage, actor, code, action, body
        )
        return StoredResponse(200, done.model_dump(mode="json"))

    return await once(request, session, actor.label, idempotency_key, work)


@router.get(
    "/dossiers/{code}/documents/{document}",
    response_class=StreamingResponse,
    tags=[*TAGS, "dossiers"],
    responses=DOWNLOADED | READ_RESPONSES,
)
async def download_document(
    request: Request,
    session: Session,
    principal: Principal,
    code: DossierCode,
    document: DocumentId,
) -> StreamingResponse:
    """Download a document issued on the dossier, as PDF: with an agency's key
    (`dossiers:process`), any form or the signed result of a dossier it handles; with an
    enterprise's key (`dossiers:read`), the forms sent to the enterprise and, once ready, its
    signed result if it chose to receive the result online."""
    storage = request.app.state.storage
    # The enterprise's and the agency's views of a dossier share the address: the key says whose.
    if principal.agency_id is None:
        api_keys.require_scopes(principal, SCOPE_READ)
        applicant = await dossiers.applicant_for_enterprise(
            session, api_keys.enterprise_of(principal)
        )
        brief, stream = await dossiers.open_document(session, storage, applicant, code, document)
        form, size = brief.form, brief.size
    else:
        api_keys.require_scopes(principal, SCOPE_PROCESS)
        work = await service.work_on(session, _actor(request, principal), code)
        if not any(d.reference == document for d in work.documents):
            raise service.document_not_found()
        issued, stream = await documents.open_document(session, storage, document)
        form, size = issued.form, issued.size
    return streamed(stream, "application/pdf", f"{code}-{form}.pdf", size)


EXPORTED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The table as a file (`Content-Disposition: attachment`): CSV (UTF-8 with"
        " a byte order mark), XLSX or PDF, as `format` asks",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in reports.MEDIA_TYPES.values()
        },
    }
}
Format = Annotated[reports.ExportFormat, Query(alias="format", description="The file's format")]


@router.get(
    "/dossiers/{code}/routing-slip",
    response_class=Response,
    tags=TAGS,
    responses=EXPORTED
    | READ_RESPONSES
    | {409: {"description": "The dossier has not been received: it has no routing slip yet"}},
)
async def get_routing_slip(
    request: Request,
    session: Session,
    principal: Processor,
    code: DossierCode,
    format_: Format = reports.ExportFormat.pdf,
) -> Response:
    """The routing slip (form 06) of a dossier of the agency: one row per hand-off with its
    times, giver, receiver and outcome (the read is audited)."""
    settings: Settings = request.app.state.settings
    actor = _actor(request, principal)
    return exported(await reports.routing_slip_file(session, settings, actor, code, format_))


@router.get(
    "/register",
    response_class=Response,
    tags=TAGS,
    responses=EXPORTED
    | UNAUTHORIZED
    | FORBIDDEN
    | {
        422: {
            "description": "The period ends before it starts, or holds more dossiers than the"
            f" format holds ({reports.REGISTER_MAX_ROWS[reports.ExportFormat.csv]:,} rows in"
            f" CSV and XLSX, {reports.REGISTER_MAX_ROWS[reports.ExportFormat.pdf]:,} in PDF)"
        }
    },
)
async def get_register(
    request: Request,
    session: Session,
    principal: Processor,
    first: Annotated[
        date | None,
        Query(alias="from", description="First day (the 1st of this month if not given)"),
    ] = None,
    last: Annotated[
        date | None,
        Query(alias="to", description="Last day, included (the month's last if not given)"),
    ] = None,
    format_: Format = reports.ExportFormat.pdf,
) -> Response:
    """The register (form 07) of the agency: one numbered row per dossier it received in the
    period, in the order received; days in the portal's time zone."""
    settings: Settings = request.app.state.settings
    month = reports.this_month(settings)
    days = reports.period(first or month.first, last or month.last)
    actor = _actor(request, principal)
    return exported(await reports.register_file(session, settings, actor, days, format_))
