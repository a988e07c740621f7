"""Two workers draining at once on PostgreSQL never post the same delivery twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import delete, select

from app.config import Settings
from app.db import Database
from app.models.catalog import Agency
from app.models.webhooks import WebhookEvent, WebhookSubscription
from app.webhooks import delivery, repository, service
from app.webhooks.schemas import Owner, SubscriptionIn
from tests.webhooks.conftest import Receiver, received_events

DELIVERIES = 300


async def test_two_workers_share_the_deliveries_without_double_posts(
    database: Database, hook_settings: Settings, receiver: Receiver
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: one worker delivers")
    async with database.unit_of_work() as session:
        agency_id = await session.scalar(select(Agency.id).order_by(Agency.id).limit(1))
        out, _secret = await service.create_subscription(
            session, hook_settings, Owner(agency_id=agency_id), SubscriptionIn(url=receiver.url)
        )
        subscription = await repository.subscription_of(session, Owner(agency_id=agency_id), out.id)
        assert subscription is not None
        events = received_events("concurrency", DELIVERIES)
        session.add_all(events)
        await session.flush()
        await repository.add_deliveries(
            session,
            [service._delivery_row(subscription.id, e, e.occurred_at) for e in events],
        )
    try:
        settings = hook_settings.model_copy(update={"webhook_batch": 20})
        reports = await asyncio.gather(
            delivery.deliver_due(database.unit_of_work, settings),
            delivery.deliver_due(database.unit_of_work, settings),
        )
        posted = Counter(r.headers["webhook-id"] for r in receiver.requests)
        assert len(posted) == DELIVERIES and set(posted.values()) == {1}
        assert sum(r.delivered for r in reports) == DELIVERIES
    finally:
        async with database.unit_of_work() as session:
            await session.execute(
                delete(WebhookSubscription).where(WebhookSubscription.reference == out.id)
            )
            await session.execute(
                delete(WebhookEvent).where(WebhookEvent.reference.like("msg_concurrency_%"))
            )
