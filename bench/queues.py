"""Processing queues through the API on one million dossiers (PostgreSQL).

Creates a fresh PostgreSQL database (127.0.0.1:5432), migrates it with `motcua db upgrade`,
loads the demo catalog and generated procedures up to about 2,000 across 30 agencies (the
province, its departments and sixteen communes), units and officials in every agency, then
seeds one million submitted dossiers with bulk SQL (most returned, thousands open in the big
agencies, received and due over the past year, a routing-slip row for each open one, some due
soon, some overdue). Serves the portal with uvicorn in a process of its own and, with an API
key (`dossiers:process`) of the agency handling the most dossiers, times `GET /api/v1/queue` for
each queue, on the first page and on a deep page (the cursor followed `--depth` times), with no
filter and with each filter (procedure, field, status, received dates), and
`GET /api/v1/queue/counts`. Prints p50 and p95 per request and whether p95 meets the target
(50 ms), then EXPLAIN (ANALYZE, BUFFERS) of the slowest statements the queues send. With
`--candidate-indexes`, creates the indexes proposed below by hand and measures again. Drops the
database at the end unless `--keep`.

    .venv/bin/python bench/queues.py [--dossiers 1000000] [--requests 200] [--runs 2]
        [--depth 10] [--candidate-indexes] [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from portal import Portal
from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.accounts.schemas import ApiPrincipal
from app.catalog.importing import export_catalog, import_catalog, load_demo
from app.db import PROJECT_DIR, Database
from app.processing import repository, service
from app.processing.schemas import Queue, QueueFilter

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/motcua_bench_queues"
TARGET_P95_MS = 50.0
PAGE = 20
SEED = 20261124
# Registered, received, processing, supplement requested, result ready, not accepted,
# withdrawn, stopped; the rest returned. Shares of all dossiers.
STATUS_SHARES = ((1, 0.015), (2, 0.015), (4, 0.05), (5, 0.015), (9, 0.02), (3, 0.02), (7, 0.01))
STOPPED_SHARE = 0.005
# Of the dossiers in processing (2, 4): overdue, then due within a working day.
OVERDUE_SHARE = 0.08
DUE_SOON_SHARE = 0.10

# Communes added to the demo's seven (the province has many more after the 2025 merger).
EXTRA_COMMUNES = (
    ("000.00.48.H39", "UBND phường Nghĩa Lộ"),
    ("000.00.49.H39", "UBND xã Văn Bàn"),
    ("000.00.50.H39", "UBND xã Bảo Yên"),
    ("000.00.51.H39", "UBND xã Si Ma Cai"),
    ("000.00.52.H39", "UBND xã Mường Khương"),
    ("000.00.53.H39", "UBND xã Trạm Tấu"),
    ("000.00.54.H39", "UBND xã Lục Yên"),
    ("000.00.55.H39", "UBND xã Văn Chấn"),
    ("000.00.56.H39", "UBND phường Âu Lâu"),
)
NEW_FIELDS = {
    "MT": "Môi trường",
    "TNN": "Tài nguyên nước",
    "NNPT": "Nông nghiệp và phát triển nông thôn",
    "KCB": "Khám bệnh, chữa bệnh",
    "DUOC": "Dược phẩm",
    "GDDT": "Giáo dục và đào tạo",
    "TM": "Thương mại",
    "TDKT": "Thi đua, khen thưởng",
    "CC": "Cư trú",
    "TCNS": "Tài chính, ngân sách",
}


@dataclass(frozen=True)
class AgencyPlan:
    code: str
    # Per mille of all dossiers filed with the agency.
    weight: int
    # Generated procedures of the agency's own, in these fields.
    procedures: int
    fields: tuple[str, ...]
    # Processing units besides the one-stop desk.
    units: int


PROVINCE_PLAN = (
    AgencyPlan("000.00.00.H39", 10, 40, ("DD", "XD", "DN"), 2),
    AgencyPlan("000.00.01.H39", 5, 10, ("DN", "XD"), 1),
    AgencyPlan("000.00.02.H39", 40, 110, ("LLTP", "HT", "CT"), 3),
    AgencyPlan("000.00.03.H39", 40, 140, ("DN", "TCNS"), 3),
    AgencyPlan("000.00.04.H39", 30, 230, ("MT", "TNN", "NNPT", "DD"), 4),
    AgencyPlan("000.00.05.H39", 30, 120, ("XD",), 3),
    AgencyPlan("000.00.06.H39", 15, 110, ("VL", "TDKT"), 2),
    AgencyPlan("000.00.07.H39", 20, 150, ("KCB", "DUOC"), 3),
    AgencyPlan("000.00.08.H39", 20, 130, ("TM",), 2),
    AgencyPlan("000.00.09.H39", 10, 100, ("GDDT",), 2),
    AgencyPlan("000.00.10.H39", 20, 80, ("CC", "DB"), 2),
    AgencyPlan("000.01.04.H39", 180, 60, ("DD", "DD", "DD", "MT"), 4),
    AgencyPlan("000.01.10.H39", 80, 40, ("DB",), 3),
    AgencyPlan("000.02.10.H39", 40, 20, ("LLTP",), 2),
)
COMMUNE_CODES = tuple(f"000.00.{n}.H39" for n in range(41, 57))
COMMUNE_WEIGHTS = (40, 35, 38, 32, 22, 20, 18, 30, 25, 22, 28, 24, 26, 27, 25, 28)
COMMUNE_PROCEDURES = 500
COMMUNE_FIELDS = ("HT", "CT", "DD", "XD", "HKD", "BTXH", "VL", "NNPT", "CC")
VERBS = ("Cấp", "Cấp lại", "Cấp đổi", "Điều chỉnh", "Gia hạn", "Xác nhận", "Đăng ký", "Thẩm định")
SUBJECTS = {
    "DD": "giấy chứng nhận quyền sử dụng đất",
    "XD": "giấy phép xây dựng",
    "DN": "đăng ký doanh nghiệp",
    "LLTP": "phiếu lý lịch tư pháp",
    "HT": "trích lục hộ tịch",
    "CT": "chứng thực bản sao",
    "TCNS": "mã số đơn vị có quan hệ với ngân sách",
    "MT": "giấy phép môi trường",
    "TNN": "giấy phép khai thác nước",
    "NNPT": "giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản",
    "VL": "giấy phép lao động",
    "TDKT": "bằng khen",
    "KCB": "giấy phép hành nghề khám bệnh, chữa bệnh",
    "DUOC": "chứng chỉ hành nghề dược",
    "TM": "giấy phép bán lẻ rượu",
    "GDDT": "bản sao văn bằng, chứng chỉ",
    "CC": "xác nhận thông tin về cư trú",
    "DB": "giấy phép lái xe",
    "HKD": "đăng ký hộ kinh doanh",
    "BTXH": "trợ cấp xã hội hằng tháng",
}
QUALIFIERS = ("", "cho cá nhân", "cho tổ chức", "do bị mất, hư hỏng", "đối với người nước ngoài")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Giàng", "Lò", "Sùng")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Hữu", "Thanh", "A", "Seo")
GIVEN = ("An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan")
GIVEN_MORE = ("Linh", "Long", "Mai", "Nam", "Phương", "Sơn", "Tâm", "Thảo", "Trang", "Páo", "Mỷ")

# Indexes proposed for the queues and not yet in the migrations, created by hand with
# --candidate-indexes, one step after the other, each step measured (a migration is to add them
# under these names). The partial indexes of the deadline, waiting and arrival queues measured
# here before are in the migrations now (ix_dossiers_queue_deadline, _unheld, _arrival).
CANDIDATE_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "the procedure index extended with the agency and the status",
        (
            # A procedure or field filter probes (procedure, agency, status) for each procedure
            # instead of reading every dossier of the procedure; replaces
            # ix_dossiers_procedure_id, whose uses (by procedure) it serves as well.
            "CREATE INDEX IF NOT EXISTS ix_dossiers_procedure_queue ON dossiers"
            " (procedure_id, handling_agency_id, status)",
            "DROP INDEX IF EXISTS ix_dossiers_procedure_id",
        ),
    ),
)


# --- The database ----------------------------------------------------------------------------


async def _connect(url: str, database: str | None = None) -> asyncpg.Connection:
    parsed = make_url(url)
    connection: asyncpg.Connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=database or parsed.database,
    )
    return connection


async def _on_server(url: str, *statements: str) -> None:
    connection = await _connect(url, "postgres")
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _seeded(url: str) -> int:
    """How many dossiers the database holds; 0 when it does not exist."""
    try:
        connection = await _connect(url)
    except asyncpg.InvalidCatalogNameError:
        return 0
    try:
        return int(await connection.fetchval("SELECT count(*) FROM dossiers") or 0)
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await connection.close()


def _migrate(url: str) -> None:
    """`motcua db upgrade` against the bench database, as an operator would run it."""
    env = {**os.environ, "MOTCUA_DATABASE_URL": url, "PYTHONPATH": str(PROJECT_DIR)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "db", "upgrade"],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"motcua db upgrade failed:\n{done.stdout}{done.stderr}")


# --- The catalog -----------------------------------------------------------------------------


def _procedure_names(fields: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for qualifier, verb, field_code in itertools.product(QUALIFIERS, VERBS, fields):
        name = " ".join(part for part in (verb, SUBJECTS[field_code], qualifier) if part)
        yield field_code, name


def _generated(demo: dict[str, Any]) -> dict[str, Any]:
    """The communes beyond the demo's, and procedures like the demo's up to about 2,000: each
    department its own, the communes a shared list."""
    template = next(p for p in demo["procedures"] if p["published"])
    rng = random.Random(SEED)
    procedures: list[dict[str, Any]] = []

    def add(count: int, fields: tuple[str, ...], level: str, agencies: list[str]) -> None:
        names = itertools.cycle(_procedure_names(fields))
        for _ in range(count):
            field_code, name = next(names)
            legal = rng.choice([3, 5, 7, 10, 15, 20, 30])
            procedures.append(
                {
                    **template,
                    "code": f"9.{len(procedures):06d}",
                    "name": name[0].upper() + name[1:],
                    "field": field_code,
                    "levels": [level],
                    "agencies": agencies,
                    "legal_days": legal,
                    "committed_days": max(1, legal * 7 // 10),
                    "online_level": rng.choice(["full", "partial"]),
                    "workflow": None,
                }
            )

    for plan in PROVINCE_PLAN:
        add(plan.procedures, plan.fields, "province", [plan.code])
    add(COMMUNE_PROCEDURES, COMMUNE_FIELDS, "commune", list(COMMUNE_CODES))
    return {
        "format": 1,
        "agencies": [
            {"code": code, "name": name, "level": "commune", "parent": "000.00.00.H39"}
            for code, name in EXTRA_COMMUNES
        ],
        "fields": [*demo["fields"], *({"code": c, "name": n} for c, n in NEW_FIELDS.items())],
        "procedures": procedures,
    }


async def _load_catalog(url: str) -> int:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            await load_demo(session)
            demo = await export_catalog(session)
            await import_catalog(session, _generated(demo))
        async with database.unit_of_work() as session:
            return len((await export_catalog(session))["procedures"])
    finally:
        await database.dispose()


# --- Units and officials -----------------------------------------------------------------------


async def _staff(connection: asyncpg.Connection) -> int:
    """A one-stop desk and processing units in every agency, receivers and a clerk at the desk,
    a leader and specialists in each unit, an agency leader and an administrator. Inserted
    directly: their passwords are never used."""
    plans = {p.code: p for p in PROVINCE_PLAN}
    agencies = await connection.fetch("SELECT id, code FROM agencies ORDER BY id")
    now = datetime.now(UTC)
    officials = 0
    async with connection.transaction():
        for agency in agencies:
            plan = plans.get(agency["code"])
            units = plan.units if plan else 2
            big = plan is not None and plan.weight >= 80
            slug = agency["code"].replace(".", "-").lower()
            posts: list[tuple[str | None, str, str]] = [(None, "leader", "Lãnh đạo cơ quan")]
            posts.append((None, "admin", "Quản trị hệ thống"))
            posts += [("mot-cua", "receiver", "Cán bộ tiếp nhận")] * (6 if big else 3)
            posts += [("mot-cua", "clerk", "Văn thư")] * 2
            for unit in range(1, units + 1):
                posts.append((f"phong-{unit}", "leader", "Trưởng phòng"))
                posts += [(f"phong-{unit}", "specialist", "Chuyên viên")] * (8 if big else 4)
            unit_ids: dict[str, int] = {}
            for code, name in [("mot-cua", "Bộ phận Một cửa")] + [
                (f"phong-{n}", f"Phòng chuyên môn số {n}") for n in range(1, units + 1)
            ]:
                unit_ids[code] = await connection.fetchval(
                    "INSERT INTO units (agency_id, code, name, created_at)"
                    " VALUES ($1, $2, $3, $4) RETURNING id",
                    agency["id"],
                    code,
                    name,
                    now,
                )
            for number, (unit_code, role, title) in enumerate(posts, start=1):
                account_id = await connection.fetchval(
                    "INSERT INTO accounts (kind, email, full_name, phone, password_hash,"
                    " created_at, disabled) VALUES ('official', $1, $2, NULL, '!', $3, false)"
                    " RETURNING id",
                    f"{role}{number}@{slug}.bench.example",
                    f"{title} {number}",
                    now,
                )
                await connection.execute(
                    "INSERT INTO officials (account_id, agency_id, unit_id, roles, title)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    account_id,
                    agency["id"],
                    unit_ids[unit_code] if unit_code else None,
                    role,
                    title,
                )
                officials += 1
    return officials


# --- The dossiers ------------------------------------------------------------------------------

LOOKUP_TABLES = """
CREATE TEMP TABLE bench_agencies (
    idx int PRIMARY KEY,
    agency_id int NOT NULL,
    code text NOT NULL,
    procedures int[] NOT NULL,
    versions int[] NOT NULL,
    units int NOT NULL,
    desk_unit int NOT NULL,
    receivers int[] NOT NULL,
    clerks int[] NOT NULL
);
CREATE TEMP TABLE bench_units (
    agency_idx int NOT NULL,
    slot int NOT NULL,
    unit_id int NOT NULL,
    leaders int[] NOT NULL,
    specialists int[] NOT NULL,
    PRIMARY KEY (agency_idx, slot)
);
"""

LOOKUPS = """
WITH latest AS (
    SELECT DISTINCT ON (procedure_id) procedure_id, id
    FROM procedure_versions ORDER BY procedure_id, number DESC
)
SELECT a.id, a.code,
    array_agg(pa.procedure_id ORDER BY pa.procedure_id) AS procedures,
    array_agg(latest.id ORDER BY pa.procedure_id) AS versions
