"""The officials' processing pages in a real browser (Debian's Chromium through Playwright): a
citizen's dossier received at the desk, forwarded by a specialist, approved and signed by a
leader, made ready and returned by a clerk, each signing in through the sign-in page; axe-core
finds nothing serious on the queues, the dossier's page and the register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from test_web_browser import _describe, _serious
from work_flow import (
    Filed,
    LiveDesk,
    act,
    file_certification,
    make_desk,
    open_dossier,
    sign_in,
    sign_out,
)

from app.config import Settings

# The live server commits: a commune of its own keeps this desk apart from other tests'.
AGENCY = "000.00.44.H39"


@pytest.fixture(scope="module")
def desk(settings: Settings, live_server: str) -> LiveDesk:
    return make_desk(settings, AGENCY)


@pytest.fixture(scope="module")
def filed(settings: Settings, live_server: str, desk: LiveDesk) -> Filed:
    return file_certification(settings, AGENCY)


@pytest.fixture
def page(browser: Browser, filed: Filed) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def _no_serious_violations(page: Page) -> None:
    found = _serious(page)
    assert not found, _describe(found)


def test_a_dossier_goes_from_the_desk_to_its_returned_result(
    page: Page, live_server: str, desk: LiveDesk, filed: Filed
) -> None:
    code = filed.code
    # The desk finds it among the dossiers to receive, and receives it.
    sign_in(page, live_server, desk["receiver"])
    page.locator("header").get_by_role("link", name="Xử lý hồ sơ", exact=True).click()
    expect(page.locator("h1")).to_have_text("Xử lý hồ sơ")
    expect(page.get_by_role("link", name="Chờ tiếp nhận (1)")).to_have_attribute(
        "aria-current", "page"
    )
    _no_serious_violations(page)
    page.get_by_role("link", name=code).click()
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")
    main = page.locator("main")
    expect(main).to_contain_text("Mới đăng ký")
    expect(main).to_contain_text("Trường Đại học Bách khoa Hà Nội")
    expect(main.get_by_role("link", name="van-bang.pdf")).to_be_visible()
    _no_serious_violations(page)
    act(page, "Tiếp nhận hồ sơ", f"Đã tiếp nhận hồ sơ {code}.")
    expect(page.get_by_role("link", name="Chờ tiếp nhận (0)")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, desk["specialist"])
    open_dossier(page, live_server, code, queue="cho-nhan-xu-ly")
    expect(main).to_contain_text("Được tiếp nhận")
    act(page, "Chuyển", f"Đã chuyển hồ sơ {code} sang bước tiếp theo.")
    sign_out(page)

    sign_in(page, live_server, desk["leader"])
    open_dossier(page, live_server, code, queue="cho-nhan-xu-ly")
    act(page, "Phê duyệt", f"Đã phê duyệt hồ sơ {code}.")
    act(page, "Ký số kết quả", f"Đã ký số kết quả của hồ sơ {code}.")
    expect(main).to_contain_text("Có chữ ký số")
    # The agency's register of the month holds it.
    page.locator("header").get_by_role("link", name="Xử lý hồ sơ", exact=True).click()
    page.get_by_role("link", name="Sổ theo dõi hồ sơ").click()
    expect(page.get_by_role("row").filter(has_text=code)).to_contain_text("Phạm Minh Đức")
    _no_serious_violations(page)
    sign_out(page)

    sign_in(page, live_server, desk["clerk"])
    open_dossier(page, live_server, code, queue="cho-nhan-xu-ly")
    act(page, "Xác nhận đã có kết quả", f"Hồ sơ {code} đã có kết quả; người nộp đã được thông báo.")
    expect(main).to_contain_text("Đã xử lý xong")
    # Now among the results to return.
    page.locator("header").get_by_role("link", name="Xử lý hồ sơ", exact=True).click()
    page.get_by_role("link", name="Chờ trả kết quả (1)").click()
    page.get_by_role("link", name=code).click()
    _no_serious_violations(page)
    page.get_by_label("Hình thức trả kết quả").select_option("counter")
    act(page, "Trả kết quả", f"Đã trả kết quả hồ sơ {code}.")
    expect(main).to_contain_text("Đã trả kết quả")
    expect(main).to_contain_text("Hiện bạn không có thao tác nào với hồ sơ này.")
    slip = page.get_by_role("table", name=f"Phiếu kiểm soát quá trình giải quyết hồ sơ {code}")
    expect(slip.locator("tbody tr")).to_have_count(5)
