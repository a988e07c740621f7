"""The webhook pages over httpx: an agency's administrator at /quan-tri/webhooks and an
enterprise's members at /doanh-nghiep/webhooks add a subscription and see its secret once,
see errors beside their fields, change, disable, rotate and delete it, follow its deliveries
after a dossier is received, send one again and replay the events since a moment; every other
owner, and everyone else, gets the 404 page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from page_checks import assert_page_structure, ui_messages
from people import browse_as, make_person, post_form
from sqlalchemy.ext.asyncio import AsyncSession
from web_html import parse, visible_text

from app.accounts import service as accounts
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import ActionIn
from app.storage import FileStorage
from app.web.security import CSRF_FIELD, SESSION_COOKIE, sign
from app.webhooks import service as webhooks
from app.webhooks.schemas import Owner, SubscriptionIn
from tests.conftest import TEST_SECRET_KEY
from tests.dossiers.conftest import TAX_CODES, add_staff, make_enterprise
from tests.fixtures.processing import Desk, file_dossier

AGENCY_PAGES = "/quan-tri/webhooks"
ENTERPRISE_PAGES = "/doanh-nghiep/webhooks"
# An address literal: public, and checked without asking DNS.
ENDPOINT = "https://1.1.1.1/hooks/motcua"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]+")


async def _browse_as(
    client: httpx.AsyncClient, session: AsyncSession, account_id: int, lang: str = "vi"
) -> None:
    """The client signed in as the account, with the CSRF token and the language."""
    signed = await accounts.start_session(session, account_id)
    browse_as(client, None, lang)
    client.cookies.set(SESSION_COOKIE, sign(TEST_SECRET_KEY, "session", signed.token))


def _secret_of(html: str) -> str:
    node = parse(html).by_id("webhook-secret")
    assert node is not None
    found = SECRET.fullmatch(node.text.strip())
    assert found is not None, node.text
    return found.group(0)


def _reference(html: str, base: str) -> str:
    """The subscription's id from the link to its page."""
    found = re.search(rf'href="{base}/(ep_[A-Za-z0-9_-]+)"', html)
    assert found is not None
    return found.group(1)


@dataclass(frozen=True)
class Admin:
    """The administrator of the desk's agency, signed in on the client."""

    desk: Desk
    owner: Owner


@pytest.fixture
async def admin(client: httpx.AsyncClient, db_session: AsyncSession, desk: Desk) -> Admin:
    account_id = desk["admin"].account_id
    assert account_id is not None
    await _browse_as(client, db_session, account_id)
    return Admin(desk, Owner(agency_id=desk["admin"].agency_id))


async def _subscribe(
    session: AsyncSession, settings: Settings, owner: Owner, **fields: object
) -> str:
    made, _ = await webhooks.create_subscription(
        session, settings, owner, SubscriptionIn.model_validate({"url": ENDPOINT, **fields})
    )
    return made.id


async def _received(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    admin: Admin,
    applicant: Applicant,
) -> str:
    """A dossier filed at the administrator's agency and received by its desk: its code."""
    code = await file_dossier(session, settings, applicant)
    await processing.act(
        session, settings, storage, admin.desk["receiver"], code, Action.receive, ActionIn()
    )
    return code


