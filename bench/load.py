"""A mixed workload through one and two web processes, beside a hello-world endpoint of the same
servers in the same run: how the portal scales with its web processes.

Creates a fresh PostgreSQL database (127.0.0.1:5432), migrates it, loads a catalog with one
procedure (a 20-field form, no file), signs up an enterprise (a key with `catalog:read`,
`dossiers:submit`, `dossiers:read`) and gives the procedure's agency a key with
`dossiers:process`, then files a pool of dossiers so that the officials' actions and the public
lookups never starve. For each count of web processes (uvicorn, each on its own port, all on the
same database and the same local file storage), N concurrent clients spread over a few client
processes, each client bound to one port in turn as a load balancer would, send for the same
time each:

- the mix, each request drawn at random (fixed seed): 80% reads (a catalog search, a
  procedure's detail, a dossier by its code, the public lookup by code and 4 digits, 20% each),
  15% submissions (`POST /api/v1/dossiers` with `"submit": true` and an Idempotency-Key), 5%
  officials' actions (`receive` on a dossier filed earlier, with an Idempotency-Key);
- `GET /healthz`.

Prints requests/s and p50/p95/p99 of each kind, the statuses of the failures, the ratio of the
mix to hello world, and how the mix scales from one web process to two. Drops the database.

    .venv/bin/python bench/load.py [--clients 32] [--seconds 10] [--client-processes 2]
        [--processes 2,1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from portal import AGENCY, TAX_CODE, Portal, catalog, prepare
from sqlalchemy import make_url
from submit import ANSWERS, FIELDS, PROCEDURE

from app.accounts import api_keys
from app.db import Database

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench_load"
PHONE = "0912345678"
VERIFIER = PHONE[-4:]
# The public lookup allows 10 lookups of a code in 15 minutes: each code is looked up fewer times.
LOOKUPS_PER_CODE = 9
SEED = 20261124
READS = ("search", "procedure", "dossier", "lookup")
KINDS = (*READS, "submit", "action")
GROUPS = {"read": READS, "submit": ("submit",), "action": ("action",)}


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    starved: Counter[str] = field(default_factory=Counter)
    looked_up: Counter[str] = field(default_factory=Counter)
    filed: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.statuses += other.statuses
        self.errors += other.errors[: max(0, 5 - len(self.errors))]
        self.starved += other.starved
        self.looked_up += other.looked_up
        self.filed += other.filed


@dataclass
class Pool:
    """The dossiers one client process knows: to receive, and to look up or read."""

    to_receive: deque[str]
    lookups: dict[str, int]
    codes: list[str]


def _submission(index: int) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE,
        "data": ANSWERS,
        "delivery": {"method": "counter"},
        "contact": {"email": f"an{index}@example.com", "phone": PHONE},
        "submit": True,
    }


async def _request(
    client: httpx.AsyncClient, kind: str, keys: dict[str, str], pool: Pool, tally: Tally, n: int
) -> tuple[httpx.Response, int] | None:
    """Send one request of this kind: the response and the status that means success."""
    enterprise = {"Authorization": f"Bearer {keys['enterprise']}"}
    once = {"Idempotency-Key": str(uuid.uuid4())}
    if kind == "healthz":
        return await client.get("/healthz"), 200
    if kind == "search":
        params = {"q": "đo hiệu năng nộp hồ sơ"}
        return await client.get("/api/v1/procedures", params=params, headers=enterprise), 200
    if kind == "procedure":
        return await client.get(f"/api/v1/procedures/{PROCEDURE}", headers=enterprise), 200
    if kind == "dossier":
        code = pool.codes[n % len(pool.codes)]
        return await client.get(f"/api/v1/dossiers/{code}", headers=enterprise), 200
    if kind == "lookup":
        code = next((c for c, used in pool.lookups.items() if used < LOOKUPS_PER_CODE), None)
        if code is None:
            tally.starved[kind] += 1
            return None
        pool.lookups[code] += 1
        tally.looked_up[code] += 1
        # Citizens come from many addresses; the proxy in front says which (X-Forwarded-For).
        address = f"10.{n % 251}.{(n // 251) % 251}.{(n // 63001) % 251 + 1}"
        params = {"code": code, "verifier": VERIFIER}
        headers = {"X-Forwarded-For": address}
        return await client.get("/api/v1/lookup", params=params, headers=headers), 200
    if kind == "submit":
        response = await client.post(
            "/api/v1/dossiers", json=_submission(n), headers={**enterprise, **once}
        )
        if response.status_code == 201:
            code = response.json()["code"]
            tally.filed.append(code)
            pool.to_receive.append(code)
            pool.lookups[code] = 0
            pool.codes.append(code)
        return response, 201
    assert kind == "action"
    if not pool.to_receive:
        tally.starved[kind] += 1
        return None
    code = pool.to_receive.popleft()
    headers = {"Authorization": f"Bearer {keys['agency']}", **once}
    url = f"/api/v1/dossiers/{code}/actions/receive"
    return await client.post(url, json={}, headers=headers), 200


def _draw(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.80:
        return READS[int(roll / 0.20)]
    return "submit" if roll < 0.95 else "action"


async def _client_loop(
    base: str, keys: dict[str, str], mixed: bool, until: float, pool: Pool, tally: Tally, index: int
) -> None:
    rng = random.Random(SEED + index)
    n = index * 1_000_000
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.time() < until:
            kind = _draw(rng) if mixed else "healthz"
            n += 1
            started = time.perf_counter()
            sent = await _request(client, kind, keys, pool, tally, n)
            if sent is None:
                continue
            response, expected = sent
            tally.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            if response.status_code != expected:
                tally.statuses[f"{kind} {response.status_code}"] += 1
                if len(tally.errors) < 5:
                    tally.errors.append(f"{kind} {response.status_code} {response.text[:200]}")


def _client_process(
    bases: list[str],
    keys: dict[str, str],
    mixed: bool,
    start_at: float,
    seconds: float,
    clients: range,
    pool: Pool,
) -> Tally:
    async def run() -> Tally:
        tally = Tally()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = start_at + seconds
        await asyncio.gather(
            *(
                _client_loop(bases[i % len(bases)], keys, mixed, until, pool, tally, i)
                for i in clients
            )
        )
        return tally

    return asyncio.run(run())


def _measure(
    bases: list[str],
    keys: dict[str, str],
    mixed: bool,
    seconds: float,
    args: argparse.Namespace,
    known: list[str],
    looked_up: Counter[str],
) -> Tally:
    """Run the clients for ``seconds``; ``known`` is every dossier filed and not yet received."""
    processes = max(1, min(args.client_processes, args.clients))
    shares = [range(i, args.clients, processes) for i in range(processes)]
    fresh = [code for code in known if looked_up[code] < LOOKUPS_PER_CODE]
    pools = [
        Pool(
            to_receive=deque(known[p::processes]),
            lookups={code: looked_up[code] for code in fresh[p::processes]},
            codes=list(known),
        )
        for p in range(processes)
    ]
    start_at = time.time() + 1.0
    with multiprocessing.get_context("fork").Pool(processes) as workers:
        parts = workers.starmap(
            _client_process,
            [
                (bases, keys, mixed, start_at, seconds, share, pool)
                for share, pool in zip(shares, pools, strict=True)
            ],
        )
    total = Tally()
    for part in parts:
        total.add(part)
    return total


def _cuts(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0], values[0], values[0]) if values else (0.0, 0.0, 0.0)
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[94], cuts[98]


def _line(name: str, values: list[float], seconds: float) -> float:
    rate = len(values) / seconds
    p50, p95, p99 = _cuts(values)
    print(
        f"  {name:<34} {rate:8.1f} req/s  n={len(values):<6}"
        f" p50={p50:6.1f} ms  p95={p95:6.1f} ms  p99={p99:6.1f} ms"
    )
    return rate


def _report(processes: int, mixed: Tally, hello: Tally, seconds: float) -> float:
    print(f"{processes} web process{'es' if processes > 1 else ''}:")
    for group, kinds in GROUPS.items():
        values = [v for kind in kinds for v in mixed.latencies.get(kind, [])]
        label = {"read": "reads (80%)", "submit": "submissions (15%)", "action": "actions (5%)"}
        _line(label[group], values, seconds)
        if group == "read":
            for kind in kinds:
                _line(f"  {kind}", mixed.latencies.get(kind, []), seconds)
    every = [v for values in mixed.latencies.values() for v in values]
    mixed_rate = _line("mix, all requests", every, seconds)
    hello_rate = _line("GET /healthz", hello.latencies.get("healthz", []), seconds)
    failures = mixed.statuses + hello.statuses
    print(f"  failures: {dict(failures) if failures else 'none'}")
    for error in mixed.errors + hello.errors:
        print(f"    {error}")
    if mixed.starved:
        print(f"  skipped, no dossier left to act on or look up: {dict(mixed.starved)}")
    print(f"  mix / hello world: {mixed_rate / max(hello_rate, 1e-9):.1%}")
    return mixed_rate


async def _keys_and_pool(url: str, base: str, key: str, dossiers: int) -> dict[str, str]:
    """A catalog-reading enterprise key and an agency key; then ``dossiers`` dossiers filed."""
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            _, enterprise = await api_keys.create_api_key(
                session,
                enterprise_tax_code=TAX_CODE,
                name="bench-load",
                scopes=["catalog:read", "dossiers:submit", "dossiers:read"],
            )
            _, agency = await api_keys.create_api_key(
                session, agency_code=AGENCY, name="bench-load", scopes=["dossiers:process"]
            )
    finally:
        await database.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        gate = asyncio.Semaphore(8)

        async def file(index: int) -> None:
            async with gate:
                response = await client.post(
                    "/api/v1/dossiers",
                    json=_submission(index),
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                if response.status_code != 201:
                    raise RuntimeError(f"filing failed: {response.status_code} {response.text}")

        await asyncio.gather(*(file(i) for i in range(dossiers)))
    return {"enterprise": enterprise, "agency": agency}


async def _on_server(url: str, *statements: str) -> list[str]:
    """Run these statements on the server; without any, the codes of the filed dossiers."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database="postgres" if statements else parsed.database,
    )
    try:
        for statement in statements:
            await connection.execute(statement)
        if statements:
            return []
        rows = await connection.fetch("SELECT code FROM dossiers WHERE status = 1 ORDER BY code")
        return [row["code"] for row in rows]
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="time measured per workload")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument(
        "--processes", default="2,1", help="web processes, a run for each (comma-separated)"
    )
    parser.add_argument("--pool", type=int, default=300, help="dossiers filed beforehand")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    counts = [int(part) for part in args.processes.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        parser.error("--processes takes counts of at least 1, such as 2,1")

    database = make_url(args.postgres_url).database
    drop = f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
    asyncio.run(_on_server(args.postgres_url, drop, f'CREATE DATABASE "{database}"'))
    try:
        key = asyncio.run(
            prepare(args.postgres_url, catalog(PROCEDURE, "Thủ tục đo hiệu năng nộp hồ sơ", FIELDS))
        )
        env = {
            "MOTCUA_DATABASE_URL": args.postgres_url,
            # One enterprise and one agency stand for the whole load: no per-key limit.
            "MOTCUA_API_RATE_LIMIT": "1000000000",
        }
        with tempfile.TemporaryDirectory() as directory:
            with Portal(Path(directory), env) as first:
                keys = asyncio.run(_keys_and_pool(args.postgres_url, first.url, key, args.pool))
            load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
            print(f"machine: {os.cpu_count()} CPUs, load average {load} before the runs")
            print(
                f"PostgreSQL, {args.clients} concurrent clients in {args.client_processes}"
                f" processes, round-robin over the web processes, {args.seconds:.0f} s per"
                f" workload; {args.pool} dossiers filed beforehand"
            )
            looked_up: Counter[str] = Counter()
            rates: dict[int, float] = {}
            failed = False
            for processes in counts:
                with ExitStack() as stack:
                    portals = [
                        stack.enter_context(Portal(Path(directory), env)) for _ in range(processes)
                    ]
                    bases = [portal.url for portal in portals]
                    # Warm up: connections, caches, the first code of the day.
                    known = asyncio.run(_on_server(args.postgres_url))
                    warm = _measure(bases, keys, True, 2.0, args, known, looked_up)
                    looked_up += warm.looked_up
                    _measure(bases, keys, False, 2.0, args, known, looked_up)
                    known = asyncio.run(_on_server(args.postgres_url))
                    mixed = _measure(bases, keys, True, args.seconds, args, known, looked_up)
                    looked_up += mixed.looked_up
                    hello = _measure(bases, keys, False, args.seconds, args, known, looked_up)
                rates[processes] = _report(processes, mixed, hello, args.seconds)
                failed = failed or bool(mixed.statuses or hello.statuses)
                if len(set(mixed.filed)) != len(mixed.filed):
                    print("  check: a dossier code was answered twice")
                    failed = True
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"machine: load average {load} after the runs")
        if 1 in rates:
            for processes, rate in rates.items():
                if processes != 1:
                    print(
                        f"scaling: the mix with {processes} web processes runs at"
                        f" {rate / max(rates[1], 1e-9):.2f}x its rate with one"
                    )
        if failed:
            sys.exit(1)
    finally:
        asyncio.run(_on_server(args.postgres_url, drop))


if __name__ == "__main__":
    main()
