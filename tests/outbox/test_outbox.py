"""The outbox: enqueued in the caller's transaction, claimed under a lease, e-mail delivery."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.models.outbox import OutboxMessage
from app.outbox import mail
from app.outbox import service as outbox
from app.worker.runner import drain
from tests.outbox.helpers import same_session

PAYLOAD = mail.email_payload(
    "cuc@example.vn", "Thử nghiệm / Test", "Xin chào Cúc\n\nHello Cúc\nhttp://x/y"
)


async def test_enqueue_is_rolled_back_with_its_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            message_id = await outbox.enqueue(session, "email", PAYLOAD)
            assert await session.get(OutboxMessage, message_id) is not None
            raise RuntimeError("the state change failed")
    async with database.unit_of_work() as session:
        assert await session.get(OutboxMessage, message_id) is None


async def test_a_claimed_message_is_not_claimed_again_while_leased(
    db_session: AsyncSession,
) -> None:
    message_id = await outbox.enqueue(db_session, "email", PAYLOAD)
    first = await outbox.claim(db_session)
    assert [m.id for m in first] == [message_id]
    assert await outbox.claim(db_session) == []
    # When the lease runs out (a worker died), another worker takes it.
    await db_session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(leased_until=utcnow() - timedelta(seconds=1))
    )
    assert [m.id for m in await outbox.claim(db_session)] == [message_id]


async def test_a_message_not_yet_available_is_not_claimed(db_session: AsyncSession) -> None:
    message_id = await outbox.enqueue(db_session, "email", PAYLOAD)
    await db_session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(available_at=utcnow() + timedelta(minutes=5))
    )
    assert await outbox.claim(db_session) == []


async def test_the_worker_writes_a_readable_eml(
    db_session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    local = settings.model_copy(update={"mail_dir": str(tmp_path / "mail"), "smtp_url": ""})
    message_id = await outbox.enqueue(db_session, "email", PAYLOAD)
    report = await drain(same_session(db_session), local)
    assert report.delivered == 1
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "cuc@example.vn"
    assert parsed["Subject"] == "Thử nghiệm / Test"
    assert parsed["From"] == "Cổng dịch vụ công <no-reply@localhost>"
    body = parsed.get_body(("plain",))
    assert body is not None and "Xin chào Cúc" in body.get_content()
    row = await outbox.get(db_session, message_id)
    assert row is not None and row.done_at is not None and row.attempts == 1


async def test_retries_back_off_then_fail_keeping_the_error(
    db_session: AsyncSession, settings: Settings
) -> None:
    local = settings.model_copy(update={"outbox_max_attempts": 3})
    calls: list[dict[str, Any]] = []

    async def broken(payload: dict[str, Any]) -> None:
        calls.append(payload)
        raise ConnectionError("relay down")

    message_id = await outbox.enqueue(db_session, "email", PAYLOAD)
    waits = []
    for attempt in (1, 2):
        before = utcnow()
        report = await drain(same_session(db_session), local, by_kind={"email": broken})
        assert (report.retried, report.failed) == (1, 0)
        row = await outbox.get(db_session, message_id)
        assert row is not None and row.attempts == attempt and row.failed_at is None
        assert row.last_error == "ConnectionError: relay down"
        available = row.available_at.replace(tzinfo=before.tzinfo)
        waits.append(available - before)
        # Not due again within this drain; make it due now for the next try.
        assert (await drain(same_session(db_session), local, by_kind={"email": broken})) == (
            type(report)()
        )
        await db_session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(available_at=utcnow() - timedelta(seconds=1))
        )
    assert timedelta(seconds=29) < waits[0] <= timedelta(seconds=31)
    assert timedelta(seconds=59) < waits[1] <= timedelta(seconds=61)
    report = await drain(same_session(db_session), local, by_kind={"email": broken})
    assert (report.retried, report.failed) == (0, 1)
    row = await outbox.get(db_session, message_id)
    assert row is not None and row.failed_at is not None and row.attempts == 3
    assert row.last_error == "ConnectionError: relay down" and row.done_at is None
    assert len(calls) == 3
    assert await outbox.claim(db_session) == []


def test_backoff_grows_and_is_capped() -> None:
    assert outbox.backoff(1) == timedelta(seconds=30)
    assert outbox.backoff(3) == timedelta(minutes=2)
    assert outbox.backoff(40) == outbox.MAX_RETRY


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


async def test_smtp_delivery(db_session: AsyncSession, settings: Settings) -> None:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        local = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        await outbox.enqueue(db_session, "email", PAYLOAD)
        report = await drain(same_session(db_session), local)
        assert report.delivered == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "no-reply@localhost" and recipients == ["cuc@example.vn"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == "Thử nghiệm / Test"
    body = parsed.get_body(("plain",))
    assert body is not None and "Hello Cúc" in body.get_content()


async def test_an_unreachable_smtp_server_is_retried(
    db_session: AsyncSession, settings: Settings
) -> None:
    local = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{_free_port()}"})
    message_id = await outbox.enqueue(db_session, "email", PAYLOAD)
    report = await drain(same_session(db_session), local)
    assert report.retried == 1
    row = await outbox.get(db_session, message_id)
    assert row is not None and row.last_error


async def test_concurrent_drains_deliver_each_message_once(
    database: Database, settings: Settings
) -> None:
    """Two workers over the same committed rows (PostgreSQL: SKIP LOCKED; SQLite: one writer)."""
    ids: list[int] = []
    async with database.unit_of_work() as session:
        for n in range(30):
            ids.append(await outbox.enqueue(session, "test-concurrent", {"n": n}))
    delivered: list[tuple[str, int]] = []

    def deliverer(name: str) -> Any:
        async def deliver(payload: dict[str, Any]) -> None:
            await asyncio.sleep(0.005)
            delivered.append((name, payload["n"]))

        return deliver

    try:
        reports = await asyncio.gather(
            drain(
                database.unit_of_work,
                settings,
                by_kind={"test-concurrent": deliverer("a")},
                batch=4,
            ),
            drain(
                database.unit_of_work,
                settings,
                by_kind={"test-concurrent": deliverer("b")},
                batch=4,
            ),
        )
        numbers = sorted(n for _name, n in delivered)
        assert numbers == list(range(30))
        assert sum(r.delivered for r in reports) == 30
        async with database.unit_of_work() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.done_at.is_not(None))
            )
            assert done == 30
    finally:
        async with database.unit_of_work() as session:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
