"""Fees paid online: what a dossier owes, paying it through the gateway, the payments and their
electronic receipts; for agencies, the payments of their dossiers and refunds."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import Field

from app.accounts import api_keys
from app.accounts.api_keys import SCOPE_PROCESS, SCOPE_READ, SCOPE_SUBMIT
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Principal, Session, requires
from app.api.conditional import ConditionalRoute
from app.api.dossiers import TOKEN, NoNul
from app.api.idempotent import IDEMPOTENCY_RESPONSES, IdempotencyKey, once, replayable
from app.api.pagination import PAGED, PageQuery
from app.config import Settings
from app.dossiers import service as dossiers
from app.idempotency.schemas import StoredResponse
from app.models.payments import PaymentState
from app.payments import service, tasks
from app.payments.errors import PaymentNotFound
from app.payments.schemas import (
    FeesOut,
    PaymentDetail,
    PaymentOut,
    PaymentPage,
    PaymentStarted,
    Refunder,
)
from app.responses import streamed

router = APIRouter(route_class=ConditionalRoute)

TAGS: list[str | Enum] = ["payments"]
Submitter = Annotated[ApiPrincipal, Depends(requires(SCOPE_SUBMIT))]
Reader = Annotated[ApiPrincipal, Depends(requires(SCOPE_READ))]
Processor = Annotated[ApiPrincipal, Depends(requires(SCOPE_PROCESS))]
DossierCode = Annotated[str, Path(max_length=64, pattern=TOKEN, description="The dossier's code")]
PaymentRef = Annotated[
    str, Path(max_length=40, pattern=TOKEN, description="The payment's reference (vnp_TxnRef)")
]
# The agencies' operations are processing ones, with an agency's key.
AGENCY_TAGS: list[str | Enum] = ["payments", "processing"]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such dossier or payment of the caller"},
}
READ_RESPONSES = UNAUTHORIZED | FORBIDDEN | NOT_FOUND
RECEIPT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The electronic receipt (biên lai điện tử), a PDF signed by the agency",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    },
    404: {"description": "No such payment of the caller, or it is not paid (no receipt)"},
}


class RefundBody(NoNul):
    """A refund of all (no amount) or part of a paid payment."""

    amount: int | None = Field(
        default=None, ge=1, le=10**15, description="VND to give back; all that is left if absent"
    )
    reason: str = Field(max_length=2000, description="Why the money is given back")


async def _applicant(session: Session, principal: ApiPrincipal) -> Any:
    return await dossiers.applicant_for_enterprise(session, api_keys.enterprise_of(principal))


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/dossiers/{code}/fees", response_model=FeesOut, tags=TAGS, responses=READ_RESPONSES)
async def get_fees(
    request: Request, session: Session, principal: Reader, code: DossierCode
) -> FeesOut:
    """The fees of the enterprise's dossier taken online (lines, exemptions, total), what was
    paid, what is owed and whether it can be paid now."""
    applicant = await _applicant(session, principal)
    return await service.fees_of(session, applicant, code, _settings(request))


@router.post(
    "/dossiers/{code}/payments",
    status_code=201,
    response_model=PaymentStarted,
    tags=TAGS,
    responses=replayable(201)
    | READ_RESPONSES
    | IDEMPOTENCY_RESPONSES
    | {
        409: {
            "description": "Nothing to pay online now, no gateway configured, or a request with"
            " the same Idempotency-Key is still running"
        },
        422: {"description": "Idempotency-Key used before for another request"},
    },
)
async def start_payment(
    request: Request,
    session: Session,
    principal: Submitter,
    code: DossierCode,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start paying what the dossier owes: the answer's `redirect_url` is the gateway's page to
    send the payer to. The payment settles when the gateway confirms it (IPN or query); a
    payment still open for the same amount is given again rather than a second one."""
    applicant = await _applicant(session, principal)
    ip = request.client.host if request.client else ""

    async def work() -> StoredResponse:
        started = await service.start_payment(session, _settings(request), applicant, code, ip=ip)
        return StoredResponse(201, started.model_dump(mode="json"))

    return await once(request, session, applicant.client, idempotency_key, work)


@router.get(
    "/dossiers/{code}/payments",
    response_model=PaymentPage,
    tags=TAGS,
    responses=READ_RESPONSES | PAGED,
)
async def list_dossier_payments(
    session: Session, principal: Reader, code: DossierCode, paging: PageQuery
) -> PaymentPage:
    """The payments of the enterprise's dossier, oldest first, a page at a time."""
    found = await service.payments_of(session, await _applicant(session, principal), code)
    page = paging.of(found, lambda p: (p.created_at.isoformat(), p.reference), (str, str))
    return paging.answer(PaymentPage(items=page.items, next_cursor=page.next_cursor))


