"""The worker killed (SIGKILL) in the middle of a batch of 1,000 callbacks: after a restart every
event reaches the receiver at least once, each one correctly signed, and the events of each
dossier arrive in order."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from app.config import Settings
from app.db import Database
from app.models.webhooks import WebhookDelivery, WebhookEvent
from tests.fixtures.catalogs import CHILD_AGENCY
from tests.webhooks.conftest import ReceiverServer
from tests.webhooks.processes import pending_callbacks, worker_env

DOSSIERS = 50
EVENTS_PER_DOSSIER = 20
EVENTS = DOSSIERS * EVENTS_PER_DOSSIER
# The receiver holds its answers once this many callbacks came, and the worker is killed then,
# with a batch posted and not yet settled.
KILL_AT = 400
BATCH = 100


@dataclass
class Arrival:
    message_id: str
    dossier_code: str
    position: int


@dataclass
class Receiver:
    """Keeps each callback whose signature verifies; holds every answer once ``KILL_AT``
    arrived until ``release`` is set."""

    secret: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    forged: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except Exception:
            with self.lock:
                self.forged += 1
            return
        data = payload["data"]
        with self.lock:
            self.arrivals.append(Arrival(headers["webhook-id"], data["dossier_code"], data["n"]))
            if len(self.arrivals) >= KILL_AT:
                self.reached.set()

    def distinct(self) -> set[str]:
        with self.lock:
            return {a.message_id for a in self.arrivals}


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            state.take(body, {k.lower(): v for k, v in self.headers.items()})
            if state.reached.is_set():
                state.release.wait(30)
            try:
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass  # the worker died while waiting

        def log_message(self, *_args: object) -> None:
            pass

    server = ReceiverServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/callbacks"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def _events() -> list[WebhookEvent]:
    """1,000 events of 50 dossiers, interleaved as the changes of many dossiers are."""
    return [
        WebhookEvent(
            reference=f"msg_kill_{dossier}_{n}",
            type="dossier.step_completed",
            dossier_code=f"KILL-{dossier:03d}",
            agency_code=CHILD_AGENCY,
            sequence=n,
            payload={
                "type": "dossier.step_completed",
                "timestamp": "2026-11-24T08:00:00+07:00",
                "data": {"dossier_code": f"KILL-{dossier:03d}", "n": n},
            },
        )
        for n in range(EVENTS_PER_DOSSIER)
        for dossier in range(DOSSIERS)
    ]


async def _leased_and_pending(url: str) -> tuple[int, int]:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            leased = await session.scalar(
                select(func.count()).where(WebhookDelivery.lease_token.is_not(None))
            )
            pending = await session.scalar(
                select(func.count()).where(WebhookDelivery.state == "pending")
            )
        return int(leased or 0), int(pending or 0)
    finally:
        await database.dispose()


def _start_worker(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env, cwd=cwd)


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_every_callback_arrives_in_order_after_the_worker_is_killed(
    fresh_database_url: str,
    settings: Settings,
    receiver: tuple[Receiver, str],
    tmp_path: Path,
) -> None:
    state, target = receiver
    hook_settings = settings.model_copy(update={"webhook_allowed_networks": "127.0.0.0/8"})
    state.secret = asyncio.run(
        pending_callbacks(fresh_database_url, hook_settings, target, _events())
    )
    env = worker_env(
        fresh_database_url, tmp_path, webhook_batch=str(BATCH), webhook_lease_seconds="3"
    )
    first = _start_worker(env, tmp_path)
    try:
        assert state.reached.wait(60), "the worker delivered too little before the kill"
        # Posts of the batch under way are held by the receiver: kill the worker among them.
        time.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    leased, pending = asyncio.run(_leased_and_pending(fresh_database_url))
    assert leased > 0, "the kill did not land in the middle of a batch"
    assert 0 < pending < EVENTS
    state.reached.clear()
    state.release.set()
    # The receiver no longer holds answers: make sure it will not again.
    state.arrivals, before = [], list(state.arrivals)
    state.reached = threading.Event()

    second = _start_worker(env, tmp_path)
    try:
        _wait(
            lambda: len(state.distinct() | {a.message_id for a in before}) == EVENTS,
            90,
            "every event to arrive after the restart",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)

    arrivals = before + state.arrivals
    assert state.forged == 0
    assert {a.message_id for a in arrivals} == {
        f"msg_kill_{d}_{n}" for d in range(DOSSIERS) for n in range(EVENTS_PER_DOSSIER)
    }
    for dossier in range(DOSSIERS):
        code = f"KILL-{dossier:03d}"
        firsts: list[int] = []
        for arrival in arrivals:
            if arrival.dossier_code == code and arrival.position not in firsts:
                firsts.append(arrival.position)
        # At least once and in order: a later event never arrives before an earlier one did.
        assert firsts == list(range(EVENTS_PER_DOSSIER)), (code, firsts)
    # Redelivered after the restart: what was posted but not settled when the worker died.
    assert len(arrivals) >= EVENTS
