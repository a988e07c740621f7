"""Officials, their roles and units: created, listed and changed within their agency, every
wrong field named in Vietnamese and English."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials, service
from app.accounts.errors import OfficialInvalid, OfficialNotFound, SignInFailed, UnitInvalid
from app.accounts.schemas import OfficialOut
from app.models.accounts import Account
from tests.accounts.test_accounts_service import citizen

# Two commune agencies of the demo catalog (loaded in every test database).
AGENCY_A = "000.00.41.H39"
AGENCY_B = "000.00.42.H39"
PASSWORD = "mat-khau-can-bo"
CHOOSE_ROLES = "Choose at least one role among: receiver, specialist, leader, clerk, admin"
CODE_RULE = (
    "The unit's code may hold only letters without marks, digits and . _ -, at most 32 characters"
)


async def make_official(
    session: AsyncSession,
    email: str,
    *roles: str,
    agency: str = AGENCY_A,
    unit: str | None = None,
    full_name: str = "Hoàng Văn Nam",
) -> OfficialOut:
    """An official of the agency (A unless told), with the roles (receiver unless told)."""
    return await officials.create_official(
        session,
        email=email,
        password=PASSWORD,
        full_name=full_name,
        agency_code=agency,
        roles=roles or ["receiver"],
        unit_code=unit,
    )


def _problems(
    exc: pytest.ExceptionInfo[OfficialInvalid] | pytest.ExceptionInfo[UnitInvalid],
) -> dict[str, str]:
    """Each wrong field's English message; every problem also has its Vietnamese one first."""
    for problem in exc.value.problems:
        assert problem.message and problem.message_en and problem.message != problem.message_en
    return {p.location: p.message_en for p in exc.value.problems}


async def test_an_official_is_created_with_its_agency_unit_and_roles(
    db_session: AsyncSession,
) -> None:
    unit = await officials.create_unit(db_session, AGENCY_A, "mot-cua", " Bộ phận  Một cửa ")
    assert unit.name == "Bộ phận Một cửa"
    made = await officials.create_official(
        db_session,
        email=" Nam.Hoang@Example.vn ",
        password=PASSWORD,
        full_name="  Hoàng  Văn Nam ",
        agency_code=f" {AGENCY_A} ",
        roles=["leader", " receiver", "receiver"],
        unit_code="mot-cua",
        title=" Phó  Chủ tịch ",
        phone="0912 345 678",
    )
    assert made.model_dump() == {
        "account_id": made.account_id,
        "email": "nam.hoang@example.vn",
        "full_name": "Hoàng Văn Nam",
        "phone": "0912345678",
        "title": "Phó Chủ tịch",
        "agency_id": made.agency_id,
        "agency_code": AGENCY_A,
        "agency_name": "UBND phường Lào Cai",
        "unit_id": unit.id,
        "unit_code": "mot-cua",
        "unit_name": "Bộ phận Một cửa",
        # In the order of OfficialRole, whatever the order given.
        "roles": ["receiver", "leader"],
        "disabled": False,
    }
    assert made.holds("leader", "clerk") and not made.holds("admin")
    assert await officials.official_of(db_session, made.account_id) == made
    signed_in = await service.sign_in(db_session, "nam.hoang@example.vn", PASSWORD)
    assert signed_in.account.kind == "official"


async def test_unit_title_and_phone_are_optional(db_session: AsyncSession) -> None:
    made = await make_official(db_session, "a@example.vn", "specialist")
    assert made.unit_id is None and made.unit_code is None and made.unit_name is None
    assert made.title == "" and made.phone is None and made.roles == ["specialist"]


