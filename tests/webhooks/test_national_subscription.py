"""The portal's own subscription to the national portal follows the settings: created with a
sealed secret when the URL is set, moved with it, disabled when it is unset."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.sealing import unseal
from app.models.webhooks import PayloadFormat, WebhookSubscription
from app.webhooks import national, service
from app.webhooks.signing import SECRET_MARK
from app.worker.runner import run
from tests.outbox.helpers import same_session

URL = "https://dvcquocgia.example/api/DongBoHoSoMC"


async def _sinks(session: AsyncSession) -> list[WebhookSubscription]:
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.payload_format == PayloadFormat.national_portal.value)
        .order_by(WebhookSubscription.id)
    )
    return list(rows)


async def test_the_subscription_follows_the_settings(
    db_session: AsyncSession, settings: Settings
) -> None:
    unset = settings.model_copy(update={"national_portal_url": ""})
    await national.sync_subscription(db_session, unset)
    assert await _sinks(db_session) == []

    await national.sync_subscription(
        db_session, settings.model_copy(update={"national_portal_url": URL})
    )
    [sink] = await _sinks(db_session)
    assert (sink.url, sink.enabled) == (URL, True)
    assert sink.enterprise_id is None and sink.agency_id is None
    assert sink.event_types == [] and sink.reference.startswith("ep_")
    assert unseal(settings.secret_key, sink.secret_sealed).startswith(SECRET_MARK)
    version = sink.row_version

    # Again with the same settings: nothing changes.
    await national.sync_subscription(
        db_session, settings.model_copy(update={"national_portal_url": URL})
    )
    [same] = await _sinks(db_session)
    assert same.id == sink.id and same.row_version == version

    await national.sync_subscription(db_session, unset)
    [sink] = await _sinks(db_session)
    assert sink.enabled is False and sink.disabled_reason == service.NOT_CONFIGURED

    moved = URL.replace("dvcquocgia", "dvc")
    await national.sync_subscription(
        db_session, settings.model_copy(update={"national_portal_url": moved})
    )
    [sink] = await _sinks(db_session)
    assert (sink.url, sink.enabled, sink.disabled_reason) == (moved, True, None)
    assert sink.row_version == version + 2


async def test_a_duplicate_sink_is_disabled(db_session: AsyncSession, settings: Settings) -> None:
    with_url = settings.model_copy(update={"national_portal_url": URL})
    await national.sync_subscription(db_session, with_url)
    [first] = await _sinks(db_session)
    db_session.add(
        WebhookSubscription(
            reference="ep_duplicate",
            url=URL,
            payload_format=PayloadFormat.national_portal.value,
            secret_sealed=first.secret_sealed,
        )
    )
    await db_session.flush()
    await national.sync_subscription(db_session, with_url)
    assert [(s.enabled, s.disabled_reason) for s in await _sinks(db_session)] == [
        (True, None),
        (False, service.DUPLICATE),
    ]


async def test_the_worker_syncs_the_subscription_when_it_starts(
    db_session: AsyncSession, settings: Settings
) -> None:
    stop = asyncio.Event()
    stop.set()
    await run(
        same_session(db_session),
        settings.model_copy(update={"national_portal_url": URL}),
        stop=stop,
    )
    [sink] = await _sinks(db_session)
    assert (sink.url, sink.enabled) == (URL, True)
