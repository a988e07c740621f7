"""The routing slip and the register as CSV and XLSX, read back."""

from __future__ import annotations

import csv
from datetime import datetime
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from app.documents.labels import local, time_text
from app.documents.tables import TableData, table_of, to_csv, to_xlsx
from tests.documents import samples

TABLES = [samples.routing_slip(), samples.register()]
IDS = ["routing_slip", "register"]


def _printed(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return time_text(value)
    return str(value)


@pytest.mark.parametrize("data", TABLES, ids=IDS)
def test_csv_round_trip(data: TableData) -> None:
    content = to_csv(data)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(StringIO(content.decode("utf-8-sig"), newline="")))
    table = table_of(data)
    assert rows[0] == table.headings
    expected = [[_printed(v) for v in row] for row in table.rows]
    # Text that a spreadsheet would run as a formula is marked as text.
    expected = [["'" + v if v.startswith("=") else v for v in row] for row in expected]
    assert rows[1:] == expected
    assert len(rows) == len(data.rows) + 1


def test_csv_keeps_vietnamese_and_local_times() -> None:
    text = to_csv(samples.routing_slip()).decode("utf-8-sig")
    assert "Phòng Văn hóa - Xã hội" in text
    assert "Đúng hạn" in text
    assert "14:05 23/11/2025" in text
    assert "'=SUM(1+1) thẩm định xong" in text


def _heading_row(sheet: Worksheet) -> int:
    for row in sheet.iter_rows(min_col=1, max_col=1):
        if row[0].value == "STT":
            return int(row[0].row)
    raise AssertionError("no heading row")


@pytest.mark.parametrize("data", TABLES, ids=IDS)
def test_xlsx_round_trip(data: TableData) -> None:
    sheet = load_workbook(BytesIO(to_xlsx(data))).active
    assert isinstance(sheet, Worksheet)
    assert sheet["A1"].value == data.agency.name
    table = table_of(data)
    heading = _heading_row(sheet)
    assert [c.value for c in sheet[heading]] == table.headings
    rows = [
        list(values)
        for values in sheet.iter_rows(
            min_row=heading + 1, max_col=len(table.headings), values_only=True
        )
    ]
    expected = [
        [
            v.replace(tzinfo=None) if isinstance(v, datetime) else (v if v != "" else None)
            for v in row
        ]
        for row in table.rows
    ]
    assert rows == expected
    assert sheet.freeze_panes == f"A{heading + 1}"


def test_xlsx_times_are_times_in_vietnam_and_formulas_stay_text() -> None:
    data = samples.routing_slip()
    sheet = load_workbook(BytesIO(to_xlsx(data))).active
    assert isinstance(sheet, Worksheet)
    heading = _heading_row(sheet)
    handed_over = sheet.cell(heading + 1, 3)
    assert handed_over.is_date
    assert handed_over.value == local(data.rows[0].handed_over_at).replace(tzinfo=None)
    assert handed_over.number_format == "hh:mm dd/mm/yyyy"
    note = sheet.cell(heading + 2, 8)
    assert note.value == "=SUM(1+1) thẩm định xong"
    assert note.data_type == "s"
    assert "Mã hồ sơ: 000.00.41.H39-251123-0042" in [
        sheet.cell(row, 1).value for row in range(1, heading)
    ]


def test_empty_register_has_headings_only() -> None:
    data = samples.register().model_copy(update={"rows": []})
    rows = list(csv.reader(StringIO(to_csv(data).decode("utf-8-sig"))))
    assert rows == [table_of(data).headings]
    sheet = load_workbook(BytesIO(to_xlsx(data))).active
    assert isinstance(sheet, Worksheet)
    assert sheet.max_row == _heading_row(sheet)
