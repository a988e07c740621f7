"""The API key pages over httpx: an agency's administrator at /quan-tri/khoa-api, an enterprise's
owner (and, reading only, its staff) at /doanh-nghiep/khoa-api; the key shown once, revocation
after confirmation, another owner's keys out of reach, errors per field in both languages."""

from __future__ import annotations

import re

import httpx
import pytest
from csrf import TOKEN
from page_checks import assert_page_structure
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys, service
from app.accounts.schemas import AccountOut
from app.kit.clock import utcnow
from app.models.accounts import Account, AccountKind, Enterprise, EnterpriseMember, MemberRole
from app.web.i18n import LOCALE_COOKIE
from app.web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, sign
from tests.accounts.test_accounts_service import TAX_CODE, citizen, enterprise
from tests.accounts.test_officials import AGENCY_A, AGENCY_B, make_official
from tests.conftest import TEST_SECRET_KEY

AGENCY_KEYS = "/quan-tri/khoa-api"
ENTERPRISE_KEYS = "/doanh-nghiep/khoa-api"
# Within the ten years a key may last.
EXPIRY_YEAR = utcnow().year + 5
RAW_KEY = re.compile(r"mck_[A-Za-z0-9_-]{43}")


async def _browse_as(
    client: httpx.AsyncClient, session: AsyncSession, account_id: int, lang: str = "vi"
) -> None:
    signed = await service.start_session(session, account_id)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, sign(TEST_SECRET_KEY, "session", signed.token))
    client.cookies.set(CSRF_COOKIE, TOKEN)
    client.cookies.set(LOCALE_COOKIE, lang)


async def _post(
    client: httpx.AsyncClient, url: str, pairs: list[tuple[str, str]] | None = None
) -> httpx.Response:
    """The form posted as a browser does, the CSRF token first."""
    data: dict[str, list[str]] = {CSRF_FIELD: [TOKEN]}
    for key, value in pairs or []:
        data.setdefault(key, []).append(value)
    return await client.post(url, data=data)


@pytest.fixture
async def admin_a(client: httpx.AsyncClient, db_session: AsyncSession) -> int:
    """The administrator of agency A, signed in on the client."""
    admin = await make_official(db_session, "qt@a.vn", "admin", full_name="Quản Trị A")
    await _browse_as(client, db_session, admin.account_id)
    return admin.account_id


async def test_an_administrator_creates_a_key_seen_once_and_revokes_it(
    client: httpx.AsyncClient, db_session: AsyncSession, admin_a: int
) -> None:
    empty = await client.get(AGENCY_KEYS)
    assert empty.status_code == 200
    assert empty.headers["cache-control"] == "private, no-store"
    tree = assert_page_structure(empty.text)
    assert "Chưa có khoá API nào." in empty.text
    boxes = [n.attrs["value"] for n in tree.find_all("input") if n.attrs.get("name") == "scopes"]
    assert boxes == list(api_keys.AGENCY_SCOPES)
    assert 'href="/quan-tri/khoa-api" aria-current="page"' in empty.text

    created = await _post(
        client,
        AGENCY_KEYS,
        [
            ("name", "Một cửa điện tử"),
            ("scopes", "catalog:read"),
            ("scopes", "dossiers:process"),
            ("expires_at", f"{EXPIRY_YEAR}-12-31"),
            ("rate_limit", "120"),
        ],
    )
    assert created.status_code == 200, created.text
    assert_page_structure(created.text)
    [raw] = RAW_KEY.findall(created.text)
    assert "chỉ hiển thị một lần" in created.text
    principal = await api_keys.authenticate(db_session, raw)
    assert principal.agency_code == AGENCY_A
    assert principal.scopes == ["catalog:read", "dossiers:process"]
    [key] = await api_keys.list_api_keys(db_session, agency_code=AGENCY_A)
    assert key.rate_limit == 120 and key.expires_at is not None
    assert key.expires_at.isoformat().startswith(f"{EXPIRY_YEAR}-12-31T16:59:59")

    listed = await client.get(AGENCY_KEYS)
    assert RAW_KEY.search(listed.text) is None
    assert f"mck_{key.prefix}" in listed.text and "Một cửa điện tử" in listed.text
    assert f"31/12/{EXPIRY_YEAR}" in listed.text and "120" in listed.text

    confirm = await client.get(f"{AGENCY_KEYS}/{key.prefix}/thu-hoi")
    assert confirm.status_code == 200
    assert_page_structure(confirm.text)
    assert "Thu hồi khoá API?" in confirm.text
    revoked = await _post(client, f"{AGENCY_KEYS}/{key.prefix}/thu-hoi")
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{AGENCY_KEYS}?da-thu-hoi={key.prefix}"
    after = await client.get(revoked.headers["location"])
    assert "Đã thu hồi khoá API Một cửa điện tử" in after.text
    assert f"{AGENCY_KEYS}/{key.prefix}/thu-hoi" not in after.text
    [gone] = await api_keys.list_api_keys(db_session, agency_code=AGENCY_A)
    assert gone.revoked_at is not None


