"""Callbacks: events written in the caller's transaction (an event exists, and is delivered to
the subscribers, only if the change it tells is committed), and the subscriptions of
enterprises and agencies, managed through their API keys or their pages.

Every operation on subscriptions takes an ``Owner``: the API builds it from the key
(``owner_of_key``), the pages from the signed-in enterprise member or agency administrator.
The operator's command (``motcua webhooks``) passes ``OPERATOR`` to those that accept it, and
reaches every subscription, the national portal's sink too.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.errors import EnterpriseNotFound
from app.accounts.schemas import ApiPrincipal
from app.config import Settings
from app.dossiers.schemas import STATUS_LABELS
from app.errors import InvalidInput, InvalidPageCursor, Problem, ProblemList
from app.forms.identifiers import is_email
from app.kit import sealing
from app.kit.clock import aware, utcnow
from app.kit.pagination import PAGE_MAX, InvalidCursor, decode_cursor, encode_cursor
from app.models.accounts import OfficialRole
from app.models.dossiers import Dossier, EventKind
from app.models.webhooks import (
    DeliveryState,
    PayloadFormat,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.outbox import mail
from app.outbox import service as outbox
from app.webhooks import repository, signing
from app.webhooks.addresses import AddressRefused, check_url
from app.webhooks.errors import (
    DeliveryNotFound,
    NoOwner,
    SubscriptionInvalid,
    SubscriptionNotFound,
    VersionMismatch,
)
from app.webhooks.events import EVENT_TYPE_NAMES, EVENT_TYPES, event_type_of
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    EventTypeOut,
    OperatedSubscription,
    Owner,
    ReplayOut,
    SecretOut,
    SubscriptionChanges,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPage,
)

EVENT_MARK = "msg_"
SUBSCRIPTION_MARK = "ep_"
# The most events one replay queues: more would flood the endpoint and the worker at once.
REPLAY_MAX = 10_000
_REPLAY_CHUNK = 1000
MAX_CODE_LENGTH = 20
DELETED = "subscription deleted"
# Whoever runs the portal: every subscription, whatever its owner.
OPERATOR: Owner | None = None
# Why an endpoint is off: the code stored in ``disabled_reason`` (and given by the API), and
# its text in Vietnamese and English.
OWNER, GONE, FAILING = "owner", "gone", "failing"
NOT_CONFIGURED, DUPLICATE = "not_configured", "duplicate"
DISABLED_REASONS: dict[str, tuple[str, str]] = {
    OWNER: ("Chủ sở hữu đã tắt điểm nhận", "Turned off by its owner"),
    GONE: (
        "Điểm nhận trả lời 410 Gone: địa chỉ không còn nhận sự kiện",
        "The endpoint answered 410 Gone: it no longer takes events",
    ),
    FAILING: (
        "Mọi lần gửi đều thất bại trong nhiều ngày liền",
        "Every delivery failed for days on end",
    ),
    NOT_CONFIGURED: (
        "Chưa cấu hình địa chỉ Cổng Dịch vụ công quốc gia (MOTCUA_NATIONAL_PORTAL_URL)",
        "The national portal's address is not configured (MOTCUA_NATIONAL_PORTAL_URL)",
    ),
    DUPLICATE: (
        "Trùng với kênh đồng bộ Cổng Dịch vụ công quốc gia đang dùng",
        "A duplicate of the national portal sink in use",
    ),
}


# --- Events --------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value else None


def dossier_snapshot(dossier: Dossier) -> dict[str, Any]:
    """What a receiver needs to know of the dossier without calling back. The procedure and
    agency must be loaded with it."""
    status_name = STATUS_LABELS[dossier.status][0] if dossier.status is not None else None
    return {
        "dossier_code": dossier.code,
        "status": dossier.status,
        "status_name": status_name,
        "channel": dossier.channel,
        "procedure_code": dossier.procedure.code,
        "agency_code": dossier.agency.code if dossier.agency else None,
        "applicant_type": dossier.applicant_type,
        "submitted_at": _when(dossier.submitted_at),
        "received_at": _when(dossier.received_at),
        "due_at": _when(dossier.due_at),
        "finished_at": _when(dossier.finished_at),
        "returned_at": _when(dossier.returned_at),
        "delivery": dossier.delivery,
    }


def wants(subscription: WebhookSubscription, event: WebhookEvent) -> bool:
    """Whether the subscription's filters let the event through (empty filters: all). The
    national portal's sinks take every dossier event."""
    if subscription.payload_format == PayloadFormat.national_portal.value:
        return event.type.startswith("dossier.")
    return (
        (not subscription.event_types or event.type in subscription.event_types)
        and (
            not subscription.procedure_codes or event.procedure_code in subscription.procedure_codes
        )
        and (not subscription.agency_codes or event.agency_code in subscription.agency_codes)
    )


