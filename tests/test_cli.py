"""The `motcua` command as an operator runs it, against a fresh database."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import update

from app.accounts import api_keys, service
from app.accounts.errors import Unauthorized
from app.accounts.schemas import ApiPrincipal
from app.catalog.importing import import_catalog
from app.config import Environment, Settings
from app.db import Database
from app.dossiers import service as dossiers
from app.dossiers.tasks import file_key
from app.kit.clock import utcnow
from app.models.dossiers import Dossier
from app.outbox import service as outbox
from app.outbox.mail import KIND, email_payload
from app.storage import storage_from_url
from tests.accounts.test_accounts_service import TAX_CODE as TAX
from tests.accounts.test_accounts_service import enterprise
from tests.conftest import TEST_BUCKET, TEST_SECRET_KEY
from tests.dossiers.conftest import PDF, chunks, make_citizen
from tests.fixtures.catalogs import PROCEDURE, small_catalog


def _motcua(
    url: str, cwd: Path, *args: str, storage: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MOTCUA_DATABASE_URL": url, "MOTCUA_ENVIRONMENT": "development"}
    if storage is not None:
        env["MOTCUA_STORAGE_URL"] = storage
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def motcua(fresh_database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _motcua(fresh_database_url, tmp_path, *args)

    return run


def test_upgrade_demo_export_import(motcua, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert motcua("db", "upgrade").returncode == 0
    first = motcua("demo")
    assert first.returncode == 0, first.stderr
    assert "created 0" not in first.stdout
    assert "demo accounts created: 7" in first.stdout
    second = motcua("demo")
    assert "created 0, updated 0" in second.stdout and "new form versions 0" in second.stdout
    assert "demo accounts created: 0" in second.stdout

    exported = tmp_path / "catalog.yaml"
    assert motcua("catalog", "export", "-o", str(exported)).returncode == 0
    data = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert len(data["procedures"]) >= 12
    again = motcua("catalog", "import", str(exported))
    assert again.returncode == 0, again.stderr
    assert "created 0, updated 0" in again.stdout
    # A development secret key was made on first run and is kept private.
    key = tmp_path / "var" / "secret_key"
    assert key.exists() and oct(key.stat().st_mode)[-3:] == "600"


def test_a_bad_catalog_is_refused_whole(motcua, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert motcua("db", "upgrade").returncode == 0
    bad = small_catalog()
    bad["procedures"][0]["field"] = "NOPE"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    result = motcua("catalog", "import", str(path))
    assert result.returncode == 1
    assert "procedures[0] (9.000001).field" in result.stderr
    assert "chưa có gì được ghi" in result.stderr

    exported = tmp_path / "out.json"
    assert motcua("catalog", "export", "-o", str(exported)).returncode == 0
    assert '"agencies": []' in exported.read_text(encoding="utf-8")

    broken = tmp_path / "broken.yaml"
    broken.write_text("agencies: [", encoding="utf-8")
    result = motcua("catalog", "import", str(broken))
    assert result.returncode == 1 and "Không đọc được" in result.stderr


def test_production_refuses_a_missing_secret(tmp_path: Path) -> None:
    env = {**os.environ, "MOTCUA_ENVIRONMENT": "production"}
    env.pop("MOTCUA_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "app", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "MOTCUA_SECRET_KEY is required in production" in result.stderr


def test_worker_once_delivers_the_outbox(fresh_database_url: str, tmp_path: Path) -> None:
    assert _motcua(fresh_database_url, tmp_path, "db", "upgrade").returncode == 0

    async def enqueue() -> None:
        database = Database(fresh_database_url)
        async with database.unit_of_work() as session:
            await outbox.enqueue(
                session, KIND, email_payload("an@example.com", "Thử gửi thư", "Nội dung thư")
            )
        await database.dispose()

    asyncio.run(enqueue())
    result = _motcua(fresh_database_url, tmp_path, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "delivered 1" in result.stdout
    mails = list((tmp_path / "var" / "mail").glob("*.eml"))
    assert len(mails) == 1 and "an@example.com" in mails[0].read_text(encoding="utf-8")
    again = _motcua(fresh_database_url, tmp_path, "worker", "--once")
    assert "delivered 0" in again.stdout


def test_apikeys_create_list_revoke(motcua, fresh_database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert motcua("db", "upgrade").returncode == 0
    unknown = motcua(
        "apikeys", "create", "--name", "ERP", "--scopes", "dossiers:read", "--enterprise", TAX
    )
    assert unknown.returncode == 1
    assert "There is no enterprise with the tax code" in unknown.stderr
    assert "Không có doanh nghiệp" in unknown.stderr

    async def sign_up() -> None:
        database = Database(fresh_database_url)
        try:
            async with database.unit_of_work() as session:
                await service.sign_up_enterprise(session, enterprise())
        finally:
            await database.dispose()

    asyncio.run(sign_up())
    bad = motcua(
        "apikeys", "create", "--name", "ERP", "--scopes", "dossiers:eat", "--enterprise", TAX
    )
    assert bad.returncode == 1
    assert "dossiers:submit, dossiers:read" in bad.stderr

    created = motcua(
        "apikeys",
        "create",
        "--name",
        "Phần mềm ERP",
        "--scopes",
        "dossiers:submit,dossiers:read",
        "--enterprise",
        TAX,
    )
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    raw = lines[-1]
    assert raw.startswith("mck_") and " " not in raw
    assert "Created API key" in created.stdout and "Đã tạo khoá API" in created.stdout

    async def who(key: str) -> ApiPrincipal:
        database = Database(fresh_database_url)
        try:
            async with database.unit_of_work() as session:
                return await api_keys.authenticate(session, key)
        finally:
            await database.dispose()

    principal = asyncio.run(who(raw))
    assert principal.enterprise_tax_code == TAX
    assert principal.scopes == ["dossiers:submit", "dossiers:read"]

    listed = motcua("apikeys", "list", "--enterprise", TAX)
    assert listed.returncode == 0, listed.stderr
    assert raw[:12] in listed.stdout and "Phần mềm ERP" in listed.stdout
    assert "dossiers:submit,dossiers:read" in listed.stdout
    assert raw not in listed.stdout

    # As listed: with its mark, so even a prefix beginning with "-" is not taken for an option.
    revoked = motcua("apikeys", "revoke", raw[:12])
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    with pytest.raises(Unauthorized):
        asyncio.run(who(raw))
    assert motcua("apikeys", "revoke", "nope1234").returncode == 1


def own_storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Storage of the test's own: a folder, or (MOTCUA_TEST_STORAGE=s3) a prefix of its own in
    the test bucket, so a clean-up run sees no other test's files."""
    if os.environ.get("MOTCUA_TEST_STORAGE", "local") != "s3":
        return str(tmp_path / "files")
    shared: str = request.getfixturevalue("storage_url")
    return shared.replace(f"{TEST_BUCKET}/files?", f"{TEST_BUCKET}/cli-{secrets.token_hex(6)}?")


