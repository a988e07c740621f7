"""Every query of webhooks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from app.models.accounts import Enterprise
from app.models.catalog import Agency
from app.models.dossiers import Dossier
from app.models.webhooks import (
    DeliveryState,
    PayloadFormat,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks.schemas import Owner

PENDING = DeliveryState.pending.value
# Core tables: the bulk statements of the delivery engine skip the ORM's bookkeeping.
_deliveries: Table = WebhookDelivery.__table__  # type: ignore[assignment]
_attempts: Table = WebhookAttempt.__table__  # type: ignore[assignment]


async def add_event(session: AsyncSession, event: WebhookEvent) -> None:
    session.add(event)
    await session.flush()


# --- Subscriptions -------------------------------------------------------------------------


async def add_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    session.add(subscription)
    await session.flush()


def _owned(owner: Owner | None) -> Any:
    """The owner's subscriptions; every one, the national portal's too, for None (the
    operator)."""
    if owner is None:
        return true()
    if owner.enterprise_id is not None:
        return WebhookSubscription.enterprise_id == owner.enterprise_id
    return WebhookSubscription.agency_id == owner.agency_id


async def subscription_of(
    session: AsyncSession, owner: Owner | None, reference: str
) -> WebhookSubscription | None:
    """The owner's subscription (not deleted) with this public id."""
    found: WebhookSubscription | None = await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.reference == reference,
            WebhookSubscription.deleted_at.is_(None),
            _owned(owner),
        )
    )
    return found


async def subscriptions_page(
    session: AsyncSession, owner: Owner, after_id: int | None, limit: int
) -> list[WebhookSubscription]:
    """The owner's subscriptions in the order they were made, after ``after_id``."""
    query = select(WebhookSubscription).where(
        WebhookSubscription.deleted_at.is_(None), _owned(owner)
    )
    if after_id is not None:
        query = query.where(WebhookSubscription.id > after_id)
    rows = await session.scalars(query.order_by(WebhookSubscription.id).limit(limit))
    return list(rows)


async def every_subscription(
    session: AsyncSession,
) -> list[tuple[WebhookSubscription, str | None, str | None, int]]:
    """Every subscription not deleted, in the order they were made, with its enterprise's tax
    code, its agency's code and how many of its deliveries are pending."""
    pending = (
        select(func.count())
        .where(
            WebhookDelivery.subscription_id == WebhookSubscription.id,
            WebhookDelivery.state == PENDING,
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(WebhookSubscription, Enterprise.tax_code, Agency.code, pending)
        .outerjoin(Enterprise, Enterprise.id == WebhookSubscription.enterprise_id)
        .outerjoin(Agency, Agency.id == WebhookSubscription.agency_id)
        .where(WebhookSubscription.deleted_at.is_(None))
        .order_by(WebhookSubscription.id)
    )
    return [(s, tax_code, code, int(count)) for s, tax_code, code, count in rows]


async def subscribers(
    session: AsyncSession, enterprise_id: int | None, agency_ids: Iterable[int]
) -> list[WebhookSubscription]:
    """The enabled subscriptions that may hear of a dossier: its enterprise's, its agencies',
    and the national portal's sinks (their own filters are applied by the caller)."""
    whose = [WebhookSubscription.payload_format == PayloadFormat.national_portal.value]
    if enterprise_id is not None:
        whose.append(WebhookSubscription.enterprise_id == enterprise_id)
    agencies = [a for a in agency_ids if a is not None]
    if agencies:
        whose.append(WebhookSubscription.agency_id.in_(agencies))
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(
            WebhookSubscription.enabled.is_(True),
            WebhookSubscription.deleted_at.is_(None),
            or_(*whose),
        )
        .order_by(WebhookSubscription.id)
    )
    return list(rows)


async def national_subscriptions(session: AsyncSession) -> list[WebhookSubscription]:
    """The portal's own national-portal subscriptions (no owner, not deleted), oldest first."""
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(
            WebhookSubscription.payload_format == PayloadFormat.national_portal.value,
            WebhookSubscription.enterprise_id.is_(None),
            WebhookSubscription.agency_id.is_(None),
            WebhookSubscription.deleted_at.is_(None),
        )
        .order_by(WebhookSubscription.id)
    )
    return list(rows)


async def subscriptions_by_id(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, WebhookSubscription]:
    rows = await session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.id.in_(set(ids)))
    )
    return {s.id: s for s in rows}


# --- Deliveries ----------------------------------------------------------------------------


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert deliveries in one statement (each with the same keys)."""
    if rows:
        await session.execute(insert(_deliveries), list(rows))


async def fail_pending(
    session: AsyncSession, subscription_id: int, error: str, now: datetime
) -> None:
    """Give up every pending delivery of a subscription."""
    await session.execute(
        update(_deliveries)
        .where(_deliveries.c.subscription_id == subscription_id, _deliveries.c.state == PENDING)
        .values(
            state=DeliveryState.failed.value,
            last_error=error,
            finished_at=now,
            leased_until=None,
            lease_token=None,
        )
    )


async def deliveries_page(
    session: AsyncSession,
    subscription_id: int,
    state: str | None,
    before_id: int | None,
    limit: int,
) -> list[WebhookDelivery]:
    """A subscription's deliveries, newest first, before ``before_id``, with their events."""
    query = (
        select(WebhookDelivery)
        .options(selectinload(WebhookDelivery.event))
        .where(WebhookDelivery.subscription_id == subscription_id)
    )
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    rows = await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return list(rows)