async def test_every_wrong_field_is_named_and_nothing_is_written(
    db_session: AsyncSession,
) -> None:
    await make_official(db_session, "taken@example.vn")
    await officials.create_unit(db_session, AGENCY_B, "only-in-b", "Phòng của B")
    accounts_before = await db_session.scalar(select(func.count()).select_from(Account))
    with pytest.raises(OfficialInvalid) as exc:
        await officials.create_official(
            db_session,
            email="TAKEN@example.vn",
            password="short",
            full_name=" ",
            agency_code=AGENCY_A,
            roles=["receiver", "boss"],
            unit_code="only-in-b",
            title="x" * 101,
            phone="123",
        )
    assert exc.value.status == 422
    problems = _problems(exc)
    assert problems == {
        "email": "This email address already has an account",
        "password": "Password must be at least 8 characters",
        "full_name": "Enter your full name",
        "unit": "UBND phường Lào Cai has no unit with the code only-in-b",
        "roles": "Unknown role: boss; the roles are: receiver, specialist, leader, clerk, admin",
        "title": "Title must be 100 characters or fewer",
        "phone": "Enter a valid Vietnamese phone number",
    }
    vietnamese = {p.location: p.message for p in exc.value.problems}
    assert vietnamese["roles"].startswith("Vai trò không xác định: boss")
    assert vietnamese["unit"] == "UBND phường Lào Cai không có đơn vị nào có mã only-in-b"
    assert await db_session.scalar(select(func.count()).select_from(Account)) == accounts_before


@pytest.mark.parametrize(
    ("agency", "roles", "expected"),
    [
        ("", ["receiver"], {"agency": "Enter the agency's code"}),
        (
            "999.99.99.X00",
            ["receiver"],
            {"agency": "There is no agency with the code 999.99.99.X00"},
        ),
        (AGENCY_A, [], {"roles": CHOOSE_ROLES}),
        (AGENCY_A, [" ", ""], {"roles": CHOOSE_ROLES}),
    ],
)
async def test_agency_and_roles_are_required_and_known(
    db_session: AsyncSession, agency: str, roles: list[str], expected: dict[str, str]
) -> None:
    await officials.create_unit(db_session, AGENCY_A, "mot-cua", "Bộ phận Một cửa")
    with pytest.raises(OfficialInvalid) as exc:
        await officials.create_official(
            db_session,
            email="new@example.vn",
            password=PASSWORD,
            full_name="Lý Thị Mai",
            agency_code=agency,
            roles=roles,
            unit_code="mot-cua",
        )
    assert _problems(exc) == expected


async def test_officials_are_listed_by_agency_and_name(db_session: AsyncSession) -> None:
    await make_official(db_session, "duong@example.vn", full_name="Dương Văn Dũng")
    await make_official(db_session, "do@example.vn", full_name="Đỗ Thị Hà")
    await make_official(db_session, "an@example.vn", full_name="Vũ Văn An")
    other = await make_official(db_session, "b@example.vn", agency=AGENCY_B)
    first = await make_official(db_session, "x@example.vn", full_name="Bùi Thị Xuân")
    listed = await officials.list_officials(db_session, first.agency_id)
    # Đ sorts with D, as Vietnamese readers expect, not after Z.
    assert [o.full_name for o in listed] == [
        "Bùi Thị Xuân",
        "Đỗ Thị Hà",
        "Dương Văn Dũng",
        "Vũ Văn An",
    ]
    assert [o.email for o in await officials.list_officials(db_session, other.agency_id)] == [
        "b@example.vn"
    ]


async def test_an_official_is_changed_disabled_and_enabled(db_session: AsyncSession) -> None:
    desk = await officials.create_unit(db_session, AGENCY_A, "mot-cua", "Bộ phận Một cửa")
    made = await make_official(db_session, "nv@example.vn", "receiver")
    changed = await officials.update_official(
        db_session,
        made.account_id,
        roles=["clerk", "specialist"],
        unit_code="mot-cua",
        title="Văn thư",
        disabled=False,
    )
    assert changed.roles == ["specialist", "clerk"] and changed.unit_id == desk.id
    assert changed.title == "Văn thư" and not changed.disabled
    signed_in = await service.sign_in(db_session, "nv@example.vn", PASSWORD)

    disabled = await officials.update_official(
        db_session, made.account_id, roles=["clerk"], unit_code="", title="", disabled=True
    )
    assert disabled.disabled and disabled.unit_id is None and disabled.title == ""
    # Its sessions end at once, and it can no longer sign in.
    assert await service.current_account(db_session, signed_in.token) is None
    with pytest.raises(SignInFailed):
        await service.sign_in(db_session, "nv@example.vn", PASSWORD)

    enabled = await officials.update_official(
        db_session, made.account_id, roles=["clerk"], unit_code=None, title="", disabled=False
    )
    assert not enabled.disabled
    await service.sign_in(db_session, "nv@example.vn", PASSWORD)