@router.get(
    "/dossiers/{code}/payments/{reference}",
    response_model=PaymentOut,
    tags=TAGS,
    responses=READ_RESPONSES,
)
async def get_dossier_payment(
    session: Session, principal: Reader, code: DossierCode, reference: PaymentRef
) -> PaymentOut:
    """One payment of the enterprise's dossier."""
    applicant = await _applicant(session, principal)
    return await service.payment_of(session, applicant, code, reference)


@router.get(
    "/dossiers/{code}/payments/{reference}/receipt",
    response_class=StreamingResponse,
    tags=TAGS,
    responses=RECEIPT | UNAUTHORIZED | FORBIDDEN,
)
async def download_receipt(
    request: Request,
    session: Session,
    principal: Principal,
    code: DossierCode,
    reference: PaymentRef,
) -> StreamingResponse:
    """The electronic receipt of a paid payment, as PDF: an enterprise's key
    (`dossiers:read`) for its dossiers, an agency's (`dossiers:process`) for the agency's."""
    storage = request.app.state.storage
    if principal.agency_id is None:
        api_keys.require_scopes(principal, SCOPE_READ)
        applicant = await _applicant(session, principal)
        size, stream = await service.applicant_receipt(session, storage, applicant, code, reference)
    else:
        api_keys.require_scopes(principal, SCOPE_PROCESS)
        payment = await service.agency_payment(session, principal.agency_id, reference)
        if payment.dossier_code != code:
            raise PaymentNotFound()
        size, stream = await service.agency_receipt(
            session, storage, principal.agency_id, reference
        )
    return streamed(stream, "application/pdf", f"bien-lai-{reference}.pdf", size)


def _agency_id(principal: ApiPrincipal) -> int:
    if principal.agency_id is None:
        raise PaymentNotFound()
    return principal.agency_id


@router.get("/payments", response_model=PaymentPage, tags=TAGS, responses=READ_RESPONSES | PAGED)
async def list_agency_payments(
    request: Request,
    session: Session,
    principal: Processor,
    paging: PageQuery,
    state: Annotated[PaymentState | None, Query(description="Only payments in this state")] = None,
    day: Annotated[
        date | None, Query(description="Only payments started on this day (portal's time zone)")
    ] = None,
) -> PaymentPage:
    """The payments of the agency's dossiers, newest first. Needs an agency's key."""
    since = until = None
    if day is not None:
        since, until = tasks.day_bounds(_settings(request), day)
    page = await service.agency_payments(
        session,
        _agency_id(principal),
        state=state,
        since=since,
        until=until,
        cursor=paging.cursor,
        limit=paging.limit,
    )
    return paging.answer(page)


@router.get(
    "/payments/{payment}",
    response_model=PaymentDetail,
    tags=AGENCY_TAGS,
    responses=READ_RESPONSES,
)
async def get_agency_payment(
    session: Session, principal: Processor, payment: PaymentRef
) -> PaymentDetail:
    """One payment of the agency with every notice of the gateway and its refunds."""
    return await service.agency_payment(session, _agency_id(principal), payment)


@router.post(
    "/payments/{payment}/refunds",
    status_code=202,
    response_model=PaymentDetail,
    tags=AGENCY_TAGS,
    responses=replayable(202)
    | READ_RESPONSES
    | IDEMPOTENCY_RESPONSES
    | {
        409: {
            "description": "The payment is not paid or nothing is left to refund, or a request"
            " with the same Idempotency-Key is still running"
        },
        422: {
            "description": "No reason, or more than is left to refund (`errors` locates each),"
            " or Idempotency-Key used before for another request"
        },
    },
)
async def refund_payment(
    request: Request,
    session: Session,
    principal: Processor,
    payment: PaymentRef,
    body: RefundBody,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Refund all or part of a paid payment, with the reason: accepted (202), then sent to the
    gateway by the worker; the refund's state, the payment's and the callback
    `payment.refunded` follow the gateway's answer."""
    agency_id = _agency_id(principal)
    refunder = Refunder(
        agency_id=agency_id, label=f"apikey:{principal.key_prefix}", name=principal.key_name
    )
    ip = request.client.host if request.client else ""

    async def work() -> StoredResponse:
        detail = await service.request_refund(
            session, refunder, payment, body.amount, body.reason, ip=ip
        )
        return StoredResponse(202, detail.model_dump(mode="json"))

    return await once(request, session, refunder.label, idempotency_key, work)
