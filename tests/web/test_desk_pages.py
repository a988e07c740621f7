"""The one-stop desk's pages over httpx: a walk-in applicant's dossier from the desk's page
through the draft pages to its reception and receipt; a letter with its postmark; errors field
by field; and no one but the agency's receivers sees any of it."""

from __future__ import annotations

import re

import httpx
import pytest
from csrf import TOKEN
from page_checks import assert_page_structure
from people import browse_as, make_person, post_form, post_multipart
from sqlalchemy.ext.asyncio import AsyncSession
from web_html import Node, parse, visible_text

from app.accounts import service as accounts
from app.web.i18n import LOCALE_COOKIE
from app.web.security import CSRF_COOKIE, SESSION_COOKIE, sign
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.catalogs import CHILD_AGENCY, PROCEDURE
from tests.fixtures.processing import Desk, make_official

COUNTER = "/can-bo/tiep-nhan-truc-tiep"
POST = "/can-bo/tiep-nhan-buu-chinh"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 3000
WALK_IN = [
    ("procedure", PROCEDURE),
    ("applicant_type", "1"),
    ("name", "Lò Thị Mai"),
    ("id_number", "010190012345"),
    ("phone", "0912 000 111"),
    ("email", ""),
]


async def _as(
    client: httpx.AsyncClient, session: AsyncSession, account_id: int | None, lang: str = "vi"
) -> None:
    """The client signed in as the account, with the CSRF token and the language."""
    assert account_id is not None
    signed = await accounts.start_session(session, account_id)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, sign(TEST_SECRET_KEY, "session", signed.token))
    client.cookies.set(CSRF_COOKIE, TOKEN)
    client.cookies.set(LOCALE_COOKIE, lang)


@pytest.fixture
async def receiver(client: httpx.AsyncClient, db_session: AsyncSession, desk: Desk) -> Desk:
    """The commune's receiver, signed in."""
    await _as(client, db_session, desk["receiver"].account_id)
    return desk


async def _start(client: httpx.AsyncClient, url: str = COUNTER) -> str:
    """A desk's draft started for the walk-in applicant; its reference."""
    response = await post_form(client, url, WALK_IN)
    assert response.status_code == 303, visible_text(response.text)
    match = re.fullmatch(r"/ho-so/nhap/([\w-]+)\?trang=1", response.headers["location"])
    assert match is not None
    return match[1]


async def _fill(client: httpx.AsyncClient, reference: str) -> Node:
    """The form answered from the papers, the declaration scanned, the result at the counter;
    the check page."""
    files = [("declaration", ("to-khai.pdf", PDF, "application/pdf"))]
    page = await post_multipart(
        client,
        f"/ho-so/nhap/{reference}?trang=1",
        [("full_name", "Lò Thị Mai"), ("_action", "continue")],
        files,
    )
    # A desk receives for its own agency: no agency page.
    assert page.headers["location"] == f"/ho-so/nhap/{reference}/nhan-ket-qua"
    delivery = await post_form(
        client, f"/ho-so/nhap/{reference}/nhan-ket-qua", [("delivery", "counter")]
    )
    assert delivery.headers["location"] == f"/ho-so/nhap/{reference}/kiem-tra"
    return assert_page_structure((await client.get(delivery.headers["location"])).text)


async def test_the_desk_page_asks_for_the_procedure_and_the_applicant(
    client: httpx.AsyncClient, db_session: AsyncSession, receiver: Desk, lang: str
) -> None:
    await _as(client, db_session, receiver["receiver"].account_id, lang)
    response = await client.get(COUNTER)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(response.text)
    heading = tree.find("h1")
    assert heading is not None
    assert heading.text == (
        "Tiếp nhận hồ sơ trực tiếp" if lang == "vi" else "Receive a dossier at the counter"
    )
    procedure = tree.by_id("f-procedure")
    assert procedure is not None
    assert [o.attrs["value"] for o in procedure.find_all("option")] == ["", PROCEDURE]
    for field in ("f-applicant_type", "f-name", "f-id_number", "f-phone", "f-email"):
        assert tree.by_id(field) is not None, field
    assert tree.find("a", href=POST) is not None
    post = assert_page_structure((await client.get(POST)).text)
    title = post.find("h1")
    assert title is not None and title.text.startswith(
        "Tiếp nhận hồ sơ gửi qua bưu chính" if lang == "vi" else "Record a dossier"
    )


