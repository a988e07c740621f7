"""Ratings of returned dossiers, and feedback and complaints (phản ánh, kiến nghị): sent by an
enterprise's software, read and answered by an agency's."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from app.accounts import api_keys
from app.accounts.api_keys import SCOPE_PROCESS, SCOPE_READ, SCOPE_SUBMIT
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Session, requires
from app.api.conditional import ConditionalRoute
from app.api.idempotent import IDEMPOTENCY_RESPONSES, IdempotencyKey, once, replayable
from app.api.pagination import PAGED, CursorPage, PageQuery
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.feedback import service
from app.feedback.schemas import (
    AnswerIn,
    FeedbackIn,
    FeedbackOut,
    RatingIn,
    RatingOut,
    RatingStatus,
)
from app.idempotency.schemas import StoredResponse
from app.models.feedback import FeedbackState

router = APIRouter(route_class=ConditionalRoute)

TOKEN = r"^[0-9A-Za-z._-]+$"
RATING_TAGS: list[str | Enum] = ["ratings"]
FEEDBACK_TAGS: list[str | Enum] = ["feedback"]
# Agencies' software reads these with its processing key, beside the dossiers it processes.
AGENCY_TAGS: list[str | Enum] = ["processing", "feedback"]

Submitter = Annotated[ApiPrincipal, Depends(requires(SCOPE_SUBMIT))]
Reader = Annotated[ApiPrincipal, Depends(requires(SCOPE_READ))]
Processor = Annotated[ApiPrincipal, Depends(requires(SCOPE_PROCESS))]
DossierCode = Annotated[str, Path(max_length=64, pattern=TOKEN, description="The dossier's code")]
FeedbackRef = Annotated[
    str, Path(max_length=32, pattern=TOKEN, description="The feedback's reference (PA-…)")
]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such dossier or feedback of the caller"},
}
READ = UNAUTHORIZED | FORBIDDEN | NOT_FOUND


def _changing(ok: int, what_409: str, what_422: str) -> dict[int | str, dict[str, Any]]:
    location = {"Location": {"description": "Where it can be read", "schema": {"type": "string"}}}
    return (
        replayable(ok, location if ok == 201 else None)
        | READ
        | IDEMPOTENCY_RESPONSES
        | {
            409: {
                "description": f"{what_409}; or a request with the same Idempotency-Key is"
                " still being processed",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            },
            422: {
                "description": f"{what_422}, or Idempotency-Key used before for another"
                " request; `errors` locates each problem"
            },
        }
    )


class FeedbackPage(CursorPage[FeedbackOut]):
    """A page of feedback."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


async def _applicant(session: Session, principal: ApiPrincipal) -> Applicant:
    return await dossiers.applicant_for_enterprise(session, api_keys.enterprise_of(principal))


# --- Ratings ---------------------------------------------------------------------------------