async def test_another_agencys_administrator_neither_sees_nor_revokes(
    client: httpx.AsyncClient, db_session: AsyncSession, admin_a: int
) -> None:
    made, _raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY_A, name="Khoá của A", scopes=["catalog:read"]
    )
    other = await make_official(db_session, "qt@b.vn", "admin", agency=AGENCY_B)
    await _browse_as(client, db_session, other.account_id)
    page = await client.get(AGENCY_KEYS)
    assert page.status_code == 200 and "Khoá của A" not in page.text
    assert (await client.get(f"{AGENCY_KEYS}/{made.prefix}/thu-hoi")).status_code == 404
    assert (await _post(client, f"{AGENCY_KEYS}/{made.prefix}/thu-hoi")).status_code == 404
    [still] = await api_keys.list_api_keys(db_session, agency_code=AGENCY_A)
    assert still.revoked_at is None
    # Neither an official without the admin role, nor a citizen's session, sees the page.
    receiver = await make_official(db_session, "mc@a.vn", "receiver")
    await _browse_as(client, db_session, receiver.account_id)
    assert (await client.get(AGENCY_KEYS)).status_code == 404
    assert (await _post(client, AGENCY_KEYS, [("name", "x")])).status_code == 404


async def test_the_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, admin_a: int
) -> None:
    made, _raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY_A, name="Kept", scopes=["catalog:read"]
    )
    for action, data in (
        (AGENCY_KEYS, {"name": "x", "scopes": "catalog:read"}),
        (f"{AGENCY_KEYS}/{made.prefix}/thu-hoi", {}),
    ):
        assert (await client.post(action, data=data)).status_code == 400, action
        forged = await client.post(
            action, data={CSRF_FIELD: sign(TEST_SECRET_KEY, "csrf", "x"), **data}
        )
        assert forged.status_code == 400, action
    [kept] = await api_keys.list_api_keys(db_session, agency_code=AGENCY_A)
    assert kept.revoked_at is None


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "vi",
            {
                "name": "Vui lòng đặt tên cho khoá API",
                "scopes": "Vui lòng chọn ít nhất một quyền",
                "expires_at": "Vui lòng nhập một ngày có thật",
                "rate_limit": "Vui lòng nhập số yêu cầu mỗi phút bằng chữ số",
            },
        ),
        (
            "en",
            {
                "name": "Give the API key a name",
                "scopes": "Choose at least one scope",
                "expires_at": "Enter a real date",
                "rate_limit": "Enter the requests a minute in digits",
            },
        ),
    ],
)
async def test_bad_input_gets_errors_beside_each_field(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    admin_a: int,
    lang: str,
    expected: dict[str, str],
) -> None:
    client.cookies.set(LOCALE_COOKIE, lang)
    response = await _post(
        client,
        AGENCY_KEYS,
        [("name", "  "), ("expires_at", "31/02/2030"), ("rate_limit", "nhiều")],
    )
    assert response.status_code == 422
    tree = assert_page_structure(response.text)
    for field, message in expected.items():
        hint = tree.by_id(f"f-{field}-error")
        assert hint is not None and message in hint.text, field
        assert tree.find("a", href=f"#f-{field}") is not None
    assert 'value="nhiều"' in response.text
    past = await _post(
        client,
        AGENCY_KEYS,
        [
            ("name", "x"),
            ("scopes", "catalog:read"),
            ("expires_at", "2001-01-01"),
            ("rate_limit", "0"),
        ],
    )
    assert past.status_code == 422
    assert (
        "Ngày hết hạn phải ở sau hôm nay" if lang == "vi" else "must be after today"
    ) in past.text
    assert await api_keys.list_api_keys(db_session, agency_code=AGENCY_A) == []


