"""The audit chain: written in the caller's transaction, checked by walking it, and every kind
of change made behind its back is found at the row where it happened."""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditReport, Break
from app.db import Database
from app.kit.clock import aware
from app.models.audit import AuditRecord
from tests.audit.helpers import ids, record_many, tamper

VIETNAMESE_DETAIL: dict[str, Any] = {
    "lý_do": "Hồ sơ thiếu bản sao Giấy chứng nhận quyền sử dụng đất",
    "người_nhận": {"họ_tên": "Nguyễn Thị Ánh Tuyết", "đơn_vị": "Bộ phận Một cửa xã Đông Hưng"},
    "zeta": [1, 2.5, {"ạ": None, "a": True, "Đ": ["ỗ", "ữ"]}],
    "Ă": 0.1,
    "a": 1e-7,
    "b": 10**30,
    "phí": 50000.0,
    "lớn": 1e20,
}


async def test_a_chain_of_records_verifies(db_session: AsyncSession) -> None:
    before = await audit.verify(db_session)
    await record_many(db_session, 5)
    report = await audit.verify(db_session)
    assert report.ok and report.reason is None and report.first_broken_id is None
    assert report.rows_checked == before.rows_checked + 5
    rows = (
        await db_session.execute(
            select(AuditRecord.id, AuditRecord.previous_hash, AuditRecord.hash).order_by(
                AuditRecord.id
            )
        )
    ).all()
    assert rows[0].previous_hash == audit.GENESIS
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(rows))
    assert report.last_id == rows[-1].id and report.last_hash == rows[-1].hash


async def test_an_empty_trail_is_intact(db_session: AsyncSession) -> None:
    await tamper(db_session, "DELETE FROM audit_records")
    report = await audit.verify(db_session)
    assert report == AuditReport(ok=True, rows_checked=0)


async def test_the_hash_covers_the_stored_row_in_canonical_form(db_session: AsyncSession) -> None:
    await audit.record(
        db_session,
        actor="apikey:Ab12Cd34",
        actor_name="Hệ thống một cửa tỉnh",
        action="dossier.updated",
        detail={"b": 1, "a": "Đ"},
    )
    row = (
        await db_session.execute(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))
    ).scalar_one()
    at = aware(row.at)
    canonical = (
        '{"action":"dossier.updated","actor":"apikey:Ab12Cd34",'
        '"actor_name":"Hệ thống một cửa tỉnh",'
        f'"at":"{at.astimezone(UTC).isoformat(timespec="microseconds")}",'
        '"detail":{"a":"Đ","b":1},"dossier_code":null,"dossier_id":null,"ip":"",'
        f'"previous_hash":"{row.previous_hash}"}}'
    )
    assert row.hash == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "'dossier.deleted'"),
        ("actor", "'account:1'"),
        ("ip", "'198.51.100.1'"),
        ("detail", "'{\"x\": 1}'"),
        ("at", "'2020-01-01 00:00:00'"),
    ],
)
async def test_a_changed_field_is_found_at_its_row(
    db_session: AsyncSession, column: str, value: str
) -> None:
    await record_many(db_session, 4)
    target = (await ids(db_session))[-2]
    if column == "detail" and db_session.get_bind().dialect.name == "postgresql":
        value += "::jsonb"
    if column == "at" and db_session.get_bind().dialect.name == "postgresql":
        value += "::timestamptz"
    await tamper(
        db_session, f"UPDATE audit_records SET {column} = {value} WHERE id = :id", id=target
    )
    report = await audit.verify(db_session)
    assert not report.ok
    assert (report.first_broken_id, report.reason) == (target, Break.changed)


async def test_content_no_record_could_write_is_found_as_a_change(
    db_session: AsyncSession,
) -> None:
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("JSONB refuses NaN itself")
    await record_many(db_session, 2)
    target = (await ids(db_session))[-1]
    await tamper(
        db_session, "UPDATE audit_records SET detail = '{\"x\": NaN}' WHERE id = :id", id=target
    )
    report = await audit.verify(db_session)
    assert (report.first_broken_id, report.reason) == (target, Break.changed)


