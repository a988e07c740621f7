"""Dossier submissions per second through the API, beside a hello-world endpoint of the same server.

Creates a fresh PostgreSQL database (127.0.0.1:5432), migrates it, loads a catalog with one
procedure whose form has 20 fields and no file, signs up an enterprise with an API key, and
serves the portal with uvicorn (one process). Then, for the same time each, N concurrent clients
(spread over a few client processes) send `POST /api/v1/dossiers` with `"submit": true` (each
answered with a dossier code, an acknowledgement e-mail queued) and `GET /healthz` on the same
server. Prints both rates and their ratio, checks that every code is unique, and drops the
database at the end.

    .venv/bin/python bench/submit.py [--clients 16] [--seconds 10] [--client-processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from portal import Portal, catalog, prepare
from sqlalchemy import make_url

from app.forms import parse_definition, validate

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench_submit"
PROCEDURE = "7.000020"


def _text(key: str, label: str) -> dict[str, Any]:
    return {"key": key, "type": "text", "label": label, "required": True, "max_length": 200}


FIELDS: list[dict[str, Any]] = [
    _text("full_name", "Họ và tên"),
    _text("birth_place", "Nơi sinh"),
    _text("hometown", "Quê quán"),
    _text("nationality", "Quốc tịch"),
    _text("occupation", "Nghề nghiệp"),
    _text("workplace", "Nơi làm việc"),
    _text("father_name", "Họ tên cha"),
    _text("mother_name", "Họ tên mẹ"),
    {"key": "household_size", "type": "integer", "label": "Số nhân khẩu", "min": 1, "max": 50},
    {"key": "years_resident", "type": "integer", "label": "Số năm cư trú", "min": 0},
    {"key": "children", "type": "integer", "label": "Số con", "min": 0, "max": 30},
    {"key": "birth_date", "type": "date", "label": "Ngày sinh", "required": True},
    {"key": "issued_on", "type": "date", "label": "Ngày cấp CCCD", "required": True},
    {"key": "email", "type": "email", "label": "Thư điện tử", "required": True},
    {"key": "phone", "type": "phone", "label": "Điện thoại", "required": True},
    {"key": "citizen_id", "type": "citizen_id", "label": "Số CCCD", "required": True},
    {"key": "gender", "type": "select", "label": "Giới tính", "option_list": "gender"},
    {
        "key": "marital",
        "type": "radio",
        "label": "Tình trạng hôn nhân",
        "options": [
            {"value": "single", "label": "Chưa kết hôn"},
            {"value": "married", "label": "Đã kết hôn"},
        ],
    },
    {"key": "note", "type": "textarea", "label": "Ghi chú", "max_length": 2000},
    {"key": "income", "type": "money", "label": "Thu nhập bình quân (đồng)", "min": 0},
]
ANSWERS: dict[str, Any] = {
    "full_name": "Nguyễn Văn An",
    "birth_place": "Xã Bản Lầu, tỉnh Lào Cai",
    "hometown": "Xã Bảo Yên, tỉnh Lào Cai",
    "nationality": "Việt Nam",
    "occupation": "Kỹ sư xây dựng",
    "workplace": "Công ty TNHH Đo hiệu năng",
    "father_name": "Nguyễn Văn Bình",
    "mother_name": "Trần Thị Cúc",
    "household_size": 4,
    "years_resident": 12,
    "children": 2,
    "birth_date": "1988-05-17",
    "issued_on": "2021-04-02",
    "email": "an@example.com",
    "phone": "0912345678",
    "citizen_id": "010088012345",
    "gender": "male",
    "marital": "married",
    "note": "Đề nghị trả kết quả tại bộ phận một cửa. " * 5,
    "income": 15000000,
}


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def _client_loop(
    base: str, key: str, kind: str, until: float, tally: Tally, index: int
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        body = {
            "procedure": PROCEDURE,
            "data": ANSWERS,
            "delivery": {"method": "counter"},
            "contact": {"email": f"an{index}@example.com"},
            "submit": True,
        }
        while time.time() < until:
            started = time.perf_counter()
            if kind == "submit":
                response = await client.post(
                    "/api/v1/dossiers", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
                )
                good = response.status_code == 201
            else:
                response = await client.get("/healthz")
                good = response.status_code == 200
            tally.latencies.append((time.perf_counter() - started) * 1000)
            if good:
                tally.ok += 1
                if kind == "submit":
                    tally.codes.append(response.json()["code"])
            else:
                tally.failed += 1
                if len(tally.errors) < 3:
                    tally.errors.append(f"{response.status_code} {response.text[:300]}")


def _client_process(
    base: str, key: str, kind: str, start_at: float, seconds: float, clients: range
) -> Tally:
    async def run() -> Tally:
        tally = Tally()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = start_at + seconds
        await asyncio.gather(
            *(_client_loop(base, key, kind, until, tally, index) for index in clients)
        )
        return tally

    return asyncio.run(run())


def _measure(base: str, key: str, kind: str, args: argparse.Namespace) -> tuple[Tally, float]:
    processes = max(1, min(args.client_processes, args.clients))
    shares = [range(i, args.clients, processes) for i in range(processes)]
    start_at = time.time() + 1.0
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.starmap(
            _client_process,
            [(base, key, kind, start_at, args.seconds, share) for share in shares],
        )
    total = Tally()
    for part in parts:
        total.ok += part.ok
        total.failed += part.failed
        total.latencies += part.latencies
        total.codes += part.codes
        total.errors += part.errors
    return total, args.seconds


def _line(name: str, tally: Tally, seconds: float) -> float:
    rate = tally.ok / seconds
    cuts = statistics.quantiles(tally.latencies, n=100) if len(tally.latencies) > 1 else [0] * 99
    print(
        f"{name:<22} {rate:9.1f} req/s   ok={tally.ok} failed={tally.failed}"
        f"   p50={cuts[49]:.1f} ms p95={cuts[94]:.1f} ms p99={cuts[98]:.1f} ms"
    )
    for error in tally.errors:
        print(f"    error: {error}")
    return rate


async def _on_server(url: str, *statements: str) -> Any:
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
        if not statements:
            return await connection.fetchrow(
                "SELECT count(*) AS dossiers, count(DISTINCT code) AS codes FROM dossiers"
                " WHERE status = 1"
            )
        return None
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="time measured per endpoint")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()

    form = catalog(PROCEDURE, "Thủ tục đo hiệu năng nộp hồ sơ", FIELDS)
    definition = parse_definition(form["procedures"][0]["form"])
    assert len(definition.fields) == 20 and validate(definition, ANSWERS).ok
    database = make_url(args.postgres_url).database
    drop = f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
    asyncio.run(_on_server(args.postgres_url, drop, f'CREATE DATABASE "{database}"'))
    try:
        key = asyncio.run(prepare(args.postgres_url, form))
        with (
            tempfile.TemporaryDirectory() as directory,
            Portal(Path(directory), {"MOTCUA_DATABASE_URL": args.postgres_url}) as portal,
        ):
            # Warm up: connections, caches, the first code of the day.
            warm = argparse.Namespace(**{**vars(args), "seconds": 2.0})
            _measure(portal.url, key, "submit", warm)
            _measure(portal.url, key, "healthz", warm)
            print(
                f"PostgreSQL, one uvicorn process, {args.clients} concurrent clients"
                f" in {args.client_processes} processes, {args.seconds:.0f} s each,"
                f" {len(FIELDS)}-field form, no file, Idempotency-Key on each submission"
            )
            submitted, seconds = _measure(portal.url, key, "submit", args)
            hello, _ = _measure(portal.url, key, "healthz", args)
            submit_rate = _line("POST /api/v1/dossiers", submitted, seconds)
            hello_rate = _line("GET /healthz", hello, seconds)
        counts = asyncio.run(_on_server(args.postgres_url))
        unique = len(set(submitted.codes)) == len(submitted.codes)
        print(
            f"ratio: submissions are {hello_rate / max(submit_rate, 1e-9):.1f}x slower than"
            f" hello world ({submit_rate / max(hello_rate, 1e-9):.1%} of its rate)"
        )
        print(
            f"check: {counts['dossiers']} dossiers with status 1, {counts['codes']} distinct codes;"
            f" codes answered in this run unique: {unique}"
        )
        if not unique or counts["dossiers"] != counts["codes"] or submitted.failed:
            sys.exit(1)
    finally:
        asyncio.run(_on_server(args.postgres_url, drop))


if __name__ == "__main__":
    main()
