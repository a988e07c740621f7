"""The applicant's side of a supplement request over httpx, without JavaScript: the notice on
the dossier's page, the supplement page with only what was asked, saving, a refused change,
files, resubmission; the documents issued; and nobody else sees any of it."""

from __future__ import annotations

import httpx
import pytest
from page_checks import assert_page_structure
from people import Person, browse_as, make_person, post_multipart
from permit import AGENCY
from sqlalchemy.ext.asyncio import AsyncSession
from test_web_filing import PDF, submit_permit
from web_html import Node, parse, visible_text

from app.config import Settings
from app.dossiers import service
from app.dossiers.schemas import Applicant
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn, SupplementItem
from app.storage import FileStorage
from tests.fixtures.processing import make_official

ASKED = [
    ("owner_phone", "Số điện thoại không liên lạc được"),
    ("co_owners[0].co_owner_name", "Họ tên không khớp với căn cước"),
    ("drawings_file", "Bản vẽ thiếu chữ ký của đơn vị thiết kế"),
    ("Giấy uỷ quyền", "Mang bản gốc đến bộ phận một cửa"),
]


@pytest.fixture
async def asked(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    citizen: Person,
    permit_draft: str,
) -> str:
    """The citizen's building permit, filed, and the commune's desk asking for the phone, the
    first co-owner's name, the drawings and a paper outside the form; its code."""
    code = await submit_permit(client, permit_draft)
    desk = await make_official(db_session, "mot-cua@phuong.example", AGENCY, ["receiver"])
    items = [SupplementItem(path=path, reason=reason) for path, reason in ASKED]
    await processing.act(
        db_session,
        settings,
        storage,
        desk,
        code,
        Action.request_supplement,
        ActionIn(items=items, reason="Hoàn thiện trong 10 ngày"),
    )
    return code


def _page(code: str) -> str:
    return f"/ho-so/{code}/bo-sung"


def _posted(tree: Node) -> list[tuple[str, str]]:
    """What the browser posts of the page's form: every text input and hidden count as it is
    (the CSRF token is added by the helpers)."""
    return [
        (node.attrs["name"], node.attrs.get("value", ""))
        for node in tree.find_all("input")
        if node.attrs.get("type") in ("text", "tel", "hidden", None)
        and node.attrs.get("name")
        and not node.attrs["name"].startswith("csrf")
    ]


def _files_of(tree: Node, slot: str) -> list[str]:
    listing = tree.by_id(f"f-{slot}-files")
    assert listing is not None
    return [a.text for a in listing.find_all("a")]


async def _applicant(db_session: AsyncSession, person: Person) -> Applicant:
    return await service.applicant_for_account(db_session, person.account)


