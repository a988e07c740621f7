"""Shared fixtures: a migrated database with the demo catalog, sessions rolled back after each
test, an HTTP client over the app, and a live server for the browser tests.

The database is SQLite by default; set MOTCUA_TEST_DATABASE_URL to a fresh PostgreSQL database
to run the same tests there (as .ci/run does).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from argon2 import PasswordHasher
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from sqlalchemy import delete, func, make_url, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.catalog.importing import load_demo
from app.config import Environment, Settings
from app.db import Database, request_session, upgrade
from app.main import create_app
from app.models.outbox import OutboxMessage

# For every folder of tests: the desk of officials and the dossiers of processing tests, and
# a fixed clock for the requests an API key makes in a minute.
pytest_plugins = ["tests.fixtures.processing", "tests.fixtures.clock"]

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


# Cheap argon2 parameters for the accounts the tests create by the hundred; the tests of the
# hashing itself ask for the real ones with @pytest.mark.real_password_hashing.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("real_password_hashing"):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts_service, "hasher", CHEAP_HASHER)
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("MOTCUA_TEST_DATABASE_URL")
    if url:
        return url
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    return f"sqlite+aiosqlite:///{path}"


DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, with dummy credentials in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DUMMY_AWS_ENV.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def s3_admin(moto_endpoint: str) -> AsyncIterator[Any]:
    """A plain aiobotocore client, to create buckets and look behind the storage's back."""
    async with get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=moto_endpoint
    ) as client:
        yield client


TEST_BUCKET = "motcua-test"


@pytest.fixture(scope="session")
def storage_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Local files by default; MOTCUA_TEST_STORAGE=s3 puts them in a bucket of a moto server
    (as .ci/run does for the PostgreSQL run), so the whole suite runs on both backends."""
    if os.environ.get("MOTCUA_TEST_STORAGE", "local") != "s3":
        yield str(tmp_path_factory.mktemp("files"))
        return
    import boto3

    endpoint = request.getfixturevalue("moto_endpoint")
    boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint).create_bucket(
        Bucket=TEST_BUCKET
    )
    yield f"s3://{TEST_BUCKET}/files?endpoint_url={endpoint}&region=us-east-1"


@pytest.fixture(scope="session")
def settings(database_url: str, storage_url: str) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=database_url,
        storage_url=storage_url,
        secret_key=TEST_SECRET_KEY,
        base_url="http://testserver",
    )


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    """The test database brought to the newest migration, as `motcua db upgrade` does."""
    upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
async def database(migrated: str) -> AsyncIterator[Database]:
    database = Database(migrated)
    async with database.unit_of_work() as session:
        await load_demo(session)
    yield database
    await database.dispose()


@pytest.fixture
async def db_session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test."""
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The application, closed as its lifespan would close it (the test clients do not run
    the lifespan): its storage client and its database engine."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client over the app whose requests share the test's rolled-back session."""

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield db_session

    app.dependency_overrides[request_session] = test_session
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        app.dependency_overrides.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(settings: Settings, migrated: str, database: Database) -> Iterator[str]:
    """The portal served by uvicorn on a free local port, over the demo catalog."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def outbox_left_clean(settings: Settings, migrated: str) -> Iterator[None]:
    """What a module's browser tests queue through the live server (e-mails, jobs), which
    commits, is deleted after the module: the tests of other folders drain the outbox and
    would find it."""

    async def last() -> int:
        database = Database(settings.database_url)
        try:
            async with database.unit_of_work() as session:
                found = await session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
                return int(found or 0)
        finally:
            await database.dispose()

    async def clean(before: int) -> None:
        database = Database(settings.database_url)
        try:
            async with database.unit_of_work() as session:
                await session.execute(delete(OutboxMessage).where(OutboxMessage.id > before))
        finally:
            await database.dispose()

    # A loop of its own in a thread of its own: the browser tests run outside any event loop
    # while the live server runs its own.
    with ThreadPoolExecutor(1) as pool:
        before = pool.submit(asyncio.run, last()).result()
    yield
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, clean(before)).result()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[object]:
    """Debian's Chromium driven by Playwright, for one test module; skipped where it is missing.

    Playwright's sync API marks its asyncio loop as running in this thread while it is open, so
    no async fixture or test can run meanwhile: the browser lives for one module only, and the
    live server (whose fixtures are async) starts first.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


async def _on_postgres_server(url: str, *statements: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database, for whole-process tests."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"{parsed.database}_fresh"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(_on_postgres_server(database_url, drop, f'CREATE DATABASE "{name}"'))
    yield parsed.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_on_postgres_server(database_url, drop))
