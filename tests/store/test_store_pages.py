"""The document store on the pages, without JavaScript: the list with its downloads and
deletion, the link in the header, and filling a draft's file slot from the store."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service as dossiers
from app.storage import FileStorage
from app.store import service as store
from tests.dossiers.conftest import PDF
from tests.store.conftest import file_rich, new_draft
from tests.store.pages import browse_as, post_form, signed_in_citizen


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_the_store_page_lists_downloads_and_deletes(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    lang: str,
) -> None:
    citizen, cookie = await signed_in_citizen(db_session, 1)
    filed = await file_rich(db_session, settings, storage, citizen)
    [kept] = (await store.list_documents(db_session, citizen)).items
    browse_as(client, cookie, lang)

    page = await client.get("/kho-du-lieu")
    assert page.status_code == 200
    html = page.text
    header = "Kho dữ liệu của tôi" if lang == "vi" else "My documents"
    assert f'href="/kho-du-lieu" aria-current="page">{header}</a>' in html
    assert "Tờ khai" in html and "tờ khai.pdf" in html
    assert f'href="/ho-so/{filed.code}">{filed.code}</a>' in html
    assert ("Tệp đã nộp" if lang == "vi" else "File you filed") in html
    download = f"/kho-du-lieu/{kept.reference}/tai-ve"
    assert download in html
    got = await client.get(download)
    assert got.status_code == 200 and got.content == PDF
    assert "attachment" in got.headers["content-disposition"]

    deleted = await post_form(client, f"/kho-du-lieu/{kept.reference}/xoa")
    assert deleted.status_code == 303 and deleted.headers["location"] == "/kho-du-lieu?da-xoa=1"
    after = await client.get("/kho-du-lieu?da-xoa=1")
    assert kept.reference not in after.text
    assert ("Hồ sơ mà tài liệu thuộc về vẫn giữ tệp" if lang == "vi" else "keeps its file") in (
        after.text
    )
    assert (await client.get(download)).status_code == 404
    # The dossier's own file is still there.
    dossier = await dossiers.get_dossier(db_session, citizen, filed.code)
    kept_file = await client.get(f"/ho-so/tep/{dossier.files[0].id}")
    assert kept_file.status_code == 200 and kept_file.content == PDF


async def test_a_draft_slot_is_filled_from_the_store(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
) -> None:
    citizen, cookie = await signed_in_citizen(db_session, 2)
    await file_rich(db_session, settings, storage, citizen)
    [kept] = (await store.list_documents(db_session, citizen)).items
    draft = await new_draft(db_session, settings, citizen)
    browse_as(client, cookie)

    section = await client.get(f"/ho-so/nhap/{draft}?trang=1")
    choose_url = f"/ho-so/nhap/{draft}/kho-du-lieu?muc=declaration&amp;trang=1"
    assert choose_url in section.text and "Chọn từ kho dữ liệu" in section.text

    # The image slot offers nothing: the store holds only a PDF.
    photos = await client.get(f"/ho-so/nhap/{draft}/kho-du-lieu?muc=photos&trang=1")
    assert photos.status_code == 200
    assert "chưa có tài liệu nào mục này chấp nhận" in photos.text
    assert kept.reference not in photos.text
    # Posted anyway, the PDF is refused as an upload would be, beside the choices.
    refused = await post_form(
        client,
        f"/ho-so/nhap/{draft}/kho-du-lieu",
        {"muc": "photos", "tai-lieu": kept.reference, "trang": "1"},
    )
    assert refused.status_code == 422 and "application/pdf" in refused.text
    assert "<title>Lỗi:" in refused.text

    choices = await client.get(f"/ho-so/nhap/{draft}/kho-du-lieu?muc=declaration&trang=1")
    assert choices.status_code == 200
    assert re.search(rf'name="tai-lieu" value="{kept.reference}"', choices.text)
    chosen = await post_form(
        client,
        f"/ho-so/nhap/{draft}/kho-du-lieu",
        {"muc": "declaration", "tai-lieu": kept.reference, "trang": "1"},
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/ho-so/nhap/{draft}?trang=1#f-declaration"
    shown = await client.get(f"/ho-so/nhap/{draft}?trang=1")
    [file] = (await dossiers.get_dossier(db_session, citizen, draft)).files
    assert file.origin == "reuse" and f"/ho-so/tep/{file.id}" in shown.text
    copy = await client.get(f"/ho-so/tep/{file.id}")
    assert copy.status_code == 200 and copy.content == PDF
    # The slot is full now: the choices page says so.
    full = await client.get(f"/ho-so/nhap/{draft}/kho-du-lieu?muc=declaration&trang=1")
    assert "tối đa 1 tệp" in full.text and 'name="tai-lieu"' not in full.text


async def test_nobody_else_reaches_a_store(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
) -> None:
    owner, _cookie = await signed_in_citizen(db_session, 3)
    await file_rich(db_session, settings, storage, owner)
    [kept] = (await store.list_documents(db_session, owner)).items
    other, other_cookie = await signed_in_citizen(db_session, 4)
    draft = await new_draft(db_session, settings, other)

    browse_as(client, None)
    signed_out = await client.get("/kho-du-lieu")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/dang-nhap")
    browse_as(client, other_cookie)
    listing = await client.get("/kho-du-lieu")
    assert kept.reference not in listing.text and "Kho dữ liệu của bạn đang trống" in listing.text
    assert (await client.get(f"/kho-du-lieu/{kept.reference}/tai-ve")).status_code == 404
    assert (await post_form(client, f"/kho-du-lieu/{kept.reference}/xoa")).status_code == 404
    stolen = await post_form(
        client,
        f"/ho-so/nhap/{draft}/kho-du-lieu",
        {"muc": "declaration", "tai-lieu": kept.reference, "trang": "1"},
    )
    assert stolen.status_code == 404
    assert (await dossiers.get_dossier(db_session, other, draft)).files == []
    # Someone else's draft has no choices page for them either.
    owners_draft = await new_draft(db_session, settings, owner)
    page = await client.get(f"/ho-so/nhap/{owners_draft}/kho-du-lieu?muc=declaration")
    assert page.status_code == 404
    assert (await store.list_documents(db_session, owner)).items == [kept]
