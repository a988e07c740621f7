"""Filing over httpx, without JavaScript: sign in, start, files, agency, delivery, check and
submit, the acknowledgement, one's dossiers, a dossier's page, withdrawal, downloads, lookup;
and nobody else sees any of it."""

from __future__ import annotations

import re
from urllib.parse import unquote

import httpx
import pytest
from page_checks import assert_page_structure, ui_messages
from people import Person, browse_as, make_person, post_form, post_multipart
from permit import AGENCY, LAO_CAI, PAGES, PERMIT, PHUONG_LAO_CAI, START_URL, design_pairs, replace
from sqlalchemy.ext.asyncio import AsyncSession
from web_html import Node, parse, visible_text

from app.accounts import service as accounts
from app.accounts.schemas import EnterpriseSignUp
from app.catalog.importing import import_catalog
from app.config import Settings
from app.dossiers import service
from app.dossiers.schemas import DeliveryIn, DraftChanges
from app.models.dossiers import Delivery
from app.web.security import sign
from tests.conftest import TEST_SECRET_KEY
from tests.fixtures.catalogs import PROCEDURE, small_catalog

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 3000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100
CODE = re.compile(r"[0-9A-Z.]+-\d{6}-\d{4}")
# The driving licence renewal: one agency, fully online.
LICENCE = "1.002804"


def page_url(reference: str, page: int) -> str:
    return f"/ho-so/nhap/{reference}?trang={page}"


def draft_url(reference: str, rest: str) -> str:
    return f"/ho-so/nhap/{reference}/{rest}"


def _files_of(tree: Node, slot: str) -> list[str]:
    listing = tree.by_id(f"f-{slot}-files")
    assert listing is not None
    return [a.text for a in listing.find_all("a")]


async def fill_permit(client: httpx.AsyncClient, reference: str) -> None:
    """Every page of the building permit answered, two files attached, agency and delivery."""
    for number, pairs in enumerate(PAGES, start=1):
        files = None
        if number == len(PAGES):
            files = [
                ("land_title_file", ("so-do.png", PNG, "image/png")),
                ("drawings_file", ("ban-ve.pdf", PDF, "application/pdf")),
            ]
        response = await post_multipart(
            client, page_url(reference, number), [*pairs(), ("_action", "continue")], files
        )
        assert response.status_code == 303, visible_text(response.text)
    agency = await post_form(client, draft_url(reference, "co-quan"), [("agency", AGENCY)])
    assert agency.headers["location"] == draft_url(reference, "nhan-ket-qua")
    delivery = await post_form(
        client, draft_url(reference, "nhan-ket-qua"), [("delivery", "counter")]
    )
    assert delivery.headers["location"] == draft_url(reference, "kiem-tra")


async def submit_permit(client: httpx.AsyncClient, reference: str) -> str:
    """Fill and file the building permit; its dossier code."""
    await fill_permit(client, reference)
    response = await post_form(client, draft_url(reference, "kiem-tra"), [])
    assert response.status_code == 303
    match = re.fullmatch(r"/ho-so/(.+)/da-nop", response.headers["location"])
    assert match is not None
    return unquote(match[1])


# ----------------------------------------------------------------------------- start


