"""The administrator's pages over httpx: officials and units of one's own agency only, every
other agency's and every non-administrator's answer a 404 page, CSRF, errors per field."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from csrf import TOKEN
from page_checks import assert_page_structure, ui_messages
from people import browse_as, make_person, post_form
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from web_html import parse, visible_text

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.schemas import OfficialOut
from app.models.accounts import Account
from app.web.security import CSRF_COOKIE, SESSION_COOKIE, sign
from tests.accounts.test_officials import AGENCY_A, AGENCY_B, PASSWORD, make_official
from tests.conftest import TEST_SECRET_KEY

OFFICIALS = "/quan-tri/can-bo"
NEW = "/quan-tri/can-bo/them"
UNITS = "/quan-tri/don-vi"


@dataclass(frozen=True)
class Agencies:
    """The administrator of agency A (signed in on the client) and officials of A and B."""

    admin: OfficialOut
    receiver: OfficialOut
    other: OfficialOut
    other_admin: OfficialOut


async def _cookie(session: AsyncSession, official: OfficialOut) -> str:
    """The session cookie of a new sign-in of the official."""
    signed = await accounts.start_session(session, official.account_id)
    return sign(TEST_SECRET_KEY, "session", signed.token)


def _browse_with(client: httpx.AsyncClient, cookie: str, lang: str = "vi") -> None:
    """The client's cookies: the session cookie, the CSRF token and the language."""
    browse_as(client, None, lang)
    client.cookies.set(SESSION_COOKIE, cookie)


@pytest.fixture
async def agencies(client: httpx.AsyncClient, db_session: AsyncSession) -> Agencies:
    await officials.create_unit(db_session, AGENCY_A, "mot-cua", "Bộ phận Một cửa")
    await officials.create_unit(db_session, AGENCY_A, "chuyen-mon", "Phòng chuyên môn")
    await officials.create_unit(db_session, AGENCY_B, "chi-o-b", "Phòng của phường B")
    found = Agencies(
        admin=await make_official(db_session, "qt@a.vn", "admin", full_name="Quản Trị A"),
        receiver=await make_official(
            db_session, "mc@a.vn", "receiver", unit="mot-cua", full_name="Mai Cúc"
        ),
        other=await make_official(
            db_session, "cv@b.vn", "specialist", agency=AGENCY_B, full_name="Bạch Văn Bình"
        ),
        other_admin=await make_official(
            db_session, "qt@b.vn", "admin", agency=AGENCY_B, full_name="Quản Trị B"
        ),
    )
    _browse_with(client, await _cookie(db_session, found.admin))
    return found


async def test_the_list_shows_the_agencys_officials_only(
    client: httpx.AsyncClient, agencies: Agencies, lang: str
) -> None:
    client.cookies.set("lang", lang)
    response = await client.get(OFFICIALS)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(response.text)
    text = visible_text(response.text)
    assert "Quản Trị A" in text and "Mai Cúc" in text and "mc@a.vn" in text
    assert "Bạch Văn Bình" not in text and "Quản Trị B" not in text
    assert "UBND phường Lào Cai" in text
    if lang == "vi":
        assert "Cán bộ một cửa" in text and "Bộ phận Một cửa" in text and "Đang hoạt động" in text
    else:
        assert "One-stop desk officer" in text and "Active" in text
    leftovers = [m for m in ui_messages("en" if lang == "vi" else "vi") if m in text]
    assert not leftovers
    header = tree.find("header")
    assert header is not None
    link = header.find("a", href=OFFICIALS)
    assert link is not None and link.attrs.get("aria-current") == "page"
    edit = tree.find("a", href=f"{OFFICIALS}/{agencies.receiver.account_id}")
    assert edit is not None and "Mai Cúc" in edit.text
    for url in (NEW, f"{OFFICIALS}/{agencies.receiver.account_id}", UNITS):
        page = await client.get(url)
        assert page.status_code == 200, url
        assert_page_structure(page.text)
        assert not [m for m in ui_messages("en" if lang == "vi" else "vi") if m in page.text]


