"""A real local receiver of callbacks, settings that allow it, subscriptions of the test
agency and bare events to queue to them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.config import Settings
from app.models.webhooks import WebhookEvent
from app.webhooks import service
from app.webhooks.schemas import Owner, SubscriptionIn
from tests.fixtures.catalogs import CHILD_AGENCY
from tests.fixtures.processing import Desk


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request and answers with ``status``
    (a function of the request, so a test can fail some and recover)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: Callable[[Received], int] = lambda _r: 204

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    def bodies_of(self, dossier_code: str) -> list[Received]:
        return [r for r in self.requests if dossier_code.encode() in r.body]


class ReceiverServer(ThreadingHTTPServer):
    # The engine opens up to webhook_concurrency connections at once: with the default
    # backlog of 5 the kernel drops some of them and their posts fail with ReadError.
    request_queue_size = 1024
    daemon_threads = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                state.requests.append(received)
            # Outside the lock: a test's ``status`` may hold its answer while others arrive.
            status = state.status(received)
            answer = b"ok" if status != 204 else b""
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:
            pass

    server = ReceiverServer(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    """The suite's settings, letting callbacks reach the local receiver."""
    return settings.model_copy(update={"webhook_allowed_networks": "127.0.0.0/8"})


@pytest.fixture
def allow_local(app: FastAPI, hook_settings: Settings) -> Iterator[None]:
    """The application lets callbacks reach the local receiver."""
    app.state.settings, saved = hook_settings, app.state.settings
    yield
    app.state.settings = saved


@pytest.fixture
async def agency_owner(db_session: AsyncSession, desk: Desk) -> Owner:
    agency = await catalog.agency_by_code(db_session, CHILD_AGENCY)
    assert agency is not None
    return Owner(agency_id=agency.id)


async def subscribe(
    session: AsyncSession, settings: Settings, owner: Owner, url: str, **fields: object
) -> tuple[str, str]:
    """A subscription of the owner; its id and secret."""
    out, secret = await service.create_subscription(
        session,
        settings,
        owner,
        SubscriptionIn(url=url, **fields),  # type: ignore[arg-type]
    )
    return out.id, secret


def received_events(name: str, count: int) -> list[WebhookEvent]:
    """``count`` events "dossier.received" of the dossiers NAME-0, NAME-1..., their ids
    msg_name_0, msg_name_1...; bare (no data), as tests of the delivery engine need them."""
    return [
        WebhookEvent(
            reference=f"msg_{name}_{n}",
            type="dossier.received",
            dossier_code=f"{name.upper()}-{n}",
            payload={"id": f"msg_{name}_{n}", "type": "dossier.received", "data": {}},
        )
        for n in range(count)
    ]
