"""The standard forms 01–07 of Circular 03/2025, and the result notice, drawn as A4 PDFs with
fpdf2.

Every form has the agency and the national heading, its title, its fields, a QR code of the
dossier's public lookup page, and (except 06 and 07) the signer's block, which a digital
signature may later certify. ``render_form(data)`` picks the form from the type of its data;
``render_async`` runs it in a worker thread, out of the event loop's way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from app.documents.labels import (
    DOCUMENT_KINDS,
    STOP_REASONS,
    Table,
    cell_text,
    date_line,
    days_text,
    register_table,
    routing_table,
    text,
    time_text,
)
from app.documents.schemas import (
    ApologyData,
    ApplicantPart,
    FormBase,
    ReceiptData,
    RefusalData,
    RegisterData,
    ResultData,
    RoutingSlipData,
    StopNoticeData,
    SupplementRequestData,
)

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
LINE = 6.0
SIZE = 11.0
QR_SIZE = 28.0
# The signature band: QR code and caption on the left, the signer's block on the right.
BAND_HEIGHT = 50.0
PLACEHOLDER = "…………"
TABLE_PADDING = 1.0


class Sheet(FPDF):
    """An A4 page set up for the forms: the Unicode font, margins and numbered pages."""

    def __init__(self, data: FormBase, title: str, *, landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.agency_code = data.agency.code
        if landscape:
            self.set_margins(12, 12, 12)
        else:
            self.set_margins(20, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_creation_date(data.issued_at)
        self.set_title(text(title))
        self.set_author(text(data.agency.name))
        self.set_creator("motcua")
        self.set_lang("vi")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(
            0, 5, f"Mã cơ quan {self.agency_code} · Trang {self.page_no()}/{{nb}}", align=Align.C
        )


def _font(pdf: FPDF, style: Literal["", "B"] = "", size: float = SIZE) -> None:
    pdf.set_font(FAMILY, style, size)


def _centered(pdf: FPDF, x: float, width: float, value: str, height: float = 5.0) -> None:
    pdf.set_x(x)
    pdf.multi_cell(width, height, text(value), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)


def write_heading(pdf: FPDF, data: FormBase) -> None:
    """The agency and document number on the left, the national heading and the date line on
    the right, each with its short rule, as on every administrative document."""
    top = pdf.get_y()
    left = pdf.l_margin
    left_width = 72.0 if pdf.epw < 200 else 100.0
    right = left + left_width
    right_width = pdf.epw - left_width

    _font(pdf, "B", 10.5)
    pdf.set_y(top)
    _centered(pdf, left, left_width, data.agency.name.upper())
    rule_y = pdf.get_y() + 0.8
    pdf.line(left + left_width / 2 - 12, rule_y, left + left_width / 2 + 12, rule_y)
    pdf.set_y(rule_y + 1.5)
    _font(pdf, "", 10.5)
    _centered(pdf, left, left_width, f"Số: {data.number or PLACEHOLDER}")
    left_bottom = pdf.get_y()

    pdf.set_y(top)
    _font(pdf, "B", 10.5)
    _centered(pdf, right, right_width, NATION)
    _centered(pdf, right, right_width, MOTTO)
    motto_width = pdf.get_string_width(MOTTO)
    rule_y = pdf.get_y() + 0.5
    pdf.line(
        right + (right_width - motto_width) / 2,
        rule_y,
        right + (right_width + motto_width) / 2,
        rule_y,
    )
    pdf.set_y(rule_y + 2)
    _font(pdf, "", 10.5)
    _centered(pdf, right, right_width, date_line(data.place, data.issued_at))
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)


def write_title(pdf: FPDF, title: str, subtitle: str = "") -> None:
    _font(pdf, "B", 13)
    _centered(pdf, pdf.l_margin, pdf.epw, title.upper(), 7)
    if subtitle:
        _font(pdf, "", SIZE)
        _centered(pdf, pdf.l_margin, pdf.epw, subtitle, LINE)
    pdf.ln(4)


def write_field(pdf: FPDF, label: str, value: str) -> None:
    """'Label: value' flowing over as many lines as the value needs."""
    pdf.set_x(pdf.l_margin)
    _font(pdf, "B")
    pdf.write(LINE, text(f"{label}: "))
    _font(pdf)
    pdf.write(LINE, text(value))
    pdf.ln(LINE)


def write_paragraph(pdf: FPDF, value: str, style: Literal["", "B"] = "") -> None:
    _font(pdf, style)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(0, LINE, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _numbered(pdf: FPDF, items: Sequence[str]) -> None:
    for index, item in enumerate(items, start=1):
        write_paragraph(pdf, f"{index}. {item}")


def _applicant(pdf: FPDF, applicant: ApplicantPart, name_label: str = "Ông/Bà (tổ chức)") -> None:
    write_field(pdf, name_label, applicant.name)
    for label, value in (
        ("Số giấy tờ định danh", applicant.id_number),
        ("Địa chỉ", applicant.address),
        ("Số điện thoại", applicant.phone),
        ("Thư điện tử", applicant.email),
        ("Người đại diện", applicant.representative),
    ):
        if value:
            write_field(pdf, label, value)


def _fitted(pdf: FPDF, value: str, width: float, line_height: float) -> str:
    """The cell's text, cut with an ellipsis if it would not fit on one page: fpdf2 cannot split
    a table row across pages (the spreadsheets keep the whole text)."""
    room = pdf.h - pdf.t_margin - pdf.b_margin - 4 * line_height - 2 * TABLE_PADDING
    most = max(1, int(room // line_height))
    lines = pdf.multi_cell(
        width - 2 * TABLE_PADDING,
        line_height,
        value,
        dry_run=True,
        output=MethodReturnValue.LINES,
    )
    assert isinstance(lines, list)
    if len(lines) <= most:
        return value
    return "\n".join([*lines[: most - 1], "…"])


def write_table(
    pdf: FPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    size: float,
) -> None:
    _font(pdf, "", size)
    line_height = size * 0.5
    columns = [pdf.epw * w / sum(widths) for w in widths]
    with pdf.table(
        col_widths=tuple(widths),
        width=pdf.epw,
        line_height=line_height,
        text_align=Align.L,
        headings_style=FontFace(emphasis="BOLD"),
        padding=TABLE_PADDING,
    ) as table:
        heading = table.row()
        for value in headings:
            heading.cell(text(value), align=Align.C)
        for values in rows:
            row = table.row()
            for value, width in zip(values, columns, strict=True):
                row.cell(_fitted(pdf, text(value), width, line_height))
    pdf.ln(3)


def _data_table(pdf: FPDF, table: Table, size: float) -> None:
    write_table(
        pdf,
        table.headings,
        [[cell_text(value) for value in row] for row in table.rows],
        table.widths,
        size,
    )


def _qr(pdf: FPDF, url: str, x: float, y: float) -> None:
    """The QR code drawn as filled runs of dark modules: sharp at any zoom, no image codec."""
    matrix = [list(row) for row in segno.make(url, error="m", micro=False).matrix_iter(border=0)]
    module = QR_SIZE / len(matrix)
    pdf.set_fill_color(0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


def write_band(pdf: FPDF, data: FormBase, role: str = "", signer: str = "", note: str = "") -> None:
    """The lookup QR code with its address, and the signer's block beside it."""
    pdf.ln(4)
    if pdf.will_page_break(BAND_HEIGHT):
        pdf.add_page()
    top = pdf.get_y()
    left = pdf.l_margin
    _qr(pdf, data.lookup_url, left + 2, top)
    pdf.set_y(top + QR_SIZE + 2)
    _font(pdf, "", 7.5)
    pdf.set_x(left)
    pdf.multi_cell(
        pdf.epw / 2 - 4, 3.5, "Quét mã để tra cứu hồ sơ:", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.multi_cell(pdf.epw / 2 - 4, 3.5, data.lookup_url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    if role:
        half = pdf.epw / 2
        pdf.set_y(top)
        _font(pdf, "B")
        _centered(pdf, left + half, half, role.upper(), LINE)
        _font(pdf, "", 9)
        _centered(pdf, left + half, half, note or "(Ký, ghi rõ họ tên)", LINE)
        pdf.set_y(pdf.get_y() + 22)
        _font(pdf, "B")
        _centered(pdf, left + half, half, signer, LINE)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom)


def _receipt(data: ReceiptData) -> Sheet:
    title = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}")
    write_paragraph(pdf, f"{data.agency.name} đã tiếp nhận hồ sơ của:")
    _applicant(pdf, data.applicant)
    write_field(pdf, "Nội dung yêu cầu giải quyết", data.procedure)
    write_paragraph(pdf, "1. Thành phần hồ sơ và số lượng mỗi loại giấy tờ gồm:")
    write_table(
        pdf,
        ["STT", "Tên giấy tờ", "Hình thức", "Số lượng"],
        [
            [str(index), document.name, DOCUMENT_KINDS[document.kind], str(document.count)]
            for index, document in enumerate(data.documents, start=1)
        ],
        [10, 105, 40, 20],
        9.5,
    )
    write_field(pdf, "2. Số lượng hồ sơ", f"{data.sets} (bộ)")
    write_field(
        pdf,
        "3. Thời gian giải quyết hồ sơ theo quy định",
        f"{days_text(data.processing_days)} ngày làm việc",
    )
    write_field(pdf, "4. Thời gian nhận hồ sơ", time_text(data.received_at))
    write_field(pdf, "5. Thời gian trả kết quả giải quyết hồ sơ", time_text(data.return_at))
    write_field(pdf, "6. Nhận kết quả tại", data.collect_at)
    write_field(pdf, "Vào sổ theo dõi hồ sơ", data.register_number or PLACEHOLDER)
    write_band(pdf, data, "Người tiếp nhận hồ sơ", data.official)
    return pdf