FROM agencies a
JOIN procedure_agencies pa ON pa.agency_id = a.id
JOIN latest ON latest.procedure_id = pa.procedure_id
GROUP BY a.id, a.code ORDER BY a.id
"""

STAFF = """
SELECT o.agency_id, u.code AS unit_code, u.id AS unit_id, o.roles, array_agg(o.account_id) AS ids
FROM officials o JOIN units u ON u.id = o.unit_id
GROUP BY o.agency_id, u.code, u.id, o.roles
"""

_STATUS_BANDS = " ".join(
    f"WHEN d.r_status < {bound:.4f} THEN {code}"
    for code, bound in zip(
        [*(code for code, _ in STATUS_SHARES), 8],
        itertools.accumulate([*(share for _, share in STATUS_SHARES), STOPPED_SHARE]),
        strict=True,
    )
)

# One statement draws every dossier: its agency (by the agencies' weights), procedure (a few
# procedures take most dossiers), status, times and holder. $1 count, $2 the agencies' lower
# bounds on [0, 1), $3 now.
SEED_DOSSIERS = f"""
CREATE TEMP TABLE bench_seed AS
WITH draws AS (
    SELECT i, random() AS r_agency, random() AS r_procedure, random() AS r_status,
        random() AS r_time, random() AS r_days, random() AS r_unit, random() AS r_a,
        random() AS r_b, random() AS r_c, random() AS r_hold, $3::timestamptz AS t0
    FROM generate_series(1, $1::int) AS i
), placed AS (
    SELECT d.*, a.agency_id, a.code AS agency_code, a.desk_unit,
        a.procedures[1 + floor(power(d.r_procedure, 3) * cardinality(a.procedures))::int]
            AS procedure_id,
        a.versions[1 + floor(power(d.r_procedure, 3) * cardinality(a.versions))::int]
            AS version_id,
        a.receivers[1 + floor(d.r_a * cardinality(a.receivers))::int] AS receiver,
        a.clerks[1 + floor(d.r_a * cardinality(a.clerks))::int] AS clerk,
        1 + floor(d.r_unit * a.units)::int AS slot,
        a.idx,
        CASE {_STATUS_BANDS} ELSE 10 END AS status,
        make_interval(days => 3 + floor(d.r_days * 13)::int) AS allowed
    FROM draws d
    JOIN bench_agencies a ON a.idx = width_bucket(d.r_agency, $2::float8[])
), held AS (
    SELECT p.*, u.unit_id,
        u.specialists[1 + floor(p.r_b * cardinality(u.specialists))::int] AS specialist,
        u.leaders[1 + floor(p.r_b * cardinality(u.leaders))::int] AS leader,
        CASE WHEN p.r_time < {OVERDUE_SHARE} THEN 'overdue'
             WHEN p.r_time < {OVERDUE_SHARE + DUE_SOON_SHARE} THEN 'due_soon'
             ELSE 'on_track' END AS band,
        CASE WHEN p.r_time < {OVERDUE_SHARE}
                THEN -(p.r_time / {OVERDUE_SHARE}) * interval '20 days' - interval '1 minute'
             WHEN p.r_time < {OVERDUE_SHARE + DUE_SOON_SHARE}
                THEN interval '1 hour' + ((p.r_time - {OVERDUE_SHARE}) / {DUE_SOON_SHARE})
                    * interval '20 hours'
             ELSE interval '1 day' + (p.r_time - {OVERDUE_SHARE + DUE_SOON_SHARE})
                / {1 - OVERDUE_SHARE - DUE_SOON_SHARE} * interval '14 days'
        END AS due_in,
        CASE WHEN p.status = 4 THEN
            CASE WHEN p.r_c < 0.6 THEN 1 WHEN p.r_c < 0.85 THEN 2 ELSE 3 END
        END AS position_in_processing
    FROM placed p
    JOIN bench_units u ON u.agency_idx = p.idx AND u.slot = p.slot
), timed AS (
    SELECT h.*,
        CASE h.status
            WHEN 1 THEN NULL
            WHEN 2 THEN least(t0 + h.due_in - h.allowed, t0 - (1 + h.r_b * 48) * interval '1h')
            WHEN 4 THEN least(t0 + h.due_in - h.allowed, t0 - (1 + h.r_b * 48) * interval '1h')
            WHEN 5 THEN t0 - h.r_time * interval '30 days'
            WHEN 9 THEN t0 - h.r_time * interval '10 days' - h.allowed * (0.3 + 0.8 * h.r_c)
            WHEN 3 THEN NULL
            WHEN 7 THEN NULL
            ELSE t0 - interval '10 days' - h.r_time * interval '355 days'
        END AS received
    FROM held h
), dated AS (
    SELECT t.*,
        CASE
            WHEN t.status = 1 THEN t0 - t.r_time * interval '3 days'
            WHEN t.received IS NULL THEN t0 - interval '1 day' - t.r_time * interval '364 days'
            ELSE t.received - t.r_c * interval '2 days'
        END AS submitted,
        CASE
            WHEN t.status IN (2, 4) THEN t0 + t.due_in
            WHEN t.received IS NOT NULL THEN t.received + t.allowed
        END AS due,
        CASE
            WHEN t.status IN (9, 10) THEN t.received + t.allowed * (0.3 + 0.8 * t.r_c)
            WHEN t.status = 8 THEN t.received + t.allowed * t.r_c
        END AS finished
    FROM timed t
), waiting AS (
    -- Handed to a role and taken by no one yet: most dossiers just received (the desk hands
    -- them to the specialists), half of those waiting for a leader's decision or signature.
    SELECT d.*,
        (d.status = 2 AND d.r_hold < 0.7) OR (d.status = 4 AND d.position_in_processing >= 2
            AND d.r_hold < 0.5) AS unheld
    FROM dated d
)
SELECT d.i AS id, d.agency_id, d.agency_code, d.procedure_id, d.version_id, d.status,
    d.submitted, d.received, d.due,
    CASE WHEN d.status = 3 THEN d.submitted + d.r_c * interval '1 day' ELSE d.finished END
        AS finished,
    CASE WHEN d.status = 10 THEN d.finished + d.r_a * interval '3 days' END AS returned,
    CASE WHEN d.status = 7 THEN d.submitted + d.r_c * interval '1 day' END AS withdrawn,
    CASE WHEN d.status = 5 THEN d.received + d.allowed * 0.4 * d.r_c END AS paused,
    CASE
        WHEN d.status IN (2, 4) THEN d.band
        WHEN d.status IN (5, 8) THEN 'on_track'
        WHEN d.status IN (9, 10) THEN
            CASE WHEN d.finished > d.due THEN 'overdue' ELSE 'on_track' END
    END AS deadline_state,
    CASE
        WHEN d.unheld THEN NULL
        WHEN d.status IN (2, 4, 5, 8) THEN d.unit_id
        WHEN d.status IN (3, 9, 10) THEN d.desk_unit
    END AS unit_id,
    CASE
        WHEN d.unheld THEN NULL
        WHEN d.status = 4 AND d.position_in_processing = 1 THEN d.specialist
        WHEN d.status = 4 THEN d.leader
        WHEN d.status = 5 THEN d.specialist
        WHEN d.status = 8 THEN d.leader
        WHEN d.status = 10 THEN d.clerk
        WHEN d.status = 3 THEN d.receiver
    END AS assignee_id,
    CASE d.status WHEN 1 THEN 0 WHEN 2 THEN 1 WHEN 4 THEN d.position_in_processing
        WHEN 5 THEN 1 WHEN 9 THEN 4 END AS position,
    CASE WHEN d.status IN (1, 2, 4, 5, 9)
        THEN count(*) FILTER (WHERE d.status IN (1, 2, 4, 5, 9)) OVER (ORDER BY d.i)
    END AS step_id,
    (ARRAY{list(FAMILY)})[1 + floor(d.r_a * {len(FAMILY)})::int] || ' '
        || (ARRAY{list(MIDDLE)})[1 + floor(d.r_b * {len(MIDDLE)})::int] || ' '
        || (ARRAY{list(GIVEN + GIVEN_MORE)})[1 + floor(d.r_c * {len(GIVEN + GIVEN_MORE)})::int]
        AS applicant_name,
    CASE WHEN d.r_b < 0.6 THEN 2 WHEN d.r_b < 0.97 THEN 1 ELSE 3 END AS channel,
    CASE WHEN d.r_c < 0.9 THEN 1 ELSE 2 END AS applicant_type,
    d.receiver, d.leader, d.specialist, d.clerk, d.r_a, d.r_b
