"""The server killed (SIGKILL) while fifty enterprises file at once: what was acknowledged is
there, byte for byte; the clean-up leaves no stray file and no half-filed dossier."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.accounts import api_keys
from app.accounts import service as accounts
from app.accounts.schemas import EnterpriseSignUp
from app.catalog.importing import import_catalog
from app.db import PROJECT_DIR, Database, upgrade
from app.dossiers.tasks import FILES_PREFIX
from app.models.dossiers import Dossier, DossierEvent, DossierFile
from app.storage import storage_from_url
from tests.conftest import TEST_BUCKET, TEST_SECRET_KEY, _free_port
from tests.dossiers.conftest import TAX_CODES
from tests.fixtures.catalogs import PROCEDURE, small_catalog

FILERS = 50
# The server dies once this many submissions have been acknowledged.
KILL_AFTER = 12
PDF_SIZE = 200 * 1024


@pytest.fixture
def crash_storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Storage of this test alone: a folder, or a prefix of its own in the test bucket."""
    if os.environ.get("MOTCUA_TEST_STORAGE", "local") != "s3":
        return str(tmp_path / "files")
    shared: str = request.getfixturevalue("storage_url")
    return shared.replace(f"{TEST_BUCKET}/files?", f"{TEST_BUCKET}/crash-{secrets.token_hex(6)}?")


class Server:
    """The portal in a process of its own, as `motcua serve` runs it."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=self.env,
            cwd=self.cwd,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the portal did not start")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def server_env(fresh_database_url: str, crash_storage_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MOTCUA_ENVIRONMENT": "development",
        "MOTCUA_DATABASE_URL": fresh_database_url,
        "MOTCUA_STORAGE_URL": crash_storage_url,
        "MOTCUA_SECRET_KEY": TEST_SECRET_KEY,
        "MOTCUA_MAIL_DIR": str(tmp_path / "mail"),
        # The server runs this checkout's code, whatever the installed package points at.
        "PYTHONPATH": str(PROJECT_DIR),
    }


@pytest.fixture
def servers(server_env: dict[str, str], tmp_path: Path) -> Iterator[list[Server]]:
    """Servers started by the test; none outlives it."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.kill()


@dataclass
class Filing:
    content: bytes
    reference: str = ""
    code: str = ""
    acknowledged: bool = False


