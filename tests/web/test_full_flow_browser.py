"""A dossier's whole life in a real browser (Debian's Chromium through Playwright), by a
citizen and three officials each signing in through the pages: the citizen files a death
registration online; the one-stop desk asks for a supplement; the citizen replaces the asked
file and resubmits; the desk receives it; a specialist appraises; a leader approves and signs;
the desk (also the clerk who returns results) makes the result ready and returns it online; the
citizen downloads the signed result, whose PAdES signature pyHanko validates against the
portal's CA."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy.ext.asyncio import AsyncSession
from work_flow import (
    Filed,
    LiveDesk,
    act,
    committed,
    file_dossier,
    make_desk,
    open_dossier,
    sign_in,
    sign_out,
)

from app.config import Settings
from app.documents import service as documents
from app.models.dossiers import Delivery
from app.storage import FileStorage
from tests.api.test_tus_browser import in_thread

# The live server commits: a commune of its own keeps this desk apart from other tests'.
AGENCY = "000.00.43.H39"
DEATH_REGISTRATION = "1.000656"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 9000
CLEAR_SCAN: FilePayload = {
    "name": "giay-bao-tu-ro-net.pdf",
    "mimeType": "application/pdf",
    "buffer": PDF + b"1",
}
ADDRESS = {"province": "15", "commune": "02647", "street": "Số 12 đường Hoàng Liên"}
ANSWERS = {
    "deceased_full_name": "Phạm Văn Bình",
    "deceased_gender": "male",
    "deceased_birth_date": "1940-05-01",
    "deceased_ethnicity": "01",
    "deceased_last_residence": ADDRESS,
    "death_date": "2026-11-01",
    "death_place": ADDRESS,
    "death_cause": "Tuổi cao",
    "applicant_full_name": "Phạm Minh Đức",
    "applicant_citizen_id": "001203012345",
    "applicant_relationship": "child",
    "applicant_phone": "0912345678",
    "declaration_consent": True,
}


@pytest.fixture(scope="module")
def desk(settings: Settings, live_server: str) -> LiveDesk:
    return make_desk(
        settings,
        AGENCY,
        {"desk": ("receiver", "clerk"), "specialist": ("specialist",), "leader": ("leader",)},
    )


@pytest.fixture(scope="module")
def filed(settings: Settings, live_server: str, desk: LiveDesk) -> Filed:
    """A citizen's death registration, filed online with a blurred scan of the death notice,
    the result to be received online."""
    return file_dossier(
        settings,
        AGENCY,
        DEATH_REGISTRATION,
        ANSWERS,
        [("death_notice_file", "giay-bao-tu-mo.pdf", PDF)],
        Delivery.online,
    )


@pytest.fixture
def page(browser: Browser, filed: Filed) -> Iterator[Page]:
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 1100, "height": 900}, accept_downloads=True
    )
    yield context.new_page()
    context.close()


def _trust_roots(settings: Settings) -> list[bytes]:
    async def read(session: AsyncSession, storage: FileStorage) -> list[bytes]:
        return await documents.trust_roots(session)

    return committed(settings, read)


def _validate(pdf: bytes, roots: list[bytes]) -> tuple[bool, bool, bool, str]:
    from asn1crypto import pem, x509

    certificates = [x509.Certificate.load(pem.unarmor(root)[2]) for root in roots]
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=certificates)

    async def check() -> Any:
        # pyHanko's validation runs an event loop of its own: give it a thread of its own.
        return await asyncio.to_thread(validate_pdf_signature, signature, context)

    status = in_thread(check)
    subfilter = str(signature.sig_object["/SubFilter"])
    return status.intact, status.valid, status.trusted, subfilter


def test_a_dossier_from_filing_through_a_supplement_to_its_signed_result(
    page: Page, live_server: str, settings: Settings, desk: LiveDesk, filed: Filed
) -> None:
    code = filed.code
    main = page.locator("main")

    # The desk finds the dossier to receive, and asks for a clearer death notice.
    sign_in(page, live_server, desk["desk"])
    open_dossier(page, live_server, code, queue="tiep-nhan")
    page.get_by_label("Giấy báo tử hoặc giấy tờ thay giấy báo tử", exact=True).check()
    page.get_by_label("Lý do đối với “Giấy báo tử hoặc giấy tờ thay giấy báo tử”").fill(
        "Bản chụp mờ, không đọc được"
    )
    page.get_by_role("button", name="Gửi yêu cầu").click()
    expect(page.get_by_role("status")).to_contain_text(code)
    expect(main).to_contain_text("Yêu cầu bổ sung")
    sign_out(page)

    # The citizen replaces the asked file and resubmits.
    sign_in(page, live_server, filed.citizen_email)
    page.goto(f"{live_server}/ho-so/{code}")
    expect(page.locator("#bo-sung")).to_contain_text("Bản chụp mờ, không đọc được")
    page.locator("#bo-sung").get_by_role("button", name="Bổ sung hồ sơ").click()
    page.get_by_role("button", name="Xoá giay-bao-tu-mo.pdf").click()
    page.set_input_files("#f-death_notice_file", files=[CLEAR_SCAN])
    expect(page.locator("#f-death_notice_file-files")).to_contain_text("giay-bao-tu-ro-net.pdf")
    page.get_by_role("button", name="Nộp bổ sung").click()
    expect(page.locator("main .notice").first).to_contain_text("Đã nộp bổ sung hồ sơ")
    sign_out(page)

    # Received, appraised, approved and signed, made ready and returned online.
    sign_in(page, live_server, desk["desk"])
    open_dossier(page, live_server, code, queue="tiep-nhan")
    act(page, "Tiếp nhận hồ sơ", f"Đã tiếp nhận hồ sơ {code}.")
    sign_out(page)
    sign_in(page, live_server, desk["specialist"])
    open_dossier(page, live_server, code, queue="cho-nhan-xu-ly")
    act(page, "Chuyển", f"Đã chuyển hồ sơ {code} sang bước tiếp theo.")
    sign_out(page)
    sign_in(page, live_server, desk["leader"])
    open_dossier(page, live_server, code, queue="cho-nhan-xu-ly")
    act(page, "Phê duyệt", f"Đã phê duyệt hồ sơ {code}.")
    act(page, "Ký số kết quả", f"Đã ký số kết quả của hồ sơ {code}.")
    sign_out(page)
    sign_in(page, live_server, desk["desk"])
    open_dossier(page, live_server, code, queue="cho-nhan-xu-ly")
    act(page, "Xác nhận đã có kết quả", f"Hồ sơ {code} đã có kết quả; người nộp đã được thông báo.")
    page.get_by_label("Hình thức trả kết quả").select_option("online")
    act(page, "Trả kết quả", f"Đã trả kết quả hồ sơ {code}.")
    slip = page.get_by_role("table", name=f"Phiếu kiểm soát quá trình giải quyết hồ sơ {code}")
    expect(slip.locator("tbody tr")).to_have_count(5)
    sign_out(page)

    # The citizen downloads the signed result; pyHanko finds its signature intact and trusted.
    sign_in(page, live_server, filed.citizen_email)
    page.goto(f"{live_server}/ho-so/{code}")
    expect(main).to_contain_text("Đã trả kết quả")
    with page.expect_download() as download:
        main.get_by_role("link", name="Kết quả giải quyết").first.click()
    pdf = download.value.path().read_bytes()
    intact, valid, trusted, subfilter = _validate(pdf, _trust_roots(settings))
    assert (intact, valid, trusted) == (True, True, True)
    assert subfilter == "/ETSI.CAdES.detached"