FROM waiting d
"""

INSERT_DOSSIERS = """
INSERT INTO dossiers (
    id, reference, code, procedure_id, procedure_version_id, agency_id, account_id,
    enterprise_id, applicant_type, applicant_id_number, applicant_name, applicant_phone,
    applicant_email, status, channel, data, delivery, delivery_address, created_at, updated_at,
    draft_expires_at, submitted_at, appointment_at, withdrawn_at, withdrawal_reason,
    row_version, received_at, clock_started_at, due_at, original_due_at, paused_at,
    finished_at, returned_at, supplement_count, apology_at, apology_late, deadline_state,
    step_id, handling_agency_id, handling_unit_id, assignee_id, decision, return_method,
    postal_tracking
)
SELECT s.id,
    'bench' || lpad(to_hex(s.id), 12, '0'),
    s.agency_code || '-' || to_char(s.submitted AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYMMDD')
        || '-' || lpad(s.id::text, 7, '0'),
    s.procedure_id, s.version_id, s.agency_id, NULL, NULL, s.applicant_type,
    lpad(((s.id::bigint * 7919) % 1000000000000)::text, 12, '0'),
    s.applicant_name,
    '09' || lpad(((s.id::bigint * 104729) % 100000000)::text, 8, '0'),
    CASE WHEN s.r_a < 0.7 THEN 'nguoi' || s.id || '@example.com' ELSE '' END,
    s.status, s.channel,
    jsonb_build_object(
        'ho_ten', s.applicant_name,
        'ngay_sinh', to_char(date '1950-01-01' + (s.id % 20000), 'YYYY-MM-DD'),
        'dia_chi', jsonb_build_object(
            'tinh', 'Tỉnh Lào Cai', 'xa', 'Phường Lào Cai',
            'duong', 'Số ' || (s.id % 300) || ' đường Hoàng Liên'),
        'noi_dung', 'Đề nghị cơ quan xem xét giải quyết hồ sơ theo quy định.',
        'so_ban', 1 + s.id % 3
    ),
    CASE WHEN s.r_b < 0.5 THEN 'online' WHEN s.r_b < 0.9 THEN 'counter' ELSE 'post' END,
    NULL,
    s.submitted - interval '10 minutes',
    coalesce(s.returned, s.finished, s.withdrawn, s.paused, s.received, s.submitted),
    NULL, s.submitted, NULL, s.withdrawn,
    CASE WHEN s.status = 7 THEN 'Nộp nhầm thủ tục' END,
    1, s.received, s.received, s.due, s.due, s.paused, s.finished, s.returned,
    CASE WHEN s.status = 5 THEN 1 ELSE 0 END, NULL, false, s.deadline_state,
    s.step_id, s.agency_id, s.unit_id, s.assignee_id,
    CASE WHEN s.status IN (9, 10) THEN 'approved' END,
    CASE WHEN s.status = 10 THEN 'counter' END,
    NULL
FROM bench_seed s
"""

INSERT_STEPS = """
INSERT INTO dossier_steps (
    id, dossier_id, position, code, kind, role, agency_id, unit_id, assignee_id,
    handed_over_by, handed_over_at, received_by, received_at, due_at, finished_at, result,
    outcome, note
)
SELECT s.step_id, s.id, s.position,
    (ARRAY['receive', 'appraise', 'approve', 'sign', 'return'])[s.position + 1],
    (ARRAY['receive', 'appraise', 'approve', 'sign', 'return'])[s.position + 1],
    (ARRAY['receiver', 'specialist', 'leader', 'leader', 'clerk'])[s.position + 1],
    s.agency_id, s.unit_id, s.assignee_id,
    CASE WHEN s.status = 1 THEN s.applicant_name ELSE 'Cán bộ tiếp nhận' END,
    coalesce(s.finished, s.received, s.submitted),
    CASE WHEN s.assignee_id IS NOT NULL THEN 'Chuyên viên' END,
    CASE WHEN s.assignee_id IS NOT NULL THEN s.received + interval '2 hours' END,
    CASE WHEN s.status IN (2, 4, 5) THEN s.received + (s.due - s.received) * 0.65 END,
    NULL, NULL, NULL, ''
FROM bench_seed s
WHERE s.step_id IS NOT NULL
"""


async def _fill_lookups(connection: asyncpg.Connection) -> list[float]:
    """The agencies with their procedures and staff, and the lower bounds of their shares."""
    await connection.execute(LOOKUP_TABLES)
    weights = {p.code: p.weight for p in PROVINCE_PLAN} | dict(
        zip(COMMUNE_CODES, COMMUNE_WEIGHTS, strict=True)
    )
    staff: dict[int, dict[str, dict[str, list[int]]]] = {}
    unit_ids: dict[tuple[int, str], int] = {}
    for row in await connection.fetch(STAFF):
        units = staff.setdefault(row["agency_id"], {})
        units.setdefault(row["unit_code"], {})[row["roles"]] = list(row["ids"])
        unit_ids[row["agency_id"], row["unit_code"]] = row["unit_id"]
    bounds: list[float] = []
    total = sum(weights.values())
    below = 0
    for idx, row in enumerate(await connection.fetch(LOOKUPS), start=1):
        if row["code"] not in weights:
            raise RuntimeError(f"agency {row['code']} has no share of the dossiers")
        bounds.append(below / total)
        below += weights[row["code"]]
        units = staff[row["id"]]
        desk = units["mot-cua"]
        rooms = sorted(code for code in units if code != "mot-cua")
        await connection.execute(
            "INSERT INTO bench_agencies VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            idx,
            row["id"],
            row["code"],
            row["procedures"],
            row["versions"],
            len(rooms),
            unit_ids[row["id"], "mot-cua"],
            desk["receiver"],
            desk["clerk"],
        )
        for slot, code in enumerate(rooms, start=1):
            await connection.execute(
                "INSERT INTO bench_units VALUES ($1, $2, $3, $4, $5)",
                idx,
                slot,
                unit_ids[row["id"], code],
                units[code]["leader"],
                units[code]["specialist"],
            )
    if len(bounds) != len(weights):
        raise RuntimeError("every planned agency should have procedures")
    return bounds


async def _seed_dossiers(url: str, count: int) -> dict[str, float]:
    """The dossiers and routing-slip rows; the time of each part."""
    timings: dict[str, float] = {}
    connection = await _connect(url)
    try:
        started = time.perf_counter()
        timings["officials"] = float(await _staff(connection))
        bounds = await _fill_lookups(connection)
        timings["staff_s"] = time.perf_counter() - started
        await connection.execute("SET work_mem = '256MB'")
        await connection.execute("SET maintenance_work_mem = '512MB'")
        await connection.execute("SELECT setseed($1)", (SEED % 1000) / 1000)
        started = time.perf_counter()
        await connection.execute(SEED_DOSSIERS, count, bounds, datetime.now(UTC))
        timings["draw_s"] = time.perf_counter() - started
        started = time.perf_counter()
        async with connection.transaction():
            # The rows are consistent by construction: skip the per-row foreign-key triggers.
            await connection.execute("SET LOCAL session_replication_role = replica")
            await connection.execute(INSERT_DOSSIERS)
            await connection.execute(INSERT_STEPS)
        await connection.execute(
            "SELECT setval('dossiers_id_seq', (SELECT max(id) FROM dossiers));"
            "SELECT setval('dossier_steps_id_seq', (SELECT max(id) FROM dossier_steps))"
        )
        timings["insert_s"] = time.perf_counter() - started
        started = time.perf_counter()
        # What autovacuum would have done by the time the queues are read: the visibility map
        # set, and statistics on every table (the catalog's too).
        await connection.execute("VACUUM (ANALYZE) dossiers")
        await connection.execute("VACUUM (ANALYZE) dossier_steps")
        await connection.execute("ANALYZE")
        timings["vacuum_s"] = time.perf_counter() - started
    finally:
        await connection.close()
    return timings


async def _biggest_agency(url: str) -> tuple[str, int]:
    connection = await _connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT a.code, count(*) AS n FROM dossiers d JOIN agencies a"
            " ON a.id = d.handling_agency_id GROUP BY a.code ORDER BY n DESC LIMIT 1"
        )
        assert row is not None
        return str(row["code"]), int(row["n"])
    finally:
        await connection.close()


async def _profile(url: str, agency: str) -> list[asyncpg.Record]:
    connection = await _connect(url)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(
            "SELECT d.status, count(*) AS n,"
            " count(*) FILTER (WHERE deadline_state = 'due_soon') AS due_soon,"
            " count(*) FILTER (WHERE deadline_state = 'overdue') AS overdue,"
            " count(*) FILTER (WHERE assignee_id IS NULL AND handling_unit_id IS NULL)"
            " AS unheld"
            " FROM dossiers d JOIN agencies a ON a.id = d.handling_agency_id"
            " WHERE a.code = $1 GROUP BY d.status ORDER BY d.status",
            agency,
        )
        return rows
    finally:
        await connection.close()


async def _filter_values(url: str, agency: str) -> tuple[str, str]:
    """The agency's busiest procedure and its field."""
    connection = await _connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT p.code, f.code AS field FROM dossiers d"
            " JOIN agencies a ON a.id = d.handling_agency_id"
            " JOIN procedures p ON p.id = d.procedure_id JOIN fields f ON f.id = p.field_id"
            " WHERE a.code = $1 AND d.status IN (1, 2, 4, 5, 9)"
            " GROUP BY p.code, f.code ORDER BY count(*) DESC LIMIT 1",
            agency,
        )
        assert row is not None
        return str(row["code"]), str(row["field"])
    finally:
        await connection.close()


