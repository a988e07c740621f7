"""Every form renders on A4 with the national heading, every field of its data as printed text
(Vietnamese letters intact), and a QR code of exactly the lookup address."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from io import BytesIO

import pytest
import segno
from pydantic import BaseModel
from pyhanko.pdf_utils.reader import PdfFileReader

from app.documents.forms import render_async, render_form
from app.documents.labels import (
    DELIVERIES,
    DOCUMENT_KINDS,
    OUTCOMES,
    STOP_REASONS,
    date_line,
    days_text,
    time_text,
)
from app.documents.schemas import (
    AgencyPart,
    ApplicantPart,
    FormBase,
    FormData,
    ReceivedDocument,
    RegisterData,
    RegisterRow,
    ResultData,
    RoutingSlipData,
    StopReason,
    SupplementItem,
)
from app.models.dossiers import Delivery
from app.models.processing import DocumentForm, StepOutcome
from tests.documents import samples
from tests.documents.pdfread import qr_modules, read_pages, squash, text_of

A4_POINTS = (595.28, 841.89)
# Printed in capitals, as administrative documents head their agency and signer (the agency's
# name too).
CAPITALISED = {"head_title", "signer_title"}


def result() -> ResultData:
    return ResultData(
        **samples.COMMON,
        dossier_code=samples.CODE,
        applicant=samples.APPLICANT,
        procedure=samples.PROCEDURE,
        approved=True,
        content="Cấp Giấy khai sinh bản chính và 02 bản sao trích lục khai sinh",
        signer="Hoàng Minh Tuấn",
    )


FORMS: list[FormData] = [*samples.every_form(), result()]


def _label(value: Enum) -> str:
    for labels in (STOP_REASONS, OUTCOMES, DELIVERIES):
        if value in labels:
            return labels[value]  # type: ignore[index]
    raise AssertionError(f"no label for {value!r}")


def printed(model: BaseModel, form: FormBase) -> list[str]:
    """What must appear on the page for each field of the data, as the form prints it."""
    out: list[str] = []
    for name, value in model:
        if value is None:
            continue
        if name == "issued_at":
            out.append(date_line(form.place, value))
        elif name == "place":
            continue  # printed within the date line
        elif name == "kind" and isinstance(value, str) and value in DOCUMENT_KINDS:
            out.append(DOCUMENT_KINDS[value])
        elif isinstance(value, Enum):
            out.append(_label(value))
        elif isinstance(value, bool):
            out.append("được chấp thuận" if value else "không được chấp thuận")
        elif isinstance(value, BaseModel):
            out += printed(value, form)
        elif isinstance(value, list):
            for item in value:
                out += printed(item, form) if isinstance(item, BaseModel) else [str(item)]
        elif isinstance(value, datetime):
            out.append(time_text(value))
        elif isinstance(value, Decimal):
            out.append(days_text(value))
        elif name in CAPITALISED or (isinstance(model, AgencyPart) and name == "name"):
            out.append(value.upper())
        else:
            out.append(str(value))
    return out


@pytest.mark.parametrize("data", FORMS, ids=lambda d: d.form.value)
def test_every_field_is_printed(data: FormData) -> None:
    pdf = render_form(data)
    assert pdf.startswith(b"%PDF-")
    page_text = squash(text_of(pdf))
    for heading in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        data.agency.name.upper(),
    ):
        assert squash(heading) in page_text
    expected = printed(data, data)
    assert data.lookup_url in expected and data.agency.code in expected
    missing = [value for value in expected if squash(value) not in page_text]
    assert not missing


@pytest.mark.parametrize("data", FORMS, ids=lambda d: d.form.value)
def test_the_qr_code_is_the_lookup_address(data: FormData) -> None:
    pages = read_pages(render_form(data))
    drawn = [page for page in pages if page.filled]
    assert len(drawn) == 1
    symbol = segno.make(data.lookup_url, error="m", micro=False)
    expected = {
        (row, column)
        for row, modules in enumerate(symbol.matrix_iter(border=0))
        for column, dark in enumerate(modules)
        if dark
    }
    assert qr_modules(drawn[0]) == expected


@pytest.mark.parametrize(
    ("data", "size"),
    [(samples.receipt(), A4_POINTS), (samples.register(), A4_POINTS[::-1])],
    ids=["portrait", "landscape"],
)
def test_pages_are_a4(data: FormData, size: tuple[float, float]) -> None:
    reader = PdfFileReader(BytesIO(render_form(data)))
    box = [float(v) for v in reader.root["/Pages"]["/MediaBox"]]
    assert box[2:] == pytest.approx(size, abs=0.1)


def test_the_form_number_is_the_data_type() -> None:
    assert [d.form for d in FORMS] == [
        DocumentForm.receipt,
        DocumentForm.supplement,
        DocumentForm.refusal,
        DocumentForm.apology,
        DocumentForm.stop,
        DocumentForm.routing_slip,
        DocumentForm.register,
        DocumentForm.result,
    ]


def test_a_long_register_goes_over_pages_with_every_row() -> None:
    start = datetime(2025, 11, 3, 1, 0, tzinfo=UTC)
    rows = [
        RegisterRow(
            number=n,
            dossier_code=f"000.00.41.H39-251103-{n:04d}",
            procedure="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
            applicant=f"Người nộp số {n}",
            received_at=start + timedelta(minutes=7 * n),
            delivery=Delivery.counter,
        )
        for n in range(1, 81)
    ]
    data = RegisterData(**samples.COMMON, period="Tháng 11/2025", rows=rows)
    pages = read_pages(render_form(data))
    assert len(pages) > 2
    text = squash("".join(page.text for page in pages))
    assert all(squash(row.dossier_code) in text for row in rows)
    # The heading row is repeated on each page; the QR code comes once, after the table.
    assert all("Mãhồsơ" in squash(page.text) for page in pages)
    assert [bool(page.filled) for page in pages][-1]
    assert f"Trang{len(pages)}/{len(pages)}" in squash(pages[-1].text)


def test_decomposed_letters_are_printed_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    assert decomposed != "Nguyễn Thị Ánh Tuyết"
    data = samples.refusal().model_copy(update={"applicant": ApplicantPart(name=decomposed)})
    assert squash("Nguyễn Thị Ánh Tuyết") in squash(text_of(render_form(data)))


def test_date_line_zero_pads_days_below_ten_and_january_february() -> None:
    assert date_line("Lào Cai", datetime(2026, 2, 4, 20, 0, tzinfo=UTC)) == (
        "Lào Cai, ngày 05 tháng 02 năm 2026"
    )
    assert date_line("Hà Nội", datetime(2026, 3, 15, 3, 0, tzinfo=UTC)) == (
        "Hà Nội, ngày 15 tháng 3 năm 2026"
    )
    assert date_line("", datetime(2025, 12, 1, 3, 0, tzinfo=UTC)) == "Ngày 01 tháng 12 năm 2025"


def test_times_print_in_vietnam_whatever_the_zone_given() -> None:
    moment = datetime(2025, 11, 23, 23, 30, tzinfo=UTC)
    assert time_text(moment) == "06:30 24/11/2025"
    assert time_text(moment.astimezone(datetime.now().astimezone().tzinfo)) == "06:30 24/11/2025"


def test_optional_parts_are_left_out() -> None:
    data = samples.stop_notice().model_copy(
        update={"applicant": ApplicantPart(name="Vũ Đình Lộc"), "reason_kind": StopReason.stop}
    )
    text = squash(text_of(render_form(data)))
    assert "Thưđiệntử" not in text and "Ngườiđạidiện" not in text
    assert squash(STOP_REASONS[StopReason.stop]) in text


def test_routing_slip_outcomes_are_words() -> None:
    text = squash(text_of(render_form(samples.routing_slip())))
    assert all(squash(OUTCOMES[o]) in text for o in StepOutcome)


async def test_render_async_gives_the_same_pages() -> None:
    data = samples.apology()
    assert text_of(await render_async(data)) == text_of(render_form(data))


def _widest(length: int) -> str:
    return "W" * length


@pytest.mark.parametrize(
    "data",
    [
        samples.receipt().model_copy(
            update={
                "documents": [
                    ReceivedDocument(name=_widest(1000), kind="certified_copy", count=1000)
                ]
                * 3
            }
        ),
        samples.supplement().model_copy(
            update={"items": [SupplementItem(item=_widest(1000), reason=_widest(1000))] * 3}
        ),
        samples.routing_slip().model_copy(
            update={
                "rows": [
                    row.model_copy(
                        update={
                            "unit": _widest(255),
                            "giver": _widest(500),
                            "receiver": _widest(500),
                            "note": _widest(1000),
                        }
                    )
                    for row in samples.routing_slip().rows
                ]
            }
        ),
        samples.register().model_copy(
            update={
                "rows": [
                    row.model_copy(
                        update={
                            "dossier_code": _widest(40),
                            "procedure": _widest(500),
                            "applicant": _widest(255),
                            "contact": _widest(500),
                            "lead_agency": _widest(500),
                            "note": _widest(500),
                        }
                    )
                    for row in samples.register().rows
                ]
            }
        ),
    ],
    ids=["01", "02", "06", "07"],
)
def test_the_longest_table_cells_accepted_still_render(data: FormData) -> None:
    pages = read_pages(render_form(data))
    assert len(pages) > 1
    assert sum(bool(page.filled) for page in pages) == 1
    # fpdf2 cannot split a row across pages: a cell taller than a page is cut short.
    cut = "…" in "".join(page.text for page in pages)
    assert cut == isinstance(data, RoutingSlipData | RegisterData)
