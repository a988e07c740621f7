"""`motcua users`, `motcua units` and agency API keys on the command line, run in this process
(typer's CliRunner) against a fresh database of the test database's kind, with the demo."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from app.accounts import api_keys
from app.accounts.schemas import ApiPrincipal
from app.cli import cli
from app.config import get_settings
from app.db import Database
from tests.conftest import TEST_SECRET_KEY

AGENCY = "000.00.41.H39"


@pytest.fixture
def motcua(fresh_database_url: str) -> Iterator[CliRunner]:
    """A runner whose commands use a database of their own, migrated and with the demo."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTCUA_DATABASE_URL", fresh_database_url)
        patch.setenv("MOTCUA_ENVIRONMENT", "test")
        patch.setenv("MOTCUA_SECRET_KEY", TEST_SECRET_KEY)
        get_settings.cache_clear()
        runner = CliRunner()
        for command in (["db", "upgrade"], ["demo"]):
            result = runner.invoke(cli, command)
            assert result.exit_code == 0, result.output
        yield runner
    get_settings.cache_clear()


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def test_officials_are_created_and_listed(motcua: CliRunner) -> None:
    made = _run(
        motcua,
        "users",
        "create-official",
        "--email",
        "Hoa.Le@example.vn",
        "--password",
        "mat-khau-can-bo",
        "--agency",
        AGENCY,
        "--roles",
        "specialist, leader",
        "--name",
        "Lê Thị Hoa",
        "--unit",
        "chuyen-mon",
        "--title",
        "Phó Trưởng phòng",
    )
    assert made.exit_code == 0, made.output
    assert "Đã tạo cán bộ hoa.le@example.vn (specialist,leader)" in made.output
    assert f"created in agency {AGENCY}" in made.output

    listed = _run(motcua, "users", "list", "--agency", AGENCY)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLES", "UNIT", "TITLE", "STATUS"]
    [row] = [line for line in lines if line.startswith("hoa.le@example.vn")]
    assert "Lê Thị Hoa" in row and "specialist,leader" in row and "chuyen-mon" in row
    assert "Phó Trưởng phòng" in row and row.endswith("active")
    # The demo's officials are there too.
    assert any(line.startswith("quantri@example.com") for line in lines)

    other = _run(motcua, "users", "list", "--agency", "000.00.47.H39")
    assert other.exit_code == 0 and "the agency has no officials" in other.output


def test_bad_input_exits_1_with_every_field(motcua: CliRunner) -> None:
    refused = _run(
        motcua,
        "users",
        "create-official",
        "--email",
        "canbo@example.com",
        "--password",
        "short",
        "--agency",
        AGENCY,
        "--roles",
        "boss",
        "--unit",
        "nope",
    )
    assert refused.exit_code == 1
    for expected in (
        "Không tạo được tài khoản cán bộ",
        "The official's account was not created",
        "email: Địa chỉ thư điện tử này đã được dùng",
        "password: Mật khẩu phải có ít nhất 8 ký tự / Password must be at least 8 characters",
        "roles: Vai trò không xác định: boss",
        "unit: UBND phường Lào Cai không có đơn vị nào có mã nope",
        "full_name: Vui lòng nhập họ và tên / Enter your full name",
    ):
        assert expected in refused.output, refused.output
    unknown = _run(motcua, "users", "list", "--agency", "nope")
    assert unknown.exit_code == 1 and "There is no agency with the code 'nope'" in unknown.output


def test_units_are_created_and_listed(motcua: CliRunner) -> None:
    made = _run(
        motcua, "units", "create", "--agency", AGENCY, "--code", "tu-phap", "--name", "Tư pháp"
    )
    assert made.exit_code == 0, made.output
    assert "unit tu-phap (Tư pháp) created" in made.output
    listed = _run(motcua, "units", "list", "--agency", AGENCY)
    assert [line.split()[0] for line in listed.output.splitlines()] == [
        "CODE",
        "mot-cua",
        "chuyen-mon",
        "tu-phap",
    ]
    again = _run(motcua, "units", "create", "--agency", AGENCY, "--code", "tu-phap", "--name", " ")
    assert again.exit_code == 1
    assert "code: Cơ quan đã có đơn vị mã tu-phap" in again.output
    assert "name: Vui lòng nhập tên đơn vị / Enter the unit's name" in again.output


def test_agency_api_keys(motcua: CliRunner) -> None:
    created = _run(
        motcua,
        "apikeys",
        "create",
        "--name",
        "Một cửa điện tử",
        "--scopes",
        "dossiers:process",
        "--agency",
        AGENCY,
    )
    assert created.exit_code == 0, created.output
    assert f"cho cơ quan {AGENCY}" in created.output and f"for agency {AGENCY}" in created.output
    raw = created.output.strip().splitlines()[-1]

    async def who() -> ApiPrincipal:
        database = Database(get_settings().database_url)
        try:
            async with database.unit_of_work() as session:
                return await api_keys.authenticate(session, raw)
        finally:
            await database.dispose()

    principal = asyncio.run(who())
    assert principal.agency_code == AGENCY and principal.scopes == ["dossiers:process"]

    listed = _run(motcua, "apikeys", "list", "--agency", AGENCY)
    assert listed.exit_code == 0 and raw[:12] in listed.output and raw not in listed.output

    for wrong in (
        ["--scopes", "dossiers:read", "--agency", AGENCY],
        ["--scopes", "dossiers:process"],
        ["--scopes", "dossiers:process", "--agency", AGENCY, "--enterprise", "5390123451"],
    ):
        refused = _run(motcua, "apikeys", "create", "--name", "x", *wrong)
        assert refused.exit_code == 1
        assert "scopes: " in refused.output or "owner: " in refused.output


def test_api_keys_with_an_expiry_and_a_rate_limit(motcua: CliRunner) -> None:
    created = _run(
        motcua,
        "apikeys",
        "create",
        "--name",
        "Cổng tích hợp",
        "--scopes",
        "catalog:read,stats:read",
        "--agency",
        AGENCY,
        "--expires-days",
        "30",
        "--rate-limit",
        "120",
    )
    assert created.exit_code == 0, created.output
    raw = created.output.strip().splitlines()[-1]
    expires = (api_keys.after_days(30)).strftime("%Y-%m-%d")
    assert f"hết hạn {expires}" in created.output and f"expires {expires}" in created.output
    plain = _run(
        motcua,
        "apikeys",
        "create",
        "--name",
        "Thường",
        "--scopes",
        "catalog:read",
        "--agency",
        AGENCY,
    )
    assert plain.exit_code == 0, plain.output
    listed = _run(motcua, "apikeys", "list", "--agency", AGENCY)
    assert listed.exit_code == 0, listed.output
    heading, *rows = listed.output.strip().splitlines()
    assert "EXPIRES" in heading and "LAST USED" in heading and "PER MINUTE" in heading
    [limited] = [row for row in rows if raw[:12] in row]
    assert expires in limited and limited.rstrip().endswith("120")
    [default] = [row for row in rows if "Thường" in row]
    assert default.rstrip().endswith(f"{get_settings().api_rate_limit}*")
    for wrong in (["--expires-days", "0"], ["--rate-limit", "0"]):
        refused = _run(
            motcua,
            "apikeys",
            "create",
            "--name",
            "x",
            "--scopes",
            "catalog:read",
            "--agency",
            AGENCY,
            *wrong,
        )
        assert refused.exit_code == 2 and "Invalid value" in refused.output
