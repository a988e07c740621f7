"""The officials' processing pages over httpx: the queues per role, a dossier's page and every
action through its form (errors per field and nothing changed when a form is wrong, the reason
when the dossier's state refuses it), CSRF, 404 for a dossier that is not the official's,
downloads with their headers, the routing slip and the register as files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from page_checks import assert_page_structure, ui_messages
from people import browse_as, make_person, post_form
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from web_html import Node, parse, visible_text

from app.accounts import service as accounts
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.models.dossiers import Delivery, Dossier, DossierFile, Status
from app.processing import service
from app.processing.rules import Action
from app.processing.schemas import ActionIn, Actor
from app.storage import FileStorage
from app.web.security import SESSION_COOKIE, sign
from tests.conftest import TEST_SECRET_KEY
from tests.dossiers.conftest import PDF, POSTAL_ADDRESS
from tests.fixtures.catalogs import CHILD_AGENCY, PROCEDURE
from tests.fixtures.processing import Desk, file_dossier

pytestmark = pytest.mark.usefixtures("desk")

WORK = "/can-bo"
REGISTER = "/can-bo/so-theo-doi"


def dossier_url(code: str) -> str:
    return f"{WORK}/ho-so/{code}"


@dataclass(frozen=True)
class Officials:
    """Browsing as each official of the desk (and the other agency's), on one client."""

    client: httpx.AsyncClient
    cookies: dict[str, str]

    def be(self, role: str, lang: str = "vi") -> None:
        """The client's cookies: the session of the official holding ``role`` ("outsider" for
        the other agency's), the CSRF token and the language."""
        browse_as(self.client, None, lang)
        self.client.cookies.set(SESSION_COOKIE, self.cookies[role])


async def _cookie(session: AsyncSession, actor: Actor) -> str:
    assert actor.account_id is not None
    signed = await accounts.start_session(session, actor.account_id)
    return sign(TEST_SECRET_KEY, "session", signed.token)


@pytest.fixture
async def staff(client: httpx.AsyncClient, db_session: AsyncSession, desk: Desk) -> Officials:
    cookies = {role: await _cookie(db_session, actor) for role, actor in desk.by_role.items()}
    cookies["outsider"] = await _cookie(db_session, desk.outsider)
    return Officials(client, cookies)


async def _act(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    actor: Actor,
    code: str,
    *actions: Action,
) -> None:
    for action in actions:
        await service.act(session, settings, storage, actor, code, action, ActionIn())


async def _status(session: AsyncSession, desk: Desk, code: str) -> int | None:
    return (await service.work_on(session, desk["leader"], code)).status.code


def _errors(tree: Node) -> list[str]:
    summary = tree.find("div", class_="error-summary")
    assert summary is not None
    hrefs = [a.attrs["href"] for a in summary.find_all("a")]
    for href in hrefs:
        assert tree.by_id(href[1:]) is not None, href
    return hrefs


def _listed(tree: Node) -> list[str]:
    """The codes of the dossiers a queue lists, in its order."""
    return [
        a.text for a in tree.find_all("a") if a.attrs.get("href", "").startswith(f"{WORK}/ho-so/")
    ]


def _leftovers(html: str, lang: str) -> list[str]:
    """Messages of the other language on the page."""
    text = visible_text(html)
    return [m for m in ui_messages("en" if lang == "vi" else "vi") if m in text]


# ----------------------------------------------------------------------------- the queues


async def test_the_header_links_officials_to_their_work(
    staff: Officials, db_session: AsyncSession
) -> None:
    staff.be("specialist")
    home = parse((await staff.client.get("/")).text)
    header = home.find("header")
    assert header is not None and header.find("a", href=WORK) is not None
    citizen = await make_person(db_session)
    browse_as(staff.client, citizen)
    header = parse((await staff.client.get("/")).text).find("header")
    assert header is not None and header.find("a", href=WORK) is None
    # Not an official: the address does not exist for them; signed out: sign in first.
    assert (await staff.client.get(WORK)).status_code == 404
    browse_as(staff.client, None)
    response = await staff.client.get(WORK)
    assert response.status_code == 303 and response.headers["location"].startswith("/dang-nhap")


async def test_queues_count_and_list_what_each_official_sees(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    lang: str,
) -> None:
    codes = [await file_dossier(db_session, settings, applicant) for _ in range(3)]
    await _act(db_session, settings, storage, desk["receiver"], codes[0], Action.receive)
    await _act(db_session, settings, storage, desk["specialist"], codes[0], Action.take)

    staff.be("receiver", lang)
    response = await staff.client.get(WORK)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(response.text)
    assert not _leftovers(response.text, lang)
    nav = tree.find("ul", class_="queue-tabs")
    assert nav is not None
    current = nav.find("a", **{"aria-current": "page"})
    assert current is not None and current.attrs["href"] == f"{WORK}?hang=tiep-nhan"
    assert "(2)" in current.text
    assert _listed(tree) == codes[1:]
    desk_links = {"/can-bo/tiep-nhan-truc-tiep", "/can-bo/tiep-nhan-buu-chinh"}
    assert desk_links <= {a.attrs.get("href") for a in tree.find_all("a")}
    text = visible_text(response.text)
    assert ("Chờ tiếp nhận" if lang == "vi" else "To receive") in text
    assert "Nguyễn Văn An" in text and PROCEDURE in text

    # The specialist's own: the dossier taken, with its due time and step.
    staff.be("specialist", lang)
    mine = await staff.client.get(f"{WORK}?hang=cua-toi")
    tree = assert_page_structure(mine.text)
    # Filing at the counter is the desk's.
    assert not desk_links & {a.attrs.get("href") for a in tree.find_all("a")}
    assert not _leftovers(mine.text, lang)
    rows = tree.find_all("tr")
    assert len(rows) == 2 and codes[0] in rows[1].text
    assert ("Thẩm định" if lang == "vi" else "Appraisal") in rows[1].text

    # Another agency's official sees none of them, in any queue.
    staff.be("outsider", lang)
    other = await staff.client.get(f"{WORK}?hang=tiep-nhan")
    assert not any(code in other.text for code in codes)
    assert "(0)" in visible_text(other.text)


async def test_queue_filters_and_pages(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    codes = [
        await file_dossier(db_session, settings, applicant) for _ in range(settings.page_size + 1)
    ]
    staff.be("receiver")
    first = parse((await staff.client.get(f"{WORK}?hang=tiep-nhan&thu-tuc={PROCEDURE}")).text)
    assert _listed(first) == codes[: settings.page_size]
    following = first.find("a", rel="next")
    assert following is not None and "thu-tuc=9.000001" in following.attrs["href"]
    second = parse((await staff.client.get(following.attrs["href"])).text)
    assert _listed(second) == codes[settings.page_size :]
    assert second.find("a", rel="next") is None

    none = await staff.client.get(f"{WORK}?hang=tiep-nhan&thu-tuc=1.000000&trang-thai=1")
    assert "Không có hồ sơ nào trong danh sách này." in visible_text(none.text)
    wrong = await staff.client.get(f"{WORK}?tu-ngay=32/13/2025&trang-thai=12")
    assert wrong.status_code == 422
    tree = assert_page_structure(wrong.text)
    assert _errors(tree) == ["#f-trang-thai", "#f-tu-ngay"]
    field = tree.by_id("f-tu-ngay")
    assert field is not None and field.attrs["value"] == "32/13/2025"


# ----------------------------------------------------------------------------- one dossier


async def _file(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    delivery: Delivery = Delivery.counter,
) -> tuple[str, str]:
    """A dossier of the test procedure with its declaration attached; its code and the
    file's id."""
    code = await file_dossier(session, settings, applicant, delivery, storage=storage)
    file_id = await session.scalar(
        select(DossierFile.reference)
        .join(Dossier, Dossier.id == DossierFile.dossier_id)
        .where(Dossier.code == code)
    )
    assert file_id is not None
    return code, file_id


async def test_a_dossier_page_shows_the_facts_the_answers_and_the_forms_open_now(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    lang: str,
) -> None:
    code, file_id = await _file(db_session, settings, storage, applicant)
    staff.be("receiver", lang)
    response = await staff.client.get(dossier_url(code))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(response.text)
    assert not _leftovers(response.text, lang)
    text = visible_text(response.text)
    assert code in text and "Nguyễn Văn An" in text and applicant.id_number in text
    assert ("Mới đăng ký" if lang == "vi" else "Newly registered") in text
    # Only the forms of the actions open to the desk, each posting to its own address.
    forms = [
        f.attrs["action"]
        for f in tree.find_all("form")
        if "work-action" in f.attrs.get("class", "")
    ]
    assert forms == [
        f"{dossier_url(code)}/{slug}" for slug in ("tiep-nhan", "tu-choi", "yeu-cau-bo-sung")
    ]
    items = [i.attrs["value"] for i in tree.find_all("input", name="items")]
    assert items == ["full_name", "declaration"]
    # The applicant's file, from the officials' own address.
    link = tree.find("a", href=f"{dossier_url(code)}/tep/{file_id}")
    assert link is not None and link.text == "tờ khai.pdf"
    # No routing slip to download before the dossier is received.
    assert tree.find("a", href=f"{dossier_url(code)}/phieu-kiem-soat.pdf") is None
    assert (await staff.client.get(f"{dossier_url(code)}/phieu-kiem-soat.pdf")).status_code == 409


async def test_every_form_is_well_formed_in_both_languages(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    lang: str,
) -> None:
    """The specialist's forms at appraisal, the leader's at approval, the clerk's at return."""
    code = await file_dossier(db_session, settings, applicant)
    await _act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    stages = [
        ("specialist", ("yeu-cau-bo-sung", "nhan-xu-ly", "chuyen")),
        ("leader", ("giao", "tra-lai", "phe-duyet", "khong-phe-duyet", "xin-loi", "dung-xu-ly")),
    ]
    for role, slugs in stages:
        staff.be(role, lang)
        response = await staff.client.get(dossier_url(code))
        tree = assert_page_structure(response.text)
        assert not _leftovers(response.text, lang)
        forms = [f.attrs["action"].rsplit("/", 1)[1] for f in tree.find_all("form", method="post")]
        assert [f for f in forms if f in slugs] == list(slugs), role
        if role == "specialist":
            await _act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    await _act(db_session, settings, storage, desk["leader"], code, Action.approve, Action.sign)
    staff.be("clerk", lang)
    response = await staff.client.get(dossier_url(code))
    tree = assert_page_structure(response.text)
    assert not _leftovers(response.text, lang)
    assert tree.find("form", action=f"{dossier_url(code)}/co-ket-qua") is not None


async def _post(
    staff: Officials, code: str, slug: str, pairs: list[tuple[str, str]]
) -> httpx.Response:
    return await post_form(staff.client, f"{dossier_url(code)}/{slug}", pairs)


async def test_a_dossier_goes_from_the_desk_to_its_returned_result_through_the_forms(
    staff: Officials, db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    staff.be("receiver")
    received = await _post(staff, code, "tiep-nhan", [])
    # The desk no longer sees it: back to the queues, which say what was done.
    assert received.status_code == 303
    assert received.headers["location"] == f"{WORK}?da-xong=tiep-nhan&ma={code}"
    notice = parse((await staff.client.get(received.headers["location"])).text).find(
        "div", role="status"
    )
    assert notice is not None and notice.text == f"Đã tiếp nhận hồ sơ {code}."
    assert await _status(db_session, desk, code) == Status.received

    for role, slug in (
        ("specialist", "nhan-xu-ly"),
        ("specialist", "chuyen"),
        ("leader", "phe-duyet"),
        ("leader", "ky-so"),
        ("clerk", "co-ket-qua"),
    ):
        staff.be(role)
        page = parse((await staff.client.get(dossier_url(code))).text)
        assert page.find("form", action=f"{dossier_url(code)}/{slug}") is not None, slug
        done = await _post(staff, code, slug, [])
        assert done.status_code == 303, visible_text(done.text)
    # The clerk still holds it: back to the dossier, with the notice.
    assert done.headers["location"] == f"{dossier_url(code)}?da-xong=co-ket-qua"
    page = await staff.client.get(done.headers["location"])
    assert "Hồ sơ " + code + " đã có kết quả" in visible_text(page.text)
    returned = await _post(
        staff, code, "tra-ket-qua", [("method", "online"), ("tracking_number", "")]
    )
    assert returned.status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.status.code == Status.returned and work.return_method == "online"
    assert [row.result for row in work.routing_slip] == [
        "received",
        "forwarded",
        "approved",
        "signed",
        "returned",
    ]
    assert [d.form for d in work.documents] == ["01", "result"]


async def test_a_wrong_refusal_changes_nothing_and_a_right_one_refuses(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    desk: Desk,
    applicant: Applicant,
    lang: str,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    staff.be("receiver", lang)
    # The box first: unticked, the form goes no further.
    unconfirmed = await _post(staff, code, "tu-choi", [("reason", "Không thuộc thẩm quyền")])
    assert unconfirmed.status_code == 422
    tree = assert_page_structure(unconfirmed.text)
    assert _errors(tree) == ["#f-refuse-confirm"]
    assert not _leftovers(unconfirmed.text, lang)
    # What was typed stays in its form.
    reason = tree.by_id("f-refuse-reason")
    assert reason is not None and reason.text == "Không thuộc thẩm quyền"

    unreasoned = await _post(staff, code, "tu-choi", [("reason", ""), ("confirm", "yes")])
    assert unreasoned.status_code == 422
    tree = assert_page_structure(unreasoned.text)
    assert _errors(tree) == ["#f-refuse-reason"]
    assert ("Hãy nêu lý do" if lang == "vi" else "Give the reason") in visible_text(unreasoned.text)
    confirm = tree.by_id("f-refuse-confirm")
    assert confirm is not None and "checked" in confirm.attrs
    assert await _status(db_session, desk, code) == Status.registered

    done = await _post(
        staff, code, "tu-choi", [("reason", "Không thuộc thẩm quyền"), ("confirm", "yes")]
    )
    assert done.status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.status.code == Status.not_accepted and [d.form for d in work.documents] == ["03"]


async def test_a_supplement_request_lists_its_items_each_with_a_reason(
    staff: Officials, db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    staff.be("receiver")
    none = await _post(staff, code, "yeu-cau-bo-sung", [])
    assert none.status_code == 422
    assert _errors(assert_page_structure(none.text)) == ["#f-request_supplement-items"]
    bare = await _post(
        staff, code, "yeu-cau-bo-sung", [("items", "full_name"), ("reason-full_name", "")]
    )
    assert bare.status_code == 422
    tree = assert_page_structure(bare.text)
    assert _errors(tree) == ["#f-request_supplement-reason-full_name"]
    ticked = tree.find("input", name="items", value="full_name")
    assert ticked is not None and "checked" in ticked.attrs
    assert await _status(db_session, desk, code) == Status.registered

    done = await _post(
        staff,
        code,
        "yeu-cau-bo-sung",
        [
            ("items", "full_name"),
            ("reason-full_name", "Họ tên không khớp CCCD"),
            ("items", "declaration"),
            ("reason-declaration", "Thiếu chữ ký"),
        ],
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{dossier_url(code)}?da-xong=yeu-cau-bo-sung"
    page = parse((await staff.client.get(done.headers["location"])).text)
    request = page.find("div", class_="inset")
    assert request is not None
    assert [li.text for li in request.find_all("li")] == [
        "Họ và tên : Họ tên không khớp CCCD",
        "Tờ khai : Thiếu chữ ký",
    ]
    assert "Đang chờ người nộp bổ sung" in page.text
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.status.code == Status.supplement_requested
    assert [(i.path, i.reason) for i in work.supplements[0].items] == [
        ("full_name", "Họ tên không khớp CCCD"),
        ("declaration", "Thiếu chữ ký"),
    ]


async def test_assign_send_back_and_deny_by_their_forms(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    await _act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    staff.be("leader")
    tree = parse((await staff.client.get(dossier_url(code))).text)
    offered = [
        o.attrs["value"]
        for o in tree.find_all("select", id="f-assign-official")[0].find_all("option")
    ]
    assert offered == ["", "specialist@commune.example"]
    wrong = await _post(staff, code, "giao", [("unit", ""), ("official", "nobody@commune.example")])
    assert wrong.status_code == 422
    assert _errors(assert_page_structure(wrong.text)) == ["#f-assign-official"]
    assigned = await _post(
        staff, code, "giao", [("unit", ""), ("official", "specialist@commune.example")]
    )
    assert assigned.status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.step is not None and work.step.assignee_name == "Cán bộ specialist"

    await _act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    unreasoned = await _post(staff, code, "tra-lai", [("reason", "")])
    assert unreasoned.status_code == 422
    assert _errors(parse(unreasoned.text)) == ["#f-send_back-reason"]
    back = await _post(staff, code, "tra-lai", [("reason", "Bổ sung ý kiến thẩm định")])
    assert back.status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.step is not None and work.step.kind == "appraise"

    await _act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    unconfirmed = await _post(staff, code, "khong-phe-duyet", [("reason", "Không đủ điều kiện")])
    assert unconfirmed.status_code == 422
    assert _errors(parse(unconfirmed.text)) == ["#f-deny-confirm"]
    denied = await _post(
        staff, code, "khong-phe-duyet", [("reason", "Không đủ điều kiện"), ("confirm", "yes")]
    )
    assert denied.status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.decision == "denied" and work.step is not None and work.step.kind == "sign"


async def test_an_apology_moves_the_date_once_then_the_page_says_why_not(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    await _act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.due_at is not None
    later = (work.due_at + timedelta(days=14)).astimezone(ZoneInfo(settings.time_zone))
    staff.be("leader")
    wrong = await _post(
        staff,
        code,
        "xin-loi",
        [("reason", "Chờ ý kiến"), ("new_due_at", "31/02/2026"), ("new_due_time", "25:00")],
    )
    assert wrong.status_code == 422
    tree = assert_page_structure(wrong.text)
    assert _errors(tree) == ["#f-apologize-new_due_at"]
    given = tree.by_id("f-apologize-new_due_time")
    assert given is not None and given.attrs["value"] == "25:00"
    pairs = [
        ("reason", "Chờ ý kiến cơ quan phối hợp"),
        ("new_due_at", f"{later:%d/%m/%Y}"),
        ("new_due_time", "16:30"),
    ]
    assert (await _post(staff, code, "xin-loi", pairs)).status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.apology_at is not None and work.documents[-1].form == "04"
    assert work.due_at is not None
    assert f"{work.due_at.astimezone(later.tzinfo):%H:%M %d/%m/%Y}" == f"16:30 {later:%d/%m/%Y}"

    # The date moves only once: the state refuses, the page says why.
    again = await _post(staff, code, "xin-loi", pairs)
    assert again.status_code == 409
    tree = assert_page_structure(again.text)
    alert = tree.find("div", role="alert")
    assert alert is not None and "chỉ được dời một lần" in alert.text


async def test_stop_and_return_by_post_need_what_they_need(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code, _file_id = await _file(db_session, settings, storage, applicant, Delivery.post)
    await _act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    await _act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    await _act(db_session, settings, storage, desk["leader"], code, Action.approve, Action.sign)
    await _act(db_session, settings, storage, desk["clerk"], code, Action.result_ready)
    staff.be("clerk")
    page = parse((await staff.client.get(dossier_url(code))).text)
    assert f"{POSTAL_ADDRESS.street}, Phường Lào Cai, Tỉnh Lào Cai" in page.text
    chosen = page.find("select", id="f-return-method")
    assert chosen is not None
    selected = [o.attrs["value"] for o in chosen.find_all("option") if "selected" in o.attrs]
    assert selected == ["post"]
    untracked = await _post(
        staff, code, "tra-ket-qua", [("method", "post"), ("tracking_number", "")]
    )
    assert untracked.status_code == 422
    assert _errors(parse(untracked.text)) == ["#f-return-tracking_number"]
    tracked = await _post(
        staff, code, "tra-ket-qua", [("method", "post"), ("tracking_number", "EB123456789VN")]
    )
    assert tracked.status_code == 303
    work = await service.work_on(db_session, desk["leader"], code)
    assert work.status.code == Status.returned and work.postal_tracking == "EB123456789VN"

    other = await file_dossier(db_session, settings, applicant)
    await _act(db_session, settings, storage, desk["receiver"], other, Action.receive)
    staff.be("leader")
    stopped = await _post(
        staff,
        other,
        "dung-xu-ly",
        [("reason", "Theo đề nghị của cơ quan điều tra"), ("confirm", "yes")],
    )
    assert stopped.status_code == 303
    assert await _status(db_session, desk, other) == Status.stopped


async def test_a_post_without_the_csrf_token_is_refused(
    staff: Officials, db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    staff.be("receiver")
    refused = await staff.client.post(f"{dossier_url(code)}/tiep-nhan", data={})
    assert refused.status_code == 400
    assert await _status(db_session, desk, code) == Status.registered


async def test_a_dossier_not_the_officials_is_not_found(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code, file_id = await _file(db_session, settings, storage, applicant)
    # Another agency's official, and a specialist before the desk has received it.
    for role in ("outsider", "specialist"):
        staff.be(role)
        for url in (
            dossier_url(code),
            f"{dossier_url(code)}/tep/{file_id}",
            f"{dossier_url(code)}/phieu-kiem-soat.csv",
        ):
            assert (await staff.client.get(url)).status_code == 404, (role, url)
        assert (await _post(staff, code, "tiep-nhan", [])).status_code == 404
    staff.be("receiver")
    assert (await _post(staff, code, "nhay-coc", [])).status_code == 404
    assert (await staff.client.get(dossier_url("000.01.99.H99-000000-0000"))).status_code == 404
    assert await _status(db_session, desk, code) == Status.registered


# ----------------------------------------------------------------------------- downloads


def _attached(response: httpx.Response, media_type: str, name: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"].startswith("attachment;")
    assert name in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_rows(response: httpx.Response) -> list[list[str]]:
    """A CSV download's rows: UTF-8 after its byte order mark."""
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_documents_files_and_the_routing_slip_are_downloaded(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code, file_id = await _file(db_session, settings, storage, applicant)
    await _act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    await _act(db_session, settings, storage, desk["specialist"], code, Action.take)
    staff.be("specialist")
    page = parse((await staff.client.get(dossier_url(code))).text)

    work = await service.work_on(db_session, desk["leader"], code)
    reference = work.documents[0].reference
    pdf = await staff.client.get(f"{dossier_url(code)}/van-ban/{reference}")
    _attached(pdf, "application/pdf", f"{code}-01.pdf")
    assert pdf.content.startswith(b"%PDF-")
    assert page.find("a", href=f"{dossier_url(code)}/van-ban/{reference}") is not None
    assert (await staff.client.get(f"{dossier_url(code)}/van-ban/nhu-khong")).status_code == 404

    file = await staff.client.get(f"{dossier_url(code)}/tep/{file_id}")
    _attached(file, "application/pdf", "t%E1%BB%9D%20khai.pdf")
    assert file.content == PDF
    # A file of another dossier is not found through this one.
    _other, other_file = await _file(db_session, settings, storage, applicant)
    assert (await staff.client.get(f"{dossier_url(code)}/tep/{other_file}")).status_code == 404

    slip = f"{dossier_url(code)}/phieu-kiem-soat"
    downloads = {}
    for fmt, media_type in (
        ("pdf", "application/pdf"),
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", XLSX),
    ):
        assert page.find("a", href=f"{slip}.{fmt}") is not None
        downloads[fmt] = await staff.client.get(f"{slip}.{fmt}")
        _attached(downloads[fmt], media_type, f"phieu-kiem-soat-{code}.{fmt}")
    assert downloads["pdf"].content.startswith(b"%PDF-")
    rows = _csv_rows(downloads["csv"])
    assert rows[0][:3] == ["STT", "Đơn vị", "Giao lúc"]
    assert [row[1] for row in rows[1:]] == ["UBND xã Thử nghiệm", "UBND xã Thử nghiệm"]
    assert rows[1][3] == "Nguyễn Văn An" and rows[1][5] == "Cán bộ receiver"
    assert rows[2][5] == "Cán bộ specialist"
    sheet = load_workbook(io.BytesIO(downloads["xlsx"].content)).active
    assert sheet is not None
    numbered = [row[:2] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert numbered == [(1, "UBND xã Thử nghiệm"), (2, "UBND xã Thử nghiệm")]
    assert (await staff.client.get(f"{dossier_url(code)}/phieu-kiem-soat.doc")).status_code == 400


# ----------------------------------------------------------------------------- the register


async def test_the_register_numbers_the_period_and_downloads_it(
    staff: Officials,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    lang: str,
) -> None:
    codes = [await file_dossier(db_session, settings, applicant) for _ in range(3)]
    for code in codes[:2]:
        await _act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    staff.be("receiver", lang)
    response = await staff.client.get(REGISTER)
    assert response.status_code == 200
    tree = assert_page_structure(response.text)
    assert not _leftovers(response.text, lang)
    rows = tree.find_all("tr")[1:]
    assert [row.find("td").text for row in rows if row.find("td")] == ["1", "2"]
    assert [
        a.text for a in tree.find_all("a") if a.attrs.get("href", "").startswith(f"{WORK}/ho-so/")
    ] == codes[:2]
    # Not yet received: not in the register.
    assert codes[2] not in response.text
    links = {
        a.attrs["href"].split("?")[0]: a.attrs["href"] for a in tree.find_all("a", download="")
    }
    assert set(links) == {f"{REGISTER}.pdf", f"{REGISTER}.csv", f"{REGISTER}.xlsx"}

    rows_csv = _csv_rows(await staff.client.get(links[f"{REGISTER}.csv"]))
    assert rows_csv[0][:2] == ["STT", "Mã hồ sơ"]
    assert [(r[0], r[1]) for r in rows_csv[1:]] == [("1", codes[0]), ("2", codes[1])]
    assert rows_csv[1][9] == "Trực tuyến" and rows_csv[1][10] == "Được tiếp nhận"
    xlsx = await staff.client.get(links[f"{REGISTER}.xlsx"])
    _attached(xlsx, XLSX, f"so-theo-doi-{CHILD_AGENCY}-")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    numbered = [row[:2] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert numbered == [(1, codes[0]), (2, codes[1])]
    pdf = await staff.client.get(links[f"{REGISTER}.pdf"])
    _attached(pdf, "application/pdf", ".pdf")
    assert pdf.content.startswith(b"%PDF-")


async def test_the_register_refuses_a_wrong_period_and_other_officials(
    staff: Officials, lang: str
) -> None:
    staff.be("leader", lang)
    wrong = await staff.client.get(f"{REGISTER}?tu-ngay=10/11/2025&den-ngay=1/11/2025")
    assert wrong.status_code == 422
    tree = assert_page_structure(wrong.text)
    assert _errors(tree) == ["#f-den-ngay"]
    assert not _leftovers(wrong.text, lang)
    typo = await staff.client.get(f"{REGISTER}?tu-ngay=hôm qua")
    assert _errors(parse(typo.text)) == ["#f-tu-ngay"]
    assert (
        await staff.client.get(f"{REGISTER}.csv?tu-ngay=10/11/2025&den-ngay=1/11/2025")
    ).status_code == 422
    # The register is the desk's and the leaders': not a specialist's or a clerk's.
    for role in ("specialist", "clerk"):
        staff.be(role)
        assert (await staff.client.get(REGISTER)).status_code == 404
        assert (await staff.client.get(f"{REGISTER}.csv")).status_code == 404
    staff.be("outsider")
    other = await staff.client.get(REGISTER)
    assert other.status_code == 200 and "UBND tỉnh Thử nghiệm" in other.text
