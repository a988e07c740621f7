"""Steps the browser tests share: a new citizen signed up, a draft started."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

PASSWORD = "mat-khau-rat-manh"


def sign_up(page: Page, live_server: str, phone: str = "0912 345 678") -> str:
    """A new citizen signed up (and so signed in) through the sign-up page; their e-mail."""
    # The live server commits: a fresh address keeps repeated runs apart.
    email = f"citizen-{uuid.uuid4().hex[:12]}@example.vn"
    page.goto(live_server + "/dang-ky/cong-dan")
    page.fill("#f-full_name", "Phạm Minh Đức")
    page.fill("#f-email", email)
    page.fill("#f-phone", phone)
    page.fill("#f-citizen_id", "001203012345")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_confirm", PASSWORD)
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page).to_have_url(live_server + "/tai-khoan")
    return email


def start_draft(page: Page, live_server: str, procedure: str) -> str:
    """A new draft of the procedure (from its start page); the address of its first page."""
    page.goto(f"{live_server}/thu-tuc/{procedure}/nop-ho-so")
    page.get_by_role("button", name="Bắt đầu").click()
    page.wait_for_url("**/ho-so/nhap/*?trang=1")
    return page.url
