"""Steps the browser tests share: a desk of officials and a citizen's filed dossier committed
for the live server, signing in and out through the pages, opening a dossier and taking an
action by its button."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp
from app.catalog import service as catalog
from app.config import Settings
from app.db import Database
from app.documents import pki
from app.dossiers import service as dossiers
from app.dossiers.schemas import DeliveryIn, DraftChanges
from app.models.dossiers import Delivery
from app.models.processing import SigningKey
from app.storage import FileStorage, storage_from_url
from app.web.formview import FormState
from tests.api.test_tus_browser import in_thread

PASSWORD = "mat-khau-rat-manh"
ROLES = ("receiver", "specialist", "leader", "clerk")
# Certified copies (chứng thực bản sao): a short form, one scan, the default workflow (desk,
# appraisal, approval, signing, return), results collected at the desk.
CERTIFICATION = "2.000815"
CERTIFICATION_PAIRS = [
    ("full_name", "Phạm Minh Đức"),
    ("citizen_id", "001203012345"),
    ("phone", "0912345678"),
    ("email", ""),
    ("document_type", "diploma"),
    ("issuing_authority", "Trường Đại học Bách khoa Hà Nội"),
    ("document_issue_date", "15/06/2020"),
    ("page_count", "2"),
    ("copy_count", "3"),
    ("delivery_method", "counter"),
]
T = TypeVar("T")
SCAN = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 9000


@dataclass(frozen=True)
class LiveDesk:
    """The e-mail addresses of an agency's officials, one per processing role."""

    agency: str
    emails: dict[str, str]

    def __getitem__(self, role: str) -> str:
        return self.emails[role]


@dataclass(frozen=True)
class Filed:
    """A citizen's dossier: its code, and the citizen's e-mail (the password is PASSWORD)."""

    code: str
    citizen_email: str


def _run_id() -> str:
    # The live server commits: fresh addresses keep repeated runs apart.
    return uuid.uuid4().hex[:8]


def make_desk(
    settings: Settings, agency: str, staff: dict[str, tuple[str, ...]] | None = None
) -> LiveDesk:
    """Officials of the agency, by default one for each processing role (``staff`` names
    others: a name and the roles its official holds), and the agency's signing key if it has
    none (only this agency's: other tests count the agencies without one)."""
    run = _run_id()
    staff = staff or {role: (role,) for role in ROLES}
    emails = {name: f"{name}-{run}@example.vn" for name in staff}

    async def make(session: AsyncSession, storage: FileStorage) -> None:
        for name, email in emails.items():
            await officials.create_official(
                session,
                email=email,
                password=PASSWORD,
                full_name=f"Cán bộ {name}",
                agency_code=agency,
                roles=list(staff[name]),
            )
        found = await catalog.agency_by_code(session, agency)
        assert found is not None
        if await session.get(SigningKey, found.id) is None:
            authority = pki.new_authority()
            key, certificate = pki.issue(authority, found.name)
            session.add(
                SigningKey(
                    agency_id=found.id,
                    certificate_pem=pki.certificate_pem(certificate),
                    chain_pem=pki.certificate_pem(authority.certificate),
                    key_pem=pki.encrypt_key(key, settings.secret_key),
                )
            )

    committed(settings, make)
    return LiveDesk(agency, emails)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def committed(settings: Settings, work: Callable[[AsyncSession, FileStorage], Awaitable[T]]) -> T:
    """Run ``work`` in a unit of work of its own, committed for the live server to see."""

    async def run() -> T:
        database = Database(settings.database_url)
        storage = storage_from_url(settings.storage_url)
        try:
            async with database.unit_of_work() as session:
                return await work(session, storage)
        finally:
            await storage.aclose()
            await database.dispose()

    return in_thread(run)


def file_dossier(
    settings: Settings,
    agency: str,
    procedure: str,
    answers: list[tuple[str, str]] | dict[str, Any],
    files: list[tuple[str, str, bytes]],
    delivery: Delivery = Delivery.counter,
) -> Filed:
    """A citizen signed up who has filed a dossier of the procedure at the agency online:
    ``answers`` as the draft's pages post them (name/value pairs) or as the form's data,
    ``files`` as (slot, file name, content)."""
    email = f"cong-dan-{_run_id()}@example.vn"

    async def make(session: AsyncSession, storage: FileStorage) -> str:
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
        if isinstance(answers, list):
            target = await catalog.filing_target(session, procedure)
            answers_data = FormState.from_pairs(answers).data(target.definition)
        else:
            answers_data = answers
        draft = await dossiers.start_draft(session, applicant, procedure, settings)
        await dossiers.update_draft(
            session,
            applicant,
            draft.reference,
            DraftChanges(data=answers_data, agency=agency, delivery=DeliveryIn(method=delivery)),
            settings,
        )
        for slot, name, content in files:
            await dossiers.add_file(
                session, storage, settings, applicant, draft.reference, slot, name, _once(content)
            )
        filed = await dossiers.submit(session, applicant, draft.reference, settings)
        assert filed.code is not None
        return filed.code

    return Filed(code=committed(settings, make), citizen_email=email)


def file_certification(settings: Settings, agency: str) -> Filed:
    """A citizen's certified copy request filed at the agency, its scan attached."""
    return file_dossier(
        settings,
        agency,
        CERTIFICATION,
        CERTIFICATION_PAIRS,
        [("original_scan", "van-bang.pdf", SCAN)],
    )


def sign_in(page: Page, live_server: str, email: str) -> None:
    """Sign in through the sign-in page."""
    page.goto(f"{live_server}/dang-nhap")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("link", name="Đăng nhập").first).to_be_visible()


def open_dossier(page: Page, live_server: str, code: str, queue: str = "") -> None:
    """The dossier's page for officials: found in the official's queue (``hang=…``) as they
    would find it, or straight by its address."""
    if queue:
        page.goto(f"{live_server}/can-bo?hang={queue}")
        page.get_by_role("link", name=code).click()
    else:
        page.goto(f"{live_server}/can-bo/ho-so/{code}")
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")


def act(page: Page, button: str, done: str) -> None:
    """Press an action's button on the dossier's page; the next page says ``done``."""
    page.locator("form.work-action").get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status")).to_have_text(done)
