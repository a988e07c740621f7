"""The administrator's working calendar (the province's, any administrator's to change) and the
delegations of their own agency, over httpx: errors per field, CSRF, the audit trail, and the
404 page for everyone who is not an administrator."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from page_checks import assert_page_structure, ui_messages
from people import browse_as, make_person, post_form
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from test_admin_pages import Agencies, _browse_with, _cookie, agencies
from web_html import Node, parse, visible_text

from app.audit import service as audit
from app.config import Settings
from app.models.audit import AuditRecord
from app.models.calendar import CalendarDay, CalendarYear, DayKind, DaySource
from app.processing import calendar_service, delegations
from app.processing.delegation_schemas import DelegationState
from app.web.security import CSRF_COOKIE, sign
from tests.accounts.test_officials import AGENCY_B
from tests.conftest import TEST_SECRET_KEY

CALENDAR = "/quan-tri/lich-lam-viec"
REMOVE = f"{CALENDAR}/xoa"
DELEGATIONS = "/quan-tri/uy-quyen"
PROVINCE = "000.00.00.H39"
# A procedure of commune A, and one that only a department handles.
BIRTH = "1.001193"
DEPARTMENTS_ONLY = "2.000488"

# The fixture of the administrator's pages: the administrator of agency A signed in.
__all__ = ["agencies"]
pytestmark = pytest.mark.usefixtures("empty_calendar")


@pytest.fixture
async def empty_calendar(db_session: AsyncSession) -> None:
    """No year seeded yet in the test's transaction, whatever other tests left."""
    await db_session.execute(delete(CalendarDay))
    await db_session.execute(delete(CalendarYear))


async def _trail(session: AsyncSession, action: str) -> list[dict[str, Any]]:
    """The actor and detail of the audit rows of the action, in order."""
    rows = await session.execute(
        select(AuditRecord.actor, AuditRecord.detail)
        .where(AuditRecord.action == action)
        .order_by(AuditRecord.id)
    )
    return [{"actor": row.actor, **row.detail} for row in rows]


def _summary(tree: Node) -> list[str]:
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    hrefs = [a.attrs["href"] for a in summary.find_all("a")]
    for href in hrefs:
        assert tree.by_id(href[1:]) is not None, href
    return hrefs


# ----------------------------------------------------------------------------- calendar


async def test_the_calendar_shows_the_years_days(
    client: httpx.AsyncClient, agencies: Agencies, lang: str
) -> None:
    client.cookies.set("lang", lang)
    response = await client.get(f"{CALENDAR}?nam=2026")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(response.text)
    text = visible_text(response.text)
    assert "01/01/2026" in text and "Quốc khánh" in text and "22/08/2026" in text
    if lang == "vi":
        assert "Lịch làm việc năm 2026" in text and "Thứ Năm" in text and "Ngày làm bù" in text
        assert "bất kỳ cơ quan nào cũng có thể sửa" in text and "Theo quy định" in text
    else:
        assert "Working calendar 2026" in text and "Thursday" in text
        assert "any administrator may change it" in text
    assert not [m for m in ui_messages("en" if lang == "vi" else "vi") if m in text]
    nav = tree.find("nav", aria_label="Quản trị" if lang == "vi" else "Administration")
    assert nav is not None
    current = nav.find("a", href=CALENDAR)
    assert current is not None and current.attrs.get("aria-current") == "page"
    assert nav.find("a", href=DELEGATIONS) is not None
    assert tree.find("a", href=f"{CALENDAR}?nam=2025", rel="prev") is not None
    assert tree.find("a", href=f"{CALENDAR}?nam=2027", rel="next") is not None
    removes = tree.find_all("form", action=REMOVE)
    assert len(removes) == len(tree.find_all("tbody")[0].find_all("tr")) > 10
    for url in (f"{CALENDAR}?nam=1999", f"{CALENDAR}?nam=abc", f"{CALENDAR}?da-luu=30/02"):
        assert (await client.get(url)).status_code == 400, url
    # Without a year, this one.
    assert (await client.get(CALENDAR)).status_code == 200


