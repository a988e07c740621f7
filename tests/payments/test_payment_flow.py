"""Paying a dossier's fees through the embedded sandbox gateway over HTTP: the dossier page's
button, the signed redirect, the sandbox's pages, the return and the IPN; forged IPNs; the
re-query of a payment whose IPN never came; the electronic receipt."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.documents import service as documents
from app.kit.clock import utcnow
from app.models.dossiers import Status
from app.models.outbox import OutboxMessage
from app.models.payments import Payment, PaymentNotice, PaymentStage, SandboxTransaction
from app.models.processing import DocumentForm, DossierDocument
from app.payments import sandbox, service, tasks
from app.payments.errors import PaymentsOff
from app.payments.gateway import SANDBOX_TMN_CODE, VnpayGateway, sandbox_secret
from app.processing.rules import Action
from app.storage import FileStorage
from tests.fixtures.processing import Desk, act, event_types, file_dossier
from tests.payments.conftest import Payer, browse_as, dossier_of, post_form, takes_fees

pytestmark = pytest.mark.usefixtures("desk")


def _sign(params: dict[str, str], secret: str) -> dict[str, str]:
    """VNPAY's rule written again here: sorted, urlencode'd, HMAC-SHA512."""
    data = "&".join(
        f"{quote_plus(k, safe='')}={quote_plus(v, safe='')}" for k, v in sorted(params.items())
    )
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()
    return {**params, "vnp_SecureHash": digest}


def _ipn(settings: Settings, reference: str, amount: int, **extra: str) -> dict[str, str]:
    params = {
        "vnp_TmnCode": SANDBOX_TMN_CODE,
        "vnp_Amount": str(amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": "x",
        "vnp_PayDate": "20261124153000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14999999",
        "vnp_TxnRef": reference,
        **extra,
    }
    return _sign(params, sandbox_secret(settings))


async def _payment(session: AsyncSession, reference: str) -> Payment:
    session.expire_all()
    found = await session.scalar(select(Payment).where(Payment.reference == reference))
    assert found is not None
    return found


async def _notices(session: AsyncSession, reference: str) -> list[tuple[str, bool, str]]:
    payment = await _payment(session, reference)
    rows = await session.execute(
        select(PaymentNotice.source, PaymentNotice.valid, PaymentNotice.outcome)
        .where(PaymentNotice.payment_id == payment.id)
        .order_by(PaymentNotice.id)
    )
    return [(source, valid, outcome) for source, valid, outcome in rows]


async def test_a_citizen_pays_through_the_sandbox_and_the_dossier_goes_on(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    payer: Payer,
    owed: str,
) -> None:
    browse_as(client, payer.session_cookie)
    page = await client.get(f"/ho-so/{owed}")
    assert page.status_code == 200
    assert "Thanh toán trực tuyến" in page.text and "50.000" in page.text

    started = await post_form(client, f"/ho-so/{owed}/thanh-toan")
    assert started.status_code == 303
    gateway_url = started.headers["location"]
    parts = urlsplit(gateway_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "http://testserver/sandbox-gateway/paymentv2/vpcpay.html"
    )
    params = dict(parse_qsl(parts.query))
    assert params["vnp_Amount"] == "5000000" and params["vnp_Version"] == "2.1.0"
    reference = params["vnp_TxnRef"]

    # A forged redirect (one đồng more) is refused by the sandbox.
    forged = gateway_url.replace("vnp_Amount=5000000", "vnp_Amount=5000100")
    refused = await client.get(forged)
    assert refused.status_code == 400 and "vnp_SecureHash" in refused.text

    sandbox_page = await client.get(gateway_url)
    assert sandbox_page.status_code == 200
    assert "CỔNG THANH TOÁN THỬ NGHIỆM" in sandbox_page.text and reference in sandbox_page.text

    paid = await post_form(
        client,
        "/sandbox-gateway/paymentv2/decide",
        {"txn_ref": reference, "bank": "NCB", "action": "pay"},
    )
    assert paid.status_code == 303
    back = paid.headers["location"]
    assert back.startswith("http://testserver/thanh-toan/vnpay/ket-qua?")

    # The IPN went to the portal in the background: the payment settled and the dossier
    # left status 6 for processing, its receipt (form 01) and its fee receipt issued.
    payment = await _payment(db_session, reference)
    assert payment.state == "paid" and payment.gateway_transaction_no
    assert payment.bank_code == "NCB"
    assert await _notices(db_session, reference) == [("ipn", True, "settled_paid")]
    dossier = await dossier_of(db_session, owed)
    assert dossier.status == Status.received and dossier.due_at is not None
    events = await event_types(db_session, owed)
    assert "payment.succeeded" in events and events[-1] == "dossier.received"
    txn = await db_session.scalar(
        select(SandboxTransaction).where(SandboxTransaction.txn_ref == reference)
    )
    assert txn is not None and txn.state == "paid"

    returned = await client.get(back)
    assert returned.status_code == 200
    assert "Đã nhận khoản thanh toán 50.000" in returned.text
    assert ("return", True, "shown") in await _notices(db_session, reference)

    # The receipt: on the dossier's page, signed by the agency and valid.
    page = await client.get(f"/ho-so/{owed}")
    assert "Biên lai điện tử (PDF)" in page.text
    assert "Thanh toán trực tuyến</button>" not in page.text
    document = await db_session.scalar(
        select(DossierDocument).where(
            DossierDocument.id == payment.receipt_document_id,
            DossierDocument.form == DocumentForm.payment_receipt.value,
        )
    )
    assert document is not None and document.signed
    download = await client.get(f"/ho-so/{owed}/van-ban/{document.reference}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    report = await documents.verify_pdf(db_session, download.content)
    assert report.signatures and all(s.valid and s.intact for s in report.signatures)

    # The same IPN again: already confirmed, nothing changes.
    again = await client.get("/thanh-toan/vnpay/ipn", params=dict(parse_qsl(urlsplit(back).query)))
    assert again.json() == {"RspCode": "02", "Message": "Order already confirmed"}
    assert (await _payment(db_session, reference)).row_version == payment.row_version


async def test_forged_ipns_change_nothing(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    payer: Payer,
    owed: str,
) -> None:
    started = await service.start_payment(db_session, settings, payer.applicant, owed)
    reference = started.payment.reference

    async def ipn(params: dict[str, str]) -> Any:
        response = await client.get("/thanh-toan/vnpay/ipn", params=params)
        assert response.status_code == 200
        return response.json()

    good = _ipn(settings, reference, 50_000)
    assert await ipn({**good, "vnp_SecureHash": "0" * 128}) == {
        "RspCode": "97",
        "Message": "Invalid signature",
    }
    assert (await ipn(_sign({**good, "vnp_TmnCode": "OTHER"}, sandbox_secret(settings))))[
        "RspCode"
    ] == "97"
    assert (await ipn(_ipn(settings, reference, 50_000, vnp_TxnRef="NOSUCHORDER")))[
        "RspCode"
    ] == "01"
    assert await ipn(_ipn(settings, reference, 49_000)) == {
        "RspCode": "04",
        "Message": "invalid amount",
    }
    assert (await ipn({"vnp_TxnRef": reference}))["RspCode"] == "97"
    assert (await ipn({}))["RspCode"] == "97"
    # Nothing moved: still pending, the dossier still owes.
    assert (await _payment(db_session, reference)).state == "pending"
    assert (await dossier_of(db_session, owed)).status == Status.payment_required
    assert "payment.succeeded" not in await event_types(db_session, owed)
    notices = await _notices(db_session, reference)
    assert [n[2] for n in notices] == ["bad_hash", "bad_hash", "bad_amount", "bad_hash"]

    assert await ipn(good) == {"RspCode": "00", "Message": "Confirm Success"}
    assert (await dossier_of(db_session, owed)).status == Status.received
    # Replayed: already confirmed, and a later forged failure changes nothing either.
    assert (await ipn(good))["RspCode"] == "02"
    failed = _ipn(settings, reference, 50_000, vnp_ResponseCode="24", vnp_TransactionStatus="02")
    assert (await ipn(failed))["RspCode"] == "02"
    assert (await _payment(db_session, reference)).state == "paid"
    unknown = await db_session.scalar(
        select(PaymentNotice).where(PaymentNotice.outcome == "unknown_order")
    )
    assert unknown is not None and unknown.payment_id is None


async def test_the_worker_settles_a_payment_whose_ipn_never_came(
    db_session: AsyncSession,
    client: httpx.AsyncClient,
    settings: Settings,
    storage: FileStorage,
    gateway: VnpayGateway,
    same_session: Any,
    payer: Payer,
    owed: str,
) -> None:
    started = await service.start_payment(db_session, settings, payer.applicant, owed)
    reference = started.payment.reference
    params = dict(parse_qsl(urlsplit(started.redirect_url).query))
    await sandbox.open_order(db_session, settings, params)
    # Paid on the gateway's side; its IPN is lost (never sent).
    await sandbox.decide(db_session, settings, reference, pay=True, bank_code="BIDV")

    # Not due yet: nothing asked.
    assert (
        await tasks.check_pending(same_session, settings, storage, gateway=gateway)
    ).checked == 0
    await db_session.execute(
        update(Payment).where(Payment.reference == reference).values(next_check_at=utcnow())
    )
    report = await tasks.check_pending(same_session, settings, storage, gateway=gateway)
    assert (report.checked, report.settled) == (1, 1)
    payment = await _payment(db_session, reference)
    assert payment.state == "paid" and payment.bank_code == "BIDV"
    assert payment.receipt_document_id is not None
    assert await _notices(db_session, reference) == [("query", True, "settled")]
    assert (await dossier_of(db_session, owed)).status == Status.received


async def test_a_payment_left_unpaid_is_asked_again_later_then_expires(
    db_session: AsyncSession,
    client: httpx.AsyncClient,
    settings: Settings,
    storage: FileStorage,
    gateway: VnpayGateway,
    same_session: Any,
    payer: Payer,
    owed: str,
) -> None:
    started = await service.start_payment(db_session, settings, payer.applicant, owed)
    reference = started.payment.reference
    # Starting again gives the payment still open, not a second one.
    again = await service.start_payment(db_session, settings, payer.applicant, owed)
    assert again.payment.reference == reference
    await sandbox.open_order(
        db_session, settings, dict(parse_qsl(urlsplit(started.redirect_url).query))
    )
    await db_session.execute(
        update(Payment).where(Payment.reference == reference).values(next_check_at=utcnow())
    )
    report = await tasks.check_pending(same_session, settings, storage, gateway=gateway)
    assert (report.checked, report.later) == (1, 1)
    payment = await _payment(db_session, reference)
    assert payment.state == "pending" and payment.check_count == 1
    assert payment.next_check_at is not None

    # Past its expiry, the gateway still says not completed: expired.
    await db_session.execute(
        update(Payment)
        .where(Payment.reference == reference)
        .values(next_check_at=utcnow(), expires_at=utcnow())
    )
    report = await tasks.check_pending(same_session, settings, storage, gateway=gateway)
    assert report.expired == 1
    assert (await _payment(db_session, reference)).state == "expired"
    assert (await dossier_of(db_session, owed)).status == Status.payment_required


async def test_a_cancelled_payment_is_told_and_can_be_paid_again(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    payer: Payer,
    owed: str,
) -> None:
    browse_as(client, payer.session_cookie, "en")
    started = await post_form(client, f"/ho-so/{owed}/thanh-toan")
    url = started.headers["location"]
    reference = dict(parse_qsl(urlsplit(url).query))["vnp_TxnRef"]
    assert (await client.get(url)).status_code == 200
    cancelled = await post_form(
        client, "/sandbox-gateway/paymentv2/decide", {"txn_ref": reference, "action": "cancel"}
    )
    returned = await client.get(cancelled.headers["location"])
    assert "You cancelled the payment" in returned.text
    assert (await _payment(db_session, reference)).state == "cancelled"
    assert "payment.failed" in await event_types(db_session, owed)
    # A new payment can be started.
    again = await post_form(client, f"/ho-so/{owed}/thanh-toan")
    assert dict(parse_qsl(urlsplit(again.headers["location"]).query))["vnp_TxnRef"] != reference


async def test_bad_input_never_gives_a_server_error(
    client: httpx.AsyncClient, payer: Payer, owed: str
) -> None:
    browse_as(client, payer.session_cookie)
    for url in (
        "/thanh-toan/vnpay/ket-qua",
        "/thanh-toan/vnpay/ket-qua?vnp_TxnRef=x&vnp_Amount=abc&vnp_SecureHash=zz",
        "/sandbox-gateway/paymentv2/vpcpay.html",
        "/sandbox-gateway/paymentv2/vpcpay.html?vnp_Amount=-1&vnp_SecureHash=1",
        "/thanh-toan/vnpay/ipn?vnp_TxnRef=" + "x" * 5000,
    ):
        response = await client.get(url)
        assert response.status_code < 500, url
    decide = await post_form(client, "/sandbox-gateway/paymentv2/decide", {"txn_ref": "nope"})
    assert decide.status_code == 404
    api = await client.post(
        "/api/sandbox-gateway/merchant_webapi/api/transaction", content=b"not json"
    )
    assert api.status_code == 200 and api.json()["vnp_ResponseCode"] == "99"
    api = await client.post(
        "/api/sandbox-gateway/merchant_webapi/api/transaction",
        json={"vnp_Command": "querydr", "vnp_TxnRef": "x", "vnp_SecureHash": "00"},
    )
    assert api.json()["vnp_ResponseCode"] == "97"
    # Not owed any more (or not the payer's): back to the dossier, nothing started.
    other = await post_form(client, "/ho-so/000.00.00.H00-000000-0000/thanh-toan")
    assert other.status_code == 404
    assert (await client.get("/ho-so/" + owed, headers={"Cookie": "x=1"})).status_code in (200, 303)


async def test_outbox_and_e_mail_untouched_by_a_forged_notice(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, owed: str
) -> None:
    before = await db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
    response = await client.get("/thanh-toan/vnpay/ipn", params=_ipn(settings, "NOPE", 50_000))
    assert response.json()["RspCode"] == "01"
    after = await db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
    assert before == after


async def test_without_a_gateway_nothing_is_payable_online(
    db_session: AsyncSession, settings: Settings, payer: Payer, owed: str
) -> None:
    off = settings.model_copy(update={"payment_gateway": None})
    fees = await service.fees_of(db_session, payer.applicant, owed, off)
    assert fees.outstanding == 50_000 and not fees.payable_now
    assert (await service.fees_of(db_session, payer.applicant, owed, settings)).payable_now
    with pytest.raises(PaymentsOff):
        await service.start_payment(db_session, off, payer.applicant, owed)
    # The IPN address then knows no gateway (its page answers "01", order not found).
    with pytest.raises(PaymentsOff):
        await service.handle_ipn(db_session, off, None, {})  # type: ignore[arg-type]


async def test_fees_before_the_result_paid_through_the_sandbox_release_the_result(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    payer: Payer,
) -> None:
    await takes_fees(db_session, PaymentStage.before_result)
    code = await file_dossier(db_session, settings, payer.applicant, storage=storage)
    # Nothing to pay before processing.
    assert not (await service.fees_of(db_session, payer.applicant, code)).payable_now
    for role, action in (
        ("receiver", Action.receive),
        ("specialist", Action.forward),
        ("leader", Action.approve),
        ("leader", Action.sign),
        ("clerk", Action.result_ready),
    ):
        await act(db_session, settings, storage, desk[role], code, action)
    assert (await dossier_of(db_session, code)).status == Status.payment_required

    browse_as(client, payer.session_cookie)
    started = await post_form(client, f"/ho-so/{code}/thanh-toan")
    url = started.headers["location"]
    reference = dict(parse_qsl(urlsplit(url).query))["vnp_TxnRef"]
    assert (await client.get(url)).status_code == 200
    await post_form(
        client,
        "/sandbox-gateway/paymentv2/decide",
        {"txn_ref": reference, "bank": "AGRIBANK", "action": "pay"},
    )
    assert (await _payment(db_session, reference)).stage == PaymentStage.before_result
    assert (await dossier_of(db_session, code)).status == Status.result_ready
    assert (await event_types(db_session, code))[-2:] == [
        "payment.succeeded",
        "dossier.result_ready",
    ]
