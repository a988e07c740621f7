"""A full-online (toàn trình) service from end to end in a real browser (Debian's Chromium
through Playwright), against the portal served by uvicorn whose gateway is the embedded sandbox:
a citizen's judicial record request waits for its fees (status 6); the citizen pays through the
sandbox's pages; the agency processes it and signs the result; the citizen downloads the signed
result, checks it on the verification page and rates the service; the public statistics page
then counts the dossier as finished, paid online, with an electronic result and rated."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.config import Settings
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn
from app.storage import FileStorage
from tests.payments.test_payment_browser import (
    AGENCY,
    PASSWORD,
    RECORD,
    Owed,
    _no_serious_violations,
    owed,
    pay_server,
)
from tests.web.work_flow import committed

pytestmark = pytest.mark.usefixtures("outbox_left_clean")

__all__ = ["owed", "pay_server"]


@dataclass(frozen=True)
class Figures:
    """What the public statistics page says of the judicial records of the department today."""

    finished: int
    paid_online: int
    electronic_results: int
    very_satisfied: int


@pytest.fixture
def page(browser: Browser, owed: Owed) -> Iterator[Page]:
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 1100, "height": 900}, accept_downloads=True
    )
    yield context.new_page()
    context.close()


def _figures(page: Page, base: str, settings: Settings) -> Figures:
    today = datetime.now(ZoneInfo(settings.time_zone)).strftime("%d/%m/%Y")
    page.goto(f"{base}/thong-ke")
    page.get_by_label("Từ ngày").fill(today)
    page.get_by_label("Đến ngày").fill(today)
    page.get_by_label("Cơ quan").select_option(AGENCY)
    page.get_by_label("Mã thủ tục").fill(RECORD)
    page.get_by_role("button", name="Xem chỉ số").click()
    expect(page.get_by_role("status")).to_contain_text(f"Từ ngày {today} đến ngày {today}")

    def value(term: str) -> str:
        row = page.locator(".summary-row", has=page.locator("dt", has_text=term))
        return row.locator("dd").inner_text()

    def first_number(text: str) -> int:
        found = re.search(r"\d+", text)
        assert found is not None, text
        return int(found.group())

    ratings = value("Đánh giá của người dân, doanh nghiệp")
    very = re.search(r"rất hài lòng (\d+)", ratings)
    assert very is not None, ratings
    return Figures(
        finished=first_number(value("Hồ sơ đã giải quyết")),
        paid_online=first_number(value("Hồ sơ thanh toán trực tuyến")),
        electronic_results=first_number(value("Hồ sơ trả kết quả điện tử")),
        very_satisfied=int(very.group(1)),
    )


def _process_to_returned_result(settings: Settings, code: str) -> None:
    """The department appraises, approves, signs and returns the result online, as its
    officials do on their pages (tests/web/test_full_flow_browser.py drives those)."""
    run = uuid.uuid4().hex[:8]

    async def work(session: AsyncSession, storage: FileStorage) -> None:
        official = await officials.create_official(
            session,
            email=f"ca-nhom-{run}@example.vn",
            password=PASSWORD,
            full_name="Cán bộ Sở Tư pháp",
            agency_code=AGENCY,
            roles=["receiver", "specialist", "leader", "clerk"],
        )
        actor = processing.actor_for_official(official)
        for action in (
            Action.forward,
            Action.approve,
            Action.sign,
            Action.result_ready,
            Action.return_result,
        ):
            await processing.act(session, settings, storage, actor, code, action, ActionIn())

    committed(settings, work)


def test_a_citizen_pays_gets_the_signed_result_verifies_it_and_rates_the_service(
    page: Page, pay_server: tuple[str, Settings], owed: Owed
) -> None:
    base, settings = pay_server
    main = page.locator("main")
    before = _figures(page, base, settings)

    # The dossier waits for its fees; the citizen pays them through the sandbox gateway.
    page.goto(f"{base}/dang-nhap?next=/ho-so/{owed.code}")
    page.fill("#f-email", owed.email)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {owed.code}")
    expect(main).to_contain_text("Yêu cầu thực hiện nghĩa vụ tài chính")
    page.get_by_role("button", name="Thanh toán trực tuyến").click()
    page.wait_for_url("**/sandbox-gateway/**")
    page.get_by_role("button", name="Thanh toán (thử)").click()
    page.wait_for_url("**/thanh-toan/vnpay/ket-qua?**")
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    receipt = page.get_by_role("link", name="Biên lai điện tử (PDF)")
    for _ in range(50):
        if receipt.count():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(receipt).to_be_visible()

    # Processed and returned online; the citizen downloads the signed result.
    _process_to_returned_result(settings, owed.code)
    page.reload()
    expect(main).to_contain_text("Đã trả kết quả")
    with page.expect_download() as downloaded:
        main.get_by_role("link", name="Kết quả giải quyết").first.click()
    result = downloaded.value.path().read_bytes()
    assert result.startswith(b"%PDF-")

    # Anyone can check it on the verification page.
    page.goto(f"{base}/xac-minh")
    upload: FilePayload = {
        "name": "ket-qua.pdf",
        "mimeType": "application/pdf",
        "buffer": result,
    }
    page.set_input_files("#f-file", upload)
    page.get_by_role("button", name="Xác minh").click()
    expect(main).to_contain_text("Chữ ký số hợp lệ")
    expect(page.locator("#verify-issued")).to_contain_text(owed.code)
    _no_serious_violations(page)

    # The citizen rates the service.
    page.goto(f"{base}/ho-so/{owed.code}")
    page.get_by_label("Rất hài lòng", exact=True).check()
    page.get_by_label("Ý kiến của bạn (không bắt buộc)").fill("Nộp phí trực tuyến rất tiện")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_role("status")).to_contain_text("đánh giá đã được ghi nhận")

    # The public statistics count it.
    after = _figures(page, base, settings)
    _no_serious_violations(page)
    assert after == Figures(
        finished=before.finished + 1,
        paid_online=before.paid_online + 1,
        electronic_results=before.electronic_results + 1,
        very_satisfied=before.very_satisfied + 1,
    )