def test_cleanup_deletes_expired_drafts_and_stray_files(
    fresh_database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    storage_url = own_storage_url(request, tmp_path)
    assert _motcua(fresh_database_url, tmp_path, "db", "upgrade").returncode == 0
    settings = Settings(
        environment=Environment.test,
        database_url=fresh_database_url,
        storage_url=storage_url,
        secret_key=TEST_SECRET_KEY,
    )
    old = utcnow() - timedelta(days=2)
    young = utcnow() - timedelta(minutes=5)

    async def prepare() -> dict[str, str]:
        database = Database(fresh_database_url)
        storage = storage_from_url(storage_url)
        try:
            async with database.unit_of_work() as session:
                await import_catalog(session, small_catalog())
                citizen = await make_citizen(session, 1)
                expired = await dossiers.start_draft(session, citizen, PROCEDURE, settings)
                kept = await dossiers.start_draft(session, citizen, PROCEDURE, settings)
                for draft in (expired, kept):
                    await dossiers.add_file(
                        session,
                        storage,
                        settings,
                        citizen,
                        draft.reference,
                        "declaration",
                        "a.pdf",
                        chunks(PDF),
                    )
                await session.execute(
                    update(Dossier)
                    .where(Dossier.reference == expired.reference)
                    .values(draft_expires_at=utcnow() - timedelta(minutes=1))
                )
            assert len([key async for key in storage.list_keys("files/")]) == 2
            stray_old, stray_young = file_key(old), file_key(young)
            for key in (stray_old, stray_young):
                await storage.write(key, chunks(PDF))
            return {"old": stray_old, "young": stray_young}
        finally:
            await storage.aclose()
            await database.dispose()

    async def remaining() -> set[str]:
        storage = storage_from_url(storage_url)
        try:
            return {key async for key in storage.list_keys("files/")}
        finally:
            await storage.aclose()

    strays = asyncio.run(prepare())
    before = asyncio.run(remaining())
    first = _motcua(fresh_database_url, tmp_path, "cleanup", storage=storage_url)
    assert first.returncode == 0, first.stderr
    assert "deleted 1 drafts, 0 unfinished uploads, 1 stray files" in first.stdout
    assert "Đã xoá 1 bản nháp" in first.stdout
    left = asyncio.run(remaining())
    assert strays["young"] in left and strays["old"] not in left
    # The expired draft's file went with it; the other draft's file stays.
    assert len(before - left) == 2 and len(left) == 2

    second = _motcua(
        fresh_database_url, tmp_path, "cleanup", "--grace-minutes", "0", storage=storage_url
    )
    assert second.returncode == 0, second.stderr
    assert "deleted 0 drafts, 0 unfinished uploads, 1 stray files" in second.stdout
    assert asyncio.run(remaining()) == left - {strays["young"]}
    refused = _motcua(fresh_database_url, tmp_path, "cleanup", "--grace-minutes", "-1")
    assert refused.returncode == 2
