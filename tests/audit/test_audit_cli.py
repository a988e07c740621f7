"""`motcua audit verify` on the command line: exit 0 on an intact chain, 1 on a broken one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.audit import service as audit
from app.cli import cli
from app.config import get_settings
from app.db import Database
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture
def motcua(fresh_database_url: str) -> Iterator[tuple[CliRunner, str]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTCUA_DATABASE_URL", fresh_database_url)
        patch.setenv("MOTCUA_ENVIRONMENT", "test")
        patch.setenv("MOTCUA_SECRET_KEY", TEST_SECRET_KEY)
        get_settings.cache_clear()
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        yield runner, fresh_database_url
    get_settings.cache_clear()


async def _write_and_tamper(url: str, *, tamper: bool) -> None:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            for n in range(3):
                await audit.record(session, actor="worker", actor_name="Thử", action=f"a{n}")
        if tamper:
            async with database.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    await connection.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
                await connection.execute(
                    text("UPDATE audit_records SET action = 'changed' WHERE action = 'a1'")
                )
                if connection.dialect.name == "postgresql":
                    await connection.execute(text("ALTER TABLE audit_records ENABLE TRIGGER USER"))
    finally:
        await database.dispose()


def test_verify_passes_an_intact_chain_and_fails_a_changed_row(
    motcua: tuple[CliRunner, str],
) -> None:
    runner, url = motcua
    asyncio.run(_write_and_tamper(url, tamper=False))
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "3" in intact.output
    asyncio.run(_write_and_tamper(url, tamper=True))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1, broken.output
    assert "changed" in broken.output or "thay đổi" in broken.output