async def test_a_subscription_is_added_and_its_secret_shown_once(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Admin, lang: str
) -> None:
    client.cookies.set("lang", lang)
    empty = await client.get(AGENCY_PAGES)
    assert empty.status_code == 200
    assert empty.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(empty.text)
    link = tree.find("a", href=AGENCY_PAGES)
    assert link is not None and link.attrs.get("aria-current") == "page"

    form_page = await client.get(f"{AGENCY_PAGES}/them")
    assert form_page.status_code == 200
    form = assert_page_structure(form_page.text).find("form", action=f"{AGENCY_PAGES}/them")
    assert form is not None
    boxes = [i.attrs["value"] for i in form.find_all("input", name="event_types")]
    assert boxes == [t.name for t in webhooks.event_types()]
    received = "The agency received the dossier" if lang == "en" else "Hồ sơ được tiếp nhận"
    assert received in visible_text(form_page.text)

    made = await post_form(
        client,
        f"{AGENCY_PAGES}/them",
        [
            ("url", ENDPOINT),
            ("description", "Hệ thống một cửa của xã"),
            ("event_types", "dossier.received"),
            ("event_types", "dossier.returned"),
            ("procedure_codes", "1.000656, 2.000815"),
            ("agency_codes", ""),
            ("contact_email", "tich-hop@example.vn"),
        ],
    )
    assert made.status_code == 201
    assert_page_structure(made.text)
    secret = _secret_of(made.text)
    text = visible_text(made.text)
    warning = "it is not shown again" if lang == "en" else "khóa này không được hiển thị lại"
    assert warning in text
    assert not [m for m in ui_messages("en" if lang == "vi" else "vi") if m in text]
    reference = _reference(made.text, AGENCY_PAGES)
    saved = await webhooks.get_subscription(db_session, admin.owner, reference)
    assert saved.event_types == ["dossier.received", "dossier.returned"]
    assert saved.procedure_codes == ["1.000656", "2.000815"]

    listed = await client.get(AGENCY_PAGES)
    listed_text = visible_text(listed.text)
    assert ENDPOINT in listed_text and "Hệ thống một cửa của xã" in listed_text
    assert "dossier.received, dossier.returned" in listed_text
    page = await client.get(f"{AGENCY_PAGES}/{reference}")
    assert page.status_code == 200
    assert_page_structure(page.text)
    for shown_after in (listed.text, page.text):
        assert secret not in shown_after and "whsec_" not in shown_after


async def test_wrong_details_are_shown_beside_their_fields(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Admin
) -> None:
    response = await post_form(
        client,
        f"{AGENCY_PAGES}/them",
        [
            ("url", "http://127.0.0.1:8080/hook"),
            ("event_types", "dossier.received"),
            ("contact_email", "khong-phai-thu"),
        ],
    )
    assert response.status_code == 422
    tree = assert_page_structure(response.text)
    summary = [a.attrs["href"] for a in tree.find("div", class_="error-summary").find_all("a")]
    assert summary == ["#f-url", "#f-contact_email"]
    url_error = tree.by_id("f-url-error")
    assert url_error is not None and "máy chủ công khai" in url_error.text
    url_input = tree.by_id("f-url")
    assert url_input is not None and url_input.attrs["value"] == "http://127.0.0.1:8080/hook"
    assert url_input.attrs.get("aria-invalid") == "true"
    assert tree.by_id("f-contact_email-error") is not None
    # What was ticked stays ticked.
    ticked = [
        i.attrs["value"] for i in tree.find_all("input", name="event_types") if "checked" in i.attrs
    ]
    assert ticked == ["dossier.received"]
    assert (await webhooks.list_subscriptions(db_session, admin.owner)).items == []


# The address keeps a public host: only the NUL in its path is wrong with it.
WITH_NUL = {
    "url": f"{ENDPOINT}/a\x00b",
    "description": "Hệ thống\x00một cửa",
    "procedure_codes": "1.000656, 2.0\x00815",
    "agency_codes": "000.00.41\x00.H39",
}


@pytest.mark.parametrize("field", list(WITH_NUL))
async def test_a_field_holding_nul_is_shown_beside_it_not_saved(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    admin: Admin,
    field: str,
) -> None:
    pairs = [("url", ENDPOINT), ("event_types", "dossier.received")]
    pairs = [(name, value) for name, value in pairs if name != field] + [(field, WITH_NUL[field])]
    added = await post_form(client, f"{AGENCY_PAGES}/them", pairs)
    assert added.status_code == 422
    tree = assert_page_structure(added.text)
    summary = [a.attrs["href"] for a in tree.find("div", class_="error-summary").find_all("a")]
    assert summary == [f"#f-{field}"]
    error = tree.by_id(f"f-{field}-error")
    assert error is not None and "NUL" in error.text
    assert (await webhooks.list_subscriptions(db_session, admin.owner)).items == []

    reference = await _subscribe(db_session, settings, admin.owner, description="Cũ")
    changes = dict([("version", "1"), ("url", ENDPOINT), ("description", "Mới"), *pairs])
    changed = await post_form(client, f"{AGENCY_PAGES}/{reference}/sua", list(changes.items()))
    assert changed.status_code == 422
    assert parse(changed.text).by_id(f"f-{field}-error") is not None
    kept = await webhooks.get_subscription(db_session, admin.owner, reference)
    assert (kept.version, kept.description, kept.url) == (1, "Cũ", ENDPOINT)