async def test_a_change_is_checked_like_a_creation(db_session: AsyncSession) -> None:
    await officials.create_unit(db_session, AGENCY_B, "only-in-b", "Phòng của B")
    made = await make_official(db_session, "nv@example.vn")
    with pytest.raises(OfficialInvalid) as exc:
        await officials.update_official(
            db_session,
            made.account_id,
            roles=[],
            unit_code="only-in-b",
            title="x" * 101,
            disabled=False,
        )
    assert set(_problems(exc)) == {"roles", "unit", "title"}
    assert await officials.official_of(db_session, made.account_id) == made


async def test_an_admin_cannot_lock_themselves_out(db_session: AsyncSession) -> None:
    admin = await make_official(db_session, "qt@example.vn", "admin")
    for roles, disabled, location in (
        (["receiver"], False, "roles"),
        (["admin"], True, "disabled"),
    ):
        with pytest.raises(OfficialInvalid) as exc:
            await officials.update_official(
                db_session,
                admin.account_id,
                roles=roles,
                unit_code=None,
                title="",
                disabled=disabled,
                by=admin.account_id,
            )
        assert list(_problems(exc)) == [location]
    # Another administrator may.
    other = await make_official(db_session, "qt2@example.vn", "admin")
    changed = await officials.update_official(
        db_session,
        admin.account_id,
        roles=["receiver"],
        unit_code=None,
        title="",
        disabled=True,
        by=other.account_id,
    )
    assert changed.roles == ["receiver"] and changed.disabled


async def test_only_officials_are_found(db_session: AsyncSession) -> None:
    person = await service.sign_up_citizen(db_session, citizen())
    assert await officials.official_of(db_session, person.id) is None
    assert await officials.official_of(db_session, 10**9) is None
    for account_id in (person.id, 10**9):
        with pytest.raises(OfficialNotFound) as exc:
            await officials.update_official(
                db_session, account_id, roles=["clerk"], unit_code=None, title="", disabled=False
            )
        assert exc.value.status == 404
    with pytest.raises(OfficialNotFound):
        await officials.appoint(db_session, person.email, agency_code=AGENCY_A, roles=["clerk"])
    made = await make_official(db_session, "nv@example.vn")
    with pytest.raises(OfficialNotFound):
        await officials.appoint(db_session, made.email, agency_code=AGENCY_B, roles=["clerk"])


async def test_units_are_created_and_listed_per_agency(db_session: AsyncSession) -> None:
    expert = await officials.create_unit(db_session, AGENCY_A, "chuyen-mon", "Phòng chuyên môn")
    desk = await officials.create_unit(db_session, AGENCY_A, "mot-cua", "Bộ phận Một cửa")
    # Codes are unique within an agency only.
    other = await officials.create_unit(db_session, AGENCY_B, "mot-cua", "Bộ phận Một cửa")
    assert other.agency_id != desk.agency_id
    assert await officials.list_units(db_session, desk.agency_id) == [desk, expert]
    assert await officials.list_units(db_session, other.agency_id) == [other]


@pytest.mark.parametrize(
    ("agency", "code", "name", "expected"),
    [
        ("", "a", "B", {"agency": "Enter the agency's code"}),
        ("nope", "a", "B", {"agency": "There is no agency with the code nope"}),
        (AGENCY_A, " ", " ", {"code": "Enter the unit's code", "name": "Enter the unit's name"}),
        (
            AGENCY_A,
            "một-cửa",
            "x" * 256,
            {"code": CODE_RULE, "name": "The unit's name must be 255 characters or fewer"},
        ),
        (AGENCY_A, "a" * 33, "B", {"code": CODE_RULE}),
        (AGENCY_A, "mot cua", "B", {"code": CODE_RULE}),
        (AGENCY_A, "mot-cua", "B", {"code": "The agency already has a unit with the code mot-cua"}),
    ],
)
async def test_a_wrong_unit_is_refused(
    db_session: AsyncSession, agency: str, code: str, name: str, expected: dict[str, str]
) -> None:
    await officials.create_unit(db_session, AGENCY_A, "mot-cua", "Bộ phận Một cửa")
    with pytest.raises(UnitInvalid) as exc:
        await officials.create_unit(db_session, agency, code, name)
    assert exc.value.status == 422
    assert _problems(exc) == expected
