"""Refunds by an agency's leader or its API key, through the gateway's refund API; the daily
reconciliation with a planted mismatch of each kind; the officials' pages; the API of fees,
payments and receipts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.kit.clock import utcnow
from app.models.outbox import OutboxMessage
from app.models.payments import Payment, PaymentRefund, PaymentState, SandboxTransaction
from app.models.webhooks import WebhookEvent
from app.payments import sandbox, service, tasks
from app.payments.errors import CannotRefund, RefundInvalid
from app.payments.gateway import SANDBOX_TMN_CODE, VnpayGateway
from app.processing.rules import Action
from app.processing.schemas import Actor
from app.storage import FileStorage
from app.web.security import sign
from tests.api.dossier_helpers import agency_key, bearer, enterprise_key
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.processing import Desk, act, file_dossier
from tests.payments.conftest import Payer, browse_as, dossier_of, post_form, takes_fees

pytestmark = pytest.mark.usefixtures("desk")


async def _paid(
    session: AsyncSession, settings: Settings, storage: FileStorage, applicant: Applicant, code: str
) -> str:
    """Pay what the dossier owes through the sandbox (its IPN handled); the payment's reference."""
    started = await service.start_payment(session, settings, applicant, code)
    await sandbox.open_order(
        session, settings, dict(parse_qsl(urlsplit(started.redirect_url).query))
    )
    decided = await sandbox.decide(
        session, settings, started.payment.reference, pay=True, bank_code="NCB"
    )
    answer = await service.handle_ipn(session, settings, storage, decided.ipn)
    assert answer["RspCode"] == "00"
    return started.payment.reference


async def _official_cookie(session: AsyncSession, actor: Actor) -> str:
    assert actor.account_id is not None
    started = await accounts.start_session(session, actor.account_id)
    return sign(TEST_SECRET_KEY, "session", started.token)


async def _payment(session: AsyncSession, reference: str) -> Payment:
    session.expire_all()
    found = await session.scalar(select(Payment).where(Payment.reference == reference))
    assert found is not None
    return found


async def _refund_jobs(session: AsyncSession, reference: str) -> list[dict[str, Any]]:
    """The refund jobs of one payment not yet done (others' tests may have left theirs)."""
    payment = await _payment(session, reference)
    refunds = set(
        await session.scalars(
            select(PaymentRefund.id).where(PaymentRefund.payment_id == payment.id)
        )
    )
    rows = await session.scalars(
        select(OutboxMessage.payload)
        .where(OutboxMessage.kind == service.REFUND_JOB, OutboxMessage.done_at.is_(None))
        .order_by(OutboxMessage.id)
    )
    return [dict(p) for p in rows if p.get("refund_id") in refunds]