def _supplement(data: SupplementRequestData) -> Sheet:
    title = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}" if data.dossier_code else "")
    _applicant(pdf, data.applicant, "Kính gửi")
    write_field(pdf, f"{data.agency.name} đã tiếp nhận hồ sơ đề nghị giải quyết", data.procedure)
    write_paragraph(
        pdf,
        "Sau khi xem xét, hồ sơ cần được bổ sung, hoàn thiện một lần các nội dung sau:",
    )
    write_table(
        pdf,
        ["STT", "Nội dung cần bổ sung, hoàn thiện", "Lý do"],
        [[str(index), item.item, item.reason] for index, item in enumerate(data.items, start=1)],
        [10, 90, 75],
        9.5,
    )
    contact = data.official
    if data.official_phone:
        contact += f", số điện thoại {data.official_phone}"
    write_paragraph(
        pdf,
        "Trong quá trình bổ sung, hoàn thiện hồ sơ, nếu có vướng mắc, xin liên hệ "
        f"{contact} để được hướng dẫn.",
    )
    write_band(pdf, data, "Người hướng dẫn", data.official)
    return pdf


def _refusal(data: RefusalData) -> Sheet:
    title = "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}" if data.dossier_code else "")
    _applicant(pdf, data.applicant, "Kính gửi")
    write_field(pdf, f"{data.agency.name} đã tiếp nhận hồ sơ đề nghị giải quyết", data.procedure)
    write_paragraph(
        pdf,
        "Sau khi kiểm tra hồ sơ, cơ quan từ chối tiếp nhận, giải quyết hồ sơ vì các lý do sau:",
    )
    _numbered(pdf, data.reasons)
    write_paragraph(pdf, "Xin thông báo để Ông/Bà được biết và thực hiện.")
    write_band(pdf, data, "Người tiếp nhận hồ sơ", data.official)
    return pdf


