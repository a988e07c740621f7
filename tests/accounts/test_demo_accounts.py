"""The demo accounts: a citizen, an enterprise's owner and a one-stop desk official."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service
from app.accounts.demo import (
    DEMO_CITIZEN,
    DEMO_ENTERPRISE,
    DEMO_OFFICIAL,
    DEMO_PASSWORD,
    load_demo_accounts,
)
from app.accounts.errors import SignUpInvalid
from app.accounts.schemas import CitizenSignUp
from app.models.accounts import AccountKind


async def test_demo_accounts_are_made_once_and_sign_in(db_session: AsyncSession) -> None:
    assert await load_demo_accounts(db_session) == 3
    assert await load_demo_accounts(db_session) == 0
    kinds = {}
    for form in (DEMO_CITIZEN, DEMO_ENTERPRISE, DEMO_OFFICIAL):
        signed_in = await service.sign_in(db_session, form.email, DEMO_PASSWORD)
        kinds[form.email] = signed_in.account.kind
    assert kinds == {
        "congdan@example.com": AccountKind.citizen,
        "doanhnghiep@example.com": AccountKind.enterprise_staff,
        "canbo@example.com": AccountKind.official,
    }
    official = (await service.sign_in(db_session, "canbo@example.com", DEMO_PASSWORD)).account
    assert official.full_name == "Cán bộ Một cửa (demo)" and official.enterprises == []


async def test_an_official_is_checked_like_anyone(db_session: AsyncSession) -> None:
    with pytest.raises(SignUpInvalid) as refused:
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
