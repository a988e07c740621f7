"""Every query of accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.kit.clock import aware
from app.models.accounts import (
    Account,
    ApiKey,
    ApiRateWindow,
    Enterprise,
    EnterpriseMember,
    Official,
    PasswordResetToken,
    Session,
    SignInAttempt,
    Unit,
)


async def account_by_email(session: AsyncSession, email: str) -> Account | None:
    found: Account | None = await session.scalar(select(Account).where(Account.email == email))
    return found


async def account_with_enterprises(session: AsyncSession, account_id: int) -> Account | None:
    found: Account | None = await session.scalar(
        select(Account)
        .where(Account.id == account_id)
        .options(selectinload(Account.memberships).selectinload(EnterpriseMember.enterprise))
        .execution_options(populate_existing=True)
    )
    return found


async def email_taken(session: AsyncSession, email: str) -> bool:
    return (await account_by_email(session, email)) is not None


async def tax_code_taken(session: AsyncSession, tax_code: str) -> bool:
    found = await session.scalar(select(Enterprise.id).where(Enterprise.tax_code == tax_code))
    return found is not None


async def session_by_hash(session: AsyncSession, token_hash: str) -> Session | None:
    found: Session | None = await session.scalar(
        select(Session).where(Session.id == token_hash).options(selectinload(Session.account))
    )
    return found


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(Session).where(Session.id == token_hash))


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(Session).where(Session.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


async def touch_session(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(update(Session).where(Session.id == token_hash).values(last_seen_at=now))


async def failures_since(session: AsyncSession, key: str, since: datetime) -> list[datetime]:
    """Failed attempts for a key after ``since`` (and after the key's last success), oldest
    first."""
    last_success = await session.scalar(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.key == key, SignInAttempt.success.is_(True), SignInAttempt.at > since
        )
    )
    start = max(since, aware(last_success)) if last_success is not None else since
    rows = await session.scalars(
        select(SignInAttempt.at)
        .where(SignInAttempt.key == key, SignInAttempt.success.is_(False), SignInAttempt.at > start)
        .order_by(SignInAttempt.at)
    )
    return [aware(at) for at in rows]


async def ip_failures_since(session: AsyncSession, key: str, since: datetime) -> list[datetime]:
    """Failed attempts from an address after ``since``, oldest first; successes do not reset
    them (one good password must not open the door to guessing others)."""
    rows = await session.scalars(
        select(SignInAttempt.at)
        .where(SignInAttempt.key == key, SignInAttempt.success.is_(False), SignInAttempt.at > since)
        .order_by(SignInAttempt.at)
    )
    return [aware(at) for at in rows]


async def delete_attempts_before(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(SignInAttempt).where(SignInAttempt.at < before))


async def delete_account_sessions(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(Session).where(Session.account_id == account_id))


async def reset_token_by_hash(session: AsyncSession, token_hash: str) -> PasswordResetToken | None:
    found: PasswordResetToken | None = await session.get(
        PasswordResetToken, token_hash, populate_existing=True
    )
    return found


async def use_reset_token(session: AsyncSession, token_hash: str, now: datetime) -> bool:
    """Mark the token used, unless someone else did first: True for the one who did."""
    result = await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == token_hash, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def use_all_reset_tokens(session: AsyncSession, account_id: int, now: datetime) -> None:
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.account_id == account_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


async def delete_reset_tokens_before(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(PasswordResetToken).where(PasswordResetToken.expires_at < before))


async def enterprise_by_tax_code(session: AsyncSession, tax_code: str) -> Enterprise | None:
    found: Enterprise | None = await session.scalar(
        select(Enterprise).where(Enterprise.tax_code == tax_code)
    )
    return found


def _api_keys() -> Select[ApiKey]:
    return select(ApiKey).options(selectinload(ApiKey.enterprise), selectinload(ApiKey.agency))


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    found: ApiKey | None = await session.scalar(_api_keys().where(ApiKey.prefix == prefix))
    return found


async def api_keys_of(
    session: AsyncSession, *, enterprise_id: int | None = None, agency_id: int | None = None
) -> list[ApiKey]:
    """The keys of an enterprise or of an agency, oldest first."""
    owner = (
        ApiKey.enterprise_id == enterprise_id
        if enterprise_id is not None
        else ApiKey.agency_id == agency_id
    )
    rows = await session.scalars(_api_keys().where(owner).order_by(ApiKey.created_at, ApiKey.id))
    return list(rows)


async def touch_api_key(session: AsyncSession, key_id: int, now: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


async def count_api_request(session: AsyncSession, key_id: int, window_start: datetime) -> int:
    """Add one request to the key's window and give the window's count: one statement, so
    concurrent requests of several processes each get their own number."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ApiRateWindow)
        .values(api_key_id=key_id, window_start=window_start, requests=1)
        .on_conflict_do_update(
            index_elements=["api_key_id", "window_start"],
            set_={"requests": ApiRateWindow.requests + 1},
        )
        .returning(ApiRateWindow.requests)
    )
    count: int = (await session.execute(statement)).scalar_one()
    return count


async def delete_rate_windows_before(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(ApiRateWindow).where(ApiRateWindow.window_start < before))


def _officials() -> Select[Official]:
    return select(Official).options(
        selectinload(Official.account), selectinload(Official.agency), selectinload(Official.unit)
    )


async def official(session: AsyncSession, account_id: int) -> Official | None:
    found: Official | None = await session.scalar(
        _officials()
        .where(Official.account_id == account_id)
        .execution_options(populate_existing=True)
    )
    return found


async def officials_of_agency(session: AsyncSession, agency_id: int) -> list[Official]:
    return list(await session.scalars(_officials().where(Official.agency_id == agency_id)))


async def unit_by_code(session: AsyncSession, agency_id: int, code: str) -> Unit | None:
    found: Unit | None = await session.scalar(
        select(Unit).where(Unit.agency_id == agency_id, Unit.code == code)
    )
    return found


async def units_of_agency(session: AsyncSession, agency_id: int) -> list[Unit]:
    return list(await session.scalars(select(Unit).where(Unit.agency_id == agency_id)))


async def enterprise_member_emails(session: AsyncSession, enterprise_id: int) -> list[str]:
    """The e-mail of every member of the enterprise whose account is not disabled."""
    rows = await session.scalars(
        select(Account.email)
        .join(EnterpriseMember, EnterpriseMember.account_id == Account.id)
        .where(EnterpriseMember.enterprise_id == enterprise_id, Account.disabled.is_(False))
        .order_by(Account.id)
    )
    return list(rows)
