"""`motcua webhooks`: the operator lists every subscription with its owner, state and pending
deliveries, reads a subscription's deliveries, sends one again, replays, turns subscriptions
off and on; run in this process against a fresh database with the demo."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from app.catalog import service as catalog
from app.cli import cli
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.models.webhooks import DeliveryState, WebhookSubscription
from app.webhooks import national, repository, service
from app.webhooks.schemas import Owner, SubscriptionIn
from tests.accounts.test_officials_cli import motcua
from tests.webhooks.conftest import received_events

__all__ = ["motcua"]

COMMUNE = "000.00.41.H39"
URL = "https://1.1.1.1/hooks"
PORTAL = "https://dvcquocgia.example.vn/api"


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def _rows(result: Result) -> list[list[str]]:
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()[1:]]


async def _prepare(url: str, settings: Settings) -> tuple[str, int, int]:
    """A subscription of the demo commune with one delivery pending and one failed, and the
    national portal's sink; the subscription's id and its deliveries' ids."""
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            agency = await catalog.agency_by_code(session, COMMUNE)
            assert agency is not None
            out, _secret = await service.create_subscription(
                session, settings, Owner(agency_id=agency.id), SubscriptionIn(url=URL)
            )
            await national.sync_subscription(
                session, settings.model_copy(update={"national_portal_url": PORTAL})
            )
            subscription = await repository.subscription_of(session, service.OPERATOR, out.id)
            assert subscription is not None
            events = received_events("cli", 2)
            session.add_all(events)
            await session.flush()
            now = utcnow()
            pending = service._delivery_row(subscription.id, events[0], now)
            failed = service._delivery_row(subscription.id, events[1], now) | {
                "state": DeliveryState.failed.value,
                "attempts": 8,
                "last_status": 500,
                "finished_at": now,
            }
            # One statement per set of keys.
            await repository.add_deliveries(session, [pending])
            await repository.add_deliveries(session, [failed])
            page = await service.list_deliveries(session, service.OPERATOR, out.id)
            by_state = {d.state: d.id for d in page.items}
            return out.id, by_state["pending"], by_state["failed"]
    finally:
        await database.dispose()


async def _enabled(url: str, reference: str) -> tuple[bool, str | None]:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            found = await session.scalar(
                select(WebhookSubscription).where(WebhookSubscription.reference == reference)
            )
            assert found is not None
            return found.enabled, found.disabled_reason
    finally:
        await database.dispose()


@pytest.fixture
def prepared(
    motcua: CliRunner, fresh_database_url: str, settings: Settings
) -> tuple[str, int, int]:
    return asyncio.run(_prepare(fresh_database_url, settings))


def test_every_subscription_is_listed_with_its_owner_state_and_pending_deliveries(
    motcua: CliRunner, prepared: tuple[str, int, int]
) -> None:
    reference, _pending, _failed = prepared
    listed = _run(motcua, "webhooks", "list")
    assert listed.output.splitlines()[0].split() == [
        "ID",
        "OWNER",
        "STATE",
        "PENDING",
        "FAILING",
        "SINCE",
        "URL",
    ]
    rows = {row[0]: row for row in _rows(listed)}
    assert rows[reference][1:4] == [f"agency:{COMMUNE}", "enabled", "1"]
    assert rows[reference][-1] == URL
    (portal,) = [row for row in rows.values() if row[1] == "national-portal"]
    assert portal[2:4] == ["enabled", "0"] and portal[-1] == PORTAL


def test_deliveries_are_read_sent_again_and_replayed(
    motcua: CliRunner, prepared: tuple[str, int, int]
) -> None:
    reference, pending, failed = prepared
    every = _rows(_run(motcua, "webhooks", "deliveries", reference))
    assert [int(row[0]) for row in every] == sorted([pending, failed], reverse=True)
    only_failed = _rows(_run(motcua, "webhooks", "deliveries", reference, "--state", "failed"))
    assert [row[:6] for row in only_failed] == [
        [str(failed), "dossier.received", "CLI-1", "failed", "8", "500"]
    ]
    wrong = _run(motcua, "webhooks", "deliveries", reference, "--state", "lost")
    assert wrong.exit_code == 1 and "Unknown state." in wrong.output

    again = _run(motcua, "webhooks", "redeliver", reference, str(failed))
    assert again.exit_code == 0, again.output
    assert "msg_cli_1" in again.output and "queued" in again.output
    rows = {row[0]: row for row in _rows(_run(motcua, "webhooks", "list"))}
    assert rows[reference][3] == "2"
    missing = _run(motcua, "webhooks", "redeliver", reference, "999999")
    assert missing.exit_code == 1 and "No such webhook delivery." in missing.output

    # The events of the test have no dossier behind them: nothing to replay.
    replayed = _run(motcua, "webhooks", "replay", reference, "--since", "2026-01-01T00:00")
    assert replayed.exit_code == 0, replayed.output
    assert "0 deliveries queued" in replayed.output
    unreadable = _run(motcua, "webhooks", "replay", reference, "--since", "hôm qua")
    assert unreadable.exit_code == 2


def test_subscriptions_are_turned_off_and_on(
    motcua: CliRunner, prepared: tuple[str, int, int], fresh_database_url: str
) -> None:
    reference, _pending, _failed = prepared
    off = _run(motcua, "webhooks", "disable", reference)
    assert off.exit_code == 0 and off.output.strip() == f"{reference}: off:owner"
    assert asyncio.run(_enabled(fresh_database_url, reference)) == (False, service.OWNER)
    rows = {row[0]: row for row in _rows(_run(motcua, "webhooks", "list"))}
    assert rows[reference][2] == "off:owner"

    on = _run(motcua, "webhooks", "enable", reference)
    assert on.exit_code == 0 and on.output.strip() == f"{reference}: enabled"
    assert asyncio.run(_enabled(fresh_database_url, reference)) == (True, None)
    unknown = _run(motcua, "webhooks", "enable", "ep_none")
    assert unknown.exit_code == 1 and "No such webhook subscription." in unknown.output