async def test_an_official_is_added_with_roles_and_unit(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    form = parse((await client.get(NEW)).text).find("form", action=NEW)
    assert form is not None
    assert [o.attrs["value"] for o in form.find_all("option")] == ["", "mot-cua", "chuyen-mon"]
    assert [i.attrs["value"] for i in form.find_all("input", name="roles")] == list(officials.ROLES)
    response = await post_form(
        client,
        NEW,
        [
            ("full_name", "Lý Thị Thu"),
            ("email", "thu@a.vn"),
            ("phone", ""),
            ("password", PASSWORD),
            ("title", "Chuyên viên"),
            ("unit", "chuyen-mon"),
            ("roles", "specialist"),
            ("roles", "leader"),
        ],
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{OFFICIALS}?da-luu=")
    made = await officials.official_of(db_session, int(location.rsplit("=", 1)[1]))
    assert made is not None and made.agency_code == AGENCY_A
    assert made.roles == ["specialist", "leader"] and made.unit_code == "chuyen-mon"
    assert made.title == "Chuyên viên" and made.phone is None
    listed = visible_text((await client.get(location)).text)
    assert "Đã lưu thông tin cán bộ Lý Thị Thu." in listed
    # The new official signs in with the password given.
    await accounts.sign_in(db_session, "thu@a.vn", PASSWORD)


async def test_a_wrong_official_is_shown_again_with_every_error(
    client: httpx.AsyncClient, agencies: Agencies, lang: str
) -> None:
    client.cookies.set("lang", lang)
    response = await post_form(
        client,
        NEW,
        [
            ("full_name", "Lý Thị Thu"),
            ("email", "mc@a.vn"),
            ("password", "short"),
            ("unit", "chi-o-b"),
            ("roles", "boss"),
            ("roles", "clerk"),
        ],
    )
    assert response.status_code == 422
    tree = assert_page_structure(response.text)
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    hrefs = [a.attrs["href"] for a in summary.find_all("a")]
    assert hrefs == ["#f-email", "#f-password", "#f-unit", "#f-roles"]
    for href in hrefs:
        assert tree.by_id(href[1:]) is not None
    text = visible_text(response.text)
    if lang == "vi":
        assert "UBND phường Lào Cai không có đơn vị nào có mã chi-o-b" in text
        assert "Địa chỉ thư điện tử này đã được dùng để đăng ký tài khoản" in text
        assert response.text.count("<title>Lỗi:") == 1
    else:
        assert "UBND phường Lào Cai has no unit with the code chi-o-b" in text
        assert "Password must be at least 8 characters" in text
    # What was typed stays, but never the password.
    name = tree.by_id("f-full_name")
    assert name is not None and name.attrs["value"] == "Lý Thị Thu"
    password = tree.by_id("f-password")
    assert password is not None and password.attrs["value"] == ""
    checked = [
        i.attrs["value"] for i in tree.find_all("input", name="roles") if "checked" in i.attrs
    ]
    assert checked == ["clerk"]


async def test_roles_unit_and_title_are_changed(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    url = f"{OFFICIALS}/{agencies.receiver.account_id}"
    page = parse((await client.get(url)).text)
    chosen = page.find("option", value="mot-cua")
    assert chosen is not None and "selected" in chosen.attrs
    response = await post_form(
        client,
        url,
        [("roles", "receiver"), ("roles", "clerk"), ("unit", ""), ("title", "Văn thư")],
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{OFFICIALS}?da-luu={agencies.receiver.account_id}"
    changed = await officials.official_of(db_session, agencies.receiver.account_id)
    assert changed is not None
    assert changed.roles == ["receiver", "clerk"] and changed.unit_id is None
    assert changed.title == "Văn thư"

    refused = await post_form(client, url, [("unit", "chi-o-b"), ("title", "x" * 101)])
    assert refused.status_code == 422
    summary = parse(refused.text).find("div", class_="error-summary")
    assert summary is not None
    assert [a.attrs["href"] for a in summary.find_all("a")] == ["#f-roles", "#f-unit", "#f-title"]
    assert await officials.official_of(db_session, agencies.receiver.account_id) == changed


async def test_an_official_is_disabled_and_enabled(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    url = f"{OFFICIALS}/{agencies.receiver.account_id}"
    receiver = await accounts.start_session(db_session, agencies.receiver.account_id)
    response = await post_form(client, f"{url}/khoa", [])
    assert response.status_code == 303
    disabled = await officials.official_of(db_session, agencies.receiver.account_id)
    assert disabled is not None and disabled.disabled
    assert disabled.roles == agencies.receiver.roles and disabled.unit_code == "mot-cua"
    # Signed out at once.
    assert await accounts.current_account(db_session, receiver.token) is None
    page = await client.get(url)
    assert "Đã khoá" in visible_text(page.text)
    assert parse(page.text).find("form", action=f"{url}/mo-khoa") is not None

    assert (await post_form(client, f"{url}/mo-khoa", [])).status_code == 303
    enabled = await officials.official_of(db_session, agencies.receiver.account_id)
    assert enabled is not None and not enabled.disabled


async def test_an_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    url = f"{OFFICIALS}/{agencies.admin.account_id}"
    refused = await post_form(client, f"{url}/khoa", [])
    assert refused.status_code == 422
    tree = assert_page_structure(refused.text)
    assert "Bạn không thể tự khoá tài khoản của mình" in visible_text(refused.text)
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    assert [a.attrs["href"] for a in summary.find_all("a")] == ["#f-disabled"]
    assert tree.by_id("f-disabled") is not None
    dropped = await post_form(client, url, [("roles", "receiver")])
    assert dropped.status_code == 422
    assert "Bạn không thể tự bỏ vai trò quản trị của mình" in visible_text(dropped.text)
    assert await officials.official_of(db_session, agencies.admin.account_id) == agencies.admin


async def test_another_agencys_officials_are_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    for target in (agencies.other, agencies.other_admin):
        url = f"{OFFICIALS}/{target.account_id}"
        assert (await client.get(url)).status_code == 404
        for action, pairs in (
            (url, [("roles", "admin"), ("unit", ""), ("title", "x")]),
            (f"{url}/khoa", []),
            (f"{url}/mo-khoa", []),
        ):
            assert (await post_form(client, action, pairs)).status_code == 404, action
        assert await officials.official_of(db_session, target.account_id) == target
    for url in (f"{OFFICIALS}/0", f"{OFFICIALS}/{2**31}", f"{OFFICIALS}/99999999"):
        assert (await client.get(url)).status_code in (400, 404), url
    assert (await client.get(f"{OFFICIALS}/abc")).status_code == 400


async def test_only_signed_in_administrators_see_the_pages(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    urls = (OFFICIALS, NEW, f"{OFFICIALS}/{agencies.admin.account_id}", UNITS)
    receiver = await _cookie(db_session, agencies.receiver)
    citizen = await make_person(db_session)
    for cookie in (receiver, citizen.session_cookie):
        _browse_with(client, cookie)
        for url in urls:
            response = await client.get(url)
            assert response.status_code == 404, url
            assert "Không tìm thấy trang bạn yêu cầu." in visible_text(response.text)
            assert parse(response.text).find("a", href=OFFICIALS) is None
        before = await officials.list_units(db_session, agencies.admin.agency_id)
        created = await post_form(client, UNITS, [("code", "moi"), ("name", "Mới")])
        assert created.status_code == 404
        assert await officials.list_units(db_session, agencies.admin.agency_id) == before
        assert (
            await post_form(client, f"{OFFICIALS}/{agencies.receiver.account_id}/khoa", [])
        ).status_code == 404
    browse_as(client, None)
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dang-nhap?next=%2Fquan-tri")
    # A disabled administrator's pages are gone, even for a session that outlived the change.
    cookie = await _cookie(db_session, agencies.admin)
    await db_session.execute(
        update(Account).where(Account.id == agencies.admin.account_id).values(disabled=True)
    )
    _browse_with(client, cookie)
    assert (await client.get(OFFICIALS)).status_code == 303


async def test_posts_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    url = f"{OFFICIALS}/{agencies.receiver.account_id}"
    for action, data in (
        (NEW, {"full_name": "X", "email": "x@a.vn", "password": PASSWORD, "roles": "clerk"}),
        (url, {"roles": "admin"}),
        (f"{url}/khoa", {}),
        (UNITS, {"code": "moi", "name": "Mới"}),
    ):
        missing = await client.post(action, data=data)
        assert missing.status_code == 400, action
        forged = await client.post(
            action, data={"_csrf": sign(TEST_SECRET_KEY, "csrf", "x"), **data}
        )
        assert forged.status_code == 400, action
    assert client.cookies.get(CSRF_COOKIE) == TOKEN
    unchanged = await officials.official_of(db_session, agencies.receiver.account_id)
    assert unchanged == agencies.receiver
    listed = await officials.list_officials(db_session, agencies.admin.agency_id)
    # Browser tests commit officials of their own at the same demo commune.
    assert [o.email for o in listed if o.email.endswith("@a.vn")] == ["mc@a.vn", "qt@a.vn"]
    assert len(await officials.list_units(db_session, agencies.admin.agency_id)) == 2


async def test_units_are_listed_and_added(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies, lang: str
) -> None:
    client.cookies.set("lang", lang)
    page = visible_text((await client.get(UNITS)).text)
    assert "Bộ phận Một cửa" in page and "chuyen-mon" in page and "Phòng của phường B" not in page
    added = await post_form(client, UNITS, [("code", "tu-phap"), ("name", "Tư pháp - Hộ tịch")])
    assert added.status_code == 303 and added.headers["location"].startswith(f"{UNITS}?da-them=")
    shown = visible_text((await client.get(added.headers["location"])).text)
    assert (
        "Đã thêm đơn vị Tư pháp - Hộ tịch."
        if lang == "vi"
        else "The unit Tư pháp - Hộ tịch has been added."
    ) in shown
    codes = [u.code for u in await officials.list_units(db_session, agencies.admin.agency_id)]
    assert "tu-phap" in codes

    refused = await post_form(client, UNITS, [("code", "mot-cua"), ("name", " ")])
    assert refused.status_code == 422
    tree = assert_page_structure(refused.text)
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    assert [a.attrs["href"] for a in summary.find_all("a")] == ["#f-code", "#f-name"]
    code = tree.by_id("f-code")
    assert code is not None and code.attrs["value"] == "mot-cua"
    expected = (
        "Cơ quan đã có đơn vị mã mot-cua"
        if lang == "vi"
        else "The agency already has a unit with the code mot-cua"
    )
    assert expected in visible_text(refused.text)