async def test_a_replay_since_a_moment_holding_nul_is_refused_beside_it(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, admin: Admin
) -> None:
    reference = await _subscribe(db_session, settings, admin.owner)
    refused = await post_form(
        client, f"{AGENCY_PAGES}/{reference}/gui-lai", [("since", "2026-01-01T08:00\x00")]
    )
    assert refused.status_code == 422
    assert parse(refused.text).by_id("f-since-error") is not None


async def test_a_subscription_is_changed_disabled_and_enabled(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, admin: Admin
) -> None:
    reference = await _subscribe(db_session, settings, admin.owner, description="Cũ")
    page = f"{AGENCY_PAGES}/{reference}"
    form_page = await client.get(f"{page}/sua")
    assert form_page.status_code == 200
    form = assert_page_structure(form_page.text).find("form", action=f"{page}/sua")
    assert form is not None
    assert form.find("input", name="version").attrs["value"] == "1"
    assert form.find("input", name="url").attrs["value"] == ENDPOINT

    changed = await post_form(
        client,
        f"{page}/sua",
        [
            ("version", "1"),
            ("url", ENDPOINT),
            ("description", "Kho dữ liệu hồ sơ"),
            ("event_types", "dossier.approved"),
            ("agency_codes", "000.00.41.H39"),
            ("procedure_codes", ""),
            ("contact_email", ""),
        ],
    )
    assert changed.status_code == 303 and changed.headers["location"] == f"{page}?da=sua"
    shown = visible_text((await client.get(changed.headers["location"])).text)
    assert "Đã lưu các thay đổi." in shown and "Kho dữ liệu hồ sơ" in shown
    assert "dossier.approved" in shown and "000.00.41.H39" in shown
    # A form read before that change does not overwrite it.
    stale = await post_form(client, f"{page}/sua", [("version", "1"), ("url", ENDPOINT)])
    assert stale.status_code == 412
    wrong = await post_form(client, f"{page}/sua", [("version", "2"), ("url", "ftp://x")])
    assert wrong.status_code == 422 and parse(wrong.text).by_id("f-url-error") is not None

    off = await post_form(client, f"{page}/tat", [("version", "2")])
    assert off.status_code == 303
    subscription = await webhooks.get_subscription(db_session, admin.owner, reference)
    assert not subscription.enabled
    listed = visible_text((await client.get(AGENCY_PAGES)).text)
    assert subscription.disabled_reason == webhooks.OWNER
    assert f"Đã tắt {subscription.disabled_reason_vi}" in listed
    client.cookies.set("lang", "en")
    english = visible_text((await client.get(AGENCY_PAGES)).text)
    assert f"Turned off {subscription.disabled_reason_en}" in english
    client.cookies.set("lang", "vi")
    on = await post_form(client, f"{page}/bat", [("version", str(subscription.version))])
    assert on.status_code == 303 and on.headers["location"] == f"{page}?da=bat"
    assert (await webhooks.get_subscription(db_session, admin.owner, reference)).enabled


async def test_a_rotated_secret_is_shown_once_with_the_overlap(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, admin: Admin
) -> None:
    reference = await _subscribe(db_session, settings, admin.owner)
    old = (await webhooks.get_secret(db_session, settings, admin.owner, reference)).secret
    rotated = await post_form(client, f"{AGENCY_PAGES}/{reference}/doi-khoa", [])
    assert rotated.status_code == 200
    assert_page_structure(rotated.text)
    shown = _secret_of(rotated.text)
    now = await webhooks.get_secret(db_session, settings, admin.owner, reference)
    assert shown == now.secret and shown != old
    assert now.previous_secret_expires_at is not None
    until = now.previous_secret_expires_at.astimezone(ZoneInfo(settings.time_zone))
    assert f"Khóa cũ vẫn ký các lần gửi đến {until:%H:%M}" in visible_text(rotated.text)
    page = await client.get(f"{AGENCY_PAGES}/{reference}")
    assert shown not in page.text and "Khóa cũ còn ký đến" in visible_text(page.text)


