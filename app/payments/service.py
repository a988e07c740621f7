"""Paying a dossier's fees online: starting a payment, the gateway's notices (IPN, return,
query), settling, the electronic receipt, refunds and what officials see of payments.

A payment changes state only on what the gateway signed: a verified IPN or the answer to a
query. Every notice is kept (``payment_notices``), valid or not, with what was done with it.
Services flush and never commit; nothing here calls the gateway inside a request's
transaction (queries and refunds are the worker's, see ``tasks``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.schemas import OfficialOut
from app.audit import service as audit
from app.config import Settings
from app.documents import service as documents
from app.documents.errors import NoSigningKey
from app.documents.schemas import AgencyPart, ApplicantPart
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.errors import InvalidPageCursor, Problem
from app.kit.clock import aware, utcnow
from app.kit.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.models.dossiers import Dossier, EventKind
from app.models.payments import (
    Payment,
    PaymentNotice,
    PaymentRefund,
    PaymentStage,
    PaymentState,
    RefundState,
)
from app.models.processing import DocumentForm
from app.outbox import service as outbox
from app.outbox.mail import KIND as EMAIL
from app.outbox.mail import email_payload
from app.payments import dues, receipt, repository, vnpay
from app.payments.errors import (
    CannotRefund,
    NothingToPay,
    PaymentNotFound,
    ReceiptNotReady,
    RefundInvalid,
)
from app.payments.gateway import QueryAnswer, RefundAnswer, gateway_for, return_url
from app.payments.schemas import (
    FeeLineOut,
    FeesOut,
    NoticeOut,
    PaymentDetail,
    PaymentOut,
    PaymentPage,
    PaymentStarted,
    Refunder,
    RefundOut,
    ReturnView,
)
from app.processing import service as processing
from app.processing.paperwork import lookup_url
from app.storage import FileStorage, ObjectStream
from app.webhooks import service as webhooks

log = logging.getLogger(__name__)

# The outbox kind of a refund the worker asks the gateway for.
REFUND_JOB = "payments.refund"
GATEWAY_LABEL = "Cổng thanh toán / Payment gateway"
# Longest wait between two queries of a payment whose outcome is unknown.
MAX_CHECK_INTERVAL = timedelta(hours=1)
# A payment the gateway still cannot tell about this long after it expired is given up.
GIVE_UP_AFTER = timedelta(days=1)
# Notices keep at most this many parameters, each cut to this length: a forged notice must
# not fill the database.
NOTICE_MAX_PARAMS = 60
NOTICE_MAX_VALUE = 1000
SETTLEABLE = (PaymentState.created, PaymentState.pending, PaymentState.expired)
REFUNDABLE = (PaymentState.paid, PaymentState.partially_refunded)
PAGE_MAX = 100


# --- Showing ---------------------------------------------------------------------------------


def _lines(raw: list[Any]) -> list[FeeLineOut]:
    out: list[FeeLineOut] = []
    for line in raw:
        if isinstance(line, dict):
            out.append(
                FeeLineOut(
                    code=line.get("code"),
                    name=str(line.get("name", "")),
                    quantity=int(line.get("quantity", 1)),
                    unit_amount=int(line.get("unit_amount") or line.get("amount") or 0),
                    amount=int(line.get("amount", 0)),
                    exempt=bool(line.get("exempt", False)),
                )
            )
    return out


def payment_out(payment: Payment, dossier_code: str | None, receipt_ref: str | None) -> PaymentOut:
    return PaymentOut(
        reference=payment.reference,
        dossier_code=dossier_code,
        stage=PaymentStage(payment.stage),
        gateway=payment.gateway,
        amount=payment.amount,
        lines=_lines(payment.lines),
        state=PaymentState(payment.state),
        created_at=aware(payment.created_at),
        expires_at=aware(payment.expires_at),
        paid_at=aware(payment.paid_at) if payment.paid_at else None,
        gateway_transaction_no=payment.gateway_transaction_no,
        bank_code=payment.bank_code,
        response_code=payment.response_code,
        refunded_amount=payment.refunded_amount,
        receipt=receipt_ref,
    )


async def _receipt_reference(session: AsyncSession, payment: Payment) -> str | None:
    if payment.receipt_document_id is None:
        return None
    return await repository.document_reference(session, payment.receipt_document_id)


async def _out(session: AsyncSession, payment: Payment, code: str | None = None) -> PaymentOut:
    if code is None:
        code = await repository.dossier_code(session, payment.dossier_id)
    return payment_out(payment, code, await _receipt_reference(session, payment))


def _refund_out(refund: PaymentRefund) -> RefundOut:
    return RefundOut(
        reference=refund.reference,
        amount=refund.amount,
        reason=refund.reason,
        state=RefundState(refund.state),
        requested_by=refund.requested_by,
        requested_at=aware(refund.requested_at),
        settled_at=aware(refund.settled_at) if refund.settled_at else None,
        gateway_transaction_no=refund.gateway_transaction_no,
        response_code=refund.response_code,
    )


async def _detail(session: AsyncSession, payment: Payment) -> PaymentDetail:
    base = await _out(session, payment)
    notices = [
        NoticeOut(
            at=aware(n.at), source=n.source, valid=n.valid, outcome=n.outcome, params=n.params
        )
        for n in await repository.notices_of(session, payment.id)
    ]
    refunds = [_refund_out(r) for r in await repository.refunds_of(session, payment.id)]
    return PaymentDetail(**base.model_dump(), notices=notices, refunds=refunds)


# --- The applicant's side ---------------------------------------------------------------------


async def _applicants_dossier(session: AsyncSession, applicant: Applicant, code: str) -> Dossier:
    """The applicant's submitted dossier (NotFound for anyone else's, or a draft)."""
    seen = await dossiers.get_dossier(session, applicant, code)
    dossier = await repository.dossier_by_code(session, seen.code) if seen.code else None
    if dossier is None:
        raise PaymentNotFound()
    return dossier


async def _fees(session: AsyncSession, dossier: Dossier, online: bool = True) -> FeesOut:
    assert dossier.code is not None
    due = await dues.due_of(session, dossier)
    payments = [
        await _out(session, p, dossier.code)
        for p in await repository.payments_of(session, dossier.id)
    ]
    if due is None:
        return FeesOut(
            dossier_code=dossier.code,
            stage=None,
            lines=[],
            total=0,
            paid=0,
            outstanding=0,
            payable_now=False,
            payments=payments,
        )
    return FeesOut(
        dossier_code=dossier.code,
        stage=due.stage,
        lines=[FeeLineOut(**line.as_json()) for line in due.assessment.lines],
        total=due.assessment.total,
        paid=due.paid,
        outstanding=due.outstanding,
        payable_now=online and dues.payable_now(dossier, due),
        payments=payments,
    )


async def fees_of(
    session: AsyncSession, applicant: Applicant, code: str, settings: Settings | None = None
) -> FeesOut:
    """The fees of the applicant's dossier, what is owed and its payments; with the settings,
    nothing is payable now where no gateway is configured."""
    online = settings is None or settings.payment_gateway is not None
    return await _fees(session, await _applicants_dossier(session, applicant, code), online)


def order_info(code: str) -> str:
    """vnp_OrderInfo: plain ASCII, as VNPAY asks."""
    return f"Thanh toan phi le phi ho so {code}"


def _order(settings: Settings, payment: Payment, code: str, ip: str) -> vnpay.Order:
    return vnpay.Order(
        txn_ref=payment.reference,
        amount=payment.amount,
        order_info=payment.order_info or order_info(code),
        return_url=return_url(settings),
        ip=ip,
        created_at=aware(payment.created_at),
        expires_at=aware(payment.expires_at),
        locale=payment.locale,
    )


def _new_reference(settings: Settings, now: datetime) -> str:
    day = now.astimezone(ZoneInfo(settings.time_zone))
    return f"{day:%y%m%d}{secrets.token_hex(6).upper()}"


async def start_payment(
    session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
    code: str,
    *,
    ip: str = "",
    locale: str = "vi",
) -> PaymentStarted:
    """A payment of what the dossier owes now (or the one still open for it), and the gateway
    address to send the payer to. NothingToPay when nothing can be paid now."""
    dossier = await _applicants_dossier(session, applicant, code)
    assert dossier.code is not None and dossier.agency_id is not None
    due = await dues.due_of(session, dossier)
    if due is None or not dues.payable_now(dossier, due):
        raise NothingToPay()
    gateway = gateway_for(settings)
    now = utcnow()
    payment = await repository.open_payment(session, dossier.id, due.outstanding, now)
    if payment is None or payment.gateway != gateway.name:
        payment = Payment(
            reference=_new_reference(settings, now),
            dossier_id=dossier.id,
            agency_id=dossier.agency_id,
            account_id=applicant.account_id,
            stage=due.stage.value,
            gateway=gateway.name,
            amount=due.outstanding,
            lines=[line.as_json() for line in due.assessment.lines],
            state=PaymentState.pending,
            order_info=order_info(dossier.code),
            locale="en" if locale == "en" else "vi",
            created_at=now,
            expires_at=now + timedelta(minutes=settings.payment_expiry_minutes),
            next_check_at=now + timedelta(seconds=settings.payment_check_seconds),
        )
        await repository.add(session, payment)
        await audit.record(
            session,
            actor=f"applicant:{applicant.account_id or applicant.enterprise_id}",
            actor_name=applicant.name,
            action="payment.started",
            ip=ip,
            dossier_id=dossier.id,
            dossier_code=dossier.code,
            detail={"payment": payment.reference, "amount": payment.amount},
        )
    url = gateway.payment_url(_order(settings, payment, dossier.code, ip))
    return PaymentStarted(payment=await _out(session, payment, dossier.code), redirect_url=url)


async def payments_of(session: AsyncSession, applicant: Applicant, code: str) -> list[PaymentOut]:
    dossier = await _applicants_dossier(session, applicant, code)
    return [
        await _out(session, p, dossier.code)
        for p in await repository.payments_of(session, dossier.id)
    ]


async def payment_of(
    session: AsyncSession, applicant: Applicant, code: str, reference: str
) -> PaymentOut:
    dossier = await _applicants_dossier(session, applicant, code)
    payment = await repository.payment_by_reference(session, reference)
    if payment is None or payment.dossier_id != dossier.id:
        raise PaymentNotFound()
    return await _out(session, payment, dossier.code)


# --- What the gateway tells ---------------------------------------------------------------------


def _kept(params: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in list(params.items())[:NOTICE_MAX_PARAMS]:
        text = value if isinstance(value, str) else str(value)
        kept[str(name)[:100]] = text[:NOTICE_MAX_VALUE].replace("\x00", "")
    return kept


async def _notice(
    session: AsyncSession,
    payment: Payment | None,
    source: str,
    params: dict[str, Any],
    valid: bool,
    outcome: str,
) -> None:
    await repository.add(
        session,
        PaymentNotice(
            payment_id=payment.id if payment else None,
            at=utcnow(),
            source=source,
            params=_kept(params),
            valid=valid,
            outcome=outcome,
        ),
    )


def _event_data(payment: Payment) -> dict[str, Any]:
    return {
        "payment_reference": payment.reference,
        "amount": payment.amount,
        "gateway": payment.gateway,
        "transaction_no": payment.gateway_transaction_no,
    }


async def _settle(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    payment: Payment,
    outcome: vnpay.Outcome,
) -> None:
    """The gateway's signed word on a payment: paid (the dossier goes on, the receipt is
    issued, callbacks told) or failed/cancelled."""
    now = utcnow()
    payment.gateway_transaction_no = outcome.transaction_no or None
    payment.bank_code = outcome.bank_code or None
    payment.response_code = outcome.response_code or None
    payment.next_check_at = None
    dossier = await repository.dossier_by_id(session, payment.dossier_id)
    assert dossier is not None
    if outcome.succeeded:
        payment.state = PaymentState.paid
        payment.paid_at = outcome.pay_date or now
        await session.flush()
        await webhooks.publish(session, dossier, EventKind.paid, now, _event_data(payment))
        await issue_receipt(session, settings, storage, payment, dossier)
        await processing.payment_settled(session, settings, storage, dossier.id)
    else:
        cancelled = outcome.response_code == vnpay.CANCELLED
        payment.state = PaymentState.cancelled if cancelled else PaymentState.failed
        await session.flush()
        await webhooks.publish(
            session,
            dossier,
            EventKind.payment_failed,
            now,
            {**_event_data(payment), "response_code": outcome.response_code},
        )
    await audit.record(
        session,
        actor="gateway",
        actor_name=GATEWAY_LABEL,
        action=f"payment.{payment.state}",
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        detail=_event_data(payment),
    )


async def handle_ipn(
    session: AsyncSession, settings: Settings, storage: FileStorage, params: dict[str, str]
) -> dict[str, str]:
    """The gateway's server-to-server notice (IPN): verified (hash, order, amount), acted on
    once, and answered as VNPAY expects. A forged or repeated notice changes nothing."""
    gateway = gateway_for(settings)
    reference = params.get("vnp_TxnRef", "")
    payment = (
        await repository.payment_by_reference(session, reference[:40], lock=True)
        if reference
        else None
    )
    outcome = gateway.verify(params)
    if outcome is None:
        await _notice(session, payment, "ipn", params, False, "bad_hash")
        return vnpay.IPN_INVALID_SIGNATURE
    if payment is None or payment.gateway != gateway.name:
        await _notice(session, None, "ipn", params, True, "unknown_order")
        return vnpay.IPN_ORDER_NOT_FOUND
    if outcome.amount != payment.amount:
        await _notice(session, payment, "ipn", params, True, "bad_amount")
        return vnpay.IPN_INVALID_AMOUNT
    if payment.state not in SETTLEABLE:
        await _notice(session, payment, "ipn", params, True, "duplicate")
        return vnpay.IPN_ALREADY_CONFIRMED
    await _settle(session, settings, storage, payment, outcome)
    await _notice(session, payment, "ipn", params, True, f"settled_{payment.state}")
    return vnpay.IPN_CONFIRMED


async def handle_return(
    session: AsyncSession, settings: Settings, params: dict[str, str]
) -> ReturnView:
    """What the payer's browser brought back: shown, never acted on (the IPN or a query
    settles the payment). A payment still pending is asked about at once by the worker."""
    gateway = gateway_for(settings)
    reference = params.get("vnp_TxnRef", "")
    payment = await repository.payment_by_reference(session, reference[:40]) if reference else None
    outcome = gateway.verify(params)
    valid = outcome is not None and payment is not None and outcome.amount == payment.amount
    await _notice(session, payment, "return", params, valid, "shown" if valid else "refused")
    if payment is not None and valid and payment.state == PaymentState.pending:
        # Outside the row's version: the IPN may be settling it at this very moment.
        await repository.check_soon(session, payment.id, utcnow())
    code = await repository.dossier_code(session, payment.dossier_id) if payment else None
    return ReturnView(
        valid=valid,
        succeeded=valid and outcome is not None and outcome.succeeded,
        cancelled=valid and outcome is not None and outcome.response_code == vnpay.CANCELLED,
        payment=await _out(session, payment, code) if payment is not None and valid else None,
        dossier_code=code if valid else None,
    )


def next_check(settings: Settings, count: int, now: datetime) -> datetime:
    """When to ask again after ``count`` queries that settled nothing: doubling, at most hourly."""
    wait = timedelta(seconds=settings.payment_check_seconds * 2 ** min(count, 12))
    return now + min(wait, MAX_CHECK_INTERVAL)


async def settle_from_query(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    payment_id: int,
    answer: QueryAnswer | None,
) -> str:
    """What a query of a pending payment told (None: the gateway did not answer): settle it,
    expire it, or ask again later. Returns what was done."""
    payment = await repository.payment_by_id(session, payment_id, lock=True)
    if payment is None or payment.state != PaymentState.pending:
        return "skipped"
    now = utcnow()
    outcome = answer.outcome if answer is not None else None
    expired = now > aware(payment.expires_at)
    if answer is not None:
        valid = outcome is not None and outcome.txn_ref == payment.reference
        if outcome is not None and not valid:
            outcome = None
        amount_ok = outcome is not None and outcome.amount == payment.amount
        what = "answered"
        if (
            outcome is not None
            and amount_ok
            and (outcome.succeeded or outcome.transaction_status not in ("01", ""))
        ):
            what = "settled"
        elif outcome is not None and not amount_ok:
            what = "bad_amount"
        elif not answer.found:
            what = "not_found"
        await _notice(session, payment, "query", answer.params, valid or not answer.found, what)
        if what == "settled":
            assert outcome is not None
            await _settle(session, settings, storage, payment, outcome)
            return str(payment.state)
        if expired and what in ("answered", "not_found"):
            # Never completed on the gateway, and the payer's time is over.
            payment.state = PaymentState.expired
            payment.next_check_at = None
            await session.flush()
            return "expired"
    if now > aware(payment.expires_at) + GIVE_UP_AFTER:
        payment.state = PaymentState.expired
        payment.next_check_at = None
        await session.flush()
        return "expired"
    payment.check_count += 1
    payment.next_check_at = next_check(settings, payment.check_count, now)
    await session.flush()
    return "later"


# --- The electronic receipt -------------------------------------------------------------------


def _payer(dossier: Dossier) -> ApplicantPart:
    address = dossier.delivery_address or {}
    line = ", ".join(
        str(part)
        for part in (address.get("street"), address.get("commune"), address.get("province"))
        if part
    )
    return ApplicantPart(
        name=dossier.applicant_name,
        id_number=dossier.applicant_id_number or "",
        address=line[:500],
        phone=dossier.applicant_phone or "",
        email=dossier.applicant_email or "",
    )


async def issue_receipt(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    payment: Payment,
    dossier: Dossier,
) -> None:
    """The electronic receipt of a paid payment, signed by the agency (unsigned if it has no
    key), kept among the dossier's documents."""
    assert dossier.code is not None and dossier.agency is not None
    paid_at = aware(payment.paid_at or utcnow())
    data = receipt.PaymentReceiptData(
        agency=AgencyPart(code=dossier.agency.code, name=dossier.agency.name),
        number=payment.reference,
        issued_at=utcnow(),
        lookup_url=lookup_url(settings, dossier.code),
        dossier_code=dossier.code,
        payment_reference=payment.reference,
        payer=_payer(dossier),
        procedure=dossier.procedure.name,
        lines=[
            receipt.ReceiptLine(
                name=line.name[:255],
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                amount=line.amount,
                exempt=line.exempt,
            )
            for line in _lines(payment.lines)
        ],
        amount=payment.amount,
        gateway=receipt.GATEWAY_NAMES.get(payment.gateway, payment.gateway),
        transaction_no=payment.gateway_transaction_no or "",
        bank_code=payment.bank_code or "",
        paid_at=paid_at,
    )
    pdf = await receipt.render(data)
    signed = False
    try:
        pdf = await documents.sign_for_agency(
            session,
            settings,
            dossier.agency.id,
            pdf,
            reason=f"Biên lai thu phí, lệ phí hồ sơ {dossier.code}",
            location=dossier.agency.name,
            signer_name=dossier.agency.name,
        )
        signed = True
    except NoSigningKey:
        log.warning(
            "agency %s has no signing key: receipt %s unsigned",
            dossier.agency.code,
            payment.reference,
        )
    document = await documents.store_document(
        session,
        storage,
        dossier_id=dossier.id,
        form=DocumentForm.payment_receipt,
        pdf=pdf,
        created_by=GATEWAY_LABEL,
        signed=signed,
    )
    payment.receipt_document_id = await repository.document_id(session, document.reference)
    await session.flush()