def _apology(data: ApologyData) -> Sheet:
    title = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}")
    write_field(pdf, "Kính gửi", data.addressee)
    write_field(pdf, "Thời gian tiếp nhận hồ sơ", time_text(data.received_at))
    write_field(pdf, "Thủ tục", data.procedure)
    write_field(pdf, "Thời gian hẹn trả kết quả", time_text(data.original_return_at))
    write_field(pdf, "Lý do chậm trả kết quả", data.reason)
    write_paragraph(
        pdf,
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {data.agency.name} xin lỗi Ông/Bà "
        "và xin hẹn lại thời gian trả kết quả giải quyết hồ sơ.",
    )
    write_field(pdf, "Thời gian hẹn trả kết quả mới", time_text(data.new_return_at))
    write_paragraph(pdf, "Xin trân trọng cảm ơn.")
    write_band(pdf, data, data.head_title, data.head, "(Ký, ghi rõ họ tên và đóng dấu)")
    return pdf


def _stop(data: StopNoticeData) -> Sheet:
    title = "Thông báo dừng giải quyết hồ sơ"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}")
    _applicant(pdf, data.applicant, "Kính gửi")
    write_field(pdf, "Thủ tục", data.procedure)
    write_field(pdf, "Lý do", f"{STOP_REASONS[data.reason_kind]}. {data.reason}")
    write_field(pdf, "Thời gian dừng giải quyết", time_text(data.stopped_at))
    write_paragraph(
        pdf,
        f"{data.agency.name} thông báo dừng giải quyết hồ sơ nêu trên kể từ thời gian này.",
    )
    write_band(pdf, data, "Cán bộ thông báo", data.official)
    return pdf