async def test_a_day_is_added_changed_and_removed(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    response = await post_form(
        client,
        CALENDAR,
        [("day", "2026-01-02"), ("kind", "day_off"), ("name", " Nghỉ bù  Tết dương lịch ")],
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"{CALENDAR}?nam=2026&da-luu=2026-01-02"
    page = await client.get(location)
    assert "Đã lưu ngày 02/01/2026 (Nghỉ bù Tết dương lịch)." in visible_text(page.text)
    days = {d.day: d for d in await calendar_service.year_days(db_session, 2026)}
    saved = days[date(2026, 1, 2)]
    assert (saved.kind, saved.name, saved.source) == (
        DayKind.day_off,
        "Nghỉ bù Tết dương lịch",
        DaySource.admin,
    )
    # The Saturday worked in exchange, typed as people write dates.
    worked = await post_form(
        client,
        CALENDAR,
        [("day", "3/1/2026"), ("kind", "working"), ("name", "Làm bù cho ngày 02/01")],
    )
    assert worked.status_code == 303

    # "Change" fills the form with the day.
    form = parse((await client.get(f"{CALENDAR}?nam=2026&ngay=2026-01-02")).text)
    day, name = form.by_id("f-day"), form.by_id("f-name")
    assert day is not None and day.attrs["value"] == "2026-01-02"
    assert name is not None and name.attrs["value"] == "Nghỉ bù Tết dương lịch"
    checked = [
        i.attrs["value"] for i in form.find_all("input", name="kind") if "checked" in i.attrs
    ]
    assert checked == ["day_off"]

    removed = await post_form(client, REMOVE, [("day", "2026-01-01")])
    assert removed.status_code == 303
    assert removed.headers["location"] == f"{CALENDAR}?nam=2026&da-xoa=2026-01-01"
    text = visible_text((await client.get(removed.headers["location"])).text)
    assert "Đã xoá ngày 01/01/2026 khỏi lịch" in text
    assert date(2026, 1, 1) not in {
        d.day for d in await calendar_service.year_days(db_session, 2026)
    }
    # Removed meanwhile by someone else: the day is not there.
    again = await post_form(client, REMOVE, [("day", "2026-01-01")])
    assert again.status_code == 404
    assert "Ngày 01/01/2026 không có trong lịch làm việc." in visible_text(again.text)

    actor = f"account:{agencies.admin.account_id}"
    assert await _trail(db_session, "calendar.day_set") == [
        {"actor": actor, "day": "2026-01-02", "kind": "day_off", "name": "Nghỉ bù Tết dương lịch"},
        {"actor": actor, "day": "2026-01-03", "kind": "working", "name": "Làm bù cho ngày 02/01"},
    ]
    assert await _trail(db_session, "calendar.day_removed") == [
        {"actor": actor, "day": "2026-01-01"}
    ]
    assert (await audit.verify(db_session)).ok


async def test_wrong_days_are_shown_again_with_their_errors(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies, lang: str
) -> None:
    client.cookies.set("lang", lang)
    saturday = await post_form(
        client, CALENDAR, [("day", "2026-01-03"), ("kind", "day_off"), ("name", " ")]
    )
    assert saturday.status_code == 422
    tree = assert_page_structure(saturday.text)
    assert _summary(tree) == ["#f-day", "#f-name"]
    text = visible_text(saturday.text)
    if lang == "vi":
        assert "Ngày 03/01/2026 là thứ Bảy, vốn đã là ngày nghỉ" in text
        assert saturday.text.count("<title>Lỗi:") == 1
    else:
        assert "03/01/2026 is a Saturday, already a rest day" in text
    day = tree.by_id("f-day")
    assert day is not None and day.attrs["value"] == "2026-01-03"

    unreadable = await post_form(client, CALENDAR, [("day", "2026-02-30"), ("name", "Nghỉ")])
    assert unreadable.status_code == 422
    tree = assert_page_structure(unreadable.text)
    assert _summary(tree) == ["#f-day", "#f-kind"]
    expected = (
        "Vui lòng nhập một ngày có thật, từ năm 2000 đến năm 2100"
        if lang == "vi"
        else "Enter a real date, from 2000 to 2100"
    )
    assert expected in visible_text(unreadable.text)
    far = await post_form(client, CALENDAR, [("day", "1999-12-31"), ("kind", "day_off")])
    assert far.status_code == 422 and _summary(parse(far.text)) == ["#f-day"]
    assert await _trail(db_session, "calendar.day_set") == []


# ----------------------------------------------------------------------------- delegations


async def test_a_delegation_is_made_and_revoked(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    agencies: Agencies,
    lang: str,
) -> None:
    client.cookies.set("lang", lang)
    page = await client.get(DELEGATIONS)
    assert page.status_code == 200
    tree = assert_page_structure(page.text)
    assert not [m for m in ui_messages("en" if lang == "vi" else "vi") if m in page.text]
    procedures = tree.find("select", name="procedure")
    assert procedures is not None
    offered = [o.attrs["value"] for o in procedures.find_all("option")]
    assert offered[0] == "" and BIRTH in offered and DEPARTMENTS_ONLY not in offered
    agencies_offered = tree.find("select", name="to_agency")
    assert agencies_offered is not None
    assert agencies_offered.find("option", value=PROVINCE) is not None

    today = delegations.local_today(settings)
    made = await post_form(
        client,
        DELEGATIONS,
        [
            ("procedure", BIRTH),
            ("to_agency", PROVINCE),
            ("to_unit", ""),
            ("starts_on", today.isoformat()),
            ("ends_on", today.replace(year=today.year + 1).isoformat()),
            ("note", "Quyết định 12/QĐ-UBND"),
        ],
    )
    assert made.status_code == 303
    location = made.headers["location"]
    assert location.startswith(f"{DELEGATIONS}?da-them=")
    text = visible_text((await client.get(location)).text)
    assert "UBND tỉnh Lào Cai" in text and "Thủ tục đăng ký khai sinh" in text
    assert ("Đang có hiệu lực" if lang == "vi" else "In force") in text
    [delegation] = await delegations.list_delegations(db_session, agencies.admin.agency_id)
    assert delegation.procedure_code == BIRTH and delegation.note == "Quyết định 12/QĐ-UBND"

    # Another agency's administrator can neither see nor revoke it.
    revoke = f"{DELEGATIONS}/{delegation.id}/thu-hoi"
    _browse_with(client, await _cookie(db_session, agencies.other_admin), lang)
    assert parse((await client.get(DELEGATIONS)).text).find("table") is None
    assert (await post_form(client, revoke, [])).status_code == 404

    _browse_with(client, await _cookie(db_session, agencies.admin), lang)
    revoked = await post_form(client, revoke, [])
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{DELEGATIONS}?da-thu-hoi={delegation.id}"
    page = await client.get(revoked.headers["location"])
    assert (
        "Đã thu hồi ủy quyền cho UBND tỉnh Lào Cai." if lang == "vi" else "has been revoked"
    ) in (visible_text(page.text))
    assert parse(page.text).find("form", action=revoke) is None
    [after] = await delegations.list_delegations(db_session, agencies.admin.agency_id)
    assert after.state(today) == DelegationState.revoked
    assert (await post_form(client, revoke, [])).status_code == 404

    actor = f"account:{agencies.admin.account_id}"
    assert await _trail(db_session, "delegation.created") == [
        {
            "actor": actor,
            "delegation_id": delegation.id,
            "procedure": BIRTH,
            "to_agency": PROVINCE,
            "to_unit": None,
            "starts_on": delegation.starts_on.isoformat(),
            "ends_on": delegation.ends_on.isoformat(),
        }
    ]
    assert await _trail(db_session, "delegation.revoked") == [
        {"actor": actor, "delegation_id": delegation.id}
    ]
    for url in (f"{DELEGATIONS}/0/thu-hoi", f"{DELEGATIONS}/{2**31}/thu-hoi"):
        assert (await post_form(client, url, [])).status_code in (400, 404), url


async def test_a_wrong_delegation_is_shown_again_with_every_error(
    client: httpx.AsyncClient, agencies: Agencies, lang: str
) -> None:
    client.cookies.set("lang", lang)
    response = await post_form(
        client,
        DELEGATIONS,
        [
            ("procedure", DEPARTMENTS_ONLY),
            ("to_agency", AGENCY_B),
            ("to_unit", "mot-cua"),
            ("starts_on", "31/03/2026"),
            ("ends_on", "2026-03-01"),
            ("note", "x" * 501),
        ],
    )
    assert response.status_code == 422
    tree = assert_page_structure(response.text)
    assert _summary(tree) == ["#f-procedure", "#f-to_unit", "#f-ends_on", "#f-note"]
    text = visible_text(response.text)
    if lang == "vi":
        assert f"UBND phường Lào Cai không giải quyết thủ tục {DEPARTMENTS_ONLY}" in text
        assert "Ngày kết thúc (01/03/2026) không được trước ngày bắt đầu (31/03/2026)" in text
    else:
        assert "has no unit with the code mot-cua" in text
    # What was chosen and typed stays.
    agency = tree.find("option", value=AGENCY_B)
    assert agency is not None and "selected" in agency.attrs
    unit = tree.by_id("f-to_unit")
    assert unit is not None and unit.attrs["value"] == "mot-cua"

    missing = await post_form(client, DELEGATIONS, [("starts_on", "2026-02-30")])
    assert missing.status_code == 422
    assert _summary(parse(missing.text)) == ["#f-to_agency", "#f-starts_on", "#f-ends_on"]


async def test_only_signed_in_administrators_see_the_pages(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    posts = (
        (CALENDAR, [("day", "2026-01-02"), ("kind", "day_off"), ("name", "Nghỉ")]),
        (REMOVE, [("day", "2026-01-01")]),
        (DELEGATIONS, [("to_agency", PROVINCE), ("starts_on", "2026-03-02")]),
        (f"{DELEGATIONS}/1/thu-hoi", []),
    )
    receiver = await _cookie(db_session, agencies.receiver)
    citizen = await make_person(db_session)
    for cookie in (receiver, citizen.session_cookie):
        _browse_with(client, cookie)
        for url in (CALENDAR, DELEGATIONS):
            response = await client.get(url)
            assert response.status_code == 404, url
            assert "Không tìm thấy trang bạn yêu cầu." in visible_text(response.text)
        for url, pairs in posts:
            assert (await post_form(client, url, pairs)).status_code == 404, url
    browse_as(client, None)
    for url in (CALENDAR, DELEGATIONS):
        response = await client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dang-nhap?next=%2Fquan-tri")
    assert await _trail(db_session, "calendar.day_set") == []
    days = await calendar_service.year_days(db_session, 2026)
    assert {d.source for d in days} == {DaySource.statutory}
    # The calendar is the province's: the administrator of another agency changes it too.
    _browse_with(client, await _cookie(db_session, agencies.other_admin))
    changed = await post_form(client, CALENDAR, posts[0][1])
    assert changed.status_code == 303


async def test_posts_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, agencies: Agencies
) -> None:
    for action, data in (
        (CALENDAR, {"day": "2026-01-02", "kind": "day_off", "name": "Nghỉ"}),
        (REMOVE, {"day": "2026-01-01"}),
        (DELEGATIONS, {"to_agency": PROVINCE, "starts_on": "2026-03-02", "ends_on": "2026-03-03"}),
    ):
        assert (await client.post(action, data=data)).status_code == 400, action
        forged = await client.post(
            action, data={"_csrf": sign(TEST_SECRET_KEY, "csrf", "x"), **data}
        )
        assert forged.status_code == 400, action
    assert client.cookies.get(CSRF_COOKIE) is not None
    assert await _trail(db_session, "calendar.day_set") == []
    assert await delegations.list_delegations(db_session, agencies.admin.agency_id) == []