async def delivery_of(
    session: AsyncSession, subscription_id: int, delivery_id: int
) -> WebhookDelivery | None:
    found: WebhookDelivery | None = await session.scalar(
        select(WebhookDelivery)
        .options(selectinload(WebhookDelivery.event))
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription_id,
        )
    )
    return found


async def attempts_of(session: AsyncSession, delivery_id: int) -> list[WebhookAttempt]:
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)
    )
    return list(rows)


async def events_since(
    session: AsyncSession, owner: Owner | None, since: datetime, after_id: int, limit: int
) -> list[WebhookEvent]:
    """Events of the owner's dossiers from ``since`` on, in order, after the event ``after_id``:
    an enterprise's own dossiers, the dossiers an agency receives or handles; every dossier's
    for None (the national portal's sink)."""
    query = select(WebhookEvent).join(Dossier, Dossier.code == WebhookEvent.dossier_code)
    if owner is not None and owner.enterprise_id is not None:
        query = query.where(Dossier.enterprise_id == owner.enterprise_id)
    elif owner is not None:
        query = query.where(
            or_(Dossier.agency_id == owner.agency_id, Dossier.handling_agency_id == owner.agency_id)
        )
    rows = await session.scalars(
        query.where(WebhookEvent.occurred_at >= since, WebhookEvent.id > after_id)
        .order_by(WebhookEvent.id)
        .limit(limit)
    )
    return list(rows)


# --- The delivery engine -------------------------------------------------------------------


async def claim(
    session: AsyncSession, now: datetime, until: datetime, token: str, limit: int
) -> list[Any]:
    """Lease up to ``limit`` due deliveries to ``token`` and return (id, subscription_id,
    event_id, attempts) of each.

    Due: pending, its time come, its lease free or run out, its subscription enabled, and no
    older pending delivery in its (subscription, dossier) chain, so one endpoint hears of one
    dossier in order. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers claim at
    once without taking the same rows; SQLite has one writer and ignores the clause.
    """
    older = aliased(WebhookDelivery)
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.state == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until <= now),
            exists().where(
                WebhookSubscription.id == WebhookDelivery.subscription_id,
                WebhookSubscription.enabled.is_(True),
                WebhookSubscription.deleted_at.is_(None),
            ),
            ~exists().where(
                older.subscription_id == WebhookDelivery.subscription_id,
                older.dossier_code == WebhookDelivery.dossier_code,
                older.state == PENDING,
                older.id < WebhookDelivery.id,
            ),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    result = await session.execute(
        update(_deliveries)
        .where(_deliveries.c.id.in_(due.scalar_subquery()))
        .values(leased_until=until, lease_token=token)
        .returning(
            _deliveries.c.id,
            _deliveries.c.subscription_id,
            _deliveries.c.event_id,
            _deliveries.c.attempts,
        )
    )
    return sorted(result.all(), key=lambda row: row.id)


async def told_before(session: AsyncSession, dossier_code: str, event_id: int) -> bool:
    """Whether an earlier event of the dossier exists (the portal then knows the dossier)."""
    found = await session.scalar(
        select(
            exists().where(WebhookEvent.dossier_code == dossier_code, WebhookEvent.id < event_id)
        )
    )
    return bool(found)


async def events_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, WebhookEvent]:
    rows = await session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(set(ids))))
    return {e.id: e for e in rows}


async def still_leased(session: AsyncSession, ids: Sequence[int], token: str) -> set[int]:
    """Which of the deliveries are still leased to ``token`` (locked until commit)."""
    rows = await session.scalars(
        select(_deliveries.c.id)
        .where(_deliveries.c.id.in_(ids), _deliveries.c.lease_token == token)
        .with_for_update()
    )
    return set(rows)


async def settle(session: AsyncSession, token: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write the outcome of each delivery leased to ``token`` in one executemany: keys b_id,
    state, attempts, next_attempt_at, last_status, last_error, finished_at."""
    if not rows:
        return
    await session.execute(
        update(_deliveries)
        .where(
            and_(
                _deliveries.c.id == bindparam("b_id"),
                _deliveries.c.lease_token == bindparam("b_token"),
            )
        )
        .values(
            state=bindparam("state"),
            attempts=bindparam("attempts"),
            next_attempt_at=bindparam("next_attempt_at"),
            last_status=bindparam("last_status"),
            last_error=bindparam("last_error"),
            finished_at=bindparam("finished_at"),
            leased_until=None,
            lease_token=None,
        ),
        [{**row, "b_token": token} for row in rows],
    )


async def add_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(_attempts), list(rows))


async def release(session: AsyncSession, token: str, ids: Sequence[int]) -> None:
    """Free the deliveries still leased to ``token`` for another worker, at once."""
    await session.execute(
        update(_deliveries)
        .where(_deliveries.c.id.in_(ids), _deliveries.c.lease_token == token)
        .values(leased_until=None, lease_token=None)
    )