async def test_a_subscription_is_deleted_after_confirmation(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, admin: Admin
) -> None:
    reference = await _subscribe(db_session, settings, admin.owner)
    page = f"{AGENCY_PAGES}/{reference}"
    confirm = await client.get(f"{page}/xoa")
    assert confirm.status_code == 200
    form = assert_page_structure(confirm.text).find("form", action=f"{page}/xoa")
    assert form is not None and form.find("input", name="version").attrs["value"] == "1"
    deleted = await post_form(client, f"{page}/xoa", [("version", "1")])
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"{AGENCY_PAGES}?da-xoa=1"
    listed = await client.get(deleted.headers["location"])
    assert "Đã xóa đăng ký nhận sự kiện." in visible_text(listed.text)
    assert ENDPOINT not in listed.text
    assert (await client.get(page)).status_code == 404


async def test_deliveries_after_a_dossier_is_received(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    admin: Admin,
    applicant: Applicant,
) -> None:
    reference = await _subscribe(
        db_session, settings, admin.owner, event_types=["dossier.received"]
    )
    before = datetime.now(ZoneInfo(settings.time_zone)) - timedelta(minutes=5)
    code = await _received(db_session, settings, storage, admin, applicant)
    page = f"{AGENCY_PAGES}/{reference}"
    response = await client.get(page)
    tree = assert_page_structure(response.text)
    rows = tree.find("table").find("tbody").find_all("tr")
    assert len(rows) == 1
    row = rows[0].text
    assert "dossier.received" in row and code in row and "Đang chờ gửi" in row
    (delivery_link,) = [a for a in rows[0].find_all("a")]
    delivery_url = delivery_link.attrs["href"]

    delivery = await client.get(delivery_url)
    assert delivery.status_code == 200
    assert_page_structure(delivery.text)
    text = visible_text(delivery.text)
    assert "Chưa thử gửi lần nào." in text and code in text

    again = await post_form(client, f"{delivery_url}/gui-lai", [])
    assert again.status_code == 303
    new_url = again.headers["location"]
    assert new_url.endswith("?da=gui-lai") and not new_url.startswith(f"{delivery_url}?")
    shown = visible_text((await client.get(new_url)).text)
    assert "Sự kiện đã được xếp hàng gửi lại thành lần gửi mới này." in shown

    replayed = await post_form(
        client, f"{page}/gui-lai", [("since", before.strftime("%Y-%m-%dT%H:%M"))]
    )
    assert replayed.status_code == 303
    after = await client.get(replayed.headers["location"])
    assert "Đã xếp 1 sự kiện vào hàng đợi để gửi lại." in visible_text(after.text)
    assert len(parse(after.text).find("table").find("tbody").find_all("tr")) == 3

    wrong = await post_form(client, f"{page}/gui-lai", [("since", "hôm qua")])
    assert wrong.status_code == 422
    error = parse(wrong.text).by_id("f-since-error")
    assert error is not None and "Hãy chọn ngày và giờ" in error.text


async def test_the_deliveries_are_paged_newest_first(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    admin: Admin,
    applicant: Applicant,
) -> None:
    reference = await _subscribe(db_session, settings, admin.owner)
    await _received(db_session, settings, storage, admin, applicant)
    made = (await webhooks.list_deliveries(db_session, admin.owner, reference)).items
    for _ in range(settings.page_size):
        await webhooks.redeliver(db_session, admin.owner, reference, made[0].id)
    page = await client.get(f"{AGENCY_PAGES}/{reference}")
    tree = parse(page.text)
    first_rows = tree.find("table").find("tbody").find_all("a")
    assert len(first_rows) == settings.page_size
    next_link = tree.find("a", rel="next")
    assert next_link is not None
    rest = parse((await client.get(next_link.attrs["href"])).text)
    shown = [a.attrs["href"] for a in rest.find("table").find("tbody").find_all("a")]
    assert len(shown) == len(made)
    # Newest first: the redeliveries, then what the filing and the reception made.
    assert [int(a.attrs["href"].rsplit("/", 1)[1]) for a in first_rows] == sorted(
        (int(a.attrs["href"].rsplit("/", 1)[1]) for a in first_rows), reverse=True
    )
    assert shown[-1].endswith(f"/lan-gui/{made[-1].id}")


