"""The public statistics page in Chromium: readable without JavaScript, the charts images with
their names, and no serious or critical axe-core violation, in Vietnamese and in English."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect


def _page(browser: Browser, live_server: str, javascript: bool) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    yield from _page(browser, live_server, javascript=True)


@pytest.fixture
def page_without_js(browser: Browser, live_server: str) -> Iterator[Page]:
    yield from _page(browser, live_server, javascript=False)


def _serious(page: Page) -> list[dict[str, object]]:
    violations: list[dict[str, object]] = Axe().run(page).response["violations"]
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def test_the_page_reads_without_javascript(page_without_js: Page) -> None:
    page_without_js.goto("/thong-ke?theo=thang")
    expect(page_without_js.get_by_role("heading", level=1)).to_have_text(
        "Chỉ số chất lượng phục vụ"
    )
    expect(page_without_js.get_by_role("img", name="Tỷ lệ hồ sơ trực tuyến")).to_be_visible()
    expect(page_without_js.get_by_role("table").first).to_be_visible()


@pytest.mark.parametrize("breakdown", ["co-quan", "thang", "kenh"])
def test_the_public_page_passes_axe(page: Page, breakdown: str) -> None:
    page.goto(f"/thong-ke?theo={breakdown}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chỉ số chất lượng phục vụ")
    expect(page.get_by_role("img", name="Tỷ lệ hồ sơ giải quyết đúng và trước hạn")).to_be_visible()
    serious = _serious(page)
    assert not serious, json.dumps([(v["id"], v["help"]) for v in serious])


def test_the_english_page_passes_axe(page: Page) -> None:
    page.goto("/thong-ke")
    page.get_by_role("link", name="English").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service quality indicators")
    page.get_by_label("Break down by").select_option("thang")
    page.get_by_role("button", name="Show the indicators").click()
    expect(page.get_by_role("img", name="Online share of the dossiers received")).to_be_visible()
    serious = _serious(page)
    assert not serious, json.dumps([(v["id"], v["help"]) for v in serious])
