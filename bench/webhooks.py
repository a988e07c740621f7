"""Callback deliveries per second from one worker on PostgreSQL to a local receiver.

Creates a fresh PostgreSQL database (127.0.0.1:5432), migrates it, loads one agency and
subscribes a local receiver to its events (bench/webhook_receiver.py: uvicorn in a process of its
own that verifies every Standard Webhooks signature). Then, for each run, seeds `--events`
events of `--dossiers` dossiers with their pending deliveries (bulk SQL, the rows publish
writes) and delivers them twice over:

- with the worker's own drain (`deliver_due`) in this process, timed by the clock;
- with `motcua worker` in a process of its own, timed from the database: first attempt to last
  settled delivery.

Prints deliveries per second of each, checks that the receiver got every event exactly as
signed, and whether the target (500 per second) is met. Drops the database unless `--keep`.

    .venv/bin/python bench/webhooks.py [--events 20000] [--dossiers 2000] [--runs 2]
        [--batch 200] [--concurrency 64] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from portal import AGENCY, catalog, free_port
from sqlalchemy import make_url

from app.catalog import service as catalog_service
from app.catalog.importing import import_catalog
from app.config import Settings
from app.db import PROJECT_DIR, Database, upgrade
from app.webhooks import delivery, service
from app.webhooks.schemas import Owner, SubscriptionIn

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench_webhooks"
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
TARGET_PER_SECOND = 500.0
# What a receiver gets for one change of a dossier (about 700 bytes), as publish writes it.
PAYLOAD = {
    "type": "dossier.received",
    "timestamp": "2026-11-24T08:30:00+07:00",
    "data": {
        "id": "",
        "sequence": 3,
        "dossier_code": "",
        "status": 2,
        "status_name": "Được tiếp nhận",
        "channel": 2,
        "procedure_code": "1.004873",
        "agency_code": AGENCY,
        "applicant_type": "citizen",
        "submitted_at": "2026-11-24T01:10:00+00:00",
        "received_at": "2026-11-24T01:30:00+00:00",
        "due_at": "2026-11-27T10:00:00+00:00",
        "finished_at": None,
        "returned_at": None,
        "delivery": {"method": "online"},
        "action": "received",
        "note": "Hồ sơ đầy đủ, hợp lệ; đã tiếp nhận và hẹn trả kết quả.",
    },
}


async def _on_server(*statements: str) -> None:
    parsed = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _connect() -> asyncpg.Connection:
    parsed = make_url(POSTGRES_URL)
    connection: asyncpg.Connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    return connection


def _settings(batch: int, concurrency: int) -> Settings:
    return Settings(
        database_url=POSTGRES_URL,
        secret_key=SECRET_KEY,
        webhook_allowed_networks="127.0.0.0/8",
        webhook_batch=batch,
        webhook_concurrency=concurrency,
    )


async def _subscribe(settings: Settings, target: str) -> tuple[int, str]:
    """The bench agency and its subscription to the receiver: (subscription id, secret)."""
    await asyncio.to_thread(upgrade, POSTGRES_URL)
    database = Database(POSTGRES_URL)
    try:
        async with database.unit_of_work() as session:
            await import_catalog(
                session,
                catalog(
                    "1.004873",
                    "Đo hiệu năng callbacks",
                    [{"key": "full_name", "type": "text", "label": "Họ và tên", "required": True}],
                ),
            )
            agency = await catalog_service.agency_by_code(session, AGENCY)
            assert agency is not None
            out, secret = await service.create_subscription(
                session, settings, Owner(agency_id=agency.id), SubscriptionIn(url=target)
            )
        connection = await _connect()
        try:
            subscription_id = await connection.fetchval(
                "SELECT id FROM webhook_subscriptions WHERE reference = $1", out.id
            )
        finally:
            await connection.close()
        return int(subscription_id), secret
    finally:
        await database.dispose()


async def _seed(run: int, subscription_id: int, events: int, dossiers: int) -> float:
    """The run's events, interleaved over the dossiers, each with its pending delivery."""
    started = time.perf_counter()
    connection = await _connect()
    try:
        async with connection.transaction():
            await connection.execute(
                """
                INSERT INTO webhook_events (reference, type, dossier_code, procedure_code,
                    agency_code, sequence, occurred_at, payload)
                SELECT 'msg_bench_' || $1::text || '_' || g, 'dossier.received',
                    'H39.99-261124-' || lpad(($2::int + g % $3::int)::text, 6, '0'),
                    '1.004873', $4::text, g / $3::int, now(),
                    jsonb_set(jsonb_set($5::jsonb, '{data,id}',
                        to_jsonb('msg_bench_' || $1::text || '_' || g)),
                        '{data,dossier_code}',
                        to_jsonb('H39.99-261124-' || lpad(($2::int + g % $3::int)::text, 6, '0')))
                FROM generate_series(1, $6::int) AS g
                """,
                str(run),
                run * dossiers,
                dossiers,
                AGENCY,
                json.dumps(PAYLOAD),
                events,
            )
            await connection.execute(
                """
                INSERT INTO webhook_deliveries (subscription_id, event_id, dossier_code, state,
                    attempts, next_attempt_at, created_at)
                SELECT $1::int, id, dossier_code, 'pending', 0, now(), now()
                FROM webhook_events WHERE reference LIKE 'msg_bench_' || $2::text || '\\_%'
                ORDER BY id
                """,
                subscription_id,
                str(run),
            )
        await connection.execute("ANALYZE webhook_deliveries")
        await connection.execute("ANALYZE webhook_events")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _delivered_span(run: int) -> tuple[int, float]:
    """How many of the run's deliveries are delivered, and the seconds from the first attempt
    to the last settled one."""
    connection = await _connect()
    try:
        row = await connection.fetchrow(
            """
            SELECT count(*) FILTER (WHERE d.state = 'delivered') AS delivered,
                   extract(epoch FROM max(d.finished_at) - min(a.attempted_at)) AS seconds
            FROM webhook_deliveries d
            JOIN webhook_events e ON e.id = d.event_id
            LEFT JOIN webhook_attempts a ON a.delivery_id = d.id
            WHERE e.reference LIKE 'msg_bench_' || $1::text || '\\_%'
            """,
            str(run),
        )
    finally:
        await connection.close()
    assert row is not None
    return int(row["delivered"]), float(row["seconds"] or 0.0)