async def _agency_key(url: str, agency: str) -> str:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            _, raw_key = await api_keys.create_api_key(
                session,
                name="bench queues",
                scopes=[api_keys.SCOPE_PROCESS],
                agency_code=agency,
            )
        return raw_key
    finally:
        await database.dispose()


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class Scenario:
    queue: str
    filter_name: str
    page: str
    params: dict[str, str | int]
    path: str = "/api/v1/queue"
    count: int | None = None
    depth: int = 0
    timings: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.queue:<10} {self.filter_name:<10} {self.page:<8}"


STATUS_OF_QUEUE = {
    "to_receive": 1,
    "to_take": 2,
    "unit": 4,
    "due_soon": 4,
    "overdue": 4,
    "supplement": 5,
    "to_return": 9,
}


def _filters(procedure: str, field_code: str, queue: str) -> dict[str, dict[str, str | int]]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "none": {},
        "procedure": {"procedure": procedure},
        "field": {"field": field_code},
        "status": {"status": STATUS_OF_QUEUE[queue]},
        "received": {
            "received_from": (now - timedelta(days=30)).isoformat(),
            "received_to": (now - timedelta(days=3)).isoformat(),
        },
    }


def _scenarios(client: httpx.Client, procedure: str, field_code: str, depth: int) -> list[Scenario]:
    """Every queue with every filter, on the first page and on the page reached by following
    the cursor ``depth`` times (or the last page, for a shorter queue)."""
    scenarios: list[Scenario] = []
    for queue in STATUS_OF_QUEUE:
        for name, wanted in _filters(procedure, field_code, queue).items():
            params: dict[str, str | int] = {"queue": queue, "limit": PAGE, **wanted}
            first = client.get("/api/v1/queue", params=params)
            first.raise_for_status()
            body = first.json()
            scenarios.append(Scenario(queue, name, "first", params, count=body["count"]))
            cursor, reached = body["next_cursor"], 0
            deep: dict[str, str | int] | None = None
            while cursor and reached < depth:
                deep = {**params, "cursor": cursor}
                page = client.get("/api/v1/queue", params=deep)
                page.raise_for_status()
                cursor, reached = page.json()["next_cursor"], reached + 1
            if deep is not None:
                scenarios.append(
                    Scenario(queue, name, f"page {reached + 1}", deep, count=body["count"])
                )
    scenarios.append(Scenario("counts", "none", "-", {}, path="/api/v1/queue/counts"))
    return scenarios


