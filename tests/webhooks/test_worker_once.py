"""`motcua worker --once` (for cron and operators) delivers the callbacks that are due, signed,
and says how many."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from standardwebhooks import Webhook

from app.config import Settings
from app.models.webhooks import WebhookEvent
from tests.fixtures.catalogs import CHILD_AGENCY
from tests.webhooks.conftest import Receiver
from tests.webhooks.processes import pending_callbacks, worker_env


def test_worker_once_delivers_the_due_callbacks(
    fresh_database_url: str, settings: Settings, receiver: Receiver, tmp_path: Path
) -> None:
    allowed = settings.model_copy(update={"webhook_allowed_networks": "127.0.0.0/8"})
    event = WebhookEvent(
        reference="msg_once",
        type="dossier.overdue",
        dossier_code="ONCE-1",
        agency_code=CHILD_AGENCY,
        payload={"type": "dossier.overdue", "timestamp": "2026-11-24T08:00:00+07:00"},
    )
    secret = asyncio.run(pending_callbacks(fresh_database_url, allowed, receiver.url, [event]))

    def once() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app", "worker", "--once"],
            cwd=tmp_path,
            env=worker_env(fresh_database_url, tmp_path),
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