def _pdf(n: int) -> bytes:
    head = f"%PDF-1.7\n% filing {n}\n".encode()
    return head + hashlib.sha256(head).digest() * ((PDF_SIZE - len(head)) // 32)


async def _prepare(url: str) -> str:
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            await import_catalog(session, small_catalog())
            await accounts.sign_up_enterprise(
                session,
                EnterpriseSignUp(
                    tax_code=TAX_CODES[1],
                    enterprise_name="Công ty TNHH Thử nghiệm",
                    full_name="Trần Thị Bình",
                    email="crash@example.com",
                    phone="0987654321",
                    password="mat-khau-dai-du",
                    password_confirm="mat-khau-dai-du",
                ),
            )
            _, key = await api_keys.create_api_key(
                session,
                enterprise_tax_code=TAX_CODES[1],
                name="ERP",
                scopes=["dossiers:submit", "dossiers:read"],
            )
        return key
    finally:
        await database.dispose()


async def _file_all(server: Server, key: str, filings: list[Filing]) -> None:
    """Every filing at once: draft, upload, submit; SIGKILL once KILL_AFTER are acknowledged."""
    enough = asyncio.Event()

    async def file(client: httpx.AsyncClient, filing: Filing) -> None:
        created = await client.post(
            "/api/v1/dossiers",
            json={
                "procedure": PROCEDURE,
                "data": {"full_name": "Trần Thị Bình"},
                "delivery": {"method": "counter"},
            },
        )
        assert created.status_code == 201, created.text
        filing.reference = created.json()["reference"]
        added = await client.post(
            f"/api/v1/dossiers/{filing.reference}/files",
            params={"slot": "declaration"},
            files={"file": ("to-khai.pdf", filing.content, "application/pdf")},
        )
        assert added.status_code == 201, added.text
        submitted = await client.post(f"/api/v1/dossiers/{filing.reference}/submit")
        assert submitted.status_code == 200, submitted.text
        filing.code, filing.acknowledged = submitted.json()["code"], True
        if sum(f.acknowledged for f in filings) >= KILL_AFTER:
            enough.set()

    async def one(filing: Filing) -> None:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as client:
            with contextlib.suppress(httpx.TransportError):  # the server died under it
                await file(client, filing)

    tasks = [asyncio.create_task(one(filing)) for filing in filings]
    waiting = asyncio.create_task(enough.wait())
    await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
    await asyncio.wait([waiting], timeout=60)
    server.kill()
    await asyncio.gather(*tasks)


async def _stored_sha256(storage_url: str, key: str) -> str:
    storage = storage_from_url(storage_url)
    try:
        digest = hashlib.sha256()
        async with await storage.open(key) as stream:
            async for chunk in stream:
                digest.update(chunk)
        return digest.hexdigest()
    finally:
        await storage.aclose()


async def _stored_keys(storage_url: str) -> set[str]:
    storage = storage_from_url(storage_url)
    try:
        return {key async for key in storage.list_keys(FILES_PREFIX)}
    finally:
        await storage.aclose()


async def _rows(url: str) -> tuple[list[Dossier], list[DossierFile], list[DossierEvent]]:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            dossiers = list(await session.scalars(select(Dossier)))
            files = list(await session.scalars(select(DossierFile)))
            events = list(await session.scalars(select(DossierEvent)))
        return dossiers, files, events
    finally:
        await database.dispose()


def test_acknowledged_filings_survive_a_kill(
    fresh_database_url: str,
    crash_storage_url: str,
    server_env: dict[str, str],
    servers: list[Server],
    tmp_path: Path,
) -> None:
    key = asyncio.run(_prepare(fresh_database_url))
    filings = [Filing(content=_pdf(n)) for n in range(FILERS)]
    first = Server(server_env, tmp_path)
    servers.append(first)
    first.start()
    asyncio.run(_file_all(first, key, filings))
    acknowledged = [f for f in filings if f.acknowledged]
    assert len(acknowledged) >= KILL_AFTER
    # Part-way: some filings had not been acknowledged when the server died.
    assert len(acknowledged) < FILERS

    again = Server(server_env, tmp_path)
    servers.append(again)
    again.start()
    with httpx.Client(base_url=again.url, headers={"Authorization": f"Bearer {key}"}) as client:
        for filing in acknowledged:
            found = client.get(f"/api/v1/dossiers/{filing.code}")
            assert found.status_code == 200, found.text
            dossier = found.json()
            assert dossier["status"]["code"] == 1 and dossier["reference"] == filing.reference
            (file,) = dossier["files"]
            assert file["sha256"] == hashlib.sha256(filing.content).hexdigest()
    again.kill()

    dossiers, files, events = asyncio.run(_rows(fresh_database_url))
    by_reference = {d.reference: d for d in dossiers}
    for filing in acknowledged:
        dossier = by_reference[filing.reference]
        assert (dossier.code, dossier.status) == (filing.code, 1)
        (file,) = [f for f in files if f.dossier_id == dossier.id]
        expected = hashlib.sha256(filing.content).hexdigest()
        assert file.sha256 == expected and file.size == len(filing.content)
        assert asyncio.run(_stored_sha256(crash_storage_url, file.storage_key)) == expected

    cleanup = subprocess.run(
        [sys.executable, "-m", "app", "cleanup", "--grace-minutes", "0"],
        env=server_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cleanup.returncode == 0, cleanup.stderr
    dossiers, files, events = asyncio.run(_rows(fresh_database_url))
    stored = asyncio.run(_stored_keys(crash_storage_url))
    named = {f.storage_key for f in files}
    # No stray object, and no row naming a missing one.
    assert stored == named
    submitted_events = {e.dossier_id for e in events if e.kind == "submitted"}
    for dossier in dossiers:
        if dossier.code is None:
            assert dossier.status is None and dossier.submitted_at is None
            assert dossier.id not in submitted_events
        else:
            assert dossier.status == 1 and dossier.submitted_at is not None
            assert dossier.id in submitted_events
    codes = [d.code for d in dossiers if d.code]
    assert len(codes) == len(set(codes)) >= len(acknowledged)