async def test_a_deleted_row_is_found_at_the_row_after_it(db_session: AsyncSession) -> None:
    await record_many(db_session, 4)
    chain = await ids(db_session)
    await tamper(db_session, "DELETE FROM audit_records WHERE id = :id", id=chain[-3])
    report = await audit.verify(db_session)
    assert (report.ok, report.first_broken_id, report.reason) == (False, chain[-2], Break.deleted)
    assert report.last_id == chain[-4]
    assert report.rows_checked == len(chain) - 2


async def test_deleting_the_first_rows_is_found(db_session: AsyncSession) -> None:
    await record_many(db_session, 3)
    chain = await ids(db_session)
    await tamper(db_session, "DELETE FROM audit_records WHERE id = :id", id=chain[0])
    report = await audit.verify(db_session)
    assert (report.first_broken_id, report.reason) == (chain[1], Break.deleted)
    assert report.last_id is None and report.last_hash is None


async def test_a_changed_previous_hash_is_found_at_its_row(db_session: AsyncSession) -> None:
    await record_many(db_session, 4)
    target = (await ids(db_session))[-2]
    await tamper(
        db_session,
        "UPDATE audit_records SET previous_hash = :forged WHERE id = :id",
        forged="f" * 64,
        id=target,
    )
    report = await audit.verify(db_session)
    assert (report.first_broken_id, report.reason) == (target, Break.changed)


async def test_a_row_rewritten_with_a_fresh_hash_breaks_the_link_after_it(
    db_session: AsyncSession,
) -> None:
    await record_many(db_session, 4)
    chain = await ids(db_session)
    row = (
        await db_session.execute(select(AuditRecord.__table__).where(AuditRecord.id == chain[-2]))
    ).one()
    forged = audit.content_hash(
        at=row.at,
        actor="account:999",
        actor_name=row.actor_name,
        ip=row.ip,
        action=row.action,
        dossier_id=row.dossier_id,
        dossier_code=row.dossier_code,
        detail=row.detail,
        previous_hash=row.previous_hash,
    )
    await tamper(
        db_session,
        "UPDATE audit_records SET actor = 'account:999', hash = :forged WHERE id = :id",
        forged=forged,
        id=chain[-2],
    )
    report = await audit.verify(db_session)
    assert (report.first_broken_id, report.reason) == (chain[-1], Break.unlinked)


async def test_a_reordered_pair_is_found_at_the_first_of_them(db_session: AsyncSession) -> None:
    await record_many(db_session, 4)
    chain = await ids(db_session)
    first, second = chain[-3], chain[-2]
    await tamper(db_session, "UPDATE audit_records SET id = -1 WHERE id = :id", id=first)
    await tamper(
        db_session, "UPDATE audit_records SET id = :to WHERE id = :id", to=first, id=second
    )
    await tamper(db_session, "UPDATE audit_records SET id = :to WHERE id = -1", to=second)
    report = await audit.verify(db_session)
    assert (report.first_broken_id, report.reason) == (first, Break.unlinked)
    assert report.last_id == chain[-4]


async def test_vietnamese_nested_detail_round_trips_and_verifies(
    db_session: AsyncSession,
) -> None:
    """On PostgreSQL the detail goes through JSONB, which reorders keys and rewrites numbers."""
    await audit.record(
        db_session,
        actor="account:12",
        actor_name="Trần Quốc Bảo",
        action="dossier.returned",
        detail=VIETNAMESE_DETAIL,
    )
    report = await audit.verify(db_session)
    assert report.ok, str(report)
    stored = await db_session.scalar(select(AuditRecord.detail).order_by(AuditRecord.id.desc()))
    assert stored == VIETNAMESE_DETAIL
    assert isinstance(stored, dict)
    assert type(stored["phí"]) is int and type(stored["lớn"]) is int