async def test_an_enterprise_manages_its_own_subscriptions(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings
) -> None:
    owner = await make_enterprise(db_session, 1)
    assert owner.account_id is not None and owner.enterprise_id is not None
    await _browse_as(client, db_session, owner.account_id)
    account = parse((await client.get("/tai-khoan")).text)
    assert account.find("a", href=ENTERPRISE_PAGES) is not None
    made = await post_form(
        client, f"{ENTERPRISE_PAGES}/them", [("url", ENDPOINT), ("description", "ERP")]
    )
    assert made.status_code == 201
    _secret_of(made.text)
    reference = _reference(made.text, ENTERPRISE_PAGES)
    page = assert_page_structure((await client.get(f"{ENTERPRISE_PAGES}/{reference}")).text)
    assert "Công ty TNHH Thử nghiệm 1" in page.text
    # Another member of the enterprise sees it too.
    staff = await add_staff(db_session, TAX_CODES[1], 5)
    assert staff.account_id is not None
    await _browse_as(client, db_session, staff.account_id)
    assert ENDPOINT in (await client.get(ENTERPRISE_PAGES)).text


async def test_another_owner_and_everyone_else_get_the_404_page(
    client: httpx.AsyncClient, db_session: AsyncSession, settings: Settings, admin: Admin
) -> None:
    reference = await _subscribe(db_session, settings, admin.owner)
    page = f"{AGENCY_PAGES}/{reference}"
    firm = await make_enterprise(db_session, 2)
    assert firm.account_id is not None and firm.enterprise_id is not None
    theirs = await _subscribe(db_session, settings, Owner(enterprise_id=firm.enterprise_id))
    other = await make_enterprise(db_session, 3)
    assert other.account_id is not None

    # The administrator of another agency.
    outsider = admin.desk.outsider.account_id
    assert outsider is not None
    await _browse_as(client, db_session, outsider)
    assert (await client.get(AGENCY_PAGES)).status_code == 200
    assert ENDPOINT not in (await client.get(AGENCY_PAGES)).text
    for url in (page, f"{page}/sua", f"{page}/xoa", f"{page}/lan-gui/1"):
        assert (await client.get(url)).status_code == 404, url
    for action in ("doi-khoa", "tat", "xoa", "gui-lai"):
        response = await post_form(client, f"{page}/{action}", [("since", "2026-01-01T00:00")])
        assert response.status_code == 404, action
    # Another enterprise.
    await _browse_as(client, db_session, other.account_id)
    assert (await client.get(f"{ENTERPRISE_PAGES}/{theirs}")).status_code == 404
    assert (await client.get(f"{ENTERPRISE_PAGES}/{reference}")).status_code == 404
    assert (await client.get(AGENCY_PAGES)).status_code == 404
    # An official without the admin role, and a citizen.
    receiver = admin.desk["receiver"].account_id
    assert receiver is not None
    await _browse_as(client, db_session, receiver)
    assert (await client.get(AGENCY_PAGES)).status_code == 404
    assert (await client.get(ENTERPRISE_PAGES)).status_code == 404
    citizen = await make_person(db_session, 9)
    await _browse_as(client, db_session, citizen.account.id)
    assert (await client.get(ENTERPRISE_PAGES)).status_code == 404
    # Signed out: sign in first.
    browse_as(client, None)
    signed_out = await client.get(page)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/dang-nhap")


async def test_posts_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Admin
) -> None:
    response = await client.post(
        f"{AGENCY_PAGES}/them",
        data={CSRF_FIELD: sign(TEST_SECRET_KEY, "csrf", "another"), "url": ENDPOINT},
    )
    assert response.status_code == 400
    assert (await webhooks.list_subscriptions(db_session, admin.owner)).items == []
