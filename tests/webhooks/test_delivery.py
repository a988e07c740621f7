"""The delivery engine against a real local receiver: signed callbacks of dossiers submitted
and received through the real services, order per dossier, the retry schedule, disabling."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.kit.clock import aware, utcnow
from app.models.outbox import OutboxMessage
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.processing.rules import Action
from app.storage import FileStorage
from app.webhooks import delivery, service
from app.webhooks.schemas import Owner, SubscriptionChanges
from tests.fixtures.processing import Desk, act, file_dossier
from tests.outbox.helpers import same_session
from tests.webhooks.conftest import Receiver, subscribe


def _types(requests: list[object]) -> list[str]:
    return [json.loads(r.body)["type"] for r in requests]  # type: ignore[attr-defined]


async def _deliveries(session: AsyncSession, subscription: str) -> list[WebhookDelivery]:
    rows = await session.scalars(
        select(WebhookDelivery)
        .join(WebhookSubscription)
        .where(WebhookSubscription.reference == subscription)
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _move_clock(monkeypatch: pytest.MonkeyPatch, to: datetime) -> None:
    monkeypatch.setattr(delivery, "utcnow", lambda: to)


async def test_a_submitted_and_received_dossier_reaches_the_receiver_signed(
    db_session: AsyncSession,
    hook_settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
) -> None:
    _id, secret = await subscribe(db_session, hook_settings, agency_owner, receiver.url)
    code = await file_dossier(db_session, hook_settings, applicant)
    await act(db_session, hook_settings, storage, desk["receiver"], code, Action.receive)

    report = await delivery.deliver_due(same_session(db_session), hook_settings)

    assert report.delivered == 2 and report.retried == report.failed == 0
    calls = receiver.bodies_of(code)
    assert _types(calls) == ["dossier.submitted", "dossier.received"]
    for call in calls:
        assert call.headers["content-type"] == "application/json"
        assert call.headers["user-agent"] == "motcua-webhooks"
        event = Webhook(secret).verify(call.body, call.headers)
        assert event["id"] == call.headers["webhook-id"] and event["id"].startswith("msg_")
        assert event["data"]["dossier_code"] == code
    received = json.loads(calls[1].body)["data"]
    assert received["status"] == 2 and received["status_name"] == "Được tiếp nhận"
    assert received["action"] == "received"
    assert received["sequence"] > json.loads(calls[0].body)["data"]["sequence"]
    # Nothing is due any more.
    assert (await delivery.deliver_due(same_session(db_session), hook_settings)).delivered == 0


async def test_the_events_of_a_dossier_arrive_in_order_after_the_receiver_recovers(
    db_session: AsyncSession,
    hook_settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription, secret = await subscribe(db_session, hook_settings, agency_owner, receiver.url)
    code = await file_dossier(db_session, hook_settings, applicant)
    await act(db_session, hook_settings, storage, desk["receiver"], code, Action.receive)
    receiver.status = lambda _r: 503

    report = await delivery.deliver_due(same_session(db_session), hook_settings)

    # The second event waits behind the first, which waits for its retry.
    assert report.retried == 1 and report.delivered == 0
    assert _types(receiver.requests) == ["dossier.submitted"]
    first, second = await _deliveries(db_session, subscription)
    assert first.attempts == 1 and first.last_status == 503 and second.attempts == 0

    receiver.status = lambda _r: 200
    _move_clock(monkeypatch, utcnow() + timedelta(minutes=1))
    report = await delivery.deliver_due(same_session(db_session), hook_settings)

    assert report.delivered == 2
    assert _types(receiver.requests) == ["dossier.submitted"] * 2 + ["dossier.received"]
    # The retry carries the same webhook-id, signed again.
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    for call in receiver.requests:
        Webhook(secret).verify(call.body, call.headers)
    assert [d.state for d in await _deliveries(db_session, subscription)] == ["delivered"] * 2


async def test_a_failing_delivery_follows_the_schedule_then_fails(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription, _secret = await subscribe(
        db_session, hook_settings, agency_owner, receiver.url, event_types=["dossier.submitted"]
    )
    await file_dossier(db_session, hook_settings, applicant)
    receiver.status = lambda _r: 500
    now = utcnow()
    waits = []
    for attempt in range(1, 9):
        _move_clock(monkeypatch, now)
        await delivery.deliver_due(same_session(db_session), hook_settings)
        (row,) = await _deliveries(db_session, subscription)
        assert row.attempts == attempt
        if attempt < 8:
            assert row.state == "pending"
            waits.append(aware(row.next_attempt_at) - now)
            now = aware(row.next_attempt_at)
    assert row.state == "failed" and row.finished_at is not None and row.last_status == 500
    for wait, planned in zip(waits, delivery.SCHEDULE[1:], strict=True):
        assert planned * 0.9 <= wait <= planned * 1.1
    assert len(receiver.requests) == 8
    assert sum(delivery.SCHEDULE, timedelta()) > timedelta(hours=24)


async def test_gone_disables_the_subscription_until_it_is_enabled(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
) -> None:
    subscription, _secret = await subscribe(
        db_session, hook_settings, agency_owner, receiver.url, contact_email="ops@example.vn"
    )
    code = await file_dossier(db_session, hook_settings, applicant)
    receiver.status = lambda _r: 410

    report = await delivery.deliver_due(same_session(db_session), hook_settings)

    assert report.disabled == 1
    out = await service.get_subscription(db_session, agency_owner, subscription)
    assert not out.enabled and out.disabled_reason == service.GONE
    assert out.disabled_reason_en is not None and "410 Gone" in out.disabled_reason_en
    assert out.disabled_reason_vi is not None and "410 Gone" in out.disabled_reason_vi
    (row,) = await _deliveries(db_session, subscription)
    assert row.state == "pending" and row.last_status == 410
    await delivery.deliver_due(same_session(db_session), hook_settings)
    assert len(receiver.requests) == 1

    receiver.status = lambda _r: 204
    await service.update_subscription(
        db_session, hook_settings, agency_owner, subscription, SubscriptionChanges(enabled=True)
    )
    report = await delivery.deliver_due(same_session(db_session), hook_settings)
    assert report.delivered == 1 and len(receiver.bodies_of(code)) == 2


async def test_five_days_of_failures_disable_and_tell_the_owner(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription, _secret = await subscribe(
        db_session, hook_settings, agency_owner, receiver.url, contact_email="Ops@Example.vn"
    )
    await file_dossier(db_session, hook_settings, applicant)
    await file_dossier(db_session, hook_settings, applicant)
    receiver.status = lambda _r: 500
    start = utcnow()
    _move_clock(monkeypatch, start)
    await delivery.deliver_due(same_session(db_session), hook_settings)
    out = await service.get_subscription(db_session, agency_owner, subscription)
    assert out.enabled and out.failing_since == start

    _move_clock(monkeypatch, start + timedelta(days=4))
    await delivery.deliver_due(same_session(db_session), hook_settings)
    assert (await service.get_subscription(db_session, agency_owner, subscription)).enabled

    _move_clock(monkeypatch, start + timedelta(days=5, hours=1))
    report = await delivery.deliver_due(same_session(db_session), hook_settings)

    assert report.disabled == 1
    out = await service.get_subscription(db_session, agency_owner, subscription)
    assert not out.enabled and out.disabled_reason == service.FAILING
    mails = list(
        await db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.payload["to"].as_string() == "ops@example.vn")
        )
    )
    assert len(mails) == 1
    body = mails[0].payload["body"]
    assert body.index("đã bị tạm dừng") < body.index("was disabled")
    assert service.DISABLED_REASONS[service.FAILING][0] in body
    assert service.DISABLED_REASONS[service.FAILING][1] in body
    assert receiver.url in body
    # Disabled: nothing is posted any more, nothing is lost.
    sent = len(receiver.requests)
    await delivery.deliver_due(same_session(db_session), hook_settings)
    assert len(receiver.requests) == sent
    assert {d.state for d in await _deliveries(db_session, subscription)} == {"pending"}


async def test_both_secrets_sign_during_a_rotation_and_only_the_new_one_after(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription, old = await subscribe(db_session, hook_settings, agency_owner, receiver.url)
    rotated = await service.rotate_secret(db_session, hook_settings, agency_owner, subscription)
    new = rotated.secret
    assert new != old and new.startswith("whsec_")
    assert rotated.previous_secret_expires_at is not None
    assert (await service.get_secret(db_session, hook_settings, agency_owner, subscription)) == (
        rotated
    )
    await file_dossier(db_session, hook_settings, applicant)
    await delivery.deliver_due(same_session(db_session), hook_settings)
    (during,) = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    later = utcnow() + timedelta(hours=hook_settings.webhook_rotation_hours, minutes=1)
    _move_clock(monkeypatch, later)
    await file_dossier(db_session, hook_settings, applicant)
    await delivery.deliver_due(same_session(db_session), hook_settings)
    after = receiver.requests[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_an_address_refused_at_delivery_is_retried(
    db_session: AsyncSession,
    settings: Settings,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
) -> None:
    subscription, _secret = await subscribe(db_session, hook_settings, agency_owner, receiver.url)
    await file_dossier(db_session, hook_settings, applicant)

    # Without the allowed network (as if the name now resolved to a private address).
    report = await delivery.deliver_due(same_session(db_session), settings)

    assert report.retried == 1 and receiver.requests == []
    detail = await service.get_delivery(
        db_session, agency_owner, subscription, (await _deliveries(db_session, subscription))[0].id
    )
    assert detail.state == "pending" and detail.last_error is not None
    assert detail.last_error.startswith("address refused")
    (attempt,) = detail.attempt_log
    assert attempt.status_code is None and attempt.error == detail.last_error


async def test_a_stop_abandons_the_posts_under_way_and_frees_their_leases_at_once(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
) -> None:
    subscription, _secret = await subscribe(db_session, hook_settings, agency_owner, receiver.url)
    codes = [await file_dossier(db_session, hook_settings, applicant) for _ in range(2)]
    arrived, answer = threading.Semaphore(0), threading.Event()

    def slow(_r: object) -> int:
        arrived.release()
        answer.wait(30)
        return 204

    receiver.status = slow
    stop = asyncio.Event()
    draining = asyncio.create_task(
        delivery.deliver_due(same_session(db_session), hook_settings, stop=stop)
    )
    try:
        for _ in codes:
            assert await asyncio.to_thread(arrived.acquire, True, 30)
        # Both posts are held by the receiver: the worker is told to stop (SIGTERM).
        stop.set()
        report = await draining
    finally:
        answer.set()

    assert report.delivered == report.retried == report.failed == 0
    rows = await _deliveries(db_session, subscription)
    assert len(rows) == 2
    for row in rows:
        assert row.state == "pending" and row.attempts == 0
        assert row.lease_token is None and row.leased_until is None
    # Free at once, not when the lease runs out: the next drain posts them again.
    receiver.status = lambda _r: 204
    assert (await delivery.deliver_due(same_session(db_session), hook_settings)).delivered == 2
    for code in codes:
        assert len(receiver.bodies_of(code)) == 2
