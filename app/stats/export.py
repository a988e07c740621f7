"""A report as a table, and that table as CSV or XLSX: the same columns and the same numbers
as the pages show; a rate whose denominator is zero is "—", never 0 %."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.stats.schemas import Indicators, StatsReport

DASH = "—"
Value = int | float | str | None


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    vi: str
    en: str
    value: Callable[[Indicators], Value]
    # The English export's value, where it differs (the group's name).
    value_en: Callable[[Indicators], Value] | None = None


COLUMNS: tuple[Column, ...] = (
    Column("Mã", "Code", lambda i: i.key or ""),
    Column("Nhóm", "Group", lambda i: i.label, lambda i: i.label_en),
    Column("Tiếp nhận", "Received", lambda i: i.received),
    Column("Trực tuyến", "Online", lambda i: i.online),
    Column("Tỷ lệ trực tuyến (%)", "Online share (%)", lambda i: i.online_rate),
    Column("Đang giải quyết", "In processing", lambda i: i.in_processing),
    Column("Đang quá hạn", "Overdue now", lambda i: i.overdue),
    Column("Đã giải quyết", "Finished", lambda i: i.finished),
    Column("Trước hạn", "Early", lambda i: i.early),
    Column("Đúng hạn", "On time", lambda i: i.on_time),
    Column("Quá hạn", "Late", lambda i: i.late),
    Column("Tỷ lệ trước hạn (%)", "Early rate (%)", lambda i: i.early_rate),
    Column("Tỷ lệ đúng và trước hạn (%)", "On-time rate (%)", lambda i: i.on_time_rate),
    Column("Tỷ lệ quá hạn (%)", "Late rate (%)", lambda i: i.late_rate),
    Column(
        "Thời gian giải quyết bình quân (ngày làm việc)",
        "Average processing time (working days)",
        lambda i: i.average_days,
    ),
    Column("Hồ sơ có phí", "Dossiers with fees", lambda i: i.fee_bearing),
    Column("Thanh toán trực tuyến", "Paid online", lambda i: i.paid_online),
    Column("Tỷ lệ thanh toán trực tuyến (%)", "Paid online (%)", lambda i: i.paid_online_rate),
    Column("Có kết quả", "With a result", lambda i: i.results),
    Column("Kết quả điện tử", "Electronic result", lambda i: i.electronic_results),
    Column(
        "Tỷ lệ kết quả điện tử (%)",
        "Electronic results (%)",
        lambda i: i.electronic_result_rate,
    ),
    Column("Số hóa", "Digitised", lambda i: i.digitised),
    Column("Tỷ lệ số hóa (%)", "Digitised (%)", lambda i: i.digitised_rate),
    Column("Bị phản ánh", "Complained of", lambda i: i.complained),
    Column("Tỷ lệ phản ánh (%)", "Complaint rate (%)", lambda i: i.complaint_rate),
    Column("Mức độ hài lòng (%)", "Satisfaction (%)", lambda i: i.satisfaction_rate),
    Column("Rất hài lòng", "Very satisfied", lambda i: i.ratings.very_satisfied),
    Column("Hài lòng", "Satisfied", lambda i: i.ratings.satisfied),
    Column("Không hài lòng", "Not satisfied", lambda i: i.ratings.not_satisfied),
    Column("Thủ tục", "Procedures", lambda i: i.procedures),
    Column("Thủ tục toàn trình", "Full online procedures", lambda i: i.procedures_online),
    Column(
        "Tỷ lệ thủ tục toàn trình (%)",
        "Full online procedures (%)",
        lambda i: i.procedures_online_rate,
    ),
    Column("Thủ tục có phí", "Procedures with fees", lambda i: i.fee_procedures),
    Column(
        "Thủ tục có phí thanh toán trực tuyến",
        "Payable online",
        lambda i: i.fee_procedures_online,
    ),
    Column(
        "Tỷ lệ thủ tục thanh toán trực tuyến (%)",
        "Payable online (%)",
        lambda i: i.fee_procedures_online_rate,
    ),
)


def cell(column: Column, row: Indicators, english: bool = False) -> int | float | str:
    """A cell as the exports write it: "—" where a value cannot be given."""
    read = column.value_en if english and column.value_en is not None else column.value
    value = read(row)
    return DASH if value is None else value


def rows_of(report: StatsReport, english: bool = False) -> list[list[int | float | str]]:
    """The groups, then the total, each as the row of the table."""
    return [
        [cell(column, row, english) for column in COLUMNS] for row in [*report.groups, report.total]
    ]


def headings(english: bool = False) -> list[str]:
    return [column.en if english else column.vi for column in COLUMNS]


def _safe(value: int | float | str) -> int | float | str:
    """Text a spreadsheet would take for a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and value != DASH:
        return "'" + value
    return value


def _title(report: StatsReport, english: bool) -> list[str]:
    period = f"{report.first:%d/%m/%Y} – {report.last:%d/%m/%Y}"
    if english:
        return ["Decision 766 indicators", f"Period: {period}"]
    return ["Chỉ số theo Quyết định 766/QĐ-TTg", f"Kỳ: {period}"]


def to_csv(report: StatsReport, english: bool = False) -> bytes:
    """UTF-8 with a byte order mark (so spreadsheets read the diacritics), one heading row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headings(english))
    for row in rows_of(report, english):
        writer.writerow([_safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(report: StatsReport, english: bool = False) -> bytes:
    """One sheet: the title and period, then the table (numbers as numbers, "—" as text)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Indicators" if english else "Chỉ số"
    for number, line in enumerate(_title(report, english), start=1):
        sheet.cell(number, 1, line).font = Font(bold=True)
    first = 4
    for column, heading in enumerate(headings(english), start=1):
        sheet.cell(first, column, heading).font = Font(bold=True)
    for offset, row in enumerate(rows_of(report, english), start=1):
        for column, value in enumerate(row, start=1):
            written = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
            target = sheet.cell(first + offset, column, written)
            if target.data_type == "f":
                target.data_type = "s"
    sheet.freeze_panes = f"A{first + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(report: StatsReport, format_: ExportFormat, english: bool = False) -> bytes:
    return to_csv(report, english) if format_ is ExportFormat.csv else to_xlsx(report, english)


def filename(report: StatsReport, format_: ExportFormat) -> str:
    return f"thong-ke-{report.first:%Y%m%d}-{report.last:%Y%m%d}.{format_.value}"
