"""The Decision 766 indicators of one province's year on one million dossiers (PostgreSQL).

Creates a fresh PostgreSQL database (`MOTCUA_BENCH_STATS_URL`, by default
postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench_stats), migrates it with
`motcua db upgrade`, loads the demo catalog and generated procedures up to about 2,000 across
30 agencies (as bench/queues.py does), gives fees to some procedures and online payment to
most of those, then fills one million dossiers of 2025 with bulk SQL: received over the year,
most returned, some stopped, refused, withdrawn or still in processing, one in ten asked for a
supplement (some twice), a few apologised for, late or early against their due time; with
payments made online, scanned or reused files, signed results, ratings and complaints.

Then builds the summary of the year's months as the worker does (timed, month by month), and
times the statistics service's report (the same call the pages and the API make) for the
calendar year (all twelve months from the summary) and for periods with a partial month read
live (1 January to 15 November, 10 February to 31 December): the whole province, by agency, by
month, by field, by procedure; the first run on a fresh connection (cold) and the median of
`--runs` more (warm). Prints the figures and whether each meets the target (500 ms).
`--live` also times the calendar year without the summary (every dossier read), and
`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the statements of a report by agency.
Drops the database at the end unless `--keep`; `--reuse` keeps a filled database from before.

    .venv/bin/python bench/stats.py [--dossiers 1000000] [--runs 7] [--live] [--explain] [--keep]
        [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import date
from typing import Any

from queues import _connect, _load_catalog, _migrate, _on_server, _seeded
from sqlalchemy import delete, event, func, make_url, select
from sqlalchemy.engine import Connection

from app.config import Environment, Settings
from app.db import Database
from app.models.stats import StatsMonthBuild, StatsMonthCount
from app.stats import service
from app.stats.schemas import GroupBy, StatsFilter

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench_stats"
TARGET_MS = 500.0
YEAR = 2025
SEED = 0.766

# Fees for a share of the procedures, and online payment for most of those.
PROCEDURES = """
UPDATE procedures SET
    fees = CASE WHEN random() < 0.45
        THEN jsonb_build_array(jsonb_build_object('name', 'Lệ phí', 'amount',
            (1 + floor(random() * 20))::int * 10000, 'per', 'dossier'))
        ELSE '[]'::jsonb END,
    payment_stage = NULL;
UPDATE procedures SET payment_stage = CASE WHEN random() < 0.5 THEN 'before_processing'
    ELSE 'before_result' END
WHERE jsonb_array_length(fees) > 0 AND random() < 0.85;
"""

LOOKUPS = """
CREATE TEMP TABLE bench_agencies AS
WITH latest AS (
    SELECT DISTINCT ON (procedure_id) procedure_id, id
    FROM procedure_versions ORDER BY procedure_id, number DESC
)
SELECT row_number() OVER (ORDER BY a.id)::int AS idx, a.id AS agency_id, a.code,
    array_agg(pa.procedure_id ORDER BY pa.procedure_id) AS procedures,
    array_agg(latest.id ORDER BY pa.procedure_id) AS versions