async def test_a_leader_refunds_part_then_the_rest_and_the_payer_is_told(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    gateway: VnpayGateway,
    same_session: Any,
    desk: Desk,
    payer: Payer,
    owed: str,
) -> None:
    reference = await _paid(db_session, settings, storage, payer.applicant, owed)
    leader = await _official_cookie(db_session, desk["leader"])
    receiver = await _official_cookie(db_session, desk["receiver"])

    browse_as(client, leader)
    listed = await client.get("/can-bo/thanh-toan", params={"trang-thai": "paid"})
    assert listed.status_code == 200 and reference in listed.text
    page = await client.get(f"/can-bo/thanh-toan/{reference}")
    assert (
        page.status_code == 200 and "Lý do hoàn tiền" in page.text and "settled_paid" in page.text
    )

    # Field-level refusals: nothing kept.
    url = f"/can-bo/thanh-toan/{reference}/hoan-tien"
    wrong = await post_form(client, url, {"amount": "60.000", "reason": ""})
    assert wrong.status_code == 422
    assert (
        "Hãy nêu lý do hoàn tiền" in wrong.text
        and "Số tiền hoàn phải từ 1 đến 50.000" in wrong.text
    )
    assert (await post_form(client, url, {"amount": "abc", "reason": "x"})).status_code == 422
    assert await _refund_jobs(db_session, reference) == []

    # Not a leader: no such page.
    browse_as(client, receiver)
    assert (await post_form(client, url, {"reason": "x"})).status_code == 404
    assert "Lý do hoàn tiền" not in (await client.get(f"/can-bo/thanh-toan/{reference}")).text

    browse_as(client, leader)
    asked = await post_form(client, url, {"amount": "20.000", "reason": "Hồ sơ bị dừng xử lý"})
    assert asked.status_code == 303
    jobs = await _refund_jobs(db_session, reference)
    assert len(jobs) == 1
    assert await tasks.send_refund(same_session, settings, jobs[0], gateway=gateway) == "done"
    payment = await _payment(db_session, reference)
    assert payment.state == PaymentState.partially_refunded and payment.refunded_amount == 20_000
    txn = await db_session.scalar(
        select(SandboxTransaction).where(
            SandboxTransaction.merchant == SANDBOX_TMN_CODE, SandboxTransaction.txn_ref == reference
        )
    )
    assert txn is not None and txn.refunded_amount == 20_000 and txn.state == "partially_refunded"
    # Sent again (a retried job): nothing more.
    assert await tasks.send_refund(same_session, settings, jobs[0], gateway=gateway) == "skipped"
    mails = await db_session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.kind == "email")
    )
    assert any("Hoàn tiền" in str(m.get("subject", "")) and "20.000" in str(m) for m in mails)
    events = await db_session.scalars(
        select(WebhookEvent.type).where(WebhookEvent.dossier_code == owed)
    )
    assert "payment.refunded" in list(events)

    # The rest, with an agency's API key.
    raw = await agency_key(db_session)
    body = {"reason": "Hoàn phần còn lại"}
    headers = bearer(raw, **{"Idempotency-Key": "refund-1"})
    first = await client.post(f"/api/v1/payments/{reference}/refunds", json=body, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["refunds"][-1]["amount"] == 30_000
    replay = await client.post(f"/api/v1/payments/{reference}/refunds", json=body, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    # One more job (the first is only marked done by the worker's drain, not run here).
    jobs = await _refund_jobs(db_session, reference)
    assert len(jobs) == 2
    assert await tasks.send_refund(same_session, settings, jobs[-1], gateway=gateway) == "done"
    assert (await _payment(db_session, reference)).state == PaymentState.refunded
    more = await client.post(
        f"/api/v1/payments/{reference}/refunds", json={"reason": "x"}, headers=bearer(raw)
    )
    assert more.status_code == 409 and more.json()["code"] == "cannot_refund"
    detail = (await client.get(f"/api/v1/payments/{reference}", headers=bearer(raw))).json()
    assert [r["state"] for r in detail["refunds"]] == ["done", "done"]
    assert {n["source"] for n in detail["notices"]} == {"ipn", "refund"}


async def test_refunds_are_checked(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    payer: Payer,
    owed: str,
) -> None:
    leader = service.Refunder(agency_id=desk["leader"].agency_id, label="t", name="Lãnh đạo")
    started = await service.start_payment(db_session, settings, payer.applicant, owed)
    with pytest.raises(CannotRefund):
        await service.request_refund(db_session, leader, started.payment.reference, None, "x")
    await db_session.execute(
        update(Payment)
        .where(Payment.reference == started.payment.reference)
        .values(state="expired")
    )
    reference = await _paid(db_session, settings, storage, payer.applicant, owed)
    with pytest.raises(RefundInvalid) as refused:
        await service.request_refund(db_session, leader, reference, 0, " ")
    assert {p.location for p in refused.value.problems} == {"amount", "reason"}
    # Another agency's leader does not find it.
    other = service.Refunder(agency_id=desk.outsider.agency_id, label="o", name="Tỉnh")
    with pytest.raises(service.PaymentNotFound):
        await service.request_refund(db_session, other, reference, None, "x")
    payment = await _payment(db_session, reference)
    found = select(PaymentRefund.id).where(PaymentRefund.payment_id == payment.id)
    assert await db_session.scalar(found) is None


async def test_reconciliation_finds_each_planted_mismatch(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    same_session: Any,
    desk: Desk,
    payer: Payer,
    owed: str,
) -> None:
    agreed = await _paid(db_session, settings, storage, payer.applicant, owed)
    dossier = await dossier_of(db_session, owed)
    assert dossier.agency_id is not None
    now = utcnow()
    # Paid on the portal, never at the gateway.
    db_session.add(
        Payment(
            reference="PLANTEDPORTAL1",
            dossier_id=dossier.id,
            agency_id=dossier.agency_id,
            stage="before_processing",
            gateway="sandbox",
            amount=30_000,
            state=PaymentState.paid,
            created_at=now,
            expires_at=now + timedelta(minutes=15),
            paid_at=now,
        )
    )
    # Paid at the gateway, unknown to the portal.
    db_session.add(
        SandboxTransaction(
            merchant=SANDBOX_TMN_CODE,
            txn_ref="PLANTEDGATEWAY1",
            amount=70_000,
            return_url="http://testserver/",
            state="paid",
            transaction_no="99999991",
            create_date="20260101000000",
            pay_date=now,
        )
    )
    await db_session.flush()
    today = now.astimezone(ZoneInfo(settings.time_zone)).date()
    report = await tasks.reconcile(same_session, settings, today)
    mine = {m.reference: m for m in report.mismatches}
    assert agreed not in mine
    assert mine["PLANTEDPORTAL1"].problem == "missing_at_gateway"
    assert mine["PLANTEDGATEWAY1"].problem == "missing_at_portal"
    assert mine["PLANTEDGATEWAY1"].gateway == 70_000
    assert report.portal_count >= 2 and report.gateway_count >= 2

    # The gateway's amount differs: found on the next run, which replaces the day's report.
    await db_session.execute(
        update(SandboxTransaction).where(SandboxTransaction.txn_ref == agreed).values(amount=40_000)
    )
    again = await tasks.reconcile(same_session, settings, today)
    assert again.id == report.id
    changed = {m.reference: m for m in again.mismatches}[agreed]
    assert (changed.problem, changed.portal, changed.gateway) == ("amount", 50_000, 40_000)

    # The officials' pages: leaders and administrators only.
    browse_as(client, await _official_cookie(db_session, desk["leader"]))
    listed = await client.get("/can-bo/doi-soat")
    assert listed.status_code == 200 and f"/can-bo/doi-soat/{report.id}" in listed.text
    shown = await client.get(f"/can-bo/doi-soat/{report.id}")
    assert "Số tiền không khớp" in shown.text and "PLANTEDPORTAL1" in shown.text
    csv = await client.get(f"/can-bo/doi-soat/{report.id}.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert f"{agreed},amount,50000,40000" in csv.text
    browse_as(client, await _official_cookie(db_session, desk["receiver"]))
    assert (await client.get("/can-bo/doi-soat")).status_code == 404
    assert (await client.get("/can-bo/doi-soat/999999")).status_code == 404


async def test_the_api_gives_fees_payments_and_receipts(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
) -> None:
    await takes_fees(db_session)
    raw = await enterprise_key(db_session, "5390123451")
    applicant = await dossiers.applicant_for_enterprise(db_session, "5390123451")
    code = await file_dossier(db_session, settings, applicant, storage=storage)
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)

    fees = await client.get(f"/api/v1/dossiers/{code}/fees", headers=bearer(raw))
    assert fees.status_code == 200, fees.text
    body = fees.json()
    assert (body["total"], body["outstanding"], body["payable_now"]) == (50_000, 50_000, True)
    assert body["stage"] == "before_processing" and body["lines"][0]["code"] == "LP"

    headers = bearer(raw, **{"Idempotency-Key": "pay-1"})
    started = await client.post(f"/api/v1/dossiers/{code}/payments", headers=headers)
    assert started.status_code == 201, started.text
    redirect = started.json()["redirect_url"]
    assert redirect.startswith("http://testserver/sandbox-gateway/paymentv2/vpcpay.html?")
    replay = await client.post(f"/api/v1/dossiers/{code}/payments", headers=headers)
    assert replay.json() == started.json() and replay.headers["Idempotent-Replayed"] == "true"
    reference = started.json()["payment"]["reference"]
    listed = await client.get(f"/api/v1/dossiers/{code}/payments", headers=bearer(raw))
    assert [p["reference"] for p in listed.json()["items"]] == [reference]
    early = await client.get(
        f"/api/v1/dossiers/{code}/payments/{reference}/receipt", headers=bearer(raw)
    )
    assert early.status_code == 404 and early.json()["code"] == "receipt_not_ready"

    await sandbox.open_order(db_session, settings, dict(parse_qsl(urlsplit(redirect).query)))
    decided = await sandbox.decide(db_session, settings, reference, pay=True, bank_code="NCB")
    ipn = await client.get("/thanh-toan/vnpay/ipn", params=decided.ipn)
    assert ipn.json()["RspCode"] == "00"
    one = await client.get(f"/api/v1/dossiers/{code}/payments/{reference}", headers=bearer(raw))
    assert one.json()["state"] == "paid" and one.json()["receipt"]
    receipt = await client.get(
        f"/api/v1/dossiers/{code}/payments/{reference}/receipt", headers=bearer(raw)
    )
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF-")
    assert receipt.headers["content-type"] == "application/pdf"
    nothing = await client.post(f"/api/v1/dossiers/{code}/payments", headers=bearer(raw))
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_pay"

    agency = await agency_key(db_session)
    page = await client.get("/api/v1/payments", params={"state": "paid"}, headers=bearer(agency))
    assert reference in [p["reference"] for p in page.json()["items"]]
    by_agency = await client.get(
        f"/api/v1/dossiers/{code}/payments/{reference}/receipt", headers=bearer(agency)
    )
    assert by_agency.status_code == 200
    day = datetime.now(ZoneInfo(settings.time_zone)).date() - timedelta(days=3)
    empty = await client.get(
        "/api/v1/payments", params={"day": day.isoformat()}, headers=bearer(agency)
    )
    assert empty.json()["items"] == []
    bad = await client.get("/api/v1/payments", params={"cursor": "zzz"}, headers=bearer(agency))
    assert bad.status_code == 422
    other = await client.get(f"/api/v1/dossiers/{code}/fees", headers=bearer(agency))
    assert other.status_code == 403


async def test_the_national_record_says_the_fees_were_paid_online(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    payer: Payer,
    owed: str,
) -> None:
    from app.webhooks import national

    assert (await national.record_of(db_session, owed, settings))["DuocThanhToanTrucTuyen"] == "0"
    await _paid(db_session, settings, storage, payer.applicant, owed)
    record = await national.record_of(db_session, owed, settings)
    assert record["DuocThanhToanTrucTuyen"] == "1"
    assert record["TrangThaiHoSo"] == "2"


async def test_the_officials_pages_refuse_bad_input_with_a_message(
    client: httpx.AsyncClient, db_session: AsyncSession, desk: Desk
) -> None:
    cookie = await _official_cookie(db_session, desk["leader"])
    browse_as(client, cookie)
    wrong = await client.get("/can-bo/thanh-toan", params={"trang-thai": "x", "ngay": "31/02/2026"})
    assert wrong.status_code == 422
    assert "Trạng thái không hợp lệ" in wrong.text and "Ngày không hợp lệ" in wrong.text
    for url in (
        "/can-bo/thanh-toan?sau=%00%01",
        "/can-bo/thanh-toan?sau=not-a-cursor",
        "/can-bo/thanh-toan/" + "x" * 300,
        "/can-bo/thanh-toan/NOSUCH",
        "/can-bo/doi-soat/abc",
        "/can-bo/doi-soat/99999999999999999999999",
    ):
        response = await client.get(url)
        assert 400 <= response.status_code < 500, (url, response.status_code)
    refused = await post_form(client, "/can-bo/thanh-toan/NOSUCH/hoan-tien", {"reason": "x"})
    assert refused.status_code == 404
    browse_as(client, cookie, "en")
    english = await client.get("/can-bo/thanh-toan", params={"ngay": "x"})
    assert english.status_code == 422 and "Not a date" in english.text
