"""Signing up as a citizen in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import uuid

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

PASSWORD = "mat-khau-rat-manh"


def test_a_citizen_signs_up_sees_the_account_and_signs_out(
    browser: Browser, live_server: str
) -> None:
    # The live server commits: a fresh address keeps repeated runs apart.
    email = f"citizen-{uuid.uuid4().hex[:12]}@example.vn"
    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        page.get_by_role("link", name="Đăng ký").first.click()
        page.get_by_role("link", name="Đăng ký tài khoản công dân").click()

        # Sent with a mistake first: the error summary takes the reader to the field.
        page.fill("#f-full_name", "Phạm Minh Đức")
        page.fill("#f-email", email)
        page.fill("#f-phone", "0912 345 678")
        page.fill("#f-citizen_id", "0012030")
        page.fill("#f-password", PASSWORD)
        page.fill("#f-password_confirm", PASSWORD)
        page.get_by_role("button", name="Tạo tài khoản").click()
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text("Số định danh cá nhân phải gồm đúng 12 chữ số")
        assert Axe().run(page).violations_count == 0
        summary.get_by_role("link").first.click()
        expect(page.locator("#f-citizen_id")).to_be_focused()

        page.fill("#f-citizen_id", "001203012345")
        page.fill("#f-password", PASSWORD)
        page.fill("#f-password_confirm", PASSWORD)
        page.get_by_role("button", name="Tạo tài khoản").click()

        expect(page).to_have_url(live_server + "/tai-khoan")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tài khoản của tôi")
        expect(page.locator("main")).to_contain_text(email)
        expect(page.locator("main")).to_contain_text("Phạm Minh Đức")
        assert Axe().run(page).violations_count == 0

        page.get_by_role("button", name="Đăng xuất").click()
        expect(page).to_have_url(live_server + "/")
        expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()
        page.goto(live_server + "/tai-khoan")
        expect(page).to_have_url(live_server + "/dang-nhap?next=%2Ftai-khoan")

        # And back in with the new account.
        page.fill("#f-email", email.upper())
        page.fill("#f-password", PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page).to_have_url(live_server + "/tai-khoan")
    finally:
        context.close()