FROM agencies a
JOIN procedure_agencies pa ON pa.agency_id = a.id
JOIN latest ON latest.procedure_id = pa.procedure_id
GROUP BY a.id, a.code;
"""

# Every dossier drawn at once: agency (skewed: a few take most), procedure (a few of each
# agency's take most), channel, received time over the year, time allowed, status, and how
# processing went. $1 count, $2 the year's first moment (UTC).
SEED_DOSSIERS = """
CREATE TEMP TABLE bench_seed AS
WITH draws AS (
    SELECT i, random() AS r_agency, random() AS r_procedure, random() AS r_status,
        random() AS r_time, random() AS r_days, random() AS r_late, random() AS r_supp,
        random() AS r_channel, random() AS r_extra, $2::timestamptz AS t0,
        (SELECT count(*) FROM bench_agencies)::int AS agencies
    FROM generate_series(1, $1::int) AS i
), placed AS (
    SELECT d.*, a.agency_id, a.code AS agency_code,
        a.procedures[1 + floor(power(d.r_procedure, 3) * cardinality(a.procedures))::int]
            AS procedure_id,
        a.versions[1 + floor(power(d.r_procedure, 3) * cardinality(a.versions))::int]
            AS version_id,
        d.t0 + d.r_time * interval '365 days' AS received,
        make_interval(days => 3 + floor(d.r_days * 13)::int) AS allowed,
        CASE WHEN d.r_supp < 0.02 THEN 2 WHEN d.r_supp < 0.12 THEN 1 ELSE 0 END AS supplements
    FROM draws d
    JOIN bench_agencies a ON a.idx = 1 + floor(power(d.r_agency, 2) * d.agencies)::int
), fated AS (
    SELECT p.*,
        CASE
            WHEN p.r_status < 0.02 THEN 3
            WHEN p.r_status < 0.03 THEN 7
            WHEN p.r_status < 0.05 THEN 8
            -- Received in the last weeks of the year: many still in processing.
            WHEN p.received > p.t0 + interval '340 days' AND p.r_status < 0.5 THEN
                (ARRAY[2, 4, 4, 4, 5, 6])[1 + floor(p.r_extra * 6)::int]
            WHEN p.r_status < 0.08 THEN 9
            ELSE 10
        END AS status,
        p.allowed * (CASE WHEN p.supplements > 0 THEN 1.3 ELSE 1 END) AS due_after
    FROM placed p
)
SELECT f.*,
    CASE WHEN f.status NOT IN (3, 7) THEN f.received + f.due_after END AS due,
    CASE WHEN f.status NOT IN (3, 7) THEN f.received + f.allowed END AS original_due,
    CASE
        WHEN f.status = 3 THEN f.received + interval '3 hours'
        WHEN f.status IN (8, 9, 10) THEN f.received + f.due_after * (
            CASE WHEN f.r_late < 0.09 THEN 1.05 + f.r_late * 3 ELSE 0.2 + f.r_late * 0.8 END)
    END AS finished,
    f.r_late BETWEEN 0.05 AND 0.08 AS apologised,
    CASE WHEN f.r_channel < 0.55 THEN 2 WHEN f.r_channel < 0.97 THEN 1 ELSE 3 END AS channel
