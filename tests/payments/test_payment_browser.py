"""A citizen pays the fees of a judicial record request (2.000488 of the demo catalog) in a
real browser (Debian's Chromium through Playwright) against the portal served by uvicorn, whose
gateway is the embedded sandbox: the dossier page's button, the sandbox's pages, the return,
the IPN sent by the sandbox in the background over real HTTP; the dossier leaves status 6 and
the citizen downloads the electronic receipt, whose signature the portal's checker accepts."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp
from app.catalog import service as catalog
from app.config import Settings
from app.db import Database
from app.documents import pki
from app.documents import service as documents
from app.dossiers import service as dossiers
from app.dossiers.schemas import DeliveryIn, DraftChanges
from app.main import create_app
from app.models.dossiers import Delivery, Dossier, Status
from app.models.payments import Payment, SandboxTransaction
from app.models.processing import SigningKey
from app.payments import sandbox, tasks
from app.payments import service as payments
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn
from app.storage import FileStorage
from tests.web.work_flow import committed

pytestmark = pytest.mark.usefixtures("outbox_left_clean")

RECORD = "2.000488"
# The provincial Department of Justice, the only agency of the judicial record.
AGENCY = "000.00.10.H39"
PASSWORD = "mat-khau-rat-manh"
ADDRESS = {"province": "15", "commune": "02647", "street": "Số 12 đường Hoàng Liên"}
ANSWERS: dict[str, Any] = {
    "full_name": "Phạm Minh Đức",
    "gender": "male",
    "birth_date": "1990-05-01",
    "birth_province": "15",
    "nationality": "Việt Nam",
    "ethnicity": "01",
    "citizen_id": "001203012345",
    "permanent_residence": ADDRESS,
    "phone": "0912345678",
    "email": "duc@example.vn",
    "residence_history": [{"period_from": "05/2004", "place": "Lào Cai", "occupation": "Học sinh"}],
    "record_type": "2",
    "requester_type": "self",
    "purpose": "Bổ sung hồ sơ xin việc",
    "copies": 3,
    "fee_category": "standard",
    "delivery_method": "electronic",
    "declaration_consent": ["agree"],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def pay_server(settings: Settings, database: Database) -> Iterator[tuple[str, Settings]]:
    """The portal served by uvicorn whose own address is its base URL: the sandbox sends its
    payer back and its IPN to this very server."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    served = settings.model_copy(update={"base_url": base})
    server = uvicorn.Server(
        uvicorn.Config(create_app(served), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the payment test server did not start")
        time.sleep(0.05)
    yield base, served
    server.should_exit = True
    thread.join(timeout=10)


@dataclass(frozen=True)
class Owed:
    code: str
    email: str


def _owed(settings: Settings, leader: str = "") -> Owed:
    """A citizen's judicial record request (3 copies: 200.000 đ + 5.000 đ), received by the
    department's desk and waiting for its fees (status 6); committed for the server. With
    ``leader``, a leader of the department signing in with that e-mail is made too."""
    run = uuid.uuid4().hex[:8]
    email = f"nguoi-nop-{run}@example.vn"

    async def make(session: AsyncSession, storage: FileStorage) -> str:
        agency = await catalog.agency_by_code(session, AGENCY)
        assert agency is not None
        if await session.get(SigningKey, agency.id) is None:
            authority = pki.new_authority()
            key, certificate = pki.issue(authority, agency.name)
            session.add(
                SigningKey(
                    agency_id=agency.id,
                    certificate_pem=pki.certificate_pem(certificate),
                    chain_pem=pki.certificate_pem(authority.certificate),
                    key_pem=pki.encrypt_key(key, settings.secret_key),
                )
            )
        receiver = await officials.create_official(
            session,
            email=f"mot-cua-{run}@example.vn",
            password=PASSWORD,
            full_name="Cán bộ một cửa",
            agency_code=AGENCY,
            roles=["receiver"],
        )
        if leader:
            await officials.create_official(
                session,
                email=leader,
                password=PASSWORD,
                full_name="Lãnh đạo Sở",
                agency_code=AGENCY,
                roles=["leader"],
            )
        account = await accounts.sign_up_citizen(
            session,
            CitizenSignUp(
                full_name="Phạm Minh Đức",
                email=email,
                phone="0912345678",
                citizen_id="001203012345",
                password=PASSWORD,
                password_confirm=PASSWORD,
            ),
        )
        applicant = await dossiers.applicant_for_account(session, account)
        draft = await dossiers.start_draft(session, applicant, RECORD, settings)
        await dossiers.update_draft(
            session,
            applicant,
            draft.reference,
            DraftChanges(data=ANSWERS, agency=AGENCY, delivery=DeliveryIn(method=Delivery.online)),
            settings,
        )
        filed = await dossiers.submit(session, applicant, draft.reference, settings)
        assert filed.code is not None
        await processing.act(
            session,
            settings,
            storage,
            processing.actor_for_official(receiver),
            filed.code,
            Action.receive,
            ActionIn(),
        )
        return filed.code

    return Owed(committed(settings, make), email)


@pytest.fixture(scope="module")
def owed(pay_server: tuple[str, Settings]) -> Owed:
    return _owed(pay_server[1])


@pytest.fixture
def page(browser: Browser, owed: Owed) -> Iterator[Page]:
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 1100, "height": 900}, accept_downloads=True
    )
    yield context.new_page()
    context.close()


