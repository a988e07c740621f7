"""Words and formats the forms and their tables share: Vietnamese labels, times, the columns of
the routing slip (06) and of the register (07)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.documents.schemas import RegisterData, RoutingSlipData, StopReason
from app.models.dossiers import Delivery
from app.models.processing import StepOutcome

# The forms are Vietnamese administrative documents: their times are Vietnam's, whatever zone
# the portal runs in.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMAT = "%H:%M %d/%m/%Y"

DOCUMENT_KINDS = {
    "original": "Bản chính",
    "certified_copy": "Bản sao có chứng thực",
    "copy": "Bản sao",
}
OUTCOMES = {
    StepOutcome.early: "Trước hạn",
    StepOutcome.on_time: "Đúng hạn",
    StepOutcome.late: "Quá hạn",
}
DELIVERIES = {
    Delivery.online: "Trực tuyến",
    Delivery.counter: "Tại bộ phận một cửa",
    Delivery.post: "Qua bưu chính",
}
STOP_REASONS = {
    StopReason.withdrawal: "Tổ chức, cá nhân rút hồ sơ",
    StopReason.stop: "Dừng giải quyết hồ sơ",
}

Cell = str | int | datetime | None


@dataclass(frozen=True)
class Table:
    """A table as headings and rows of typed cells: times stay datetimes (local, aware) so a
    spreadsheet keeps them as times; ``text`` gives the printed form."""

    title: str
    headings: list[str]
    rows: list[list[Cell]]
    # Relative widths of the columns on paper.
    widths: list[float]


def text(value: str) -> str:
    """Precomposed Vietnamese: without text shaping, a decomposed 'ế' (e and two combining
    marks) prints its marks beside the letter instead of on it."""
    return unicodedata.normalize("NFC", value)


def local(moment: datetime) -> datetime:
    return moment.astimezone(VIETNAM)


def time_text(moment: datetime | None) -> str:
    """hh:mm dd/mm/yyyy in Vietnam's time; empty for no time."""
    return "" if moment is None else local(moment).strftime(TIME_FORMAT)


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return time_text(value)
    return text(str(value))


def days_text(days: Decimal) -> str:
    """7.5 → '7,5' (the Vietnamese decimal comma), 10 → '10'."""
    return f"{days.normalize():f}".replace(".", ",")


def date_line(place: str, moment: datetime) -> str:
    """'Lào Cai, ngày 05 tháng 02 năm 2026': days below 10 and the months January and February
    take a leading zero (Decree 30/2020/NĐ-CP on the form of administrative documents)."""
    day = local(moment)
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    line = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {line}" if place else line.capitalize()


def routing_table(data: RoutingSlipData) -> Table:
    return Table(
        title="Phiếu kiểm soát quá trình giải quyết hồ sơ",
        headings=[
            "STT",
            "Đơn vị",
            "Giao lúc",
            "Người giao",
            "Nhận lúc",
            "Người nhận",
            "Kết quả",
            "Ghi chú",
        ],
        rows=[
            [
                index,
                row.unit,
                local(row.handed_over_at),
                row.giver,
                local(row.received_at) if row.received_at else None,
                row.receiver,
                OUTCOMES[row.outcome] if row.outcome else "",
                row.note,
            ]
            for index, row in enumerate(data.rows, start=1)
        ],
        widths=[8, 28, 20, 23, 20, 23, 17, 36],
    )


def register_table(data: RegisterData) -> Table:
    return Table(
        title="Sổ theo dõi hồ sơ",
        headings=[
            "STT",
            "Mã hồ sơ",
            "Thủ tục",
            "Người nộp",
            "Địa chỉ, số điện thoại",
            "Cơ quan chủ trì",
            "Nhận lúc",
            "Hẹn trả",
            "Trả lúc",
            "Hình thức trả",
            "Ghi chú",
        ],
        rows=[
            [
                row.number,
                row.dossier_code,
                row.procedure,
                row.applicant,
                row.contact,
                row.lead_agency,
                local(row.received_at),
                local(row.due_at) if row.due_at else None,
                local(row.returned_at) if row.returned_at else None,
                DELIVERIES[row.delivery] if row.delivery else "",
                row.note,
            ]
            for row in data.rows
        ],
        widths=[8, 40, 40, 27, 32, 27, 18, 18, 18, 17, 28],
    )