FROM fated f
"""

INSERT_DOSSIERS = """
INSERT INTO dossiers (
    id, reference, code, procedure_id, procedure_version_id, agency_id, applicant_type,
    applicant_id_number, applicant_name, applicant_phone, applicant_email, status, channel,
    data, delivery, created_at, updated_at, submitted_at, row_version, received_at,
    clock_started_at, due_at, original_due_at, paused_at, finished_at, returned_at,
    supplement_count, apology_at, apology_late, handling_agency_id, withdrawn_at
)
SELECT s.i, 'stats' || lpad(to_hex(s.i), 12, '0'),
    s.agency_code || '-' || to_char(s.received AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYMMDD')
        || '-' || lpad(s.i::text, 7, '0'),
    s.procedure_id, s.version_id, s.agency_id, 1,
    lpad(((s.i::bigint * 7919) % 1000000000000)::text, 12, '0'), 'Nguyễn Văn An', '', '',
    s.status, s.channel, '{}'::jsonb,
    CASE WHEN s.r_extra < 0.6 THEN 'online' WHEN s.r_extra < 0.9 THEN 'counter' ELSE 'post' END,
    s.received - interval '1 hour', coalesce(s.finished, s.received),
    s.received - interval '1 hour',
    1,
    CASE WHEN s.status NOT IN (3, 7) THEN s.received END,
    CASE WHEN s.status NOT IN (3, 7) THEN s.received END,
    s.due, s.original_due,
    CASE WHEN s.status = 5 THEN s.received + s.allowed * 0.3 END,
    s.finished,
    CASE WHEN s.status = 10 THEN s.finished + interval '1 day' END,
    s.supplements,
    CASE WHEN s.apologised AND s.due IS NOT NULL THEN s.due - interval '2 days' END,
    false, s.agency_id,
    CASE WHEN s.status = 7 THEN s.received END
FROM bench_seed s
"""

FACTS = """
INSERT INTO payments (reference, dossier_id, agency_id, stage, gateway, amount, lines, state,
    order_info, locale, created_at, expires_at, paid_at, check_count, refunded_amount,
    row_version)
SELECT 'P' || s.i, s.i, s.agency_id, p.payment_stage, 'vnpay', 50000, '[]'::jsonb,
    CASE WHEN s.r_extra < 0.02 THEN 'refunded' WHEN s.r_extra < 0.9 THEN 'paid'
        ELSE 'expired' END,
    '', 'vi', s.received, s.received + interval '1 day',
    CASE WHEN s.r_extra < 0.9 THEN s.received + interval '1 hour' END, 0, 0, 1
FROM bench_seed s JOIN procedures p ON p.id = s.procedure_id
WHERE p.payment_stage IS NOT NULL AND s.status NOT IN (3, 7) AND s.channel = 2;

INSERT INTO dossier_files (reference, dossier_id, slot, storage_key, display_name, content_type,
    size, sha256, created_at, origin)
SELECT 'F' || s.i, s.i, 'declaration', 'files/' || s.i, 'tờ khai.pdf', 'application/pdf', 1000,
    repeat('0', 64), s.received,
    CASE WHEN s.r_late < 0.25 THEN 'scan' WHEN s.r_late < 0.35 THEN 'reuse' ELSE 'upload' END
FROM bench_seed s WHERE s.r_procedure < 0.8;

INSERT INTO dossier_documents (reference, dossier_id, form, storage_key, size, sha256, signed,
    created_at, created_by)
SELECT 'R' || s.i, s.i, 'result', 'results/' || s.i, 1000, repeat('0', 64),
    s.r_supp > 0.1, s.finished, 'Văn thư'
FROM bench_seed s WHERE s.status IN (9, 10);

INSERT INTO dossier_ratings (dossier_id, score, comment, created_at)
SELECT s.i, CASE WHEN s.r_days < 0.55 THEN 1 WHEN s.r_days < 0.93 THEN 2 ELSE 3 END, '',
    s.finished + interval '2 days'
FROM bench_seed s WHERE s.status = 10 AND s.r_channel < 0.3;

INSERT INTO feedback (reference, kind, dossier_id, agency_id, sender_name, sender_email,
    subject, body, created_at, due_at, state, row_version)
SELECT 'K' || s.i, CASE WHEN s.r_days < 0.7 THEN 'report' ELSE 'petition' END, s.i,
    s.agency_id, 'Nguyễn Văn An', '', 'Phản ánh', 'Hồ sơ chậm.', s.received + interval '5 days',
    s.received + interval '15 days', 'open', 1
FROM bench_seed s WHERE s.r_status > 0.985;
"""


def _url() -> str:
    return os.environ.get("MOTCUA_BENCH_STATS_URL", DEFAULT_URL)


async def _fill(url: str, count: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    _migrate(url)
    timings["migrate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    timings["procedures"] = float(await _load_catalog(url))
    timings["catalog_s"] = time.perf_counter() - started
    connection = await _connect(url)
    try:
        await connection.execute("SET work_mem = '256MB'")
        await connection.execute("SET maintenance_work_mem = '512MB'")
        await connection.execute("SELECT setseed($1)", SEED)
        await connection.execute(PROCEDURES)
        await connection.execute(LOOKUPS)
        started = time.perf_counter()
        await connection.execute(SEED_DOSSIERS, count, _year_start())
        timings["draw_s"] = time.perf_counter() - started
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            await connection.execute(INSERT_DOSSIERS)
            await connection.execute(FACTS)
        await connection.execute("SELECT setval('dossiers_id_seq', (SELECT max(id) FROM dossiers))")
        timings["insert_s"] = time.perf_counter() - started
        started = time.perf_counter()
        # What autovacuum would have done by the time the statistics are read.
        for table in ("dossiers", "payments", "dossier_files", "dossier_documents"):
            await connection.execute(f"VACUUM (ANALYZE) {table}")
        await connection.execute("ANALYZE")
        timings["vacuum_s"] = time.perf_counter() - started
    finally:
        await connection.close()
    return timings


def _year_start() -> Any:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(YEAR, 1, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _settings(url: str) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=url,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",
    )


async def _build_summary(url: str) -> float:
    """Build the summary of the year's twelve months, each in its own transaction (as the
    worker does); the seconds it took."""
    settings = _settings(url)
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            await session.execute(delete(StatsMonthCount))
            await session.execute(delete(StatsMonthBuild))
        started = time.perf_counter()
        for month in range(1, 13):
            began = time.perf_counter()
            async with database.unit_of_work() as session:
                await service.build_month(session, settings, f"{YEAR}-{month:02d}")
            print(f"    {YEAR}-{month:02d} built in {time.perf_counter() - began:5.2f} s")
        took = time.perf_counter() - started
        async with database.unit_of_work() as session:
            rows = await session.scalar(select(func.count()).select_from(StatsMonthCount))
        # What autovacuum does after a table gets that many rows.
        connection = await _connect(url)
        try:
            await connection.execute("ANALYZE stats_month_counts")
        finally:
            await connection.close()
        print(f"  the year's summary built in {took:.1f} s ({rows:,} rows)")
        return took
    finally:
        await database.dispose()


async def _forget_builds(url: str) -> list[tuple[str, Any]]:
    """Set the summary aside (its builds forgotten, so every month is read live)."""
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            kept = [(b.month, b.built_at) for b in (await session.scalars(select(StatsMonthBuild)))]
            await session.execute(delete(StatsMonthBuild))
        return kept
    finally:
        await database.dispose()


async def _restore_builds(url: str, kept: list[tuple[str, Any]]) -> None:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            session.add_all([StatsMonthBuild(month=m, built_at=t) for m, t in kept])
    finally:
        await database.dispose()


CASES: list[tuple[str, GroupBy | None]] = [
    ("province", None),
    ("by agency", GroupBy.agency),
    ("by month", GroupBy.month),
    ("by field", GroupBy.field),
    ("by procedure", GroupBy.procedure),
]


async def _time_reports(
    url: str, wanted: StatsFilter, runs: int, cases: list[tuple[str, GroupBy | None]] = CASES
) -> dict[str, tuple[float, float]]:
    settings = _settings(url)
    figures: dict[str, tuple[float, float]] = {}
    for name, group_by in cases:
        database = Database(url)
        try:
            times: list[float] = []
            for _ in range(runs + 1):
                async with database.unit_of_work() as session:
                    started = time.perf_counter()
                    done = await service.report(session, settings, wanted, group_by)
                    times.append((time.perf_counter() - started) * 1000)
            cold, warm = times[0], statistics.median(times[1:])
            figures[name] = (cold, warm)
            print(
                f"  {name:<13} cold {cold:7.1f} ms   warm median {warm:7.1f} ms"
                f"   {'meets' if warm < TARGET_MS else 'MISSES'} {TARGET_MS:.0f} ms"
                f"   ({done.total.received:,} received, {len(done.groups)} groups)"
            )
        finally:
            await database.dispose()
    return figures


async def _explain(url: str, wanted: StatsFilter) -> None:
    settings = _settings(url)
    database = Database(url)
    statements: list[str] = []

    def capture(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if "count(" in statement or "sum(" in statement:
            compiled = context.compiled
            statements.append(
                str(compiled.statement.compile(conn, compile_kwargs={"literal_binds": True}))
            )

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with database.unit_of_work() as session:
            await service.report(session, settings, wanted, GroupBy.agency)
    finally:
        await database.dispose()
    connection = await _connect(url)
    try:
        await connection.execute("SET work_mem = '64MB'")
        for statement in statements:
            print("\n" + statement)
            for row in await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}"):
                print("   ", row[0])
    finally:
        await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = _url()
    name = make_url(url).database
    if not (args.reuse and await _seeded(url) >= args.dossiers):
        await _on_server(
            url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
        )
        print(f"Filling {name} with {args.dossiers:,} dossiers of {YEAR}...")
        timings = await _fill(url, args.dossiers)
        print("  " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    try:
        print(f"Building the summary of {YEAR}'s months:")
        await _build_summary(url)
        periods = [
            (
                "the calendar year, every month from the summary",
                date(YEAR, 1, 1),
                date(YEAR, 12, 31),
            ),
            ("1 January to 15 November (half a month live)", date(YEAR, 1, 1), date(YEAR, 11, 15)),
            ("10 February to 31 December (20 days live)", date(YEAR, 2, 10), date(YEAR, 12, 31)),
        ]
        for title, first, last in periods:
            print(f"The indicators of {first} to {last}, {title} ({args.runs} warm runs):")
            await _time_reports(url, StatsFilter(first=first, last=last), args.runs)
        year = StatsFilter(first=date(YEAR, 1, 1), last=date(YEAR, 12, 31))
        if args.explain:
            await _explain(url, year)
        if args.live:
            kept = await _forget_builds(url)
            try:
                print(f"The calendar year without the summary ({args.runs} warm runs):")
                await _time_reports(url, year, args.runs, CASES[:3])
            finally:
                await _restore_builds(url, kept)
    finally:
        if not args.keep:
            await _on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