def _no_serious_violations(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [v for v in violations if v.get("impact") in ("serious", "critical")]
    assert not serious, json.dumps(
        [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in serious],
        ensure_ascii=False,
    )


def test_a_citizen_pays_through_the_sandbox_and_downloads_the_receipt(
    page: Page, pay_server: tuple[str, Settings], owed: Owed
) -> None:
    base, settings = pay_server
    page.goto(f"{base}/dang-nhap?next=/ho-so/{owed.code}")
    page.fill("#f-email", owed.email)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {owed.code}")
    fees = page.locator("#le-phi")
    expect(fees).to_contain_text("Phí cung cấp thông tin lý lịch tư pháp")
    expect(fees).to_contain_text("205.000")
    _no_serious_violations(page)

    page.get_by_role("button", name="Thanh toán trực tuyến").click()
    page.wait_for_url("**/sandbox-gateway/paymentv2/vpcpay.html?**")
    expect(page.get_by_role("note")).to_contain_text("CỔNG THANH TOÁN THỬ NGHIỆM")
    expect(page.locator("main")).to_contain_text("205.000")
    _no_serious_violations(page)
    page.get_by_label("VIETCOMBANK").check()
    page.get_by_role("button", name="Thanh toán (thử)").click()

    page.wait_for_url("**/thanh-toan/vnpay/ket-qua?**")
    expect(page.locator("h1")).to_have_text("Kết quả thanh toán")
    _no_serious_violations(page)
    # The IPN was sent in the background: the dossier's page shows the receipt once it came.
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    receipt = page.get_by_role("link", name="Biên lai điện tử (PDF)")
    for _ in range(50):
        if receipt.count():
            break
        page.wait_for_timeout(200)
        page.reload()
    # Once more: on SQLite each read of a page sees the database as it is then, so a page
    # drawn while the IPN was committing may show the dossier's status from just before.
    page.reload()
    expect(receipt).to_be_visible()
    expect(page.get_by_role("button", name="Thanh toán trực tuyến")).to_have_count(0)
    expect(page.locator(".summary-list").first).to_contain_text("Được tiếp nhận")
    with page.expect_download() as downloaded:
        receipt.click()
    pdf = downloaded.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")

    async def check(session: AsyncSession, storage: FileStorage) -> tuple[Any, ...]:
        report = await documents.verify_pdf(session, pdf)
        dossier = await session.scalar(select(Dossier).where(Dossier.code == owed.code))
        assert dossier is not None
        payment = await session.scalar(select(Payment).where(Payment.dossier_id == dossier.id))
        assert payment is not None
        txn = await session.scalar(
            select(SandboxTransaction).where(SandboxTransaction.txn_ref == payment.reference)
        )
        return report, dossier.status, payment.state, payment.bank_code, txn

    report, status, state, bank, txn = committed(settings, check)
    assert report.signatures and all(s.valid and s.intact for s in report.signatures)
    assert status == Status.received and state == "paid" and bank == "VIETCOMBANK"
    # The sandbox's IPN reached the portal over HTTP and was confirmed.
    assert txn is not None and txn.ipn_delivered_at is not None


def test_a_leader_finds_the_payment_refunds_part_and_reads_the_reconciliation(
    page: Page, pay_server: tuple[str, Settings]
) -> None:
    base, settings = pay_server
    leader = f"lanh-dao-{uuid.uuid4().hex[:8]}@example.vn"
    owed = _owed(settings, leader)

    async def pay(session: AsyncSession, storage: FileStorage) -> str:
        dossier = await session.scalar(select(Dossier).where(Dossier.code == owed.code))
        assert dossier is not None and dossier.account_id is not None
        account = await accounts.get_account(session, dossier.account_id)
        applicant = await dossiers.applicant_for_account(session, account)
        started = await payments.start_payment(session, settings, applicant, owed.code)
        query = dict(parse_qsl(urlsplit(started.redirect_url).query))
        await sandbox.open_order(session, settings, query)
        decided = await sandbox.decide(
            session, settings, started.payment.reference, pay=True, bank_code="NCB"
        )
        answer = await payments.handle_ipn(session, settings, storage, decided.ipn)
        assert answer["RspCode"] == "00"
        return started.payment.reference

    reference = committed(settings, pay)
    page.goto(f"{base}/dang-nhap?next=/can-bo/thanh-toan")
    page.fill("#f-email", leader)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Phí, lệ phí nộp trực tuyến")
    page.select_option("#f-trang-thai", "paid")
    page.get_by_role("button", name="Hiển thị").click()
    _no_serious_violations(page)
    page.get_by_role("link", name=reference).click()
    expect(page.locator("h1")).to_have_text(f"Giao dịch thanh toán {reference}")
    _no_serious_violations(page)

    page.fill("#f-amount", "999.999")
    page.get_by_role("button", name="Hoàn tiền").click()
    expect(page.get_by_role("alert")).to_contain_text("Hãy nêu lý do hoàn tiền")
    _no_serious_violations(page)
    page.fill("#f-amount", "5.000")
    page.fill("#f-reason", "Thu thừa phí cấp thêm Phiếu")
    page.get_by_role("button", name="Hoàn tiền").click()
    expect(page.get_by_role("status")).to_contain_text("Đã gửi yêu cầu hoàn tiền")
    expect(page.locator("main")).to_contain_text("Đã gửi cổng thanh toán")

    async def reconcile(session: AsyncSession, storage: FileStorage) -> int:
        day = datetime.now(ZoneInfo(settings.time_zone)).date()
        database = Database(settings.database_url)
        try:
            report = await tasks.reconcile(database.unit_of_work, settings, day)
        finally:
            await database.dispose()
        return report.id

    report_id = committed(settings, reconcile)
    page.goto(f"{base}/can-bo/doi-soat")
    expect(page.locator("h1")).to_have_text("Đối soát với cổng thanh toán")
    _no_serious_violations(page)
    page.goto(f"{base}/can-bo/doi-soat/{report_id}")
    expect(page.locator("h1")).to_contain_text("Đối soát ngày")
    _no_serious_violations(page)
