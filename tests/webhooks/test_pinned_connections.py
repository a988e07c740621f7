"""Callbacks connect to the very address their host was checked at: the resolver's answer used
for the check is the one connected to, so a name answering a public address to the check and
loopback afterwards (DNS rebinding) cannot reach loopback; the request keeps its host name."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.webhooks import addresses, delivery, service
from app.webhooks.schemas import Owner
from tests.fixtures.processing import file_dossier
from tests.outbox.helpers import same_session
from tests.webhooks.conftest import Receiver, subscribe

PUBLIC = "93.184.215.14"


def _checked_answers(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> list[str]:
    """The resolver of the address check answers ``answers``; the hosts it was asked about."""
    asked: list[str] = []
    real = addresses.resolve

    async def resolve(host: str, port: int) -> list[addresses.IPAddress]:
        asked.append(host)
        if host in answers:
            return [ipaddress.ip_address(answers[host])]
        return await real(host, port)

    monkeypatch.setattr(addresses, "resolve", resolve)
    return asked


def _system_answers(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> list[str]:
    """The system's resolver (the one a connection by name would use) answers ``answers``;
    the hosts it was asked about."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        return real(answers.get(str(host), host), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


async def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(
    db_session: AsyncSession,
    hook_settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = receiver.port
    checked = _checked_answers(monkeypatch, {"hooks.motcua.test": "127.0.0.1"})
    system = _system_answers(monkeypatch, {})
    await subscribe(
        db_session, hook_settings, agency_owner, f"http://hooks.motcua.test:{port}/hooks"
    )
    checked.clear()
    first = await file_dossier(db_session, hook_settings, applicant)
    senders = delivery.Senders(hook_settings)
    try:
        assert (
            await delivery.deliver_due(same_session(db_session), hook_settings, senders=senders)
        ).delivered == 1
        second = await file_dossier(db_session, hook_settings, applicant)
        assert (
            await delivery.deliver_due(same_session(db_session), hook_settings, senders=senders)
        ).delivered == 1
    finally:
        await senders.aclose()

    assert [r.headers["host"] for r in receiver.requests] == [f"hooks.motcua.test:{port}"] * 2
    assert receiver.bodies_of(first) and receiver.bodies_of(second)
    # Only the check resolved the name, once: the second post rode the kept connection.
    assert checked == ["hooks.motcua.test"]
    assert "hooks.motcua.test" not in system


async def test_a_name_rebound_to_loopback_after_the_check_cannot_reach_loopback(
    db_session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
    agency_owner: Owner,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = receiver.port
    _checked_answers(monkeypatch, {"rebind.motcua.test": PUBLIC})
    # Asked again by name, the answer would now be the loopback receiver.
    _system_answers(monkeypatch, {"rebind.motcua.test": "127.0.0.1"})
    connected: list[str] = []
    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def connect_tcp(
        self: httpcore.AnyIOBackend, host: str, port: int, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        connected.append(host)
        if host != PUBLIC:
            return await real_connect(self, host, port, **kwargs)
        # The public address is not reached from the tests.
        raise httpcore.ConnectError("unreachable")

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    subscription, _secret = await subscribe(
        db_session, settings, agency_owner, f"http://rebind.motcua.test:{port}/hooks"
    )
    await file_dossier(db_session, settings, applicant)

    report = await delivery.deliver_due(same_session(db_session), settings)

    assert report.retried == 1 and report.delivered == 0
    assert connected == [PUBLIC] and receiver.requests == []
    (item,) = (await service.list_deliveries(db_session, agency_owner, subscription)).items
    assert item.state == "pending" and item.last_error is not None
    assert item.last_error.startswith("ConnectError")