@router.post(
    "/dossiers/{code}/rating",
    status_code=201,
    response_model=RatingOut,
    tags=RATING_TAGS,
    responses=_changing(
        201,
        "The result has not been returned yet (code not_returned_yet), or the dossier was"
        " rated already (code already_rated)",
        "A score other than 1, 2 or 3, or a comment that is too long",
    ),
)
async def rate_dossier(
    request: Request,
    session: Session,
    principal: Submitter,
    code: DossierCode,
    body: RatingIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Rate the service once the dossier's result was returned (status 10), once per dossier:
    1 very satisfied, 2 satisfied, 3 not satisfied, with an optional comment."""
    applicant = await _applicant(session, principal)

    async def work() -> StoredResponse:
        rating = await service.rate(session, applicant, code, body)
        location = str(request.app.url_path_for("get_rating", code=code))
        return StoredResponse(201, _json(rating), {"Location": location})

    return await once(request, session, applicant.client, idempotency_key, work)


@router.get(
    "/dossiers/{code}/rating",
    response_model=RatingStatus,
    tags=RATING_TAGS,
    responses=READ,
)
async def get_rating(session: Session, principal: Reader, code: DossierCode) -> RatingStatus:
    """Whether the enterprise may rate its dossier now (`ratable`), and its rating once given."""
    applicant = await _applicant(session, principal)
    return await service.rating_status(session, applicant, code)


# --- Feedback: senders -----------------------------------------------------------------------


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    tags=FEEDBACK_TAGS,
    responses=_changing(
        201,
        "Never for this operation's own reasons",
        "No subject or body, not exactly one of a dossier and a procedure, a dossier that is"
        " not the enterprise's, an unknown procedure or an agency that does not handle it",
    ),
)
async def send_feedback(
    request: Request,
    session: Session,
    principal: Submitter,
    body: FeedbackIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Send feedback (`report`, phản ánh) or a petition (`petition`, kiến nghị) on one of the
    enterprise's dossiers or on a procedure; the agency answers it within the working days the
    portal sets (10 by default): `due_at` says when."""
    applicant = await _applicant(session, principal)
    settings = _settings(request)

    async def work() -> StoredResponse:
        sent = await service.send(session, settings, applicant, body)
        location = str(request.app.url_path_for("get_feedback", feedback=sent.reference))
        return StoredResponse(201, _json(sent), {"Location": location})

    return await once(request, session, applicant.client, idempotency_key, work)


@router.get("/feedback", response_model=FeedbackPage, tags=FEEDBACK_TAGS, responses=READ | PAGED)
async def list_feedback(session: Session, principal: Reader, paging: PageQuery) -> FeedbackPage:
    """Feedback sent on the enterprise's dossiers, newest first, with the answers."""
    applicant = await _applicant(session, principal)
    page = await service.sent(session, applicant, cursor=paging.cursor, limit=paging.limit)
    return paging.answer(FeedbackPage(items=page.items, next_cursor=page.next_cursor))


@router.get("/feedback/{feedback}", response_model=FeedbackOut, tags=FEEDBACK_TAGS, responses=READ)
async def get_feedback(session: Session, principal: Reader, feedback: FeedbackRef) -> FeedbackOut:
    """One feedback of the enterprise, with the agency's answer once given."""
    applicant = await _applicant(session, principal)
    return await service.get_sent(session, applicant, feedback)


# --- Feedback: agencies ----------------------------------------------------------------------


@router.get(
    "/agency/feedback",
    response_model=FeedbackPage,
    tags=AGENCY_TAGS,
    responses=READ | PAGED,
)
async def agency_feedback(
    session: Session,
    principal: Processor,
    paging: PageQuery,
    state: Annotated[
        FeedbackState, Query(description="`open` (to answer) or `answered`")
    ] = FeedbackState.open,
) -> FeedbackPage:
    """Feedback sent to the key's agency, the soonest due first; `overdue` marks those past
    their due time."""
    handler = service.handler_for_key(principal)
    page = await service.inbox(
        session, handler, state=state, cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer(FeedbackPage(items=page.items, next_cursor=page.next_cursor))


@router.get(
    "/agency/feedback/{feedback}",
    response_model=FeedbackOut,
    tags=AGENCY_TAGS,
    responses=READ,
)
async def agency_feedback_one(
    session: Session, principal: Processor, feedback: FeedbackRef
) -> FeedbackOut:
    """One feedback sent to the key's agency."""
    return await service.get_received(session, service.handler_for_key(principal), feedback)


@router.post(
    "/agency/feedback/{feedback}/answer",
    response_model=FeedbackOut,
    tags=AGENCY_TAGS,
    responses=_changing(
        200, "Answered already (code already_answered)", "No answer, or one that is too long"
    ),
)
async def answer_feedback(
    request: Request,
    session: Session,
    principal: Processor,
    feedback: FeedbackRef,
    body: AnswerIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Answer feedback sent to the key's agency, once; the sender is e-mailed the answer."""
    handler = service.handler_for_key(principal)
    settings = _settings(request)

    async def work() -> StoredResponse:
        answered = await service.answer(session, settings, handler, feedback, body)
        return StoredResponse(200, _json(answered))

    return await once(request, session, f"apikey:{principal.key_prefix}", idempotency_key, work)
