"""`motcua calendar` and `motcua delegations`, run in this process (typer's CliRunner) against a
fresh database of the test database's kind, with the demo."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from app.cli import cli
from tests.accounts.test_officials_cli import motcua

__all__ = ["motcua"]

COMMUNE = "000.00.41.H39"
PROVINCE = "000.00.00.H39"
BIRTH = "1.001193"
DEPARTMENTS_ONLY = "2.000488"


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def _rows(result: Result) -> list[list[str]]:
    """The table's rows after its heading, each cut into its first columns (the last one,
    a name or note, may hold spaces)."""
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()[1:]]


def test_the_calendar_is_listed_changed_and_restored(motcua: CliRunner) -> None:
    listed = _run(motcua, "calendar", "list", "--year", "2026")
    assert listed.output.splitlines()[0].split() == ["DAY", "WEEKDAY", "KIND", "SOURCE", "NAME"]
    rows = _rows(listed)
    assert rows[0][:4] == ["2026-01-01", "Thu", "day_off", "statutory"]
    assert ["2026-08-22", "Sat", "working", "statutory"] in [row[:4] for row in rows]

    saved = _run(
        motcua, "calendar", "set", "--day", "2026-01-02", "--kind", "day_off", "--name", "Nghỉ bù"
    )
    assert saved.exit_code == 0, saved.output
    assert saved.output.strip() == (
        "Đã lưu ngày 2026-01-02 (day_off, Nghỉ bù) / day 2026-01-02 (day_off, Nghỉ bù) saved"
    )
    rows = _rows(_run(motcua, "calendar", "list", "--year", "2026"))
    assert ["2026-01-02", "Fri", "day_off", "admin", "Nghỉ", "bù"] in rows

    removed = _run(motcua, "calendar", "remove", "--day", "2026-01-02")
    assert removed.exit_code == 0, removed.output
    assert "2026-01-02 removed from the working calendar" in removed.output
    gone = _run(motcua, "calendar", "remove", "--day", "2026-01-02")
    assert gone.exit_code == 1
    assert "Ngày 02/01/2026 không có trong lịch làm việc." in gone.output
    assert "2026-01-02 is not in the working calendar." in gone.output


def test_bad_calendar_input_exits_1_with_every_field(motcua: CliRunner) -> None:
    unreadable = _run(
        motcua, "calendar", "set", "--day", "2026-02-30", "--kind", "holiday", "--name", "X"
    )
    assert unreadable.exit_code == 1
    for expected in (
        "The working calendar is unchanged: please correct the errors below.",
        "day: '2026-02-30' không phải là một ngày có thật dạng YYYY-MM-DD"
        " / '2026-02-30' is not a real date written YYYY-MM-DD",
        "kind: Loại ngày là một trong: day_off, working / The kind is one of: day_off, working",
    ):
        assert expected in unreadable.output, unreadable.output
    weekday = _run(motcua, "calendar", "set", "--day", "2026-01-05", "--kind", "working")
    assert weekday.exit_code == 2 and "--name" in weekday.output
    refused = _run(
        motcua, "calendar", "set", "--day", "2026-01-05", "--kind", "working", "--name", " "
    )
    assert refused.exit_code == 1
    assert "day: Ngày 05/01/2026 vốn đã là ngày làm việc" in refused.output
    assert "name: Vui lòng nhập tên của ngày" in refused.output
    assert _run(motcua, "calendar", "remove", "--day", "mai").exit_code == 1


def test_delegations_are_created_listed_and_revoked(motcua: CliRunner) -> None:
    assert (
        "the agency has delegated nothing"
        in _run(motcua, "delegations", "list", "--agency", COMMUNE).output
    )
    made = _run(
        motcua,
        "delegations",
        "create",
        "--from",
        COMMUNE,
        "--procedure",
        BIRTH,
        "--to",
        PROVINCE,
        "--starts",
        "2026-03-02",
        "--ends",
        "2026-03-31",
        "--note",
        "Quyết định 12/QĐ-UBND",
    )
    assert made.exit_code == 0, made.output
    assert f"of {COMMUNE} to {PROVINCE}, 2026-03-02 – 2026-03-31" in made.output
    everything = _run(
        motcua,
        "delegations",
        "create",
        "--from",
        COMMUNE,
        "--to",
        COMMUNE,
        "--unit",
        "chuyen-mon",
        "--starts",
        "2026-04-01",
        "--ends",
        "2026-04-30",
    )
    assert everything.exit_code == 0, everything.output
    assert f"mọi thủ tục của {COMMUNE} cho {COMMUNE}/chuyen-mon" in everything.output

    listed = _run(motcua, "delegations", "list", "--agency", COMMUNE)
    assert listed.output.splitlines()[0].split() == [
        "ID",
        "PROCEDURE",
        "TO",
        "STARTS",
        "ENDS",
        "STATE",
        "NOTE",
    ]
    [latest, first] = _rows(listed)
    assert latest[1:5] == ["*", f"{COMMUNE}/chuyen-mon", "2026-04-01", "2026-04-30"]
    assert first[1:5] == [BIRTH, PROVINCE, "2026-03-02", "2026-03-31"]
    assert first[6:] == ["Quyết", "định", "12/QĐ-UBND"]

    clash = _run(
        motcua,
        "delegations",
        "create",
        "--from",
        COMMUNE,
        "--procedure",
        BIRTH,
        "--to",
        PROVINCE,
        "--starts",
        "2026-03-31",
        "--ends",
        "2026-04-02",
    )
    assert clash.exit_code == 1
    assert f"starts_on: Thủ tục {BIRTH} đã được ủy quyền" in clash.output

    other = _run(motcua, "delegations", "revoke", "--agency", PROVINCE, "--id", first[0])
    assert other.exit_code == 1
    assert "The agency has no such delegation, or it was revoked already." in other.output
    revoked = _run(motcua, "delegations", "revoke", "--agency", COMMUNE, "--id", first[0])
    assert revoked.exit_code == 0, revoked.output
    assert f"delegation #{first[0]} to {PROVINCE} revoked" in revoked.output
    [_, first] = _rows(_run(motcua, "delegations", "list", "--agency", COMMUNE))
    assert first[5] == "revoked"


def test_bad_delegations_exit_1_with_every_field(motcua: CliRunner) -> None:
    refused = _run(
        motcua,
        "delegations",
        "create",
        "--from",
        COMMUNE,
        "--procedure",
        DEPARTMENTS_ONLY,
        "--to",
        PROVINCE,
        "--unit",
        "nope",
        "--starts",
        "2026-02-30",
        "--ends",
        "2026-03-01",
    )
    assert refused.exit_code == 1
    for expected in (
        "Chưa lưu được ủy quyền: vui lòng sửa các lỗi dưới đây.",
        "The delegation was not saved: please correct the errors below.",
        f"procedure: UBND phường Lào Cai không giải quyết thủ tục {DEPARTMENTS_ONLY}",
        "to_unit: UBND tỉnh Lào Cai không có đơn vị nào có mã nope"
        " / UBND tỉnh Lào Cai has no unit with the code nope",
        "starts_on: Vui lòng nhập ngày bắt đầu ủy quyền, là một ngày có thật"
        " / Enter the first day of the delegation, a real date",
    ):
        assert expected in refused.output, refused.output
    unknown = _run(
        motcua,
        "delegations",
        "create",
        "--from",
        "nope",
        "--to",
        PROVINCE,
        "--starts",
        "2026-03-01",
        "--ends",
        "2026-03-02",
    )
    assert unknown.exit_code == 1 and "There is no agency with the code 'nope'" in unknown.output
    assert _run(motcua, "delegations", "list", "--agency", "nope").exit_code == 1
