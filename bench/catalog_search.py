"""Catalog search latency through the HTTP API, on SQLite and on PostgreSQL.

Loads the demo catalog plus generated procedures up to 2,069 (what one province standardised in
2019) into a fresh database, serves it with `motcua serve` in its own process, and times API
searches from a client over loopback. Prints p50/p95/p99 per database. Target: p95 under 20 ms.

    .venv/bin/python bench/catalog_search.py [--requests 600] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import make_url

from app.accounts import api_keys
from app.catalog.importing import export_catalog, import_catalog, load_demo
from app.db import Database, upgrade

TARGET_PROCEDURES = 2069
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench"

SUBJECTS = {
    "XD": [
        "giấy phép xây dựng",
        "giấy phép di dời công trình",
        "chứng chỉ hành nghề xây dựng",
        "giấy phép sửa chữa, cải tạo công trình",
        "thẩm định thiết kế xây dựng",
    ],
    "DD": [
        "giấy chứng nhận quyền sử dụng đất",
        "chuyển mục đích sử dụng đất",
        "đăng ký biến động đất đai",
        "gia hạn sử dụng đất",
        "tách thửa, hợp thửa đất",
    ],
    "HT": [
        "đăng ký khai sinh",
        "đăng ký kết hôn",
        "đăng ký khai tử",
        "xác nhận tình trạng hôn nhân",
        "đăng ký nhận cha, mẹ, con",
        "cải chính hộ tịch",
    ],
    "CT": [
        "chứng thực bản sao từ bản chính",
        "chứng thực chữ ký",
        "chứng thực hợp đồng, giao dịch",
    ],
    "KD": [
        "đăng ký hộ kinh doanh",
        "đăng ký thành lập doanh nghiệp",
        "giấy phép kinh doanh rượu",
        "giấy chứng nhận đủ điều kiện an toàn thực phẩm",
        "giấy phép bán lẻ thuốc lá",
    ],
    "GT": [
        "giấy phép lái xe",
        "đăng ký xe máy chuyên dùng",
        "giấy phép vận tải bằng xe ô tô",
        "phù hiệu xe ô tô kinh doanh vận tải",
    ],
    "YT": [
        "chứng chỉ hành nghề khám bệnh, chữa bệnh",
        "giấy phép hoạt động phòng khám",
        "giấy chứng nhận đủ điều kiện kinh doanh dược",
    ],
    "GD": [
        "công nhận trường đạt chuẩn quốc gia",
        "cấp bản sao văn bằng, chứng chỉ",
        "chuyển trường đối với học sinh trung học",
    ],
    "MT": ["giấy phép môi trường", "đăng ký môi trường", "giấy phép khai thác nước dưới đất"],
    "LD": [
        "giấy phép lao động cho người nước ngoài",
        "trợ cấp thất nghiệp",
        "hỗ trợ học nghề cho người lao động",
    ],
}
FIELD_NAMES = {
    "XD": "Xây dựng",
    "DD": "Đất đai",
    "HT": "Hộ tịch",
    "CT": "Chứng thực",
    "KD": "Kinh doanh",
    "GT": "Đường bộ",
    "YT": "Y tế",
    "GD": "Giáo dục và Đào tạo",
    "MT": "Môi trường",
    "LD": "Lao động, việc làm",
}
VERBS = [
    "Cấp",
    "Cấp lại",
    "Cấp đổi",
    "Điều chỉnh",
    "Gia hạn",
    "Thu hồi",
    "Xác nhận",
    "Thẩm định",
    "Phê duyệt",
    "Đăng ký",
]
QUALIFIERS = [
    "",
    "đối với nhà ở riêng lẻ",
    "cho tổ chức",
    "cho cá nhân",
    "cho doanh nghiệp",
    "trong khu công nghiệp",
    "đối với người nước ngoài",
    "do bị mất, hư hỏng",
    "trên địa bàn xã",
    "thuộc thẩm quyền cấp tỉnh",
]
QUERIES = [
    {"q": "giay phep xay dung"},
    {"q": "Giấy phép xây dựng"},
    {"q": "xây dựng giấy phép"},
    {"q": "đăng ký khai sinh"},
    {"q": "ket hon"},
    {"q": "chứng thực bản sao"},
    {"q": "chuyen muc dich su dung dat"},
    {"q": "lý lịch tư pháp"},
    {"q": "hộ kinh doanh"},
    {"q": "giấy phép lái xe cấp đổi"},
    {"q": "cap lai"},
    {"q": "1.001193"},
    {},
    {"level": "commune"},
    {"online_level": "full", "q": "cấp"},
    {"field": "BXD", "q": "giay phep"},
    {"q": "môi trường", "level": "province"},
]


def _generated(count: int, demo: dict[str, Any]) -> dict[str, Any]:
    """Procedures shaped like the demo's, with names drawn from real subjects."""
    template = next(p for p in demo["procedures"] if p["published"])
    agencies = [a["code"] for a in demo["agencies"]]
    # Codes of their own, so the demo's fields keep their names.
    fields = [{"code": f"B{code}", "name": FIELD_NAMES[code]} for code in SUBJECTS]
    named = (
        (field, " ".join(part for part in (verb, subject, qualifier) if part))
        for qualifier, verb, (field, subjects) in itertools.product(
            QUALIFIERS, VERBS, SUBJECTS.items()
        )
        for subject in subjects
    )
    rng = random.Random(2069)
    procedures = []
    for index, (field, name) in zip(range(count), named, strict=False):
        legal = rng.choice([1, 3, 5, 7, 10, 15, 20, 30])
        procedures.append(
            {
                **template,
                "code": f"8.{index:06d}",
                "name": name[0].upper() + name[1:],
                "field": f"B{field}",
                "levels": [rng.choice(["province", "commune"])],
                "agencies": [rng.choice(agencies)],
                "legal_days": legal,
                "committed_days": max(1, legal * 7 // 10),
                "online_level": rng.choice(["full", "partial"]),
            }
        )
    return {"format": 1, "fields": fields, "procedures": procedures}


async def _load(url: str) -> tuple[int, str]:
    """The number of procedures loaded, and a key that reads the catalog without a limit that
    the measure would reach."""
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            await load_demo(session)
            demo = await export_catalog(session)
            extra = TARGET_PROCEDURES - len(demo["procedures"])
            await import_catalog(session, _generated(extra, demo))
            _out, key = await api_keys.create_api_key(
                session,
                name="bench",
                scopes=[api_keys.SCOPE_CATALOG],
                agency_code=DEMO_AGENCY,
                rate_limit=api_keys.MAX_RATE_LIMIT,
            )
        async with database.unit_of_work() as session:
            return len((await export_catalog(session))["procedures"]), key
    finally:
        await database.dispose()


async def _recreate_postgres(url: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database="postgres"
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await connection.close()


# A province's agency of the demo catalog, owning the key the measure calls with.
DEMO_AGENCY = "000.00.41.H39"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _measure(url: str, key: str, requests: int) -> list[float]:
    port = _free_port()
    env = {**os.environ, "MOTCUA_DATABASE_URL": url, "MOTCUA_ENVIRONMENT": "development"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, timeout=10, headers=headers) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)
            for params in QUERIES:  # warm up caches and connections
                client.get("/api/v1/procedures", params=params).raise_for_status()
            timings = []
            for params in itertools.islice(itertools.cycle(QUERIES), requests):
                started = time.perf_counter()
                response = client.get("/api/v1/procedures", params=params)
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            return timings
    finally:
        server.terminate()
        server.wait(timeout=10)


def _report(name: str, procedures: int, timings: list[float]) -> None:
    cuts = statistics.quantiles(timings, n=100)
    print(
        f"{name:<11} procedures={procedures} requests={len(timings)} "
        f"p50={cuts[49]:.1f} ms p95={cuts[94]:.1f} ms p99={cuts[98]:.1f} ms "
        f"max={max(timings):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        targets = [("SQLite", f"sqlite+aiosqlite:///{Path(directory) / 'bench.sqlite3'}")]
        if not args.skip_postgres:
            asyncio.run(_recreate_postgres(args.postgres_url))
            targets.append(("PostgreSQL", args.postgres_url))
        for name, url in targets:
            upgrade(url)
            procedures, key = asyncio.run(_load(url))
            _report(name, procedures, _measure(url, key, args.requests))


if __name__ == "__main__":
    main()
