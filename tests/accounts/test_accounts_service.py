"""Account operations over the test database: sign-up checks, hashing, sign-in, throttling,
sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service
from app.accounts.errors import SignInFailed, SignUpInvalid, TooManyAttempts
from app.accounts.schemas import CitizenSignUp, EnterpriseSignUp
from app.kit.clock import utcnow
from app.models.accounts import Account, AccountKind, Session, SignInAttempt

PASSWORD = "mat-khau-rat-manh"
TAX_CODE = "0100109106"  # a valid check digit


def citizen(**changes: str) -> CitizenSignUp:
    values = {
        "full_name": "Nguyễn Văn An",
        "email": "An.Nguyen@Example.VN",
        "phone": "+84 912 345 678",
        "citizen_id": "001203012345",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    return CitizenSignUp(**{**values, **changes})


def enterprise(**changes: str) -> EnterpriseSignUp:
    values = {
        "tax_code": TAX_CODE,
        "enterprise_name": "Công ty TNHH Minh Phát",
        "enterprise_address": "12 Trần Phú, Lào Cai",
        "full_name": "Trần Thị Bình",
        "email": "binh@minhphat.vn",
        "phone": "0214 3820 123",
        "citizen_id": "",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    return EnterpriseSignUp(**{**values, **changes})


def _locations(exc: pytest.ExceptionInfo[SignUpInvalid]) -> dict[str, str]:
    return {p.location: p.message_en for p in exc.value.problems}


async def test_a_citizen_signs_up_with_cleaned_values(db_session: AsyncSession) -> None:
    account = await service.sign_up_citizen(db_session, citizen())
    assert account.kind is AccountKind.citizen
    assert account.email == "an.nguyen@example.vn"
    assert account.phone == "0912345678"
    assert account.citizen_id == "001203012345"
    stored = await db_session.scalar(select(Account).where(Account.id == account.id))
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("full_name", "  ", "Enter your full name"),
        ("email", "", "Enter your email address"),
        ("email", "not-an-email", "correct format"),
        ("phone", "", "Enter your phone number"),
        ("phone", "12345", "valid Vietnamese phone"),
        ("citizen_id", "", "Enter your personal identification number"),
        ("citizen_id", "12345", "exactly 12 digits"),
        ("citizen_id", "999203012345", "province code"),
        ("password", "", "Enter a password"),
        ("password", "short", "at least 8"),
    ],
)
async def test_each_field_of_a_citizen_is_checked(
    db_session: AsyncSession, field: str, value: str, words: str
) -> None:
    with pytest.raises(SignUpInvalid) as exc:
        await service.sign_up_citizen(db_session, citizen(**{field: value}))
    problems = _locations(exc)
    assert words in problems[field]
    assert exc.value.status == 422
    assert all(p.message and p.message_en for p in exc.value.problems)


async def test_the_password_must_be_confirmed(db_session: AsyncSession) -> None:
    with pytest.raises(SignUpInvalid) as exc:
        await service.sign_up_citizen(db_session, citizen(password_confirm="something-else"))
    assert "do not match" in _locations(exc)["password_confirm"]


async def test_every_problem_is_reported_at_once(db_session: AsyncSession) -> None:
    with pytest.raises(SignUpInvalid) as exc:
        await service.sign_up_citizen(db_session, CitizenSignUp())
    assert set(_locations(exc)) == {"full_name", "email", "phone", "citizen_id", "password"}


async def test_an_email_has_one_account_whatever_its_case(db_session: AsyncSession) -> None:
    await service.sign_up_citizen(db_session, citizen())
    with pytest.raises(SignUpInvalid) as exc:
        await service.sign_up_citizen(db_session, citizen(email="AN.NGUYEN@example.vn"))
    assert "already has an account" in _locations(exc)["email"]


async def test_an_enterprise_signs_up_with_its_owner(db_session: AsyncSession) -> None:
    account = await service.sign_up_enterprise(db_session, enterprise())
    assert account.kind is AccountKind.enterprise_staff
    assert account.citizen_id is None
    assert [(e.tax_code, e.name, e.role.value) for e in account.enterprises] == [
        (TAX_CODE, "Công ty TNHH Minh Phát", "owner")
    ]


async def test_an_enterprise_is_told_through_its_active_members(db_session: AsyncSession) -> None:
    owner = await service.sign_up_enterprise(db_session, enterprise())
    found = await service.enterprise_ref(db_session, TAX_CODE)
    assert found is not None
    assert await service.enterprise_member_emails(db_session, found.id) == [owner.email]
    await db_session.execute(update(Account).where(Account.id == owner.id).values(disabled=True))
    assert await service.enterprise_member_emails(db_session, found.id) == []


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("tax_code", "", "Enter the tax code"),
        ("tax_code", "12345", "10 digits"),
        ("tax_code", "0100109107", "check digit"),
        ("enterprise_name", "", "Enter the enterprise's name"),
        ("email", "x@", "correct format"),
        ("phone", "0000", "valid Vietnamese phone"),
        ("citizen_id", "1234", "exactly 12 digits"),
    ],
)
async def test_each_field_of_an_enterprise_is_checked(
    db_session: AsyncSession, field: str, value: str, words: str
) -> None:
    with pytest.raises(SignUpInvalid) as exc:
        await service.sign_up_enterprise(db_session, enterprise(**{field: value}))
    assert words in _locations(exc)[field]


async def test_a_tax_code_has_one_enterprise(db_session: AsyncSession) -> None:
    await service.sign_up_enterprise(db_session, enterprise())
    with pytest.raises(SignUpInvalid) as exc:
        await service.sign_up_enterprise(db_session, enterprise(email="other@minhphat.vn"))
    assert "already has an account" in _locations(exc)["tax_code"]


async def test_sign_in_with_the_right_password(db_session: AsyncSession) -> None:
    await service.sign_up_citizen(db_session, citizen())
    signed = await service.sign_in(
        db_session, " AN.nguyen@example.vn ", PASSWORD, ip="192.0.2.1", user_agent="test"
    )
    assert signed.account.email == "an.nguyen@example.vn"
    assert signed.account.last_sign_in_at is not None
    row = await db_session.scalar(select(Session).where(Session.account_id == signed.account.id))
    assert row is not None
    # Only the hash of the token is stored.
    assert row.id == service.token_hash(signed.token) and signed.token not in row.id
    current = await service.current_account(db_session, signed.token)
    assert current is not None and current.id == signed.account.id


async def test_a_wrong_password_or_unknown_email_fails_the_same_way(
    db_session: AsyncSession,
) -> None:
    await service.sign_up_citizen(db_session, citizen())
    with pytest.raises(SignInFailed) as wrong:
        await service.sign_in(db_session, "an.nguyen@example.vn", "wrong-password")
    with pytest.raises(SignInFailed) as unknown:
        await service.sign_in(db_session, "nobody@example.vn", PASSWORD)
    assert wrong.value.message == unknown.value.message
    attempts = (
        await db_session.scalars(
            select(SignInAttempt).where(SignInAttempt.key.like("account:%example.vn"))
        )
    ).all()
    attempts = [a for a in attempts if "nguyen" in a.key or "nobody" in a.key]
    assert {(a.key, a.success) for a in attempts} == {
        ("account:an.nguyen@example.vn", False),
        ("account:nobody@example.vn", False),
    }


@pytest.mark.real_password_hashing
async def test_an_old_hash_is_upgraded_on_sign_in(db_session: AsyncSession) -> None:
    account = await service.sign_up_citizen(db_session, citizen())
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await db_session.execute(
        update(Account).where(Account.id == account.id).values(password_hash=weak)
    )
    await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD)
    stored = await db_session.scalar(select(Account.password_hash).where(Account.id == account.id))
    assert stored is not None and stored != weak
    assert not service.hasher.check_needs_rehash(stored)


async def test_a_disabled_account_cannot_sign_in(db_session: AsyncSession) -> None:
    account = await service.sign_up_citizen(db_session, citizen())
    await db_session.execute(update(Account).where(Account.id == account.id).values(disabled=True))
    with pytest.raises(SignInFailed):
        await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD)


async def test_five_failures_lock_the_account_for_a_while(db_session: AsyncSession) -> None:
    await service.sign_up_citizen(db_session, citizen())
    for n in range(service.MAX_ACCOUNT_FAILURES):
        with pytest.raises(SignInFailed):
            await service.sign_in(
                db_session, "an.nguyen@example.vn", f"wrong-{n}", ip=f"10.0.0.{n}"
            )
    with pytest.raises(TooManyAttempts) as exc:
        # Even the right password is refused, from a new address.
        await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD, ip="10.0.1.1")
    assert exc.value.status == 429 and exc.value.code == "too_many_attempts"
    assert "15 phút" in exc.value.message and "15 minutes" in exc.value.message_en
    assert 0 < exc.value.retry_after_seconds <= 15 * 60 + 1
    # Once the failures are older than the window, the account may sign in again.
    await db_session.execute(
        update(SignInAttempt).values(at=utcnow() - service.THROTTLE_WINDOW - timedelta(seconds=1))
    )
    signed = await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD, ip="10.0.1.1")
    assert signed.token


async def test_a_success_resets_the_account_count(db_session: AsyncSession) -> None:
    await service.sign_up_citizen(db_session, citizen())
    for _ in range(2):
        for n in range(service.MAX_ACCOUNT_FAILURES - 1):
            with pytest.raises(SignInFailed):
                await service.sign_in(db_session, "an.nguyen@example.vn", f"wrong-{n}")
        await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD)


async def test_twenty_failures_from_one_address_lock_it(db_session: AsyncSession) -> None:
    await service.sign_up_citizen(db_session, citizen())
    for n in range(service.MAX_IP_FAILURES):
        with pytest.raises(SignInFailed):
            await service.sign_in(db_session, f"guess{n}@example.vn", "x" * 8, ip="198.51.100.7")
    with pytest.raises(TooManyAttempts):
        await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD, ip="198.51.100.7")
    # Another address is not concerned.
    assert await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD, ip="203.0.113.9")


async def test_sessions_expire(db_session: AsyncSession) -> None:
    await service.sign_up_citizen(db_session, citizen())
    signed = await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD)
    assert signed.expires_at - utcnow() > timedelta(days=service.SESSION_DAYS - 1)
    await db_session.execute(
        update(Session)
        .where(Session.id == service.token_hash(signed.token))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    assert await service.current_account(db_session, signed.token) is None
    # The expired row is gone.
    assert (
        await db_session.scalar(
            select(Session).where(Session.id == service.token_hash(signed.token))
        )
        is None
    )


async def test_each_sign_in_gives_a_new_token_and_sign_out_ends_it(
    db_session: AsyncSession,
) -> None:
    await service.sign_up_citizen(db_session, citizen())
    first = await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD)
    second = await service.sign_in(db_session, "an.nguyen@example.vn", PASSWORD)
    assert first.token != second.token
    await service.sign_out(db_session, second.token)
    assert await service.current_account(db_session, second.token) is None
    assert await service.current_account(db_session, first.token) is not None
    assert await service.current_account(db_session, "made-up") is None
    assert await service.current_account(db_session, None) is None
