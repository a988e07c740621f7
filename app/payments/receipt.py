"""The electronic receipt (biên lai điện tử) of a fee paid online, drawn as an A4 PDF in the
look of the standard forms (same heading, font and lookup QR code), to be signed by the agency.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, ClassVar
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app.documents.forms import (
    Sheet,
    write_band,
    write_field,
    write_heading,
    write_paragraph,
    write_table,
    write_title,
)
from app.documents.schemas import ApplicantPart, FormBase, Procedure
from app.models.processing import DocumentForm

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
GATEWAY_NAMES = {"vnpay": "VNPAY", "sandbox": "Cổng thanh toán thử nghiệm (sandbox)"}

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ", "tỷ tỷ")


def _three(number: int, leading: bool) -> list[str]:
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if hundreds or not leading:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def amount_in_words(amount: int) -> str:
    """A sum of đồng read out in Vietnamese, as receipts write it ("Năm mươi nghìn đồng")."""
    if amount <= 0 or amount >= 10**21:
        return "Không đồng" if amount <= 0 else money(amount)
    groups: list[int] = []
    rest = amount
    while rest:
        groups.append(rest % 1000)
        rest //= 1000
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        value = groups[index]
        if value == 0:
            continue
        words += _three(value, leading=index == top)
        if index:
            words.append(_GROUPS[index])
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


class ReceiptLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Short
    quantity: int = Field(ge=0)
    unit_amount: int = Field(ge=0)
    amount: int = Field(ge=0)
    exempt: bool = False


class PaymentReceiptData(FormBase):
    """The electronic receipt of a fee paid online."""

    form: ClassVar[DocumentForm] = DocumentForm.payment_receipt

    dossier_code: Short
    payment_reference: Short
    payer: ApplicantPart
    procedure: Procedure
    lines: list[ReceiptLine]
    amount: int = Field(ge=0)
    gateway: Short
    transaction_no: Short
    bank_code: Short = ""
    paid_at: AwareDatetime


def _draw(data: PaymentReceiptData) -> bytes:
    title = "Biên lai thu phí, lệ phí"
    pdf = Sheet(data, title)
    write_heading(pdf, data)
    write_title(pdf, title, "(Biên lai điện tử - thanh toán trực tuyến)")
    write_field(pdf, "Người nộp", data.payer.name)
    if data.payer.id_number:
        write_field(pdf, "Số giấy tờ định danh", data.payer.id_number)
    if data.payer.address:
        write_field(pdf, "Địa chỉ", data.payer.address)
    write_field(pdf, "Mã hồ sơ", data.dossier_code)
    write_field(pdf, "Thủ tục", data.procedure)
    write_paragraph(pdf, "Các khoản phí, lệ phí:")
    write_table(
        pdf,
        ["STT", "Khoản thu", "Số lượng", "Đơn giá", "Thành tiền"],
        [
            [
                str(index),
                line.name,
                str(line.quantity),
                money(line.unit_amount),
                "Miễn" if line.exempt else money(line.amount),
            ]
            for index, line in enumerate(data.lines, start=1)
        ],
        [10, 75, 20, 35, 35],
        9.5,
    )
    write_field(pdf, "Số tiền đã nộp", money(data.amount))
    write_field(pdf, "Bằng chữ", amount_in_words(data.amount))
    write_field(pdf, "Hình thức thu", f"Thanh toán trực tuyến qua {data.gateway}")
    write_field(pdf, "Mã giao dịch cổng thanh toán", data.transaction_no)
    if data.bank_code:
        write_field(pdf, "Ngân hàng", data.bank_code)
    write_field(pdf, "Mã thanh toán", data.payment_reference)
    write_field(pdf, "Thời gian thanh toán", f"{data.paid_at.astimezone(ZONE):%H:%M:%S %d/%m/%Y}")
    write_band(pdf, data, "Đơn vị thu", data.agency.name, "(Ký số)")
    return bytes(pdf.output())


async def render(data: PaymentReceiptData) -> bytes:
    """The receipt as a PDF, drawn in a worker thread."""
    return await asyncio.to_thread(_draw, data)


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZONE)