async def test_wrong_details_are_shown_field_by_field(
    client: httpx.AsyncClient, receiver: Desk, lang: str
) -> None:
    client.cookies.set(LOCALE_COOKIE, lang)
    wrong = dict(WALK_IN) | {"id_number": "01019001234", "phone": "123", "procedure": ""}
    response = await post_form(client, COUNTER, list(wrong.items()))
    assert response.status_code == 422
    tree = assert_page_structure(response.text)
    for field in ("procedure", "id_number", "phone"):
        error = tree.by_id(f"f-{field}-error")
        assert error is not None, field
    error = tree.by_id("f-id_number-error")
    assert error is not None
    assert ("12 chữ số" if lang == "vi" else "12 digits") in error.text
    summary = tree.find("div", class_="error-summary")
    assert summary is not None and summary.find("a", href="#f-id_number") is not None
    name = tree.by_id("f-name")
    assert name is not None and name.attrs["value"] == "Lò Thị Mai"


async def test_a_walk_in_dossier_is_received_and_its_receipt_printed(
    client: httpx.AsyncClient, receiver: Desk
) -> None:
    reference = await _start(client)
    first = parse((await client.get(f"/ho-so/nhap/{reference}?trang=1")).text)
    back = first.find("a", class_="back-link")
    assert back is not None and back.attrs["href"] == COUNTER
    listed = parse((await client.get(COUNTER)).text)
    assert listed.find("a", href=f"/ho-so/nhap/{reference}?trang=1") is not None
    assert "Lò Thị Mai" in listed.text

    check = await _fill(client, reference)
    text = check.text
    assert "Kiểm tra và tiếp nhận hồ sơ" in text and "010190012345" in text
    assert check.by_id("f-postal_date") is None
    button = check.find("button", type="submit", class_="button")
    assert button is not None and button.text == "Tiếp nhận hồ sơ"
    received = await post_form(client, f"/ho-so/nhap/{reference}/kiem-tra", [])
    assert received.status_code == 303
    match = re.fullmatch(r"/can-bo/da-tiep-nhan/(.+)", received.headers["location"])
    assert match is not None and match[1].startswith(f"{CHILD_AGENCY}-")
    code = match[1]
    page = await client.get(received.headers["location"])
    assert page.status_code == 200
    tree = assert_page_structure(page.text)
    assert code in tree.text and "Được tiếp nhận" in tree.text
    receipt = next(a for a in tree.find_all("a") if "/van-ban/" in a.attrs.get("href", ""))
    assert "mẫu 01" in receipt.text
    pdf = await client.get(receipt.attrs["href"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert tree.find("a", href=f"/can-bo/ho-so/{code}") is not None


async def test_a_letter_needs_its_postmark_date(client: httpx.AsyncClient, receiver: Desk) -> None:
    reference = await _start(client, POST)
    check = await _fill(client, reference)
    field = check.by_id("f-postal_date")
    assert field is not None
    url = f"/ho-so/nhap/{reference}/kiem-tra"
    refused = await post_form(client, url, [("postal_date", "")])
    assert refused.status_code == 422
    tree = parse(refused.text)
    error = tree.by_id("f-postal_date-error")
    assert error is not None and "Ngày gửi theo dấu bưu điện" in error.text
    received = await post_form(client, url, [("postal_date", "01/01/2026")])
    assert received.status_code == 303
    page = parse((await client.get(received.headers["location"])).text)
    assert "Qua dịch vụ bưu chính công ích" in page.text


async def test_a_desk_draft_is_deleted_back_to_the_desk(
    client: httpx.AsyncClient, receiver: Desk
) -> None:
    reference = await _start(client)
    deleted = await post_form(client, f"/ho-so/nhap/{reference}/xoa", [])
    assert deleted.headers["location"] == f"{COUNTER}?da-xoa=1"
    notice = parse((await client.get(deleted.headers["location"])).text).find(
        "div", class_="notice"
    )
    assert notice is not None


async def test_nobody_but_the_agencys_receivers_sees_the_desk(
    client: httpx.AsyncClient, db_session: AsyncSession, receiver: Desk
) -> None:
    reference = await _start(client)
    draft = f"/ho-so/nhap/{reference}?trang=1"
    assert (await client.get(draft)).status_code == 200
    other_agency = await make_official(db_session, "mc@tinh.example", "000.00.99.H99", ["receiver"])
    for account_id in (
        receiver["specialist"].account_id,
        receiver["leader"].account_id,
        receiver.outsider.account_id,
        other_agency.account_id,
    ):
        await _as(client, db_session, account_id)
        assert (await client.get(draft)).status_code == 404
    # Other officials do not have the desk's pages at all.
    for account_id in (receiver["specialist"].account_id, receiver["clerk"].account_id):
        await _as(client, db_session, account_id)
        for url in (COUNTER, POST):
            assert (await client.get(url)).status_code == 404
            assert (await post_form(client, url, WALK_IN)).status_code == 404
    citizen = await make_person(db_session)
    browse_as(client, citizen)
    assert (await client.get(COUNTER)).status_code == 404
    assert (await client.get(draft)).status_code == 404
    browse_as(client, None)
    signed_out = await client.get(COUNTER)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/dang-nhap")