def _routing_slip(data: RoutingSlipData) -> Sheet:
    title = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}")
    write_field(pdf, "Cơ quan chủ trì giải quyết", data.lead_agency)
    write_field(
        pdf, "Cơ quan phối hợp giải quyết", "; ".join(data.coordinating_agencies) or "Không"
    )
    write_field(pdf, "Thời gian nhận hồ sơ", time_text(data.received_at))
    write_field(pdf, "Thời gian hẹn trả kết quả", time_text(data.due_at))
    pdf.ln(2)
    _data_table(pdf, routing_table(data), 8)
    write_band(pdf, data)
    return pdf


def _register(data: RegisterData) -> Sheet:
    title = "Sổ theo dõi hồ sơ"
    pdf = Sheet(data, title, landscape=True)
    write_heading(pdf, data)
    write_title(pdf, title, data.period)
    _data_table(pdf, register_table(data), 7)
    write_band(pdf, data)
    return pdf


def _result(data: ResultData) -> Sheet:
    title = "Thông báo kết quả giải quyết hồ sơ"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, f"Mã hồ sơ: {data.dossier_code}")
    _applicant(pdf, data.applicant, "Kính gửi")
    write_field(pdf, "Thủ tục", data.procedure)
    decision = "Hồ sơ được chấp thuận." if data.approved else "Hồ sơ không được chấp thuận."
    write_field(pdf, "Kết quả giải quyết", decision)
    if data.content:
        write_paragraph(pdf, data.content)
    write_band(pdf, data, data.signer_title, data.signer, "(Ký, ghi rõ họ tên và đóng dấu)")
    return pdf


def render_form(data: FormBase) -> bytes:
    """The form as a PDF; its number is ``data.form``."""
    match data:
        case ReceiptData():
            pdf = _receipt(data)
        case SupplementRequestData():
            pdf = _supplement(data)
        case RefusalData():
            pdf = _refusal(data)
        case ApologyData():
            pdf = _apology(data)
        case StopNoticeData():
            pdf = _stop(data)
        case RoutingSlipData():
            pdf = _routing_slip(data)
        case RegisterData():
            pdf = _register(data)
        case ResultData():
            pdf = _result(data)
        case _:
            raise TypeError(f"no form is drawn from {type(data).__name__}")
    return bytes(pdf.output())


async def render_async(data: FormBase) -> bytes:
    """``render_form`` in a worker thread: drawing a page takes a tenth of a second of CPU."""
    return await asyncio.to_thread(render_form, data)