def _delivery_row(subscription_id: int, event: WebhookEvent, now: datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "event_id": event.id,
        "dossier_code": event.dossier_code or "",
        "state": DeliveryState.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def publish(
    session: AsyncSession, dossier: Dossier, kind: EventKind, at: datetime, data: dict[str, Any]
) -> None:
    """Record the event of a dossier action (``taken`` is published as
    ``dossier.step_completed``, with ``data.action`` naming the action) and queue one delivery
    to each subscription that wants it: its enterprise's, the agencies' that receive or handle
    it, the national portal's."""
    event_type = event_type_of(kind)
    reference = EVENT_MARK + secrets.token_urlsafe(18)
    snapshot = dossier_snapshot(dossier)
    event = WebhookEvent(
        reference=reference,
        type=event_type,
        dossier_code=dossier.code,
        procedure_code=snapshot["procedure_code"],
        agency_code=snapshot["agency_code"],
        # The row version grows with every change of the dossier.
        sequence=dossier.row_version,
        occurred_at=at,
        payload={
            "id": reference,
            "type": event_type,
            "timestamp": aware(at).isoformat(),
            "data": {
                "sequence": dossier.row_version,
                **snapshot,
                **data,
                "action": kind.value,
            },
        },
    )
    await repository.add_event(session, event)
    agencies = {a for a in (dossier.agency_id, dossier.handling_agency_id) if a is not None}
    found = await repository.subscribers(session, dossier.enterprise_id, agencies)
    now = utcnow()
    await repository.add_deliveries(
        session, [_delivery_row(s.id, event, now) for s in found if wants(s, event)]
    )


def event_types() -> list[EventTypeOut]:
    """Every event type a subscription may ask for, with its description."""
    return [
        EventTypeOut(name=t.name, description_vi=t.description_vi, description_en=t.description_en)
        for t in EVENT_TYPES
    ]


# --- Subscriptions -------------------------------------------------------------------------


async def owner_of_key(session: AsyncSession, principal: ApiPrincipal) -> Owner:
    """The enterprise or the agency whose key calls."""
    if principal.agency_id is not None:
        return Owner(agency_id=principal.agency_id)
    if principal.enterprise_tax_code is None:
        raise NoOwner()
    enterprise = await accounts.enterprise_ref(session, principal.enterprise_tax_code)
    if enterprise is None:
        raise EnterpriseNotFound(principal.enterprise_tax_code)
    return Owner(enterprise_id=enterprise.id)


def disabled_reason_text(code: str | None) -> tuple[str | None, str | None]:
    """The Vietnamese and English text of a disabled reason's code (a code not in the table,
    written by an older version, is its own text)."""
    if code is None:
        return None, None
    return DISABLED_REASONS.get(code, (code, code))


def _out(subscription: WebhookSubscription) -> SubscriptionOut:
    def at(value: datetime | None) -> datetime | None:
        return aware(value) if value else None

    reason_vi, reason_en = disabled_reason_text(subscription.disabled_reason)

    return SubscriptionOut(
        id=subscription.reference,
        url=subscription.url,
        description=subscription.description,
        event_types=list(subscription.event_types),
        procedure_codes=list(subscription.procedure_codes),
        agency_codes=list(subscription.agency_codes),
        payload_format=subscription.payload_format,
        contact_email=subscription.contact_email,
        enabled=subscription.enabled,
        disabled_at=at(subscription.disabled_at),
        disabled_reason=subscription.disabled_reason,
        disabled_reason_vi=reason_vi,
        disabled_reason_en=reason_en,
        failing_since=at(subscription.failing_since),
        previous_secret_expires_at=at(subscription.previous_secret_expires_at),
        created_at=aware(subscription.created_at),
        updated_at=aware(subscription.updated_at),
        version=subscription.row_version,
    )


async def _check_url(url: str, settings: Settings, problems: ProblemList) -> str:
    url = url.strip()
    try:
        await check_url(url, settings)
    except AddressRefused as exc:
        problems.add(
            "url",
            f"Địa chỉ nhận sự kiện phải là URL http(s) tới một máy chủ công khai ({exc.args[0]}).",
            f"The URL must be http(s) and reach a public server ({exc.args[0]}).",
        )
    return url


def _check_event_types(names: list[str], problems: ProblemList) -> list[str]:
    unknown = [n for n in names if n not in EVENT_TYPE_NAMES]
    if unknown:
        problems.add(
            "event_types",
            f"Loại sự kiện không có: {', '.join(unknown)}",
            f"Unknown event types: {', '.join(unknown)}",
        )
    return list(dict.fromkeys(names))


def _check_codes(location: str, codes: list[str], problems: ProblemList) -> list[str]:
    cleaned = [c.strip() for c in codes]
    if any(not c or len(c) > MAX_CODE_LENGTH for c in cleaned):
        problems.add(
            location,
            f"Mỗi mã phải có từ 1 đến {MAX_CODE_LENGTH} ký tự",
            f"Each code must have 1 to {MAX_CODE_LENGTH} characters",
        )
    return list(dict.fromkeys(cleaned))


def _check_email(value: str | None, problems: ProblemList) -> str | None:
    email = accounts.normalize_email(value or "")
    if not email:
        return None
    if not is_email(email):
        problems.add("contact_email", "Địa chỉ e-mail không hợp lệ", "Invalid e-mail address")
    return email


def _refuse_if(problems: ProblemList) -> None:
    if problems:
        raise SubscriptionInvalid(problems.items)


async def create_subscription(
    session: AsyncSession, settings: Settings, owner: Owner, form: SubscriptionIn
) -> tuple[SubscriptionOut, str]:
    """A new subscription of the owner, and its signing secret (shown now and by
    ``get_secret``). SubscriptionInvalid lists every wrong field."""
    problems = ProblemList()
    url = await _check_url(form.url, settings, problems)
    event_types_ = _check_event_types(form.event_types, problems)
    procedure_codes = _check_codes("procedure_codes", form.procedure_codes, problems)
    agency_codes = _check_codes("agency_codes", form.agency_codes, problems)
    contact_email = _check_email(form.contact_email, problems)
    _refuse_if(problems)
    secret = signing.new_secret()
    now = utcnow()
    subscription = WebhookSubscription(
        reference=SUBSCRIPTION_MARK + secrets.token_urlsafe(12),
        enterprise_id=owner.enterprise_id,
        agency_id=owner.agency_id,
        url=url,
        description=accounts.single_line(form.description),
        event_types=event_types_,
        procedure_codes=procedure_codes,
        agency_codes=agency_codes,
        payload_format=PayloadFormat.standard.value,
        contact_email=contact_email,
        secret_sealed=sealing.seal(settings.secret_key, secret),
        enabled=True,
        created_at=now,
        updated_at=now,
        row_version=1,
    )
    await repository.add_subscription(session, subscription)
    return _out(subscription), secret


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        (value,) = decode_cursor(cursor, (int,))
    except InvalidCursor as exc:
        raise InvalidPageCursor() from exc
    return int(value)


async def list_subscriptions(
    session: AsyncSession, owner: Owner, cursor: str | None = None, limit: int = 20
) -> SubscriptionPage:
    """The owner's subscriptions in the order they were made, a page at a time."""
    limit = max(1, min(limit, PAGE_MAX))
    rows = await repository.subscriptions_page(session, owner, _after(cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return SubscriptionPage(
        items=[_out(s) for s in rows],
        next_cursor=encode_cursor((rows[-1].id,)) if more else None,
    )


async def _subscription(
    session: AsyncSession,
    owner: Owner | None,
    reference: str,
    expected_version: int | None = None,
) -> WebhookSubscription:
    found = await repository.subscription_of(session, owner, reference)
    if found is None:
        raise SubscriptionNotFound()
    if expected_version is not None and expected_version != found.row_version:
        raise VersionMismatch()
    return found


def mark_changed(subscription: WebhookSubscription) -> None:
    """A new version of the subscription (its ETag changes)."""
    subscription.row_version += 1
    subscription.updated_at = utcnow()


async def every_subscription(session: AsyncSession) -> list[OperatedSubscription]:
    """Every subscription, the national portal's sink too, with its owner and how many of its
    deliveries wait: what the operator looks after."""
    return [
        OperatedSubscription(
            **_out(subscription).model_dump(),
            enterprise_tax_code=tax_code,
            agency_code=agency_code,
            pending=pending,
        )
        for subscription, tax_code, agency_code, pending in await repository.every_subscription(
            session
        )
    ]


async def get_subscription(session: AsyncSession, owner: Owner, reference: str) -> SubscriptionOut:
    """One subscription of the owner; SubscriptionNotFound for another owner's."""
    return _out(await _subscription(session, owner, reference))


def enable(subscription: WebhookSubscription) -> bool:
    """Resume an endpoint (the deliveries that waited for it are due again); whether it was
    off."""
    if subscription.enabled:
        return False
    subscription.enabled = True
    subscription.disabled_at = None
    subscription.disabled_reason = None
    subscription.failing_since = None
    return True


def disable(subscription: WebhookSubscription, reason: str, now: datetime) -> bool:
    """Stop delivering to an endpoint, for ``reason`` (a code of DISABLED_REASONS); its pending
    deliveries wait for it to be enabled. Whether it was on."""
    if not subscription.enabled:
        return False
    subscription.enabled = False
    subscription.disabled_at = now
    subscription.disabled_reason = reason
    return True


async def update_subscription(
    session: AsyncSession,
    settings: Settings,
    owner: Owner,
    reference: str,
    changes: SubscriptionChanges,
    expected_version: int | None = None,
) -> SubscriptionOut:
    """Change the fields given (PATCH); VersionMismatch if ``expected_version`` (If-Match) is
    not the present one. ``enabled`` true resumes a disabled endpoint, false pauses it."""
    subscription = await _subscription(session, owner, reference, expected_version)
    problems = ProblemList()
    if changes.url is not None and changes.url.strip() != subscription.url:
        subscription.url = await _check_url(changes.url, settings, problems)
    if changes.event_types is not None:
        subscription.event_types = _check_event_types(changes.event_types, problems)
    if changes.procedure_codes is not None:
        subscription.procedure_codes = _check_codes(
            "procedure_codes", changes.procedure_codes, problems
        )
    if changes.agency_codes is not None:
        subscription.agency_codes = _check_codes("agency_codes", changes.agency_codes, problems)
    if changes.contact_email is not None:
        subscription.contact_email = _check_email(changes.contact_email, problems)
    if changes.description is not None:
        subscription.description = accounts.single_line(changes.description)
    _refuse_if(problems)
    if changes.enabled is not None:
        _switch(subscription, changes.enabled)
    mark_changed(subscription)
    await session.flush()
    return _out(subscription)


def _switch(subscription: WebhookSubscription, enabled: bool) -> bool:
    """Its owner (or an operator) turns an endpoint on or off; whether it changed."""
    return enable(subscription) if enabled else disable(subscription, OWNER, utcnow())


async def set_enabled(
    session: AsyncSession, owner: Owner | None, reference: str, enabled: bool
) -> SubscriptionOut:
    """Resume (and deliver what waited) or pause an endpoint (any one for OPERATOR)."""
    subscription = await _subscription(session, owner, reference)
    if _switch(subscription, enabled):
        mark_changed(subscription)
        await session.flush()
    return _out(subscription)


async def delete_subscription(
    session: AsyncSession, owner: Owner, reference: str, expected_version: int | None = None
) -> None:
    """Delete a subscription (kept for the log); its pending deliveries fail."""
    subscription = await _subscription(session, owner, reference, expected_version)
    now = utcnow()
    subscription.deleted_at = now
    subscription.enabled = False
    mark_changed(subscription)
    await repository.fail_pending(session, subscription.id, DELETED, now)
    await session.flush()


def _secret_out(settings: Settings, subscription: WebhookSubscription) -> SecretOut:
    return SecretOut(
        secret=sealing.unseal(settings.secret_key, subscription.secret_sealed),
        previous_secret_expires_at=(
            aware(subscription.previous_secret_expires_at)
            if subscription.previous_secret_expires_at
            else None
        ),
    )


async def rotate_secret(
    session: AsyncSession, settings: Settings, owner: Owner, reference: str
) -> SecretOut:
    """A new signing secret; the previous one keeps signing beside it for
    ``webhook_rotation_hours``, so the receiver has time to switch."""
    subscription = await _subscription(session, owner, reference)
    now = utcnow()
    overlap = timedelta(hours=settings.webhook_rotation_hours)
    if overlap:
        subscription.previous_secret_sealed = subscription.secret_sealed
        subscription.previous_secret_expires_at = now + overlap
    else:
        subscription.previous_secret_sealed = None
        subscription.previous_secret_expires_at = None
    subscription.secret_sealed = sealing.seal(settings.secret_key, signing.new_secret())
    mark_changed(subscription)
    await session.flush()
    return _secret_out(settings, subscription)


async def get_secret(
    session: AsyncSession, settings: Settings, owner: Owner, reference: str
) -> SecretOut:
    """The present signing secret of the owner's subscription."""
    return _secret_out(settings, await _subscription(session, owner, reference))


# --- Deliveries ----------------------------------------------------------------------------


def _delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    pending = delivery.state == DeliveryState.pending.value
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event.reference,
        event_type=delivery.event.type,
        dossier_code=delivery.event.dossier_code,
        state=delivery.state,
        attempts=delivery.attempts,
        next_attempt_at=aware(delivery.next_attempt_at) if pending else None,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
        created_at=aware(delivery.created_at),
        finished_at=aware(delivery.finished_at) if delivery.finished_at else None,
    )


def _attempt_out(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        attempted_at=aware(attempt.attempted_at),
        status_code=attempt.status_code,
        duration_ms=attempt.duration_ms,
        error=attempt.error,
        response_snippet=attempt.response_snippet,
    )


def _state_filter(state: str | None) -> str | None:
    if state is None or state in DeliveryState.__members__:
        return state
    raise InvalidInput(
        "Trạng thái không hợp lệ.",
        message_en="Unknown state.",
        problems=[Problem("state", "pending, delivered, failed", "pending, delivered, failed")],
    )


async def list_deliveries(
    session: AsyncSession,
    owner: Owner | None,
    reference: str,
    state: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> DeliveryPage:
    """The deliveries of a subscription (any one for OPERATOR), newest first, optionally only
    those in ``state``."""
    subscription = await _subscription(session, owner, reference)
    limit = max(1, min(limit, PAGE_MAX))
    rows = await repository.deliveries_page(
        session, subscription.id, _state_filter(state), _after(cursor), limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        items=[_delivery_out(d) for d in rows],
        next_cursor=encode_cursor((rows[-1].id,)) if more else None,
    )


async def _delivery(
    session: AsyncSession, owner: Owner | None, reference: str, delivery_id: int
) -> WebhookDelivery:
    subscription = await _subscription(session, owner, reference)
    found = await repository.delivery_of(session, subscription.id, delivery_id)
    if found is None:
        raise DeliveryNotFound()
    return found


async def get_delivery(
    session: AsyncSession, owner: Owner, reference: str, delivery_id: int
) -> DeliveryDetail:
    """One delivery with the event it carries and each of its attempts."""
    delivery = await _delivery(session, owner, reference, delivery_id)
    attempts = await repository.attempts_of(session, delivery.id)
    return DeliveryDetail(
        **_delivery_out(delivery).model_dump(),
        payload=delivery.event.payload,
        attempt_log=[_attempt_out(a) for a in attempts],
    )


async def redeliver(
    session: AsyncSession, owner: Owner | None, reference: str, delivery_id: int
) -> DeliveryOut:
    """Send a delivery's event again, as a new delivery (with the same webhook-id); any
    subscription's for OPERATOR."""
    original = await _delivery(session, owner, reference, delivery_id)
    now = utcnow()
    again = WebhookDelivery(**_delivery_row(original.subscription_id, original.event, now))
    session.add(again)
    await session.flush()
    again.event = original.event
    return _delivery_out(again)


def _owner_of(subscription: WebhookSubscription) -> Owner | None:
    """Whose dossiers the subscription may hear of; None for the national portal's sink,
    which hears of every dossier."""
    if subscription.enterprise_id is not None:
        return Owner(enterprise_id=subscription.enterprise_id)
    if subscription.agency_id is not None:
        return Owner(agency_id=subscription.agency_id)
    return None


async def replay(
    session: AsyncSession, owner: Owner | None, reference: str, since: datetime
) -> ReplayOut:
    """Queue again every event the subscription (any one for OPERATOR) wants since ``since``,
    oldest first, at most REPLAY_MAX of them (``truncated`` then says so: replay again from
    ``until``)."""
    subscription = await _subscription(session, owner, reference)
    whose = _owner_of(subscription)
    now = utcnow()
    after_id, queued, truncated, until = 0, 0, False, None
    while not truncated:
        events = await repository.events_since(session, whose, since, after_id, _REPLAY_CHUNK)
        if not events:
            break
        after_id = events[-1].id
        wanted = [e for e in events if wants(subscription, e)]
        if queued + len(wanted) > REPLAY_MAX:
            wanted, truncated = wanted[: REPLAY_MAX - queued], True
        await repository.add_deliveries(
            session, [_delivery_row(subscription.id, e, now) for e in wanted]
        )
        queued += len(wanted)
        if wanted:
            until = aware(wanted[-1].occurred_at)
    return ReplayOut(queued=queued, limit=REPLAY_MAX, truncated=truncated, until=until)


# --- Disabling (by the owner or by the worker) ---------------------------------------------


async def _recipients(session: AsyncSession, subscription: WebhookSubscription) -> list[str]:
    """Who is told when an endpoint is disabled: its contact, else the enterprise's members,
    else the agency's administrators."""
    if subscription.contact_email:
        return [subscription.contact_email]
    if subscription.enterprise_id is not None:
        return await accounts.enterprise_member_emails(session, subscription.enterprise_id)
    if subscription.agency_id is not None:
        people = await officials.list_officials(session, subscription.agency_id)
        return [p.email for p in people if p.holds(OfficialRole.admin) and not p.disabled]
    return []


async def disable_failing(
    session: AsyncSession, subscription: WebhookSubscription, reason: str, now: datetime
) -> None:
    """Disable an endpoint the worker gave up on (``reason`` GONE or FAILING), and tell its
    owner by e-mail."""
    if not disable(subscription, reason, now):
        return
    mark_changed(subscription)
    reason_vi, reason_en = disabled_reason_text(reason)
    subject = "Điểm nhận sự kiện đã bị tạm dừng / Webhook endpoint disabled"
    body = (
        f"Điểm nhận sự kiện {subscription.url} ({subscription.reference}) đã bị tạm dừng: "
        f"{reason_vi}.\nCác sự kiện chưa gửi được giữ lại và sẽ được gửi khi bạn bật lại điểm"
        " nhận.\n\n"
        f"The webhook endpoint {subscription.url} ({subscription.reference}) was disabled: "
        f"{reason_en}.\nUndelivered events are kept and will be sent once you enable it again.\n"
    )
    for to in await _recipients(session, subscription):
        await outbox.enqueue(session, mail.KIND, mail.email_payload(to, subject, body))
