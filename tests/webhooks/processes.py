"""What the tests running `motcua worker` in a process of its own share: a fresh database with a
subscription of the test agency and pending callbacks, and the worker's environment."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from app.catalog import service as catalog
from app.catalog.importing import import_catalog
from app.config import Settings
from app.db import PROJECT_DIR, Database, upgrade
from app.models.webhooks import WebhookEvent
from app.webhooks import repository, service
from app.webhooks.schemas import Owner, SubscriptionIn
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.catalogs import CHILD_AGENCY, small_catalog


async def pending_callbacks(
    url: str, settings: Settings, target: str, events: Sequence[WebhookEvent]
) -> str:
    """Migrate the database, subscribe ``target`` for the test agency and queue ``events`` to
    it, as publish writes them; the subscription's secret."""
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            await import_catalog(session, small_catalog())
            agency = await catalog.agency_by_code(session, CHILD_AGENCY)
            assert agency is not None
            owner = Owner(agency_id=agency.id)
            out, secret = await service.create_subscription(
                session, settings, owner, SubscriptionIn(url=target)
            )
            subscription = await repository.subscription_of(session, owner, out.id)
            assert subscription is not None
            session.add_all(events)
            await session.flush()
            await repository.add_deliveries(
                session, [service._delivery_row(subscription.id, e, e.occurred_at) for e in events]
            )
        return secret
    finally:
        await database.dispose()


def worker_env(url: str, workdir: Path, **settings: str) -> dict[str, str]:
    """The environment of `motcua worker` on the test database, allowed to call the local
    receivers, with further MOTCUA_* settings (``webhook_batch="100"``...)."""
    return {
        **os.environ,
        "MOTCUA_ENVIRONMENT": "development",
        "MOTCUA_DATABASE_URL": url,
        "MOTCUA_SECRET_KEY": TEST_SECRET_KEY,
        "MOTCUA_STORAGE_URL": str(workdir / "files"),
        "MOTCUA_MAIL_DIR": str(workdir / "mail"),
        "MOTCUA_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        # The worker runs this checkout's code, whatever the installed package points at.
        "PYTHONPATH": str(PROJECT_DIR),
        **{f"MOTCUA_{name.upper()}": value for name, value in settings.items()},
    }