async def test_the_dossier_page_tells_what_is_asked_and_offers_the_documents(
    client: httpx.AsyncClient, citizen: Person, asked: str, lang: str
) -> None:
    browse_as(client, citizen, lang)
    response = await client.get(f"/ho-so/{asked}")
    assert response.status_code == 200
    tree = assert_page_structure(response.text)
    notice = tree.by_id("bo-sung")
    assert notice is not None
    text = notice.text
    for _path, reason in ASKED:
        assert reason in text
    labels = ("Số điện thoại", "Họ, chữ đệm và tên (Đồng sở hữu 1)", "Bản vẽ thiết kế xây dựng")
    if lang == "en":
        labels = ("Phone number", "Full name (Co-owner 1)", "Design drawings")
    for label in labels:
        assert label in text, text
    assert "Hoàn thiện trong 10 ngày" in text
    assert notice.find("a", href=_page(asked)) is not None
    links = [a for a in tree.find_all("a") if "/van-ban/" in a.attrs.get("href", "")]
    assert len(links) == 1
    expected = "Phiếu yêu cầu bổ sung" if lang == "vi" else "Supplement request (form 02)"
    assert expected in links[0].text
    pdf = await client.get(links[0].attrs["href"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "private, no-store"


async def test_the_page_shows_only_what_was_asked(
    client: httpx.AsyncClient, citizen: Person, asked: str, lang: str
) -> None:
    browse_as(client, citizen, lang)
    response = await client.get(_page(asked))
    assert response.status_code == 200
    tree = assert_page_structure(response.text)
    phone = tree.by_id("f-owner_phone")
    assert phone is not None and phone.attrs["value"] == "0912345678"
    name = tree.by_id("f-co_owners-0-co_owner_name")
    assert name is not None and name.attrs["value"] == "Trần Thị Bình"
    assert _files_of(tree, "drawings_file") == ["ban-ve.pdf"]
    for absent in ("f-owner_full_name", "f-owner_email", "f-land_title_file", "f-plot_area"):
        assert tree.by_id(absent) is None, absent
    assert "Giấy uỷ quyền" in tree.text and "Mang bản gốc" in tree.text
    buttons = {b.attrs.get("value"): b.text for b in tree.find_all("button")}
    assert buttons["resubmit"] == ("Nộp bổ sung" if lang == "vi" else "Resubmit the dossier")
    form = tree.find("form", action=_page(asked))
    assert form is not None and form.attrs["enctype"] == "multipart/form-data"


async def test_asked_answers_are_saved_and_others_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, citizen: Person, asked: str
) -> None:
    pairs = [
        ("owner_phone", "0987 654 321"),
        ("_count.co_owners", "1"),
        ("co_owners[0].co_owner_name", "Trần Thị Bích"),
        ("co_owners[0].co_owner_citizen_id", "015199054321"),
        ("co_owners[0].co_owner_relationship", "Vợ"),
        # Not drawn on the page: ignored, whatever a forged post says.
        ("owner_full_name", "Người Khác"),
        ("_action", "save"),
    ]
    response = await post_multipart(client, _page(asked), pairs)
    assert response.status_code == 303
    assert response.headers["location"] == f"{_page(asked)}?luu=1"
    applicant = await _applicant(db_session, citizen)
    saved = await service.get_dossier(db_session, applicant, asked)
    assert saved.data["owner_phone"] == "0987 654 321"
    assert saved.data["co_owners"][0]["co_owner_name"] == "Trần Thị Bích"
    assert saved.data["owner_full_name"] == "Nguyễn Văn An"
    notice = parse((await client.get(f"{_page(asked)}?luu=1")).text).find("div", class_="notice")
    assert notice is not None and "Đã lưu thay đổi" in notice.text

    # The co-owner's ID is drawn with the group, but was not asked for.
    refused = [*pairs[:3], ("co_owners[0].co_owner_citizen_id", "001099000001"), pairs[4]]
    response = await post_multipart(client, _page(asked), [*refused, ("_action", "save")])
    assert response.status_code == 422
    tree = parse(response.text)
    error = tree.by_id("f-co_owners-0-co_owner_citizen_id-error")
    assert error is not None and "không được yêu cầu bổ sung" in error.text
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    assert summary.find("a", href="#f-co_owners-0-co_owner_citizen_id") is not None
    kept = await service.get_dossier(db_session, applicant, asked)
    assert kept.data["co_owners"][0]["co_owner_citizen_id"] == "015199054321"


async def test_the_asked_file_is_replaced(
    client: httpx.AsyncClient, citizen: Person, asked: str
) -> None:
    tree = parse((await client.get(_page(asked))).text)
    listing = tree.by_id("f-drawings_file-files")
    assert listing is not None
    remove = listing.find("button")
    assert remove is not None
    posted = _posted(tree)
    response = await post_multipart(
        client, _page(asked), [*posted, ("_action", remove.attrs["value"])]
    )
    assert response.status_code == 303 and response.headers["location"] == _page(asked)
    files = [
        ("drawings_file", ("ban-ve-ky.pdf", PDF, "application/pdf")),
        # A slot not asked for is not read from the post at all.
        ("land_title_file", ("khac.pdf", PDF, "application/pdf")),
    ]
    response = await post_multipart(client, _page(asked), [*posted, ("_action", "upload")], files)
    assert response.status_code == 303
    tree = parse((await client.get(_page(asked))).text)
    assert _files_of(tree, "drawings_file") == ["ban-ve-ky.pdf"]
    dossier = parse((await client.get(f"/ho-so/{asked}")).text)
    assert "khac.pdf" not in dossier.text and "so-do.png" in dossier.text


async def test_resubmission_is_checked_then_filed(
    client: httpx.AsyncClient, citizen: Person, asked: str, lang: str
) -> None:
    browse_as(client, citizen, lang)
    pairs = [("owner_phone", ""), ("_count.co_owners", "1")]
    pairs += [
        ("co_owners[0].co_owner_name", "Trần Thị Bình"),
        ("co_owners[0].co_owner_citizen_id", "015199054321"),
        ("co_owners[0].co_owner_relationship", "Vợ"),
    ]
    response = await post_multipart(client, _page(asked), [*pairs, ("_action", "resubmit")])
    assert response.status_code == 422
    tree = parse(response.text)
    error = tree.by_id("f-owner_phone-error")
    assert error is not None
    assert ("Vui lòng nhập" in error.text) if lang == "vi" else ("Enter" in error.text), error.text

    pairs[0] = ("owner_phone", "0987654321")
    response = await post_multipart(client, _page(asked), [*pairs, ("_action", "resubmit")])
    assert response.status_code == 303
    assert response.headers["location"] == f"/ho-so/{asked}?da-bo-sung=1"
    page = await client.get(response.headers["location"])
    text = visible_text(page.text)
    expected = (
        ("Đã nộp bổ sung hồ sơ", "Mới đăng ký")
        if lang == "vi"
        else (
            "Your supplement has been filed",
            "Newly registered",
        )
    )
    for each in expected:
        assert each in text
    assert parse(page.text).by_id("bo-sung") is None
    # Nothing more to supplement: the page leads back to the dossier.
    again = await client.get(_page(asked))
    assert again.status_code == 303 and again.headers["location"] == f"/ho-so/{asked}"


async def test_nobody_else_sees_the_supplement_or_the_documents(
    client: httpx.AsyncClient, db_session: AsyncSession, citizen: Person, asked: str
) -> None:
    documents = await service.documents_of(db_session, await _applicant(db_session, citizen), asked)
    other = await make_person(db_session, 2)
    browse_as(client, other)
    for url in (
        _page(asked),
        f"/ho-so/{asked}/van-ban/{documents[0].reference}",
    ):
        assert (await client.get(url)).status_code == 404, url
    response = await post_multipart(client, _page(asked), [("owner_phone", "0987654321")])
    assert response.status_code == 404
    browse_as(client, None)
    signed_out = await client.get(_page(asked))
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/dang-nhap")
