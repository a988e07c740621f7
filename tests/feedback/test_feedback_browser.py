"""Ratings, feedback and verification in a real browser (Debian's Chromium through Playwright):
a citizen rates the service on their returned dossier and sends a complaint about it; an
official of the agency answers it from the inbox; the citizen reads the answer; anyone checks
the signed result on /xac-minh. axe-core finds nothing serious on any of these pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.config import Settings
from app.documents import service as documents
from app.models.processing import DocumentForm
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn
from app.storage import FileStorage
from tests.web.work_flow import (
    LiveDesk,
    committed,
    file_certification,
    make_desk,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.usefixtures("outbox_left_clean")

AGENCY = "000.00.41.H39"
STEPS = (
    ("receiver", Action.receive),
    ("specialist", Action.forward),
    ("leader", Action.approve),
    ("leader", Action.sign),
    ("clerk", Action.result_ready),
    ("clerk", Action.return_result),
)


@dataclass(frozen=True)
class Returned:
    code: str
    citizen_email: str
    result: bytes


@pytest.fixture(scope="module")
def desk(settings: Settings, live_server: str) -> LiveDesk:
    return make_desk(settings, AGENCY)


@pytest.fixture(scope="module")
def returned(settings: Settings, live_server: str, desk: LiveDesk) -> Returned:
    """A citizen's certified copy request, processed to its returned, signed result."""
    filed = file_certification(settings, AGENCY)

    async def process(session: AsyncSession, storage: FileStorage) -> bytes:
        for role, action in STEPS:
            official = await officials.official_of(session, await _account_id(session, desk[role]))
            assert official is not None
            await processing.act(
                session,
                settings,
                storage,
                processing.actor_for_official(official),
                filed.code,
                action,
                ActionIn(),
            )
        dossier = await processing.dossier_by_code(session, filed.code)
        assert dossier is not None
        (result,) = [
            d
            for d in await documents.documents_of(session, dossier.id)
            if d.form is DocumentForm.result
        ]
        _out, stream = await documents.open_document(session, storage, result.reference)
        return b"".join([chunk async for chunk in stream])

    return Returned(filed.code, filed.citizen_email, committed(settings, process))


async def _account_id(session: AsyncSession, email: str) -> int:
    from app.accounts import repository as accounts_repository

    account = await accounts_repository.account_by_email(session, email)
    assert account is not None
    return account.id


@pytest.fixture
def page(browser: Browser, returned: Returned) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def _no_serious_violations(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    serious = [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]
    assert serious == [], serious


def test_rating_feedback_and_verification(
    page: Page, live_server: str, desk: LiveDesk, returned: Returned
) -> None:
    code = returned.code
    main = page.locator("main")

    # The citizen rates the service on the dossier's page.
    sign_in(page, live_server, returned.citizen_email)
    page.goto(f"{live_server}/ho-so/{code}")
    expect(main).to_contain_text("Đánh giá mức độ hài lòng")
    _no_serious_violations(page)
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator(".error-summary")).to_contain_text("Hãy chọn mức độ hài lòng.")
    _no_serious_violations(page)
    page.get_by_label("Hài lòng", exact=True).check()
    page.get_by_label("Ý kiến của bạn (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_role("status")).to_contain_text("đánh giá đã được ghi nhận")
    expect(main).to_contain_text("Cán bộ hướng dẫn tận tình")

    # ...and complains about the dossier.
    page.get_by_role("link", name="Gửi phản ánh, kiến nghị về hồ sơ này").click()
    _no_serious_violations(page)
    page.get_by_label("Phản ánh: có việc chưa đúng, chưa tốt").check()
    page.get_by_label("Tiêu đề").fill("Phải đi lại nhiều lần")
    page.get_by_label("Nội dung").fill(
        "Tôi phải đến bộ phận một cửa hai lần mới nhận được kết quả."
    )
    page.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    expect(page.get_by_role("status")).to_contain_text("Đã gửi phản ánh, kiến nghị")
    reference = page.url.rsplit("/", 1)[1].split("?")[0]
    _no_serious_violations(page)
    sign_out(page)

    # An official of the agency answers from the inbox.
    sign_in(page, live_server, desk["leader"])
    page.goto(f"{live_server}/can-bo/phan-anh")
    _no_serious_violations(page)
    page.get_by_role("link", name=reference).click()
    _no_serious_violations(page)
    page.get_by_label("Trả lời của cơ quan").fill("Đơn vị xin lỗi và đã chấn chỉnh việc hẹn trả.")
    page.get_by_role("button", name="Gửi câu trả lời").click()
    expect(page.get_by_role("status")).to_contain_text("Đã gửi câu trả lời")
    sign_out(page)

    # The citizen reads the answer.
    sign_in(page, live_server, returned.citizen_email)
    page.goto(f"{live_server}/phan-anh-cua-toi")
    expect(main).to_contain_text("Đã trả lời")
    _no_serious_violations(page)
    page.get_by_role("link", name=reference).click()
    expect(page.locator("#answer-text")).to_have_text(
        "Đơn vị xin lỗi và đã chấn chỉnh việc hẹn trả."
    )
    sign_out(page)

    # Anyone verifies the signed result.
    page.goto(f"{live_server}/xac-minh")
    _no_serious_violations(page)
    upload: FilePayload = {
        "name": "ket-qua.pdf",
        "mimeType": "application/pdf",
        "buffer": returned.result,
    }
    page.set_input_files("#f-file", upload)
    page.get_by_role("button", name="Xác minh").click()
    expect(main).to_contain_text("Chữ ký số hợp lệ")
    expect(page.locator("#verify-issued")).to_contain_text(code)
    _no_serious_violations(page)
    tampered = bytearray(returned.result)
    at = bytes(tampered).index(b"stream", 200) + 40
    tampered[at] = (tampered[at] + 1) % 256
    page.set_input_files("#f-file", {**upload, "buffer": bytes(tampered)})
    page.get_by_role("button", name="Xác minh").click()
    expect(main).to_contain_text("đã bị thay đổi sau khi ký")
