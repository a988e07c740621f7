"""A citizen answers a supplement request in a real browser, with JavaScript: reads what the
desk asks on the dossier's page, changes the asked answer, replaces the asked file by the
resumable upload API, resubmits, and sees the dossier handed back; axe-core finds nothing
serious on the page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from permit import PAGES, PERMIT
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession
from test_web_browser import _describe, _serious
from work_flow import Filed, committed, file_dossier, sign_in

from app.config import Settings
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn, SupplementItem
from app.storage import FileStorage
from tests.fixtures.processing import make_official

# The live server commits: a commune of its own keeps this desk apart from other tests'.
AGENCY = "000.00.45.H39"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 9000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 2000
SIGNED: FilePayload = {"name": "ban-ve-co-chu-ky.pdf", "mimeType": "application/pdf", "buffer": PDF}


@pytest.fixture(scope="module")
def asked(settings: Settings, live_server: str) -> Filed:
    """A citizen's building permit filed at the commune, whose desk asks for the phone number
    and the drawings; committed for the live server."""
    filed = file_dossier(
        settings,
        AGENCY,
        PERMIT,
        [pair for page in PAGES for pair in page()],
        [("land_title_file", "so-do.png", PNG), ("drawings_file", "ban-ve.pdf", PDF)],
    )

    async def ask(session: AsyncSession, storage: FileStorage) -> None:
        desk = await make_official(
            session, f"mot-cua-{uuid.uuid4().hex[:8]}@example.vn", AGENCY, ["receiver"]
        )
        items = [
            SupplementItem(path="owner_phone", reason="Số điện thoại không liên lạc được"),
            SupplementItem(path="drawings_file", reason="Bản vẽ thiếu chữ ký"),
        ]
        await processing.act(
            session,
            settings,
            storage,
            desk,
            filed.code,
            Action.request_supplement,
            ActionIn(items=items),
        )

    committed(settings, ask)
    return filed


@pytest.fixture
def page(browser: Browser, asked: Filed) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def test_a_citizen_completes_and_resubmits_the_dossier(
    page: Page, live_server: str, asked: Filed
) -> None:
    sign_in(page, live_server, asked.citizen_email)
    page.goto(f"{live_server}/ho-so/{asked.code}")
    notice = page.locator("#bo-sung")
    expect(notice).to_contain_text("Cơ quan yêu cầu bổ sung, hoàn thiện hồ sơ")
    expect(notice).to_contain_text("Bản vẽ thiếu chữ ký")
    notice.get_by_role("button", name="Bổ sung hồ sơ").click()

    expect(page.locator("h1")).to_have_text(f"Bổ sung hồ sơ {asked.code}")
    expect(page.locator("#f-owner_full_name")).to_have_count(0)
    assert not _serious(page), _describe(_serious(page))
    page.fill("#f-owner_phone", "0987 654 321")
    # The old drawings go with their button; the signed ones go up at once when chosen.
    page.get_by_role("button", name="Xoá ban-ve.pdf").click()
    expect(page.locator("#f-drawings_file-files")).not_to_contain_text("ban-ve.pdf")
    expect(page.locator("#f-owner_phone")).to_have_value("0987 654 321")
    expect(page.locator("[data-upload-button='f-drawings_file']")).to_be_hidden()
    page.set_input_files("#f-drawings_file", files=[SIGNED])
    expect(page.locator("#f-drawings_file-upload .upload-percent")).to_have_text("100%")
    expect(page.locator("#f-drawings_file-files")).to_contain_text("ban-ve-co-chu-ky.pdf")

    page.get_by_role("button", name="Nộp bổ sung").click()
    expect(page).to_have_url(f"{live_server}/ho-so/{asked.code}?da-bo-sung=1")
    expect(page.locator("main .notice").first).to_contain_text("Đã nộp bổ sung hồ sơ")
    expect(page.locator("main")).to_contain_text("Mới đăng ký")
    expect(page.locator("main")).to_contain_text("ban-ve-co-chu-ky.pdf")
    expect(page.locator("#bo-sung")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