def _receiver_counts(base: str) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{base}/count", timeout=10).json()
    return counts


async def _in_process(settings: Settings) -> tuple[int, float]:
    database = Database(POSTGRES_URL)
    try:
        started = time.perf_counter()
        report = await delivery.deliver_due(database.unit_of_work, settings)
        return report.delivered, time.perf_counter() - started
    finally:
        await database.dispose()


def _worker_process(run: int, events: int, args: argparse.Namespace, workdir: Path) -> float:
    """`motcua worker` until the run's deliveries are all delivered; the database's span."""
    env = {
        **os.environ,
        "MOTCUA_ENVIRONMENT": "development",
        "MOTCUA_DATABASE_URL": POSTGRES_URL,
        "MOTCUA_SECRET_KEY": SECRET_KEY,
        "MOTCUA_STORAGE_URL": str(workdir / "files"),
        "MOTCUA_MAIL_DIR": str(workdir / "mail"),
        "MOTCUA_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "MOTCUA_WEBHOOK_BATCH": str(args.batch),
        "MOTCUA_WEBHOOK_CONCURRENCY": str(args.concurrency),
        "PYTHONPATH": str(PROJECT_DIR),
    }
    worker = subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env, cwd=workdir)
    try:
        deadline = time.monotonic() + 600
        while True:
            delivered, seconds = asyncio.run(_delivered_span(run))
            if delivered >= events:
                return seconds
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker stopped at {delivered} of {events} deliveries")
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--dossiers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    database = make_url(POSTGRES_URL).database
    drop = f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
    asyncio.run(_on_server(drop, f'CREATE DATABASE "{database}"'))
    settings = _settings(args.batch, args.concurrency)
    port = free_port()
    receiver_url = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    receiver: subprocess.Popen[bytes] | None = None
    try:
        subscription_id, secret = asyncio.run(_subscribe(settings, f"{receiver_url}/callbacks"))
        receiver = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("webhook_receiver.py")), str(port)],
            env={**os.environ, "WEBHOOK_SECRET": secret},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                _receiver_counts(receiver_url)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        print(
            f"{args.events:,} events of {args.dossiers:,} dossiers per run, batch {args.batch},"
            f" {args.concurrency} posts at once; receiver verifies every signature"
        )
        rates: list[tuple[str, float]] = []
        run = 0
        for round_ in range(1, args.runs + 1):
            for how in ("deliver_due in this process", "motcua worker process"):
                run += 1
                seeded = asyncio.run(_seed(run, subscription_id, args.events, args.dossiers))
                if how.startswith("deliver_due"):
                    delivered, seconds = asyncio.run(_in_process(settings))
                else:
                    seconds = _worker_process(run, args.events, args, workdir)
                    delivered, _span = asyncio.run(_delivered_span(run))
                rate = delivered / seconds if seconds else 0.0
                rates.append((how, rate))
                print(
                    f"run {round_}, {how}: seeded in {seeded:.1f} s; {delivered:,} delivered in"
                    f" {seconds:.2f} s = {rate:,.0f} per second"
                )
        counts = _receiver_counts(receiver_url)
        print(
            f"receiver: {counts['distinct']:,} distinct events, {counts['requests']:,} requests,"
            f" {counts['forged']} failed verification"
        )
        assert counts["distinct"] == run * args.events and counts["forged"] == 0
        worst = min(rate for _how, rate in rates)
        verdict = "met" if worst >= TARGET_PER_SECOND else "NOT met"
        print(f"slowest run {worst:,.0f} per second: target {TARGET_PER_SECOND:.0f} {verdict}")
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait(10)
        if not args.keep:
            asyncio.run(_on_server(drop))


if __name__ == "__main__":
    main()
