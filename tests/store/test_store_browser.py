"""The document store in a real browser: a citizen who filed a dossier finds its file on
"Kho dữ liệu của tôi", then fills the same slot of a new draft from the store instead of
uploading it again; axe-core finds nothing serious on either page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp
from app.catalog import service as catalog
from app.config import Settings
from app.db import Database
from app.dossiers import service as dossiers
from app.dossiers.schemas import DeliveryIn, DraftChanges
from app.models.dossiers import Delivery
from app.storage import FileStorage, storage_from_url
from app.web.formview import FormState
from tests.api.test_tus_browser import in_thread

pytestmark = pytest.mark.usefixtures("outbox_left_clean")

# The demo's certified copy procedure, at a commune whose dossiers no other browser test counts
# (the live server's database is committed to).
CERTIFICATION = "2.000815"
AGENCY = "000.00.42.H39"
PASSWORD = "mat-khau-kho-du-lieu"
ANSWERS = [
    ("full_name", "Đỗ Thị Mai"),
    ("citizen_id", "001203012345"),
    ("phone", "0912345678"),
    ("document_type", "diploma"),
    ("issuing_authority", "Trường Đại học Bách khoa Hà Nội"),
    ("document_issue_date", "15/06/2020"),
    ("page_count", "2"),
    ("copy_count", "3"),
    ("delivery_method", "counter"),
]
SCAN = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"7" * 9000


@dataclass(frozen=True)
class Stored:
    email: str
    code: str
    draft: str
    page: int


async def _once(data: bytes) -> Iterator[bytes]:  # type: ignore[misc]
    yield data


@pytest.fixture(scope="module")
def stored(settings: Settings, live_server: str) -> Stored:
    """A citizen who filed the certification online with its scan, and their new draft of it;
    committed for the live server."""
    email = f"kho-{uuid.uuid4().hex[:10]}@example.vn"

    async def make(session: AsyncSession, storage: FileStorage) -> Stored:
        account = await accounts.sign_up_citizen(
            session,
            CitizenSignUp(
                full_name="Đỗ Thị Mai",
                email=email,
                phone="0912345678",
                citizen_id="001203012345",
                password=PASSWORD,
                password_confirm=PASSWORD,
            ),
        )
        applicant = await dossiers.applicant_for_account(session, account)
        target = await catalog.filing_target(session, CERTIFICATION)
        data = FormState.from_pairs(ANSWERS).data(target.definition)
        changes = DraftChanges(
            data=data, agency=AGENCY, delivery=DeliveryIn(method=Delivery.counter)
        )
        filed = await dossiers.start_draft(session, applicant, CERTIFICATION, settings)
        await dossiers.update_draft(session, applicant, filed.reference, changes, settings)
        await dossiers.add_file(
            session,
            storage,
            settings,
            applicant,
            filed.reference,
            "original_scan",
            "van-bang.pdf",
            _once(SCAN),
        )
        submitted = await dossiers.submit(session, applicant, filed.reference, settings)
        assert submitted.code is not None
        draft = await dossiers.start_draft(session, applicant, CERTIFICATION, settings)
        await dossiers.update_draft(session, applicant, draft.reference, changes, settings)
        page = next(
            n
            for n, section in enumerate(target.definition.sections, start=1)
            if any(f.key == "original_scan" for f in section.fields)
        )
        return Stored(email, submitted.code, draft.reference, page)

    async def run() -> Stored:
        database = Database(settings.database_url)
        storage = storage_from_url(settings.storage_url)
        try:
            async with database.unit_of_work() as session:
                return await make(session, storage)
        finally:
            await storage.aclose()
            await database.dispose()

    return in_thread(run)


@pytest.fixture
def page(browser: Browser, stored: Stored) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def _serious(page: Page) -> list[dict[str, object]]:
    violations: list[dict[str, object]] = Axe().run(page).response["violations"]
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def test_a_citizen_reuses_a_filed_file_from_the_store(
    page: Page, live_server: str, stored: Stored
) -> None:
    page.goto(f"{live_server}/dang-nhap")
    page.fill("#f-email", stored.email)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    page.get_by_role("link", name="Kho dữ liệu của tôi").click()
    expect(page.locator("h1")).to_have_text("Kho dữ liệu của tôi")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Bản chụp bản chính")
    expect(row).to_contain_text("van-bang.pdf")
    expect(row.get_by_role("link", name=stored.code)).to_be_visible()
    assert not _serious(page), _serious(page)

    page.goto(f"{live_server}/ho-so/nhap/{stored.draft}?trang={stored.page}")
    expect(page.locator("#f-original_scan-files")).not_to_contain_text("van-bang.pdf")
    choose = page.locator("#f-original_scan-group a", has_text="Chọn từ kho dữ liệu")
    choose.click()
    expect(page.locator("h1")).to_contain_text("Chọn từ kho dữ liệu")
    assert not _serious(page), _serious(page)
    offered = page.locator("tbody tr", has_text="van-bang.pdf")
    offered.locator("button", has_text="Dùng tài liệu này").click()
    expect(page).to_have_url(
        f"{live_server}/ho-so/nhap/{stored.draft}?trang={stored.page}#f-original_scan"
    )
    expect(page.locator("#f-original_scan-files")).to_contain_text("van-bang.pdf")
