"""The routing slip (06) and the register (07) as spreadsheets: CSV and XLSX, from the same data
as their PDFs."""

from __future__ import annotations

import csv
from datetime import datetime
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.documents.labels import (
    Cell,
    Table,
    register_table,
    routing_table,
    text,
    time_text,
)
from app.documents.schemas import RegisterData, RoutingSlipData

TableData = RoutingSlipData | RegisterData
# Excel shows times in the sheet's local time only: it has no time zones.
XLSX_TIME_FORMAT = "hh:mm dd/mm/yyyy"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def table_of(data: TableData) -> Table:
    return routing_table(data) if isinstance(data, RoutingSlipData) else register_table(data)


def _details(data: TableData) -> list[str]:
    """The lines above the table: what the slip or the register is about."""
    if isinstance(data, RoutingSlipData):
        return [
            f"Mã hồ sơ: {data.dossier_code}",
            f"Cơ quan chủ trì giải quyết: {data.lead_agency}",
            "Cơ quan phối hợp giải quyết: " + ("; ".join(data.coordinating_agencies) or "Không"),
            f"Thời gian nhận hồ sơ: {time_text(data.received_at)}",
            f"Thời gian hẹn trả kết quả: {time_text(data.due_at)}",
        ]
    return [data.period] if data.period else []


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, int):
        return str(value)
    value = text(value)
    # A cell starting like a formula is run by a spreadsheet that opens the file: officials'
    # notes are typed by people, so such text is marked as text with a leading apostrophe.
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def to_csv(data: TableData) -> bytes:
    """The table's rows under one heading row, UTF-8 with a byte order mark (which Excel needs
    to read Vietnamese letters), times as hh:mm dd/mm/yyyy in Vietnam's time."""
    table = table_of(data)
    buffer = StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headings)
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: Cell) -> str | int | datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        # An empty cell, not an empty string; and no control character, which XML refuses.
        return ILLEGAL_CHARACTERS_RE.sub("", text(value)) or None
    return value


def to_xlsx(data: TableData) -> bytes:
    """One sheet: the agency, the title and details, then the table with real times (Vietnam's
    time), its heading row frozen and filterable."""
    table = table_of(data)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Phiếu kiểm soát" if isinstance(data, RoutingSlipData) else "Sổ theo dõi"
    sheet.cell(1, 1, text(data.agency.name)).font = Font(bold=True)
    sheet.cell(2, 1, text(table.title.upper())).font = Font(bold=True, size=14)
    details = _details(data)
    for offset, line in enumerate(details):
        sheet.cell(3 + offset, 1, text(line))
    heading_row = 4 + len(details)
    for column, heading in enumerate(table.headings, start=1):
        cell = sheet.cell(heading_row, column, heading)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
    for row, values in enumerate(table.rows, start=heading_row + 1):
        for column, value in enumerate(values, start=1):
            target = sheet.cell(row, column, _xlsx_value(value))
            # openpyxl takes any text starting with '=' for a formula; this is text.
            if target.data_type == "f":
                target.data_type = "s"
            if isinstance(value, datetime):
                target.number_format = XLSX_TIME_FORMAT
            target.alignment = Alignment(vertical="top", wrap_text=True)
            target.border = _BORDER
    for column, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(6.0, width * 0.7)
    last = get_column_letter(len(table.headings))
    sheet.freeze_panes = f"A{heading_row + 1}"
    sheet.auto_filter.ref = f"A{heading_row}:{last}{heading_row + len(table.rows)}"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