async def test_filing_needs_signing_in_and_comes_back(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await make_person(db_session)
    browse_as(client, None)
    response = await client.get(START_URL)
    assert response.status_code == 303
    assert response.headers["location"] == "/dang-nhap?next=%2Fthu-tuc%2F1.010007%2Fnop-ho-so"
    page = parse((await client.get(response.headers["location"])).text)
    next_field = page.find("input", name="next")
    assert next_field is not None and next_field.attrs["value"] == START_URL
    signed = await post_form(
        client,
        "/dang-nhap",
        [("next", START_URL), ("email", "web1@example.com"), ("password", "mat-khau-dai-du")],
    )
    assert signed.status_code == 303 and signed.headers["location"] == START_URL
    # Every page of filing and of one's dossiers asks to sign in first.
    for url in ("/ho-so-cua-toi", "/ho-so/nhap/abc?trang=2", "/ho-so/tep/abc"):
        browse_as(client, None)
        refused = await client.get(url)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/dang-nhap?next=%2Fho-so")
    assert refused.headers["location"] == "/dang-nhap?next=%2Fho-so%2Ftep%2Fabc"


async def test_start_page_then_a_draft_then_back_to_it(
    client: httpx.AsyncClient, citizen: Person
) -> None:
    response = await client.get(START_URL)
    assert response.status_code == 200
    tree = assert_page_structure(response.text)
    assert "Bạn nộp hồ sơ với tư cách cá nhân: Nguyễn Văn An." in tree.text
    assert "Giấy tờ hợp pháp về quyền sử dụng đất" in tree.text
    start = tree.find("form", action=START_URL)
    assert start is not None
    button = start.find("button")
    assert button is not None and button.text == "Bắt đầu"
    created = await post_form(client, START_URL, [])
    assert created.status_code == 303
    location = created.headers["location"]
    assert re.fullmatch(r"/ho-so/nhap/[\w-]+\?trang=1", location)
    # One draft per applicant and procedure version: the start button leads back to it.
    assert (await client.get(START_URL)).headers["location"] == location
    assert (await post_form(client, START_URL, [])).headers["location"] == location


async def test_enterprise_staff_file_for_their_enterprise(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    account = await accounts.sign_up_enterprise(
        db_session,
        EnterpriseSignUp(
            tax_code="0100109106",
            enterprise_name="Công ty TNHH Xây dựng Hoàng Liên",
            full_name="Vũ Thị Mai",
            email="mai@hoanglien.vn",
            phone="0912000777",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    signed = await accounts.start_session(db_session, account.id)
    browse_as(client, Person(account, sign(TEST_SECRET_KEY, "session", signed.token)))
    text = visible_text((await client.get(START_URL)).text)
    assert (
        "Bạn nộp hồ sơ thay mặt doanh nghiệp Công ty TNHH Xây dựng Hoàng Liên"
        " (mã số thuế 0100109106)."
    ) in text


async def test_an_unknown_procedure_cannot_be_filed(
    client: httpx.AsyncClient, citizen: Person
) -> None:
    response = await client.get("/thu-tuc/9.999999/nop-ho-so")
    assert response.status_code == 404
    assert "Không tìm thấy thủ tục hành chính có mã 9.999999." in visible_text(response.text)


# ----------------------------------------------------------------------------- files


async def test_two_files_into_two_slots_without_javascript(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    files = [
        ("land_title_file", ("sổ đỏ.png", PNG, "image/png")),
        ("drawings_file", ("bản vẽ.pdf", PDF, "application/pdf")),
    ]
    pairs = [("declaration_consent", "agree"), ("_action", "upload")]
    response = await post_multipart(client, page_url(permit_draft, 4), pairs, files)
    assert response.status_code == 303
    assert response.headers["location"] == page_url(permit_draft, 4)
    tree = parse((await client.get(page_url(permit_draft, 4))).text)
    assert _files_of(tree, "land_title_file") == ["sổ đỏ.png"]
    assert _files_of(tree, "drawings_file") == ["bản vẽ.pdf"]
    listing = tree.by_id("f-drawings_file-files")
    assert listing is not None and "(3 KB)" in listing.text
    link = listing.find("a")
    assert link is not None and re.fullmatch(r"/ho-so/tep/[\w-]+", link.attrs["href"])
    remove = listing.find("button")
    assert remove is not None and remove.attrs["value"].startswith("remove-file:")
    assert remove.text == "Xoá bản vẽ.pdf"
    consent = tree.by_id("f-declaration_consent")
    assert consent is not None and "checked" in consent.attrs
    upload = tree.find("button", value="upload")
    assert upload is not None and upload.attrs["formaction"].endswith("#f-land_title_file")


async def test_a_refused_file_is_an_error_of_its_field_and_nothing_else_is_lost(
    client: httpx.AsyncClient, citizen: Person, permit_draft: str, lang: str
) -> None:
    browse_as(client, citizen, lang)
    files = [
        ("land_title_file", ("ghi-chu.txt", b"hello, this is not a document", "text/plain")),
        ("drawings_file", ("ban-ve.pdf", PDF, "application/pdf")),
    ]
    pairs = [("declaration_consent", "agree"), ("_action", "continue")]
    response = await post_multipart(client, page_url(permit_draft, 4), pairs, files)
    assert response.status_code == 422
    tree = parse(response.text)
    error = tree.by_id("f-land_title_file-error")
    assert error is not None and "ghi-chu.txt" in error.text
    expected = "Không nhận ra loại của tệp" if lang == "vi" else "is not recognised"
    assert expected in error.text
    summary = tree.find("div", class_="error-summary")
    assert summary is not None and summary.find("a", href="#f-land_title_file") is not None
    assert _files_of(tree, "drawings_file") == ["ban-ve.pdf"]
    assert _files_of(tree, "land_title_file") == []
    consent = tree.by_id("f-declaration_consent")
    assert consent is not None and "checked" in consent.attrs


async def test_a_file_too_large_or_one_too_many_is_refused(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    big = PDF + b"0" * (10 * 1024 * 1024)
    files = [("land_title_file", ("lon.pdf", big, "application/pdf"))]
    response = await post_multipart(
        client, page_url(permit_draft, 4), [("_action", "upload")], files
    )
    assert response.status_code == 422
    error = parse(response.text).by_id("f-land_title_file-error")
    assert error is not None
    assert error.text == "Lỗi: “lon.pdf”: Tệp vượt quá giới hạn 10 MB cho phép."

    pairs = replace(design_pairs(), has_adjacent_buildings="yes")
    await post_multipart(client, page_url(permit_draft, 3), [*pairs, ("_action", "save")])
    files = [
        ("adjacent_commitment_file", ("cam-ket.pdf", PDF, "application/pdf")),
        ("adjacent_commitment_file", ("cam-ket-2.pdf", PDF, "application/pdf")),
    ]
    response = await post_multipart(
        client, page_url(permit_draft, 4), [("_action", "upload")], files
    )
    tree = parse(response.text)
    error = tree.by_id("f-adjacent_commitment_file-error")
    assert error is not None and "cam-ket-2.pdf" in error.text and "tối đa 1 tệp" in error.text
    assert _files_of(tree, "adjacent_commitment_file") == ["cam-ket.pdf"]


async def test_a_file_is_removed_with_its_button(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    files = [("drawings_file", ("ban-ve.pdf", PDF, "application/pdf"))]
    await post_multipart(client, page_url(permit_draft, 4), [("_action", "upload")], files)
    tree = parse((await client.get(page_url(permit_draft, 4))).text)
    listing = tree.by_id("f-drawings_file-files")
    assert listing is not None
    remove = listing.find("button")
    assert remove is not None
    pairs = [("declaration_consent", "agree"), ("_action", remove.attrs["value"])]
    response = await post_multipart(client, page_url(permit_draft, 4), pairs)
    assert response.status_code == 303
    tree = parse((await client.get(page_url(permit_draft, 4))).text)
    assert _files_of(tree, "drawings_file") == []
    consent = tree.by_id("f-declaration_consent")
    assert consent is not None and "checked" in consent.attrs
    # Pressed twice (the second post from a stale page): nothing more happens.
    again = await post_multipart(client, page_url(permit_draft, 4), pairs)
    assert again.status_code == 303


async def test_a_file_is_downloaded_by_its_owner_only(
    client: httpx.AsyncClient, db_session: AsyncSession, citizen: Person, permit_draft: str
) -> None:
    files = [("drawings_file", ("bản vẽ mặt bằng.pdf", PDF, "application/pdf"))]
    await post_multipart(client, page_url(permit_draft, 4), [("_action", "upload")], files)
    tree = parse((await client.get(page_url(permit_draft, 4))).text)
    listing = tree.by_id("f-drawings_file-files")
    assert listing is not None
    link = listing.find("a")
    assert link is not None
    response = await client.get(link.attrs["href"])
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        'attachment; filename="ban ve mat bang.pdf"; '
        "filename*=UTF-8''b%E1%BA%A3n%20v%E1%BA%BD%20m%E1%BA%B7t%20b%E1%BA%B1ng.pdf"
    )
    other = await make_person(db_session, 2)
    browse_as(client, other)
    assert (await client.get(link.attrs["href"])).status_code == 404
    assert (await client.get("/ho-so/tep/no-such-file")).status_code == 404


# ----------------------------------------------------------------------------- agency, delivery


async def test_the_receiving_agency_is_chosen_when_several_handle_it(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    url = draft_url(permit_draft, "co-quan")
    page = await client.get(url)
    tree = assert_page_structure(page.text)
    select = tree.find("select", name="agency")
    assert select is not None and len(select.find_all("option")) == 8
    assert "Bước 5/7" in tree.text
    back = tree.find("a", class_="back-link")
    assert back is not None and back.attrs["href"] == page_url(permit_draft, 4)
    empty = await post_form(client, url, [("agency", "")])
    assert empty.status_code == 422
    assert "Hãy chọn cơ quan tiếp nhận" in visible_text(empty.text)
    wrong = await post_form(client, url, [("agency", "000.00.00.H39")])
    assert wrong.status_code == 422
    error = parse(wrong.text).by_id("f-agency-error")
    assert error is not None and "không tiếp nhận thủ tục này" in error.text
    chosen = await post_form(client, url, [("agency", AGENCY)])
    assert chosen.headers["location"] == draft_url(permit_draft, "nhan-ket-qua")
    again = parse((await client.get(url)).text)
    option = again.find("option", value=AGENCY)
    assert option is not None and "selected" in option.attrs


async def test_one_agency_needs_no_choice(client: httpx.AsyncClient, citizen: Person) -> None:
    start = await post_form(client, f"/thu-tuc/{LICENCE}/nop-ho-so", [])
    reference = start.headers["location"].removeprefix("/ho-so/nhap/").split("?")[0]
    response = await client.get(draft_url(reference, "co-quan"))
    assert response.headers["location"] == draft_url(reference, "nhan-ket-qua")
    delivery = parse((await client.get(draft_url(reference, "nhan-ket-qua"))).text)
    assert "Bước 4/5" in delivery.text
    back = delivery.find("a", class_="back-link")
    assert back is not None and back.attrs["href"] == page_url(reference, 3)


async def test_delivery_by_post_needs_the_address(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    url = draft_url(permit_draft, "nhan-ket-qua")
    tree = assert_page_structure((await client.get(url)).text)
    options = [n.attrs["value"] for n in tree.find_all("input", name="delivery")]
    assert options == ["online", "counter", "post"]
    recipient = tree.find("input", name="recipient")
    assert recipient is not None and recipient.attrs["value"] == "Nguyễn Văn An"
    condition = tree.by_id("f-recipient-condition")
    assert condition is not None and "Qua dịch vụ bưu chính công ích" in condition.text

    nothing = await post_form(client, url, [])
    assert nothing.status_code == 422
    assert parse(nothing.text).by_id("f-delivery-error") is not None

    posted = [
        ("delivery", "post"),
        ("recipient", "Nguyễn Văn An"),
        ("phone", "0912 000 001"),
        ("address.province", LAO_CAI),
        ("address.commune", ""),
        ("address.street", "Số 1 đường Hoàng Liên"),
    ]
    incomplete = await post_form(client, url, posted)
    assert incomplete.status_code == 422
    tree = parse(incomplete.text)
    assert tree.by_id("f-address-commune-error") is not None
    summary = tree.find("div", class_="error-summary")
    assert summary is not None and summary.find("a", href="#f-address-commune") is not None
    street = tree.find("input", name="address.street")
    assert street is not None and street.attrs["value"] == "Số 1 đường Hoàng Liên"

    refreshed = parse(
        (await post_form(client, url, [*posted, ("_action", "refresh:address")])).text
    )
    commune = refreshed.find("select", name="address.commune")
    assert commune is not None and commune.find("option", value=PHUONG_LAO_CAI) is not None

    complete = replace(posted, **{"address.commune": PHUONG_LAO_CAI})
    done = await post_form(client, url, complete)
    assert done.headers["location"] == draft_url(permit_draft, "kiem-tra")
    check = visible_text((await client.get(done.headers["location"])).text)
    assert "Qua dịch vụ bưu chính công ích" in check
    assert "Số 1 đường Hoàng Liên, Phường Lào Cai, Tỉnh Lào Cai" in check


async def test_a_partly_online_procedure_gives_no_result_online(
    client: httpx.AsyncClient, citizen: Person
) -> None:
    start = await post_form(client, "/thu-tuc/1.001776/nop-ho-so", [])
    reference = start.headers["location"].removeprefix("/ho-so/nhap/").split("?")[0]
    url = draft_url(reference, "nhan-ket-qua")
    tree = parse((await client.get(url)).text)
    assert [n.attrs["value"] for n in tree.find_all("input", name="delivery")] == [
        "counter",
        "post",
    ]
    refused = await post_form(client, url, [("delivery", "online")])
    assert refused.status_code == 422


# ----------------------------------------------------------------------------- check and submit


async def test_check_your_answers_then_file(client: httpx.AsyncClient, permit_draft: str) -> None:
    await fill_permit(client, permit_draft)
    check = await client.get(draft_url(permit_draft, "kiem-tra"))
    tree = assert_page_structure(check.text)
    text = tree.text
    h1 = tree.find("h1")
    assert h1 is not None and h1.text == "Kiểm tra câu trả lời"
    assert "Số 12 đường Hoàng Liên, Phường Lào Cai, Tỉnh Lào Cai" in text
    assert "1.500.000.000 đ" in text and "120,5" in text
    assert "Đồng sở hữu 1" in text and "Trần Thị Bình" in text
    assert "so-do.png (116 byte)" in text and "ban-ve.pdf (3 KB)" in text
    assert "UBND phường Lào Cai" in text and "Trực tiếp tại bộ phận một cửa" in text
    assert tree.find("div", class_="error-summary") is None
    change = tree.find("a", href=f"{page_url(permit_draft, 1)}#f-owner_full_name")
    assert change is not None and change.text.startswith("Sửa")
    assert tree.find("a", href=f"{page_url(permit_draft, 2)}#f-site_address-province")
    assert tree.find("a", href=draft_url(permit_draft, "co-quan")) is not None
    assert tree.find("a", href=draft_url(permit_draft, "nhan-ket-qua")) is not None

    filed = await post_form(client, draft_url(permit_draft, "kiem-tra"), [])
    assert filed.status_code == 303
    location = filed.headers["location"]
    match = re.fullmatch(r"/ho-so/(.+)/da-nop", location)
    assert match is not None
    code = unquote(match[1])
    assert re.fullmatch(r"000\.00\.41\.H39-\d{6}-\d{4}", code)

    ack = await client.get(location)
    tree = assert_page_structure(ack.text)
    shown = tree.by_id("dossier-code")
    assert shown is not None and shown.text == code
    text = tree.text
    assert "Mới đăng ký" in text
    assert re.search(r"Thời điểm nộp \d\d:\d\d \d\d/\d\d/\d{4}", text)
    assert "Chúng tôi đã gửi thư điện tử kèm mã hồ sơ đến web1@example.com." in text
    assert "Các bước tiếp theo" in text
    # The draft is a dossier now: its pages lead to the dossier.
    again = await client.get(page_url(permit_draft, 1))
    assert again.headers["location"] == f"/ho-so/{code}"
    assert (await post_form(client, draft_url(permit_draft, "kiem-tra"), [])).status_code == 303


async def test_filing_an_incomplete_draft_lists_what_to_put_right(
    client: httpx.AsyncClient, permit_draft: str, lang: str, citizen: Person
) -> None:
    browse_as(client, citizen, lang)
    await post_multipart(client, page_url(permit_draft, 1), [*PAGES[0](), ("_action", "continue")])
    check = parse((await client.get(draft_url(permit_draft, "kiem-tra"))).text)
    rows = check.find_all("div", class_="summary-row-error")
    assert rows, "the answers still missing are marked"
    refused = await post_form(client, draft_url(permit_draft, "kiem-tra"), [])
    assert refused.status_code == 422
    tree = assert_page_structure(refused.text)
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    hrefs = [a.attrs["href"] for a in summary.find_all("a")]
    assert f"{page_url(permit_draft, 2)}#f-site_address-province" in hrefs
    assert f"{page_url(permit_draft, 4)}#f-land_title_file" in hrefs
    assert f"{draft_url(permit_draft, 'co-quan')}#f-agency" in hrefs
    assert f"{draft_url(permit_draft, 'nhan-ket-qua')}#f-delivery" in hrefs
    assert not [h for h in hrefs if h.startswith(page_url(permit_draft, 1))]
    expected = "Choose the receiving agency" if lang == "en" else "Hãy chọn cơ quan tiếp nhận"
    assert expected in summary.text


# ----------------------------------------------------------------------------- my dossiers


async def test_my_dossiers_lists_drafts_and_dossiers(
    client: httpx.AsyncClient, citizen: Person, permit_draft: str
) -> None:
    code = await submit_permit(client, permit_draft)
    await post_form(client, f"/thu-tuc/{LICENCE}/nop-ho-so", [])
    response = await client.get("/ho-so-cua-toi")
    tree = assert_page_structure(response.text)
    tables = tree.find_all("table")
    assert len(tables) == 2
    drafts, dossiers = tables
    assert "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp" in drafts.text
    assert re.search(r"\d\d/\d\d/\d{4}", drafts.text)
    assert [a for a in drafts.find_all("a") if a.attrs["href"].startswith("/ho-so/nhap/")]
    link = dossiers.find("a", href=f"/ho-so/{code}")
    assert link is not None and link.text == code
    assert "Mới đăng ký" in dossiers.text and "Cấp giấy phép xây dựng mới" in dossiers.text
    home = parse((await client.get("/")).text)
    nav = home.find("nav", class_="site-nav")
    assert nav is not None and nav.find("a", href="/ho-so-cua-toi") is not None
    assert nav.find("a", href="/tra-cuu-ho-so") is not None


async def test_my_dossiers_come_in_pages(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    citizen: Person,
) -> None:
    await import_catalog(db_session, small_catalog())
    applicant = await service.applicant_for_account(db_session, citizen.account)
    codes = []
    for _ in range(settings.page_size + 1):
        draft = await service.start_draft(db_session, applicant, PROCEDURE, settings)
        changes = DraftChanges(
            data={"full_name": "Nguyễn Văn An"}, delivery=DeliveryIn(method=Delivery.counter)
        )
        await service.update_draft(db_session, applicant, draft.reference, changes, settings)
        filed = await service.submit(db_session, applicant, draft.reference, settings)
        codes.append(filed.code)
    first = parse((await client.get("/ho-so-cua-toi")).text)
    shown = [a.text for a in first.find_all("a") if CODE.fullmatch(a.text)]
    assert len(shown) == settings.page_size
    more = first.find("a", rel="next")
    assert more is not None and more.attrs["href"].startswith("/ho-so-cua-toi?sau=")
    second = parse((await client.get(more.attrs["href"])).text)
    rest = [a.text for a in second.find_all("a") if CODE.fullmatch(a.text)]
    assert sorted(shown + rest) == sorted(codes)
    assert second.find("a", rel="next") is None
    assert "Bản nháp" not in second.text
    bad = await client.get("/ho-so-cua-toi?sau=not-a-cursor")
    assert bad.status_code == 422


async def test_a_draft_is_deleted_after_asking(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    confirm = await client.get(draft_url(permit_draft, "xoa"))
    tree = assert_page_structure(confirm.text)
    button = tree.find("button", class_="button-warning")
    assert button is not None and button.text == "Có, xoá bản nháp"
    deleted = await post_form(client, draft_url(permit_draft, "xoa"), [])
    assert deleted.headers["location"] == "/ho-so-cua-toi?da-xoa=1"
    listing = visible_text((await client.get(deleted.headers["location"])).text)
    assert "Đã xoá bản nháp." in listing and "Bạn không có bản nháp nào." in listing
    assert (await client.get(page_url(permit_draft, 1))).status_code == 404


# ----------------------------------------------------------------------------- one dossier


async def test_a_dossier_page_and_its_withdrawal(
    client: httpx.AsyncClient, permit_draft: str
) -> None:
    code = await submit_permit(client, permit_draft)
    page = await client.get(f"/ho-so/{code}")
    assert page.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(page.text)
    text = tree.text
    assert "Mới đăng ký" in text and "UBND phường Lào Cai" in text
    assert "Trần Thị Bình" in text and "Trực tiếp tại bộ phận một cửa" in text
    events = [n.text for n in tree.find_all("p", class_="timeline-title")]
    assert events == ["Nộp hồ sơ trực tuyến", "Bắt đầu khai hồ sơ"]
    downloads = [a.attrs["href"] for a in tree.find_all("a") if "download" in a.attrs]
    assert len(downloads) == 2
    assert (await client.get(downloads[0])).status_code == 200

    url = f"/ho-so/{code}/rut"
    empty = await post_form(client, url, [("reason", "  ")])
    assert empty.status_code == 422
    tree = parse(empty.text)
    assert tree.by_id("f-reason-error") is not None
    summary = tree.find("div", class_="error-summary")
    assert summary is not None and summary.find("a", href="#f-reason") is not None

    withdrawn = await post_form(client, url, [("reason", "Tôi đã đổi ý, không xây nữa.")])
    assert withdrawn.headers["location"] == f"/ho-so/{code}"
    tree = parse((await client.get(f"/ho-so/{code}")).text)
    assert "Công dân rút hồ sơ" in tree.text and "Tôi đã đổi ý, không xây nữa." in tree.text
    assert tree.find("textarea", name="reason") is None
    again = await post_form(client, url, [("reason", "Lần nữa")])
    assert again.status_code == 409
    assert "không thể rút" in visible_text(again.text)


async def test_nobody_else_sees_a_draft_a_dossier_or_its_files(
    client: httpx.AsyncClient, db_session: AsyncSession, permit_draft: str
) -> None:
    code = await submit_permit(client, permit_draft)
    tree = parse((await client.get(f"/ho-so/{code}")).text)
    file_url = next(a.attrs["href"] for a in tree.find_all("a") if "download" in a.attrs)
    await post_form(client, START_URL, [])
    draft_location = (await client.get(START_URL)).headers["location"]
    reference = draft_location.removeprefix("/ho-so/nhap/").split("?")[0]

    other = await make_person(db_session, 2)
    browse_as(client, other)
    for url in (
        draft_location,
        draft_url(reference, "kiem-tra"),
        draft_url(reference, "nhan-ket-qua"),
        draft_url(reference, "xoa"),
        f"/ho-so/{code}",
        f"/ho-so/{code}/da-nop",
        file_url,
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
    for url in (
        draft_url(reference, "kiem-tra"),
        draft_url(reference, "xoa"),
        f"/ho-so/{code}/rut",
    ):
        response = await post_form(client, url, [("reason", "x")])
        assert response.status_code == 404, url
    page = await post_multipart(client, page_url(reference, 1), [("owner_full_name", "X")])
    assert page.status_code == 404
    mine = visible_text((await client.get("/ho-so-cua-toi")).text)
    assert code not in mine and "Bạn chưa nộp hồ sơ nào." in mine


# ----------------------------------------------------------------------------- public lookup


async def test_a_dossier_is_looked_up_by_code_and_last_digits(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, permit_draft: str, lang: str
) -> None:
    code = await submit_permit(client, permit_draft)
    client = elsewhere
    browse_as(client, None, lang)
    form = assert_page_structure((await client.get("/tra-cuu-ho-so")).text)
    assert form.find("input", name="code") is not None
    # The QR code on the dossier's documents opens the page with the code filled in.
    from_qr = assert_page_structure((await client.get(f"/tra-cuu-ho-so?ma={code}")).text)
    field = from_qr.find("input", name="code")
    assert field is not None and field.attrs.get("value") == code

    empty = await post_form(client, "/tra-cuu-ho-so", [("code", ""), ("verifier", "")])
    assert empty.status_code == 422
    assert len(parse(empty.text).find_all("p", class_="error-message")) == 2

    wrong = await post_form(client, "/tra-cuu-ho-so", [("code", code), ("verifier", "9999")])
    assert wrong.status_code == 404
    message = parse(wrong.text).by_id("lookup-message")
    expected = (
        "Không tìm thấy hồ sơ với mã và 4 số cuối đã nhập."
        if lang == "vi"
        else "No dossier matches this code and these last 4 digits."
    )
    assert message is not None and message.text == expected

    found = await post_form(
        client, "/tra-cuu-ho-so", [("code", code.lower()), ("verifier", "0001")]
    )
    assert found.status_code == 200
    tree = assert_page_structure(found.text)
    result = tree.find("section", class_="lookup-result")
    assert result is not None
    text = result.text
    if lang == "vi":
        assert "Mới đăng ký" in text and "Chờ cơ quan tiếp nhận kiểm tra hồ sơ" in text
    else:
        assert "Newly registered" in text and "Waiting for the agency to check it" in text
    assert code in text and "UBND phường Lào Cai" in text
    for personal in ("Nguyễn Văn An", "0912000001", "001000000001", "web1@example.com"):
        assert personal not in found.text


async def test_too_many_lookups_are_refused(elsewhere: httpx.AsyncClient) -> None:
    client = elsewhere
    browse_as(client, None)
    pairs = [("code", "000.00.41.H39-200101-0007"), ("verifier", "1234")]
    statuses = [(await post_form(client, "/tra-cuu-ho-so", pairs)).status_code for _ in range(11)]
    assert statuses == [404] * 10 + [429]
    refused = await post_form(client, "/tra-cuu-ho-so", pairs)
    assert refused.headers["retry-after"].isdigit()
    assert "Bạn đã tra cứu quá nhiều lần" in visible_text(refused.text)


# ----------------------------------------------------------------------------- every page


@pytest.fixture
async def filed(client: httpx.AsyncClient, permit_draft: str) -> tuple[str, str]:
    """A filed building permit (its code) and a new draft of the licence (its reference)."""
    code = await submit_permit(client, permit_draft)
    start = await post_form(client, f"/thu-tuc/{LICENCE}/nop-ho-so", [])
    return code, start.headers["location"].removeprefix("/ho-so/nhap/").split("?")[0]


def _pages(code: str, reference: str) -> list[str]:
    return [
        START_URL,
        *(page_url(reference, n) for n in (1, 2, 3)),
        draft_url(reference, "nhan-ket-qua"),
        draft_url(reference, "kiem-tra"),
        draft_url(reference, "xoa"),
        f"/ho-so/{code}/da-nop",
        f"/ho-so/{code}",
        "/ho-so-cua-toi",
    ]


async def test_every_filing_page_is_well_formed_and_in_one_language(
    client: httpx.AsyncClient, citizen: Person, filed: tuple[str, str], lang: str
) -> None:
    code, reference = filed
    browse_as(client, citizen, lang)
    other = "en" if lang == "vi" else "vi"
    leftovers_of = ui_messages(other)
    for url in _pages(code, reference):
        response = await client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.text
        assert_page_structure(response.text)
        text = visible_text(response.text)
        leftovers = [m for m in leftovers_of if m in text]
        assert not leftovers, (url, leftovers)


async def test_the_procedure_page_leads_to_filing(client: httpx.AsyncClient) -> None:
    tree = parse((await client.get(f"/thu-tuc/{PERMIT}")).text)
    start = tree.find("a", href=START_URL)
    assert start is not None and start.text == "Nộp hồ sơ"
    home = parse((await client.get("/")).text)
    assert home.find("a", href="/tra-cuu-ho-so") is not None
