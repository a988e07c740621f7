"""The administrator's pages in a real browser (Debian's Chromium through Playwright): signing
in, the header's link, adding an official with roles and a unit, and axe-core's rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from test_web_browser import _describe, _serious

from app.accounts import officials
from app.config import Settings
from app.db import Database
from tests.accounts.test_officials import PASSWORD
from tests.api.test_tus_browser import in_thread

# The live server commits: an agency of its own keeps these officials apart from other tests'.
AGENCY = "000.00.46.H39"


@dataclass(frozen=True)
class Admin:
    email: str
    unit_code: str


@pytest.fixture(scope="module")
def admin(settings: Settings, live_server: str) -> Admin:
    """An administrator of the agency, with a unit of its own, committed for the live server."""
    run = uuid.uuid4().hex[:8]
    made = Admin(email=f"admin-{run}@example.vn", unit_code=f"tu-phap-{run}")

    async def make() -> None:
        database = Database(settings.database_url)
        try:
            async with database.unit_of_work() as session:
                await officials.create_unit(session, AGENCY, made.unit_code, "Tư pháp - Hộ tịch")
                await officials.create_official(
                    session,
                    email=made.email,
                    password=PASSWORD,
                    full_name="Quản trị xã Bắc Hà",
                    agency_code=AGENCY,
                    roles=["admin"],
                )
        finally:
            await database.dispose()

    in_thread(make)
    return made


@pytest.fixture
def page(browser: Browser, admin: Admin) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def test_an_administrator_adds_an_official(page: Page, live_server: str, admin: Admin) -> None:
    page.goto(f"{live_server}/dang-nhap")
    page.fill("#f-email", admin.email)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("header").get_by_role("link", name="Quản trị", exact=True).click()
    expect(page.locator("h1")).to_have_text("Cán bộ")
    page.get_by_role("link", name="Thêm cán bộ").click()
    expect(page.locator("h1")).to_have_text("Thêm cán bộ")
    assert not _serious(page), _describe(_serious(page))

    email = f"hotich-{uuid.uuid4().hex[:8]}@example.vn"
    page.get_by_label("Họ và tên").fill("Đặng Thị Hương")
    page.get_by_label("Địa chỉ thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_label("Chức danh").fill("Công chức Tư pháp - Hộ tịch")
    page.get_by_label("Đơn vị").select_option(admin.unit_code)
    page.get_by_label("Chuyên viên").check()
    page.get_by_label("Văn thư").check()
    page.get_by_role("button", name="Tạo tài khoản cán bộ").click()

    expect(page.get_by_role("status")).to_have_text("Đã lưu thông tin cán bộ Đặng Thị Hương.")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("Chuyên viên, Văn thư")
    expect(row).to_contain_text("Tư pháp - Hộ tịch")
    expect(row).to_contain_text("Đang hoạt động")
    assert not _serious(page), _describe(_serious(page))