# --- Officials and agencies ----------------------------------------------------------------------


def refunder_for_official(official: OfficialOut) -> Refunder:
    return Refunder(
        agency_id=official.agency_id,
        label=f"account:{official.account_id}",
        name=official.full_name,
    )


async def agency_payments(
    session: AsyncSession,
    agency_id: int,
    *,
    state: PaymentState | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> PaymentPage:
    """Payments of the agency's dossiers, newest first, a page at a time."""
    before: int | None = None
    if cursor:
        try:
            before = int(decode_cursor(cursor, (int,))[0])
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc
    limit = max(1, min(limit, PAGE_MAX))
    rows = await repository.agency_payments(
        session,
        agency_id,
        state=state.value if state else None,
        since=since,
        until=until,
        before_id=before,
        limit=limit + 1,
    )
    items = [await _out(session, payment, code) for payment, code in rows[:limit]]
    next_cursor = encode_cursor((rows[limit - 1][0].id,)) if len(rows) > limit else None
    return PaymentPage(items=items, next_cursor=next_cursor)


async def _agency_payment(
    session: AsyncSession, agency_id: int, reference: str, *, lock: bool = False
) -> Payment:
    payment = await repository.payment_by_reference(session, reference[:40], lock=lock)
    if payment is None or payment.agency_id != agency_id:
        raise PaymentNotFound()
    return payment


async def agency_payment(session: AsyncSession, agency_id: int, reference: str) -> PaymentDetail:
    """One payment of the agency with its notices and refunds."""
    return await _detail(session, await _agency_payment(session, agency_id, reference))


async def refundable(session: AsyncSession, payment: Payment) -> int:
    if payment.state not in REFUNDABLE:
        return 0
    pending = await repository.pending_refunds_total(session, payment.id)
    return max(payment.amount - payment.refunded_amount - pending, 0)


async def refundable_of(session: AsyncSession, agency_id: int, reference: str) -> int:
    """VND of the agency's payment that may still be refunded."""
    return await refundable(session, await _agency_payment(session, agency_id, reference))


async def request_refund(
    session: AsyncSession,
    refunder: Refunder,
    reference: str,
    amount: int | None,
    reason: str,
    *,
    ip: str = "",
) -> PaymentDetail:
    """Ask for all (amount None) or part of a paid payment back, with the reason: kept as a
    pending refund the worker sends to the gateway (``tasks.refund``)."""
    payment = await _agency_payment(session, refunder.agency_id, reference, lock=True)
    left = await refundable(session, payment)
    if left == 0:
        raise CannotRefund()
    problems: list[Problem] = []
    reason = reason.strip()
    if not reason:
        problems.append(
            Problem("reason", "Hãy nêu lý do hoàn tiền", "Give the reason for the refund")
        )
    elif len(reason) > 2000 or "\x00" in reason:
        problems.append(
            Problem(
                "reason",
                "Lý do quá dài (tối đa 2000 ký tự)",
                "The reason is too long (2000 characters at most)",
            )
        )
    wanted = left if amount is None else amount
    if wanted < 1 or wanted > left:
        problems.append(
            Problem(
                "amount",
                f"Số tiền hoàn phải từ 1 đến {left:,} đồng".replace(",", "."),
                f"The amount must be between 1 and {left:,} VND",
            )
        )
    if problems:
        raise RefundInvalid(problems)
    refund = PaymentRefund(
        reference=f"RF{secrets.token_hex(8).upper()}",
        payment_id=payment.id,
        amount=wanted,
        reason=reason,
        state=RefundState.pending,
        requested_by=refunder.name[:255],
        requested_at=utcnow(),
    )
    await repository.add(session, refund)
    await outbox.enqueue(session, REFUND_JOB, {"refund_id": refund.id, "ip": ip or "127.0.0.1"})
    code = await repository.dossier_code(session, payment.dossier_id)
    await audit.record(
        session,
        actor=refunder.label,
        actor_name=refunder.name,
        action="payment.refund_requested",
        ip=ip,
        dossier_id=payment.dossier_id,
        dossier_code=code,
        detail={"payment": payment.reference, "amount": wanted, "reason": reason},
    )
    return await _detail(session, payment)


async def refund_to_send(
    session: AsyncSession, refund_id: int
) -> tuple[PaymentRefund, Payment] | None:
    """A pending refund and its payment, for the worker to send."""
    refund = await repository.refund_by_id(session, refund_id)
    if refund is None or refund.state != RefundState.pending:
        return None
    payment = await repository.payment_by_id(session, refund.payment_id)
    if payment is None:
        return None
    return refund, payment


async def refund_settled(
    session: AsyncSession, settings: Settings, refund_id: int, answer: RefundAnswer
) -> str:
    """The gateway's answer to a refund: the payment's state follows, the applicant is told
    by e-mail and the callbacks hear ``payment.refunded``."""
    refund = await repository.refund_by_id(session, refund_id, lock=True)
    if refund is None or refund.state != RefundState.pending:
        return "skipped"
    payment = await repository.payment_by_id(session, refund.payment_id, lock=True)
    assert payment is not None
    now = utcnow()
    await _notice(
        session,
        payment,
        "refund",
        answer.params,
        answer.response_code != "97",
        "refunded" if answer.accepted else f"refused_{answer.response_code}",
    )
    refund.response_code = answer.response_code or None
    refund.gateway_transaction_no = answer.transaction_no or None
    refund.settled_at = now
    if not answer.accepted:
        refund.state = RefundState.failed
        await session.flush()
        return "failed"
    refund.state = RefundState.done
    payment.refunded_amount += refund.amount
    payment.state = (
        PaymentState.refunded
        if payment.refunded_amount >= payment.amount
        else PaymentState.partially_refunded
    )
    await session.flush()
    dossier = await repository.dossier_by_id(session, payment.dossier_id)
    assert dossier is not None
    await webhooks.publish(
        session,
        dossier,
        EventKind.refunded,
        now,
        {
            **_event_data(payment),
            "refund_reference": refund.reference,
            "refund_amount": refund.amount,
            "reason": refund.reason,
        },
    )
    if dossier.applicant_email:
        amount = f"{refund.amount:,}".replace(",", ".")
        link = f"{settings.base_url.rstrip('/')}/ho-so/{dossier.code}"
        text = (
            f"Kính gửi {dossier.applicant_name},\n\n"
            f"Cơ quan đã hoàn {amount} đồng của khoản thanh toán {payment.reference} cho hồ sơ"
            f" {dossier.code}. Lý do: {refund.reason}\n"
            f"The agency refunded {amount} VND of payment {payment.reference} for dossier"
            f" {dossier.code}. Reason: {refund.reason}\n\nTheo dõi hồ sơ / Follow it: {link}\n"
        )
        await outbox.enqueue(
            session,
            EMAIL,
            email_payload(
                dossier.applicant_email,
                f"Hoàn tiền phí, lệ phí / Fees refunded ({dossier.code})",
                text,
            ),
        )
    await audit.record(
        session,
        actor="gateway",
        actor_name=GATEWAY_LABEL,
        action="payment.refunded",
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        detail={"payment": payment.reference, "refund": refund.reference, "amount": refund.amount},
    )
    return "done"


async def paid_online(session: AsyncSession, dossier_id: int) -> bool:
    """Whether fees of the dossier were paid online (the national record's flag)."""
    return await repository.paid_total(session, dossier_id) > 0


# --- Receipts to download -------------------------------------------------------------------------


async def applicant_receipt(
    session: AsyncSession, storage: FileStorage, applicant: Applicant, code: str, reference: str
) -> tuple[int, ObjectStream]:
    """The electronic receipt of one of the applicant's payments: its size and content."""
    payment = await payment_of(session, applicant, code, reference)
    if payment.receipt is None:
        raise ReceiptNotReady()
    brief, stream = await dossiers.open_document(session, storage, applicant, code, payment.receipt)
    return brief.size, stream


async def agency_receipt(
    session: AsyncSession, storage: FileStorage, agency_id: int, reference: str
) -> tuple[int, ObjectStream]:
    """The electronic receipt of a payment of the agency."""
    payment = await _agency_payment(session, agency_id, reference)
    receipt_ref = await _receipt_reference(session, payment)
    if receipt_ref is None:
        raise ReceiptNotReady()
    document, stream = await documents.open_document(session, storage, receipt_ref)
    return document.size, stream