def _measure(base: str, key: str, scenarios: list[Scenario], requests: int, budget: float) -> None:
    """Every scenario ``requests`` times, interleaved so noise spreads over all of them; one
    that has taken ``budget`` seconds already is not asked again (its figures come from fewer
    requests)."""
    headers = {"Authorization": f"Bearer {key}"}
    for scenario in scenarios:
        scenario.timings = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for scenario in scenarios * 5:  # warm up: connections, caches, plans
            client.get(scenario.path, params=scenario.params).raise_for_status()
        for _ in range(requests):
            for scenario in scenarios:
                if sum(scenario.timings) > budget * 1000:
                    continue
                started = time.perf_counter()
                response = client.get(scenario.path, params=scenario.params)
                scenario.timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()


def _cuts(timings: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(timings, n=100)
    return cuts[49], cuts[94]


def _report(title: str, runs: list[list[Scenario]], requests: int) -> None:
    print(f"\n{title}")
    header = f"{'queue':<10} {'filter':<10} {'page':<8} {'count':>7}"
    for run in range(len(runs)):
        header += f"  {'run ' + str(run + 1) + ' p50':>11} {'p95':>7}"
    print(header + "  target")
    missed = 0
    for row in zip(*runs, strict=True):
        line = f"{row[0].label} {row[0].count if row[0].count is not None else '':>7}"
        worst = 0.0
        for scenario in row:
            p50, p95 = _cuts(scenario.timings)
            worst = max(worst, p95)
            line += f"  {p50:>11.1f} {p95:>7.1f}"
            if len(scenario.timings) < requests:
                line += f" (n={len(scenario.timings)})"
        met = worst < TARGET_P95_MS
        missed += not met
        print(f"{line}  {'met' if met else 'MISSED'}")
    print(
        f"p95 < {TARGET_P95_MS:.0f} ms: {len(runs[0]) - missed} of {len(runs[0])} met in every"
        f" run. `mine` is always empty for an agency key (no account) and `unit` too (no unit):"
        f" their rows time an empty answer."
    )


def _summary(configurations: list[tuple[str, list[list[Scenario]]]]) -> None:
    """The p95 of every query in each configuration (the worse of the runs)."""
    print(f"\nSummary: p95 in ms (worse run) per configuration; target {TARGET_P95_MS:.0f} ms")
    for number, (name, _) in enumerate(configurations, start=1):
        print(f"    ({number}) {name}")
    print(
        f"{'queue':<10} {'filter':<10} {'page':<8}"
        + "".join(f" {'(' + str(n) + ')':>8}" for n in range(1, len(configurations) + 1))
    )
    rows = zip(*(zip(*runs, strict=True) for _, runs in configurations), strict=True)
    for per_configuration in rows:
        line = per_configuration[0][0].label
        for same in per_configuration:
            line += f" {max(_cuts(s.timings)[1] for s in same):>8.1f}"
        print(line)


# --- EXPLAIN ---------------------------------------------------------------------------------


# The select list of every column of the dossiers table, shortened when a statement is shown.
ALL_COLUMNS = re.compile(r"^SELECT dossiers\.id, dossiers\.reference, .*?dossiers\.row_version ")


@dataclass
class Statement:
    sql: str
    params: tuple[Any, ...]
    scenario: str
    ms: float = 0.0
    plan: list[str] = field(default_factory=list)


async def _explain(url: str, agency: str, scenarios: list[Scenario], top: int) -> None:
    """Run each scenario once through the service (the statements the API sends, captured),
    EXPLAIN (ANALYZE, BUFFERS) each, and print the slowest."""
    database = Database(url)
    captured: list[tuple[str, tuple[Any, ...]]] = []

    def capture(
        _conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        captured.append((statement, tuple(parameters or ())))

    statements: list[Statement] = []
    try:
        async with database.unit_of_work() as session:
            agency_id = await _agency_id(session, agency)
            actor = service.actor_for_key(
                ApiPrincipal(
                    agency_id=agency_id,
                    agency_code=agency,
                    key_name="bench",
                    key_prefix="bench",
                    scopes=[api_keys.SCOPE_PROCESS],
                )
            )
            event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
            for scenario in scenarios:
                captured.clear()
                if scenario.path.endswith("/counts"):
                    await service.queue_counts(session, actor)
                else:
                    params = scenario.params
                    wanted = QueueFilter(
                        procedure=_text(params.get("procedure")),
                        field=_text(params.get("field")),
                        status=_number(params.get("status")),
                        received_from=_moment(params.get("received_from")),
                        received_to=_moment(params.get("received_to")),
                    )
                    await service.queue_page(
                        session,
                        actor,
                        Queue(str(params["queue"])),
                        wanted,
                        _text(params.get("cursor")),
                        PAGE,
                    )
                statements += [
                    Statement(sql, values, scenario.label.strip()) for sql, values in captured
                ]
            event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    finally:
        await database.dispose()
    connection = await _connect(url)
    try:
        for statement in statements:
            rows = await connection.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, *statement.params
            )
            statement.plan = [row[0] for row in rows]
            statement.ms = float(statement.plan[-1].split()[-2])  # "Execution Time: 1.2 ms"
    finally:
        await connection.close()
    slowest: dict[str, Statement] = {}
    for statement in statements:
        if statement.ms > slowest.get(statement.sql, Statement("", (), "")).ms:
            slowest[statement.sql] = statement
    shown = sorted(slowest.values(), key=lambda s: s.ms, reverse=True)[:top]
    print(
        f"\nThe {top} slowest distinct statements (EXPLAIN (ANALYZE, BUFFERS) with the parameters"
        " of their slowest request; warm cache)"
    )
    for statement in shown:
        print(f"\n--- {statement.ms:.1f} ms, from {' '.join(statement.scenario.split())}")
        print(ALL_COLUMNS.sub("SELECT dossiers.* ", statement.sql, count=1).strip())
        print(f"parameters: {statement.params}")
        for line in statement.plan:
            print(f"    {line}")
    by_request: dict[str, float] = {}
    for statement in statements:
        by_request[statement.scenario] = by_request.get(statement.scenario, 0.0) + statement.ms
    print("\nTime in the database per request (its statements' execution times summed, ms):")
    for name, ms in sorted(by_request.items(), key=lambda item: -item[1])[:12]:
        print(f"    {name:<30} {ms:7.1f}")


async def _agency_id(session: AsyncSession, code: str) -> int:
    agency = await repository.agency_by_code(session, code)
    assert agency is not None
    return agency.id


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _number(value: str | int | None) -> int | None:
    return None if value is None else int(value)


def _moment(value: str | int | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


# --- Main ------------------------------------------------------------------------------------


async def _create_indexes(url: str, statements: tuple[str, ...]) -> float:
    connection = await _connect(url)
    try:
        started = time.perf_counter()
        for statement in statements:
            await connection.execute(statement)
        await connection.execute("ANALYZE dossiers")
        return time.perf_counter() - started
    finally:
        await connection.close()


def _measure_runs(
    url: str, key: str, procedure: str, field_code: str, args: argparse.Namespace
) -> list[list[Scenario]]:
    runs: list[list[Scenario]] = []
    with (
        tempfile.TemporaryDirectory() as directory,
        Portal(Path(directory), {"MOTCUA_DATABASE_URL": url}) as portal,
        httpx.Client(
            base_url=portal.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client,
    ):
        for _ in range(args.runs):
            scenarios = _scenarios(client, procedure, field_code, args.depth)
            _measure(portal.url, key, scenarios, args.requests, args.budget)
            runs.append(scenarios)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query")
    parser.add_argument("--runs", type=int, default=2, help="measurements of every query")
    parser.add_argument("--depth", type=int, default=10, help="cursors followed for a deep page")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds of requests per query and run, at most"
    )
    parser.add_argument("--explain", type=int, default=3, help="slowest statements to show")
    parser.add_argument(
        "--candidate-indexes",
        action="store_true",
        help="create the proposed indexes by hand and measure again",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument(
        "--reuse", action="store_true", help="measure an already seeded database again"
    )
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()

    url = args.postgres_url
    database = make_url(url).database
    drop = f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
    try:
        if not (args.reuse and asyncio.run(_seeded(url))):
            asyncio.run(_on_server(url, drop, f'CREATE DATABASE "{database}"'))
            started = time.perf_counter()
            _migrate(url)
            migrated = time.perf_counter() - started
            procedures = asyncio.run(_load_catalog(url))
            catalog_s = time.perf_counter() - started - migrated
            timings = asyncio.run(_seed_dossiers(url, args.dossiers))
            total = time.perf_counter() - started
            seeding = timings["draw_s"] + timings["insert_s"]
            print(
                f"Seeded in {total:.0f} s: migrated in {migrated:.1f} s; {procedures} procedures"
                f" in {catalog_s:.1f} s; {timings['officials']:.0f} officials and units in"
                f" {timings['staff_s']:.1f} s; {args.dossiers:,} dossiers drawn in"
                f" {timings['draw_s']:.1f} s and inserted with their routing-slip rows in"
                f" {timings['insert_s']:.1f} s (dossiers: {seeding:.0f} s);"
                f" VACUUM ANALYZE {timings['vacuum_s']:.1f} s"
            )
        agency, handled = asyncio.run(_biggest_agency(url))
        procedure, field_code = asyncio.run(_filter_values(url, agency))
        print(f"Agency {agency}: {handled:,} dossiers; by status:")
        for row in asyncio.run(_profile(url, agency)):
            print(
                f"    status {row['status']:>2}: {row['n']:>7,}  ({row['due_soon']:,} due soon,"
                f" {row['overdue']:,} overdue, {row['unheld']:,} with no unit nor official)"
            )
        print(f"Filters: procedure={procedure} field={field_code}, status, received in a window")
        key = asyncio.run(_agency_key(url, agency))
        print(
            f"\nGET through uvicorn (one process) and httpx over loopback, one client;"
            f" {args.requests} requests per query after 5 warm-up rounds, {PAGE} per page"
        )
        runs = _measure_runs(url, key, procedure, field_code, args)
        _report("As migrated (ms):", runs, args.requests)
        asyncio.run(_explain(url, agency, runs[0], args.explain))
        configurations = [("as migrated", runs)]
        for name, statements in CANDIDATE_STEPS if args.candidate_indexes else ():
            seconds = asyncio.run(_create_indexes(url, statements))
            print(f"\nCandidate step: {name} ({seconds:.1f} s)")
            for statement in statements:
                print(f"    {statement};")
            after = _measure_runs(url, key, procedure, field_code, args)
            _report(f"With {name} (ms):", after, args.requests)
            asyncio.run(_explain(url, agency, after[0], args.explain))
            configurations.append((f"+ {name}", after))
        if len(configurations) > 1:
            _summary(configurations)
    finally:
        if not args.keep:
            asyncio.run(_on_server(url, drop))


if __name__ == "__main__":
    main()
