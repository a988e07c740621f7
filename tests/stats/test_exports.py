"""The exports parse back to the numbers the report gives, a rate without a denominator as —."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.stats import export, service
from app.stats.schemas import GroupBy
from tests.stats.conftest import AGENCY_A, AGENCY_B, MARCH, Scenario


def _by_code(rows: list[list[object]]) -> dict[object, dict[str, object]]:
    headings = [str(h) for h in rows[0]]
    return {row[0]: dict(zip(headings, row, strict=True)) for row in rows[1:]}


async def test_csv_and_xlsx_hold_the_report(
    db_session: AsyncSession, settings: Settings, scenario: Scenario
) -> None:
    report = await service.report(db_session, settings, MARCH, GroupBy.agency)
    content = export.to_csv(report)
    assert content.startswith("\ufeff".encode())
    rows: list[list[object]] = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    table = _by_code(rows)
    assert set(table) == {AGENCY_A, AGENCY_B, ""}
    a, b, total = table[AGENCY_A], table[AGENCY_B], table[""]
    assert (a["Tiếp nhận"], a["Quá hạn"], a["Tỷ lệ đúng và trước hạn (%)"]) == ("10", "4", "55.6")
    assert b["Tỷ lệ đúng và trước hạn (%)"] == "—"
    assert b["Mức độ hài lòng (%)"] == "—"
    assert (total["Nhóm"], total["Tiếp nhận"], total["Mức độ hài lòng (%)"]) == (
        "Tổng cộng",
        "11",
        "46.5",
    )

    book = load_workbook(io.BytesIO(export.to_xlsx(report, english=True)))
    sheet = book.active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    sheet_table = _by_code([[v if v is not None else "" for v in r] for r in values])
    a_x, b_x, total_x = sheet_table[AGENCY_A], sheet_table[AGENCY_B], sheet_table[""]
    assert (a_x["Received"], a_x["Late"], a_x["On-time rate (%)"]) == (10, 4, 55.6)
    assert b_x["On-time rate (%)"] == "—"
    assert (
        total_x["Group"],
        total_x["Satisfaction (%)"],
        total_x["Average processing time (working days)"],
    ) == ("Total", 46.5, 4.0)
    # Every number of the spreadsheet is the report's.
    assert total_x["Received"] == report.total.received
    assert total_x["Paid online (%)"] == report.total.paid_online_rate
