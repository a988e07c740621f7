"""`motcua worker --once` (for cron and operators) delivers the callbacks that are due, signed,
and says how many."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from standardwebhooks import Webhook

from app.catalog import service as catalog
from app.catalog.importing import import_catalog
from app.config import Settings
from app.db import PROJECT_DIR, Database, upgrade
from app.models.webhooks import WebhookEvent
from app.webhooks import repository, service
from app.webhooks.schemas import Owner, SubscriptionIn
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.catalogs import CHILD_AGENCY, small_catalog
from tests.webhooks.conftest import Receiver


async def _one_pending_callback(url: str, settings: Settings, target: str) -> str:
    """A subscription of the test agency with one event to deliver; its secret."""
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
            event = WebhookEvent(
                reference="msg_once",
                type="dossier.overdue",
                dossier_code="ONCE-1",
                agency_code=CHILD_AGENCY,
                payload={"type": "dossier.overdue", "timestamp": "2026-11-24T08:00:00+07:00"},
            )
            session.add(event)
            await session.flush()
            await repository.add_deliveries(
                session, [service._delivery_row(subscription.id, event, event.occurred_at)]
            )
        return secret
    finally:
        await database.dispose()


def test_worker_once_delivers_the_due_callbacks(
    fresh_database_url: str, settings: Settings, receiver: Receiver, tmp_path: Path
) -> None:
    allowed = settings.model_copy(update={"webhook_allowed_networks": "127.0.0.0/8"})
    secret = asyncio.run(_one_pending_callback(fresh_database_url, allowed, receiver.url))
    env = {
        **os.environ,
        "MOTCUA_ENVIRONMENT": "development",
        "MOTCUA_DATABASE_URL": fresh_database_url,
        "MOTCUA_SECRET_KEY": TEST_SECRET_KEY,
        "MOTCUA_STORAGE_URL": str(tmp_path / "files"),
        "MOTCUA_MAIL_DIR": str(tmp_path / "mail"),
        "MOTCUA_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "PYTHONPATH": str(PROJECT_DIR),
    }

    def once() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app", "worker", "--once"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "Callback: đã gửi 1" in once()
    [received] = receiver.requests
    assert received.headers["webhook-id"] == "msg_once"
    Webhook(secret).verify(received.body, received.headers)
    assert "Callback: đã gửi 0" in once()
    assert len(receiver.requests) == 1