def test_detail_is_kept_as_plain_json() -> None:
    assert audit.plain_detail({"t": (1, 2.0), "n": {3: "a\x00b"}, "s": "x\ud800"}) == {
        "t": [1, 2],
        "n": {"3": "a\ufffdb"},
        "s": "x?",
    }
    with pytest.raises(TypeError):
        audit.plain_detail({"when": datetime.now(UTC)})
    with pytest.raises(ValueError):
        audit.plain_detail({"x": float("nan")})


async def test_text_postgresql_cannot_store_is_made_storable(db_session: AsyncSession) -> None:
    await audit.record(
        db_session,
        actor="worker",
        actor_name="Tên\x00lạ" + "x" * 300,
        action="dossier.read",
        ip="2001:db8::1, 203.0.113.9, 198.51.100.23, 192.0.2.1",
        detail={"q\x00": "a\x00"},
    )
    row = (
        await db_session.execute(
            select(AuditRecord.actor_name, AuditRecord.ip, AuditRecord.detail)
            .order_by(AuditRecord.id.desc())
            .limit(1)
        )
    ).one()
    assert row.actor_name.startswith("Tên\ufffdlạx") and len(row.actor_name) == 255
    assert len(row.ip) == 45
    assert row.detail == {"q\ufffd": "a\ufffd"}
    assert (await audit.verify(db_session)).ok


async def test_records_of_a_rolled_back_savepoint_leave_the_chain_intact(
    db_session: AsyncSession,
) -> None:
    await record_many(db_session, 2)
    savepoint = await db_session.begin_nested()
    await record_many(db_session, 2)
    await savepoint.rollback()
    await record_many(db_session, 2)
    assert (await audit.verify(db_session)).ok


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements sent to the test database meanwhile."""
    seen: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", before_cursor_execute)
    yield seen
    event.remove(database.engine.sync_engine, "before_cursor_execute", before_cursor_execute)


async def test_verify_streams_a_long_chain_in_batches(
    db_session: AsyncSession, statements: list[str]
) -> None:
    before = await audit.verify(db_session)
    previous = before.last_hash or audit.GENESIS
    rows: list[dict[str, Any]] = []
    at = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    for n in range(5000):
        fields: dict[str, Any] = {
            "at": at.replace(microsecond=n),
            "actor": f"account:{n % 37}",
            "actor_name": "Lê Văn Đức",
            "ip": "203.0.113.7",
            "action": "dossier.read",
            "dossier_id": None,
            "dossier_code": f"H99.01-261124-{n:04d}",
            "detail": {"trang": n, "ghi_chú": "Đã xem hồ sơ"},
            "previous_hash": previous,
        }
        previous = audit.content_hash(**fields)
        rows.append({**fields, "hash": previous})
    await db_session.execute(insert(AuditRecord), rows)
    statements.clear()
    started = time.perf_counter()
    report = await audit.verify(db_session, batch_size=500)
    elapsed = time.perf_counter() - started
    assert report.ok and report.rows_checked == before.rows_checked + 5000
    assert report.last_hash == previous
    reads = [s for s in statements if "FROM audit_records" in s]
    assert len(reads) == len(statements) == report.rows_checked // 500 + 1
    assert all("LIMIT" in s for s in reads)
    assert elapsed < 10


async def test_the_report_prints_in_both_languages(db_session: AsyncSession) -> None:
    await record_many(db_session, 3)
    intact = await audit.verify(db_session)
    assert "The audit chain is intact." in str(intact)
    assert f"{intact.last_id} {intact.last_hash}" in str(intact)
    target = (await ids(db_session))[-2]
    await tamper(db_session, "UPDATE audit_records SET action = 'x' WHERE id = :id", id=target)
    broken = str(await audit.verify(db_session))
    assert f"Chuỗi nhật ký bị phá vỡ tại bản ghi {target}." in broken
    assert f"The audit chain is broken at row {target}." in broken
    assert "Lý do: bản ghi đã bị sửa" in broken and "Reason: the row was changed" in broken


def test_an_intact_report_gives_no_reason() -> None:
    report = AuditReport(ok=True, rows_checked=0)
    assert report.reason_vi == report.reason_en == ""
    assert str(report).splitlines()[1] == "Chuỗi nhật ký nguyên vẹn. / The audit chain is intact."
