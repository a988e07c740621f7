"""The statistics pages over httpx: the public page with its charts, tables and exports in
both languages, the officials' page whose numbers link to exactly the dossiers behind them,
what an official of one agency may see, and field-level errors."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.web.i18n import LOCALE_COOKIE
from app.web.security import SESSION_COOKIE, sign
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.processing import make_official
from tests.stats.conftest import AGENCY_A, AGENCY_B, FIELD, Scenario
from tests.web.web_html import parse

MARCH = {"tu-ngay": "01/03/2025", "den-ngay": "31/03/2025", "linh-vuc": FIELD}


async def _sign_in(
    client: httpx.AsyncClient, session: AsyncSession, agency: str, roles: list[str]
) -> None:
    actor = await make_official(
        session, f"thongke-{agency}-{'-'.join(roles)}@example.com", agency, roles
    )
    assert actor.account_id is not None
    signed = await accounts.start_session(session, actor.account_id)
    client.cookies.set(SESSION_COOKIE, sign(TEST_SECRET_KEY, "session", signed.token))


async def test_the_public_page(client: httpx.AsyncClient, scenario: Scenario) -> None:
    page = await client.get("/thong-ke", params=MARCH)
    assert page.status_code == 200, page.text
    tree = parse(page.text)
    text = tree.text
    assert "Chỉ số chất lượng phục vụ" in text
    assert "Sở Thống kê thử nghiệm" in text and "Sở Kiểm thử chỉ số" in text
    # The charts: inline SVG images with a title and a description, one bar title per group.
    charts = tree.find_all("svg")
    assert len(charts) == 2
    for chart in charts:
        assert chart.attrs["role"] == "img"
        assert chart.find("title") is not None and chart.find("desc") is not None
    assert "55,6 %" in text
    # Agency B finished nothing: its rate is —, never 0 %.
    b_row = next(r for r in tree.find_all("tr") if "Sở Kiểm thử chỉ số" in r.text)
    assert "—" in b_row.text
    # No links to dossiers on the public page.
    assert not [
        a for a in tree.find_all("a") if "/can-bo/thong-ke/ho-so" in a.attrs.get("href", "")
    ]
    client.cookies.set(LOCALE_COOKIE, "en")
    english = await client.get("/thong-ke", params=MARCH)
    assert "Service quality indicators" in english.text and "55.6" in english.text


async def test_the_public_exports_hold_what_is_shown(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    page = parse((await client.get("/thong-ke", params={**MARCH, "theo": "thang"})).text)
    links = {a.attrs["href"] for a in page.find_all("a") if a.attrs.get("download") is not None}
    csv_url = next(u for u in links if u.startswith("/thong-ke.csv"))
    xlsx_url = next(u for u in links if u.startswith("/thong-ke.xlsx"))
    as_csv = await client.get(csv_url)
    assert as_csv.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["2025-03", ""]
    assert rows[1][rows[0].index("Tiếp nhận")] == "11"
    sheet = load_workbook(io.BytesIO((await client.get(xlsx_url)).content)).active
    assert sheet is not None
    assert [c.value for c in sheet[5]][:3] == ["2025-03", "Tháng 3/2025", 11]


async def test_a_wrong_filter_is_shown_beside_its_field(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    page = await client.get(
        "/thong-ke", params={**MARCH, "den-ngay": "31/02/2025", "co-quan": "khong-co"}
    )
    assert page.status_code == 422
    tree = parse(page.text)
    assert tree.find(id="f-den-ngay-error") is not None
    wrong_agency = await client.get("/thong-ke", params={**MARCH, "co-quan": "999.99.99.Z99"})
    assert wrong_agency.status_code == 422
    assert parse(wrong_agency.text).find(id="f-co-quan-error") is not None


async def test_the_officials_page_links_each_number_to_its_dossiers(
    client: httpx.AsyncClient, db_session: AsyncSession, scenario: Scenario
) -> None:
    signed_out = await client.get("/can-bo/thong-ke", follow_redirects=False)
    assert signed_out.status_code in (302, 303)
    await _sign_in(client, db_session, AGENCY_A, ["leader"])
    page = await client.get("/can-bo/thong-ke", params={**MARCH, "theo": "co-quan"})
    assert page.status_code == 200, page.text
    tree = parse(page.text)
    # Agency A's official sees agency A only.
    assert "Sở Kiểm thử chỉ số" not in tree.text
    late_links = [
        a.attrs["href"]
        for a in tree.find_all("a")
        if "chi-so=late" in a.attrs.get("href", "") and "nhom=" in a.attrs["href"]
    ]
    assert late_links
    listed = await client.get(late_links[0])
    assert listed.status_code == 200
    codes = set(re.findall(r"/can-bo/ho-so/([^\"]+)\"", listed.text))
    assert codes == {scenario.codes[n] for n in ("D3", "D5", "D6", "D13")}
    query = parse_qs(urlsplit(late_links[0]).query)
    assert query["nhom"] == [AGENCY_A] and query["linh-vuc"] == [FIELD]
    # Another agency's dossiers are not the official's to list.
    other = await client.get(
        "/can-bo/thong-ke/ho-so", params={**MARCH, "co-quan": AGENCY_B, "chi-so": "received"}
    )
    assert other.status_code == 422


async def test_an_administrator_drills_into_every_agency(
    client: httpx.AsyncClient, db_session: AsyncSession, scenario: Scenario
) -> None:
    await _sign_in(client, db_session, AGENCY_A, ["admin"])
    listed = await client.get(
        "/can-bo/thong-ke/ho-so",
        params={**MARCH, "theo": "co-quan", "nhom": AGENCY_B, "chi-so": "received"},
    )
    assert listed.status_code == 200
    assert scenario.codes["D12"] in listed.text
    wrong = await client.get("/can-bo/thong-ke/ho-so", params={**MARCH, "chi-so": "nope"})
    assert wrong.status_code == 422
