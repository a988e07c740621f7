"""The pages in a real browser (Debian's Chromium through Playwright): search, the form with
and without JavaScript, a phone's width, the language switch and axe-core's accessibility rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from permit import FORM_URL, LAO_CAI, PERMIT, PHUONG_LAO_CAI, planned_start
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


def fill_permit(page: Page, *, javascript: bool) -> None:
    """Answer the building permit form the way a person would."""
    page.fill("#f-owner_full_name", "Nguyễn Văn An")
    page.fill("#f-owner_citizen_id", "001099012345")
    for address in ("owner_address", "site_address"):
        page.select_option(f"#f-{address}-province", LAO_CAI)
        if not javascript:
            page.click(f"button[value='refresh:{address}']")
        expect(
            page.locator(f"#f-{address}-commune option[value='{PHUONG_LAO_CAI}']")
        ).to_have_count(1)
        page.select_option(f"#f-{address}-commune", PHUONG_LAO_CAI)
        page.fill(f"#f-{address}-street", "Số 12 đường Hoàng Liên")
    page.fill("#f-owner_phone", "0912345678")
    page.check("#f-has_co_owners-2")
    page.fill("#f-co_owners-0-co_owner_name", "Trần Thị Bình")
    page.fill("#f-co_owners-0-co_owner_citizen_id", "015199054321")
    page.fill("#f-land_certificate_serial", "CS 123456")
    page.fill("#f-map_sheet_number", "12")
    page.fill("#f-parcel_number", "345")
    page.fill("#f-plot_area", "120,5")
    page.fill("#f-building_footprint", "80")
    page.fill("#f-floors", "3")
    page.fill("#f-total_floor_area", "240")
    page.fill("#f-building_height", "11,5")
    page.check("#f-has_basement")
    page.fill("#f-designer_name", "Công ty TNHH Thiết kế Sa Pa")
    page.fill("#f-estimated_cost", "1.500.000.000")
    page.fill("#f-planned_start", planned_start().strftime("%d/%m/%Y"))
    page.fill("#f-duration_months", "8")
    page.check("#f-has_adjacent_buildings")
    page.set_input_files("#f-land_title_file", files=[PDF])
    page.set_input_files("#f-drawings_file", files=[PDF, PDF_2])
    page.check("#f-declaration_consent")


def continue_(page: Page) -> None:
    page.locator("button.button[value='check']").click()
    page.wait_for_load_state()


def test_search_from_the_home_page_and_open_a_procedure(page: Page, live_server: str) -> None:
    page.goto(live_server)
    expect(page.locator("h1")).to_have_text("Cổng dịch vụ công tỉnh Lào Cai")
    page.fill("#search-q", "giay phep xay dung")
    page.keyboard.press("Enter")
    page.wait_for_url("**/thu-tuc?q=*")
    page.get_by_role("link", name=PERMIT_NAME).click()
    expect(page.locator("h1")).to_have_text(PERMIT_NAME)
    page.get_by_role("button", name="Nộp hồ sơ").first.click()
    expect(page.locator("h1")).to_have_text("Điền tờ khai")


def test_form_errors_are_summarised_and_their_links_focus_the_field(
    page: Page, live_server: str
) -> None:
    page.goto(live_server + FORM_URL)
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
    page.goto(live_server + FORM_URL)
    basement = page.locator("#f-basement_area-group")
    expect(basement).to_be_hidden()
    page.check("#f-has_basement-2")
    expect(basement).to_be_visible()
    page.check("#f-has_basement")
    expect(basement).to_be_hidden()
    expect(page.locator("#f-co_owners-group")).to_be_hidden()
    page.check("#f-has_co_owners-2")
    expect(page.locator("#f-co_owners-group")).to_be_visible()
    # With JavaScript the communes come at once, without the refresh button.
    expect(page.locator("button[value='refresh:owner_address']")).to_be_hidden()
    page.select_option("#f-owner_address-province", LAO_CAI)
    expect(
        page.locator(f"#f-owner_address-commune option[value='{PHUONG_LAO_CAI}']")
    ).to_have_count(1)


def test_a_correct_form_shows_the_answers_to_check(page: Page, live_server: str) -> None:
    page.goto(live_server + FORM_URL)
    fill_permit(page, javascript=True)
    continue_(page)
    expect(page.locator("h1")).to_have_text("Kiểm tra câu trả lời")
    body = page.locator("main")
    expect(body).to_contain_text("1.500.000.000 đ")
    expect(body).to_contain_text("Số 12 đường Hoàng Liên, Phường Lào Cai, Tỉnh Lào Cai")
    expect(body).to_contain_text("mat-dung.pdf")
    expect(body).to_contain_text("Để nộp hồ sơ, bạn cần đăng nhập")
    page.screenshot(path=str(SCREENSHOTS / "answers.png"), full_page=True)
    page.get_by_role("button", name="Thay đổi Số điện thoại").click()
    expect(page.locator("#f-owner_phone")).to_have_value("0912345678")
    assert page.url.endswith("#f-owner_phone")


def test_the_form_works_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(live_server + FORM_URL)
        # Every conditional field is shown, with the answer it applies to.
        expect(page.locator("#f-basement_area")).to_be_visible()
        expect(page.locator("#f-basement_area-condition")).to_have_text(
            "Chỉ điền nếu câu trả lời cho “Có tầng hầm?” là “Có”."
        )
        # Enter in a text field presses "continue", not another button of the form.
        page.fill("#f-owner_full_name", "Nguyễn Văn An")
        page.press("#f-owner_full_name", "Enter")
        page.wait_for_load_state()
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#f-owner_full_name")).to_have_value("Nguyễn Văn An")
        fill_permit(page, javascript=False)
        page.click("#f-co_owners-add")
        page.wait_for_load_state()
        expect(page.locator("#f-co_owners-1-co_owner_name")).to_be_visible()
        expect(page.locator("#f-co_owners-0-co_owner_name")).to_have_value("Trần Thị Bình")
        page.click("button[value='remove:co_owners:1']")
        page.wait_for_load_state()
        expect(page.locator("#f-co_owners-1-co_owner_name")).to_have_count(0)
        # The files chosen before are remembered by name; the browser cannot keep the input.
        expect(page.locator("#f-drawings_file-files")).to_contain_text("mat-dung.pdf")
        continue_(page)
        expect(page.locator("h1")).to_have_text("Kiểm tra câu trả lời")
        expect(page.locator("main")).to_contain_text("Trần Thị Bình")
    finally:
        context.close()


PHONE_PAGES = ["/", "/thu-tuc?q=giay+phep", f"/thu-tuc/{PERMIT}", FORM_URL]


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
        page.goto(live_server + FORM_URL)
        continue_(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(SCREENSHOTS / "phone-form-errors.png"))
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
        for name, url in [
            ("home", "/"),
            ("results", "/thu-tuc?q=giay+phep"),
            ("no results", "/thu-tuc?q=zzzqqq"),
            ("procedure", f"/thu-tuc/{PERMIT}"),
            ("form", FORM_URL),
            ("not found", "/thu-tuc/9.999999"),
        ]:
            page.goto(live_server + url)
            violations = _serious(page)
            if violations:
                found[name] = _describe(violations)
        page.goto(live_server + FORM_URL)
        page.fill("#f-owner_citizen_id", "12345")
        continue_(page)
        violations = _serious(page)
        if violations:
            found["form with errors"] = _describe(violations)
        fill_permit(page, javascript=True)
        continue_(page)
        violations = _serious(page)
        if violations:
            found["answers"] = _describe(violations)
        for name, text in found.items():
            print(f"--- {name}\n{text}")
        assert not found, list(found)
    finally:
        context.close()


@pytest.fixture(autouse=True, scope="module")
def _screenshots() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
