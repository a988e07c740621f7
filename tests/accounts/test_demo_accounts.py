"""The demo accounts: a citizen, an enterprise's owner, and the officials of one agency who can
take a dossier from the desk to the result together."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials, service
from app.accounts.demo import (
    DEMO_AGENCY,
    DEMO_CITIZEN,
    DEMO_ENTERPRISE,
    DEMO_OFFICIALS,
    DEMO_PASSWORD,
    load_demo_accounts,
)
from app.accounts.errors import OfficialInvalid
from app.accounts.schemas import CitizenSignUp
from app.models.accounts import AccountKind


async def test_demo_accounts_are_made_once_and_sign_in(db_session: AsyncSession) -> None:
    assert await load_demo_accounts(db_session) == 7
    assert await load_demo_accounts(db_session) == 0
    kinds = {}
    for email in (DEMO_CITIZEN.email, DEMO_ENTERPRISE.email, *(o.email for o in DEMO_OFFICIALS)):
        signed_in = await service.sign_in(db_session, email, DEMO_PASSWORD)
        kinds[email] = signed_in.account.kind
    assert kinds == {
        "congdan@example.com": AccountKind.citizen,
        "doanhnghiep@example.com": AccountKind.enterprise_staff,
        "canbo@example.com": AccountKind.official,
        "chuyenvien@example.com": AccountKind.official,
        "lanhdao@example.com": AccountKind.official,
        "vanthu@example.com": AccountKind.official,
        "quantri@example.com": AccountKind.official,
    }


async def test_demo_officials_share_one_agency_and_its_units(db_session: AsyncSession) -> None:
    await load_demo_accounts(db_session)
    canbo = await service.sign_in(db_session, "canbo@example.com", DEMO_PASSWORD)
    official = await officials.official_of(db_session, canbo.account.id)
    assert official is not None
    assert official.full_name == "Cán bộ Một cửa (demo)" and canbo.account.enterprises == []
    assert official.agency_code == DEMO_AGENCY == "000.00.41.H39"
    assert official.agency_name == "UBND phường Lào Cai"
    assert official.roles == ["receiver"] and official.unit_name == "Bộ phận Một cửa"
    everyone = await officials.list_officials(db_session, official.agency_id)
    assert {o.email: (o.roles, o.unit_name) for o in everyone} == {
        "canbo@example.com": (["receiver"], "Bộ phận Một cửa"),
        "chuyenvien@example.com": (["specialist"], "Phòng chuyên môn"),
        "lanhdao@example.com": (["leader"], "Phòng chuyên môn"),
        "vanthu@example.com": (["clerk"], "Bộ phận Một cửa"),
        "quantri@example.com": (["admin"], "Bộ phận Một cửa"),
    }
    units = await officials.list_units(db_session, official.agency_id)
    assert [u.name for u in units] == ["Bộ phận Một cửa", "Phòng chuyên môn"]


async def test_an_official_account_from_before_agencies_gets_its_post(
    db_session: AsyncSession,
) -> None:
    # What an earlier `motcua demo` left: the desk official's account, without an agency.
    await service.create_official(
        db_session,
        CitizenSignUp(
            full_name="Cán bộ Một cửa (demo)",
            email="canbo@example.com",
            phone="0914000111",
            password=DEMO_PASSWORD,
            password_confirm=DEMO_PASSWORD,
        ),
    )
    assert await load_demo_accounts(db_session) == 6
    signed_in = await service.sign_in(db_session, "canbo@example.com", DEMO_PASSWORD)
    official = await officials.official_of(db_session, signed_in.account.id)
    assert official is not None and official.roles == ["receiver"]
    assert official.agency_code == DEMO_AGENCY


async def test_an_official_is_checked_like_anyone(db_session: AsyncSession) -> None:
    with pytest.raises(OfficialInvalid) as refused:
        await service.create_official(
            db_session,
            CitizenSignUp(full_name="", email="x", phone="1", password="a", password_confirm="a"),
        )
    assert {p.location for p in refused.value.problems} == {
        "full_name",
        "email",
        "phone",
        "password",
    }
