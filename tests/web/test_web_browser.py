"""The pages in a real browser (Debian's Chromium through Playwright): search, a draft's pages
with and without JavaScript, a phone's width, the language switch and axe-core's accessibility
rules. The whole filing, with uploads, is in test_filing_browser.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browsing import sign_up, start_draft
from permit import LAO_CAI, PERMIT, PHUONG_LAO_CAI
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

PERMIT_NAME = "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"
SCREENSHOTS = Path("/tmp/motcua-screenshots")
PDF: FilePayload = {
    "name": "so-do.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4 test" * 50,
}
PDF_2: FilePayload = {**PDF, "name": "mat-dung.pdf"}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def continue_(page: Page) -> None:
    page.locator("button.button[value='continue']").click()
    page.wait_for_load_state()


def page_of(first_page: str, number: int) -> str:
    return first_page.replace("?trang=1", f"?trang={number}")


def fill_owner(page: Page, *, javascript: bool) -> None:
    """Page 1 of the building permit, the way a person would answer it."""
    page.fill("#f-owner_full_name", "Nguyễn Văn An")
    page.fill("#f-owner_citizen_id", "001099012345")
    page.select_option("#f-owner_address-province", LAO_CAI)
    if not javascript:
        page.click("button[value='refresh:owner_address']")
    expect(
        page.locator(f"#f-owner_address-commune option[value='{PHUONG_LAO_CAI}']")
    ).to_have_count(1)
    page.select_option("#f-owner_address-commune", PHUONG_LAO_CAI)
    page.fill("#f-owner_address-street", "Số 12 đường Hoàng Liên")
    page.fill("#f-owner_phone", "0912345678")
    page.check("#f-has_co_owners-2")
    page.fill("#f-co_owners-0-co_owner_name", "Trần Thị Bình")
    page.fill("#f-co_owners-0-co_owner_citizen_id", "015199054321")


def test_search_from_the_home_page_and_open_a_procedure(page: Page, live_server: str) -> None:
    page.goto(live_server)
    expect(page.locator("h1")).to_have_text("Cổng dịch vụ công tỉnh Lào Cai")
    page.fill("#search-q", "giay phep xay dung")
    page.keyboard.press("Enter")
    page.wait_for_url("**/thu-tuc?q=*")
    page.get_by_role("link", name=PERMIT_NAME).click()
    expect(page.locator("h1")).to_have_text(PERMIT_NAME)
    page.get_by_role("button", name="Nộp hồ sơ").first.click()
    # Filing needs an account: sign in first, then back to filing.
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    assert page.url.endswith(f"/dang-nhap?next=%2Fthu-tuc%2F{PERMIT}%2Fnop-ho-so")


def test_page_errors_are_summarised_and_their_links_focus_the_field(
    page: Page, live_server: str
) -> None:
    sign_up(page, live_server)
    start_draft(page, live_server, PERMIT)
    page.fill("#f-owner_full_name", "Nguyễn Văn An")
    page.fill("#f-owner_citizen_id", "12345")
    continue_(page)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Lỗi:")
    expect(page.locator("#f-owner_citizen_id")).to_have_value("12345")
    expect(page.locator("#f-owner_full_name")).to_have_value("Nguyễn Văn An")
    summary.get_by_role("link", name="Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số").click()
    expect(page.locator("#f-owner_citizen_id")).to_be_focused()
    assert page.url.endswith("#f-owner_citizen_id")
    expect(page.locator("#f-owner_citizen_id")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SCREENSHOTS / "form-errors.png"))


def test_conditional_fields_follow_the_answers(page: Page, live_server: str) -> None:
    sign_up(page, live_server)
    first = start_draft(page, live_server, PERMIT)
    expect(page.locator("#f-co_owners-group")).to_be_hidden()
    page.check("#f-has_co_owners-2")
    expect(page.locator("#f-co_owners-group")).to_be_visible()
    # With JavaScript the communes come at once, without the refresh button.
    expect(page.locator("button[value='refresh:owner_address']")).to_be_hidden()
    page.select_option("#f-owner_address-province", LAO_CAI)
    expect(
        page.locator(f"#f-owner_address-commune option[value='{PHUONG_LAO_CAI}']")
    ).to_have_count(1)
    page.goto(page_of(first, 3))
    basement = page.locator("#f-basement_area-group")
    expect(basement).to_be_hidden()
    page.check("#f-has_basement-2")
    expect(basement).to_be_visible()
    page.check("#f-has_basement")
    expect(basement).to_be_hidden()


def test_a_draft_works_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    try:
        page = context.new_page()
        sign_up(page, live_server)
        first = start_draft(page, live_server, PERMIT)
        # Every conditional field is shown, with the answer it applies to.
        expect(page.locator("#f-co_owners-0-co_owner_name")).to_be_visible()
        expect(page.locator("#f-co_owners-condition")).to_have_text(
            "Chỉ điền nếu câu trả lời cho “Thửa đất có người cùng sử dụng, cùng sở hữu?” là “Có”."
        )
        # Enter in a text field presses "continue", not another button of the form.
        page.fill("#f-owner_full_name", "Nguyễn Văn An")
        page.press("#f-owner_full_name", "Enter")
        page.wait_for_load_state()
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#f-owner_full_name")).to_have_value("Nguyễn Văn An")
        fill_owner(page, javascript=False)
        page.click("#f-co_owners-add")
        page.wait_for_load_state()
        expect(page.locator("#f-co_owners-1-co_owner_name")).to_be_visible()
        expect(page.locator("#f-co_owners-0-co_owner_name")).to_have_value("Trần Thị Bình")
        page.click("button[value='remove:co_owners:1']")
        page.wait_for_load_state()
        expect(page.locator("#f-co_owners-1-co_owner_name")).to_have_count(0)
        continue_(page)
        assert page.url == page_of(first, 2)
        # Files go with the page's form: two slots at once.
        page.goto(page_of(first, 4))
        page.set_input_files("#f-land_title_file", files=[PDF])
        page.set_input_files("#f-drawings_file", files=[PDF, PDF_2])
        page.click("button[data-upload-button='f-drawings_file']")
        page.wait_for_load_state()
        expect(page.locator("#f-land_title_file-files")).to_contain_text("so-do.pdf")
        expect(page.locator("#f-drawings_file-files")).to_contain_text("mat-dung.pdf")
        page.get_by_role("button", name="Xoá mat-dung.pdf").click()
        page.wait_for_load_state()
        expect(page.locator("#f-drawings_file-files")).not_to_contain_text("mat-dung.pdf")
        expect(page.locator("#f-drawings_file-files")).to_contain_text("so-do.pdf")
    finally:
        context.close()


PHONE_PAGES = ["/", "/thu-tuc?q=giay+phep", f"/thu-tuc/{PERMIT}", "/tra-cuu-ho-so"]


def test_pages_fit_a_phone_without_horizontal_scrolling(browser: Browser, live_server: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="vi-VN", is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        for url in PHONE_PAGES:
            page.goto(live_server + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{url} is {width}px wide"
        sign_up(page, live_server)
        first = start_draft(page, live_server, PERMIT)
        continue_(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(SCREENSHOTS / "phone-form-errors.png"))
        for number in (2, 3, 4):
            page.goto(page_of(first, number))
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, number
        page.goto(live_server + f"/thu-tuc/{PERMIT}")
        page.screenshot(path=str(SCREENSHOTS / "phone-procedure.png"), full_page=True)
    finally:
        context.close()


def test_switch_to_english_and_back(page: Page, live_server: str) -> None:
    page.goto(live_server + f"/thu-tuc/{PERMIT}")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith(f"/thu-tuc/{PERMIT}")
    expect(page.get_by_role("heading", name="Documents required")).to_be_visible()
    page.goto(live_server + "/")
    expect(page.locator("h1")).to_have_text("Public services portal of Lào Cai Province")
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def _serious(page: Page) -> list[dict[str, object]]:
    results = Axe().run(page)
    violations: list[dict[str, object]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def _describe(violations: list[dict[str, object]]) -> str:
    return json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],  # type: ignore[attr-defined]
            }
            for v in violations
        ],
        ensure_ascii=False,
        indent=1,
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_serious_accessibility_violations(browser: Browser, live_server: str, lang: str) -> None:
    context = browser.new_context(locale="vi-VN" if lang == "vi" else "en-GB")
    try:
        page = context.new_page()
        found: dict[str, str] = {}

        def check(name: str) -> None:
            violations = _serious(page)
            if violations:
                found[name] = _describe(violations)

        for name, url in [
            ("home", "/"),
            ("results", "/thu-tuc?q=giay+phep"),
            ("no results", "/thu-tuc?q=zzzqqq"),
            ("procedure", f"/thu-tuc/{PERMIT}"),
            ("lookup", "/tra-cuu-ho-so"),
            ("not found", "/thu-tuc/9.999999"),
        ]:
            page.goto(live_server + url)
            check(name)
        sign_up(page, live_server)
        if lang == "en":
            page.goto(live_server + "/?lang=en")
        page.goto(f"{live_server}/thu-tuc/{PERMIT}/nop-ho-so")
        check("start")
        page.locator("main button.button-start").click()
        page.wait_for_url("**/ho-so/nhap/*?trang=1")
        first = page.url
        check("first page")
        page.fill("#f-owner_citizen_id", "12345")
        continue_(page)
        check("page with errors")
        for number in (2, 3, 4):
            page.goto(page_of(first, number))
            check(f"page {number}")
        for step in ("co-quan", "nhan-ket-qua", "kiem-tra", "xoa"):
            page.goto(first.replace("?trang=1", f"/{step}"))
            check(step)
        page.goto(live_server + "/ho-so-cua-toi")
        check("my dossiers")
        for name, text in found.items():
            print(f"--- {name}\n{text}")
        assert not found, list(found)
    finally:
        context.close()


@pytest.fixture(autouse=True, scope="module")
def _screenshots() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
