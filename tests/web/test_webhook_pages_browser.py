"""The webhook pages in a real browser (Debian's Chromium through Playwright): an agency's
administrator signs in, goes to the webhooks from the administration's menu, adds a
subscription and sees its secret once; axe-core finds no violation on the list and on the
subscription's page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession
from test_web_browser import _describe
from work_flow import PASSWORD, committed, sign_in

from app.accounts import officials
from app.config import Settings
from app.storage import FileStorage

# The live server commits: an agency no other test subscribes for keeps the list this test's.
AGENCY = "000.00.09.H39"


@pytest.fixture(scope="module")
def admin(settings: Settings, live_server: str) -> str:
    """The e-mail address of an administrator of the agency, committed for the live server."""
    email = f"quan-tri-{uuid.uuid4().hex[:8]}@example.vn"

    async def make(session: AsyncSession, storage: FileStorage) -> None:
        await officials.create_official(
            session,
            email=email,
            password=PASSWORD,
            full_name="Quản trị Sở",
            agency_code=AGENCY,
            roles=["admin"],
        )

    committed(settings, make)
    return email


@pytest.fixture
def page(browser: Browser, admin: str) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def _no_violations(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, _describe(violations)


def test_an_administrator_adds_a_subscription_and_sees_its_secret(
    page: Page, live_server: str, admin: str
) -> None:
    sign_in(page, live_server, admin)
    page.locator("header").get_by_role("link", name="Quản trị", exact=True).click()
    page.get_by_role("link", name="Nhận sự kiện (webhook)").click()
    expect(page.locator("h1")).to_have_text("Nhận sự kiện (webhook)")
    _no_violations(page)

    page.get_by_role("link", name="Thêm đăng ký nhận sự kiện").click()
    expect(page.locator("h1")).to_have_text("Thêm đăng ký nhận sự kiện")
    page.get_by_label("Địa chỉ (URL) nhận sự kiện").fill("https://1.1.1.1/hooks/so")
    page.get_by_label("Mô tả").fill("Phần mềm quản lý văn bản của Sở")
    page.get_by_label("dossier.received – Hồ sơ được tiếp nhận").check()
    page.get_by_label("dossier.returned – Đã trả kết quả").check()
    page.get_by_role("button", name="Thêm đăng ký").click()

    expect(page.locator("h1")).to_have_text("Đã thêm đăng ký nhận sự kiện")
    expect(page.locator("#webhook-secret")).to_have_text(re.compile(r"^whsec_\S{20,}$"))
    expect(page.get_by_role("status")).to_contain_text("không được hiển thị lại")
    page.get_by_role("link", name="Xem đăng ký").click()
    expect(page.locator("h1")).to_have_text("Đăng ký nhận sự kiện")
    expect(page.locator("main")).to_contain_text("dossier.received, dossier.returned")
    expect(page.locator("main")).not_to_contain_text("whsec_")
    _no_violations(page)
