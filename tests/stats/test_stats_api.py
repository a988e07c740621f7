"""GET /api/v1/stats and /api/v1/stats/dossiers: the scope, the filters, the same numbers as
the service, null for a rate without a denominator, CSV and XLSX, the agency's dossiers."""

from __future__ import annotations

import csv
import io

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from tests.api.dossier_helpers import bearer, enterprise_key, random_tax_code
from tests.stats.conftest import AGENCY_A, AGENCY_B, FIELD, P2, Scenario

MARCH = {"from": "2025-03-01", "to": "2025-03-31", "field": FIELD}


async def _stats_key(session: AsyncSession) -> str:
    return await enterprise_key(session, random_tax_code(), scopes=(api_keys.SCOPE_STATS,))


async def test_the_report_needs_the_scope(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    assert (await client.get("/api/v1/stats")).status_code == 401
    other = await enterprise_key(db_session, random_tax_code(), scopes=(api_keys.SCOPE_CATALOG,))
    answer = await client.get("/api/v1/stats", headers=bearer(other))
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_report_by_agency(
    client: httpx.AsyncClient, db_session: AsyncSession, scenario: Scenario
) -> None:
    key = await _stats_key(db_session)
    answer = await client.get(
        "/api/v1/stats", params={**MARCH, "group_by": "agency"}, headers=bearer(key)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers.get("etag")
    body = answer.json()
    assert body["total"]["received"] == 11 and body["total"]["late"] == 4
    assert body["total"]["on_time_rate"] == 55.6
    groups = {g["key"]: g for g in body["groups"]}
    assert groups[AGENCY_B]["on_time_rate"] is None
    assert groups[AGENCY_A]["ratings"] == {"very_satisfied": 1, "satisfied": 1, "not_satisfied": 1}
    by_procedure = await client.get(
        "/api/v1/stats", params={**MARCH, "procedure": P2, "channel": 2}, headers=bearer(key)
    )
    assert by_procedure.json()["total"]["received"] == 5


async def test_a_wrong_filter_is_a_located_problem(
    client: httpx.AsyncClient, db_session: AsyncSession, scenario: Scenario
) -> None:
    key = await _stats_key(db_session)
    answer = await client.get(
        "/api/v1/stats", params={**MARCH, "agency": "999.99.99.Z99"}, headers=bearer(key)
    )
    assert answer.status_code == 422
    assert [e["location"] for e in answer.json()["errors"]] == ["agency"]
    backwards = await client.get(
        "/api/v1/stats", params={"from": "2025-03-31", "to": "2025-03-01"}, headers=bearer(key)
    )
    assert backwards.status_code == 422
    assert (
        await client.get("/api/v1/stats", params={"group_by": "x"}, headers=bearer(key))
    ).status_code == 422


async def test_the_report_as_files(
    client: httpx.AsyncClient, db_session: AsyncSession, scenario: Scenario
) -> None:
    key = await _stats_key(db_session)
    as_csv = await client.get(
        "/api/v1/stats",
        params={**MARCH, "group_by": "agency", "format": "csv"},
        headers=bearer(key),
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    b_row = next(r for r in rows if r[0] == AGENCY_B)
    assert b_row[rows[0].index("Tỷ lệ đúng và trước hạn (%)")] == "—"
    as_xlsx = await client.get(
        "/api/v1/stats",
        params={**MARCH, "format": "xlsx", "lang": "en"},
        headers=bearer(key),
    )
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    headings = [c.value for c in sheet[4]]
    total = [c.value for c in sheet[5]]
    assert total[headings.index("Received")] == 11


async def test_an_agency_lists_its_dossiers_behind_a_number(
    client: httpx.AsyncClient, db_session: AsyncSession, scenario: Scenario
) -> None:
    _out, agency_key = await api_keys.create_api_key(
        db_session, agency_code=AGENCY_A, name="Thống kê", scopes=[api_keys.SCOPE_STATS]
    )
    answer = await client.get(
        "/api/v1/stats/dossiers",
        params={**MARCH, "measure": "late", "limit": 3},
        headers=bearer(agency_key),
    )
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    assert 'rel="next"' in answer.headers["link"]
    rest = await client.get(
        "/api/v1/stats/dossiers",
        params={**MARCH, "measure": "late", "limit": 3, "cursor": first["next_cursor"]},
        headers=bearer(agency_key),
    )
    codes = {d["code"] for d in first["items"] + rest.json()["items"]}
    assert codes == {scenario.codes[n] for n in ("D3", "D5", "D6", "D13")}
    # Agency A's key does not see agency B's dossier.
    received = await client.get(
        "/api/v1/stats/dossiers",
        params={**MARCH, "measure": "received", "limit": 100},
        headers=bearer(agency_key),
    )
    assert scenario.codes["D12"] not in {d["code"] for d in received.json()["items"]}
    enterprise = await _stats_key(db_session)
    refused = await client.get(
        "/api/v1/stats/dossiers", params={"measure": "late"}, headers=bearer(enterprise)
    )
    assert refused.status_code == 403