async def _staff_of(session: AsyncSession, owner: AccountOut) -> int:
    """A staff member of the owner's enterprise (there is no page to add one yet)."""
    person = await service.sign_up_citizen(session, citizen(email="nhan@minhphat.vn"))
    await session.execute(
        update(Account)
        .where(Account.id == person.id)
        .values(kind=AccountKind.enterprise_staff.value)
    )
    enterprise_id = await session.scalar(
        select(Enterprise.id).where(Enterprise.tax_code == owner.enterprises[0].tax_code)
    )
    session.add(
        EnterpriseMember(
            enterprise_id=enterprise_id, account_id=person.id, role=MemberRole.staff.value
        )
    )
    await session.flush()
    return person.id


async def test_the_owner_manages_the_enterprises_keys_and_staff_only_read(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    owner = await service.sign_up_enterprise(db_session, enterprise())
    await _browse_as(client, db_session, owner.id, "en")
    account = await client.get("/tai-khoan")
    assert f'href="{ENTERPRISE_KEYS}"' in account.text
    page = await client.get(ENTERPRISE_KEYS)
    assert page.status_code == 200
    tree = assert_page_structure(page.text)
    boxes = [n.attrs["value"] for n in tree.find_all("input") if n.attrs.get("name") == "scopes"]
    assert boxes == list(api_keys.ENTERPRISE_SCOPES)
    assert "There are no API keys yet." in page.text
    created = await _post(
        client,
        ENTERPRISE_KEYS,
        [("name", "ERP"), ("scopes", "dossiers:submit"), ("scopes", "dossiers:read")],
    )
    assert created.status_code == 200, created.text
    [raw] = RAW_KEY.findall(created.text)
    assert "it is shown only this once" in created.text
    assert api_keys.enterprise_of(await api_keys.authenticate(db_session, raw)) == TAX_CODE
    [key] = await api_keys.list_api_keys(db_session, TAX_CODE)
    assert key.expires_at is None and key.rate_limit is None

    staff = await _staff_of(db_session, owner)
    await _browse_as(client, db_session, staff, "en")
    seen = await client.get(ENTERPRISE_KEYS)
    assert seen.status_code == 200
    assert f"mck_{key.prefix}" in seen.text and "Never" in seen.text and "Default" in seen.text
    assert "Only the owner of the enterprise's account" in seen.text
    assert 'name="scopes"' not in seen.text and "/thu-hoi" not in seen.text
    refused = await _post(client, ENTERPRISE_KEYS, [("name", "x"), ("scopes", "dossiers:read")])
    assert refused.status_code == 404
    assert (await _post(client, f"{ENTERPRISE_KEYS}/{key.prefix}/thu-hoi")).status_code == 404
    assert len(await api_keys.list_api_keys(db_session, TAX_CODE)) == 1

    await _browse_as(client, db_session, owner.id)
    revoked = await _post(client, f"{ENTERPRISE_KEYS}/{key.prefix}/thu-hoi")
    assert revoked.status_code == 303
    [gone] = await api_keys.list_api_keys(db_session, TAX_CODE)
    assert gone.revoked_at is not None


async def test_the_enterprise_page_is_for_enterprise_staff(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    client.cookies.clear()
    signed_out = await client.get(ENTERPRISE_KEYS)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/dang-nhap")
    person = await service.sign_up_citizen(db_session, citizen())
    await _browse_as(client, db_session, person.id)
    assert (await client.get(ENTERPRISE_KEYS)).status_code == 404
    # An agency's key is not an enterprise's to revoke.
    made, _raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY_A, name="A", scopes=["catalog:read"]
    )
    owner = await service.sign_up_enterprise(db_session, enterprise())
    await _browse_as(client, db_session, owner.id)
    assert (await client.get(f"{ENTERPRISE_KEYS}/{made.prefix}/thu-hoi")).status_code == 404
    assert (await _post(client, f"{ENTERPRISE_KEYS}/{made.prefix}/thu-hoi")).status_code == 404
