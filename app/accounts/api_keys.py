"""API keys of enterprises and agencies: create, list, revoke, and authenticate a request's key.

An enterprise's key files and follows the enterprise's dossiers; an agency's key processes the
dossiers the agency handles. The scopes a key may hold follow from its owner.

A key is ``mck_`` followed by 43 random URL-safe characters. Only its SHA-256 is stored, next to
a public prefix (the 8 characters after ``mck_``) that finds the row without the key: a copy of
the table lets no one call the API. Services flush and never commit.

A key may expire, and is held to a number of requests a minute (its own, or the portal's
default), counted in the database per key and minute so that every web process counts together.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.errors import (
    AgencyNotFound,
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyNotFound,
    EnterpriseKeyRequired,
    EnterpriseNotFound,
    InsufficientScope,
    Unauthorized,
)
from app.accounts.schemas import ApiKeyOut, ApiPrincipal, RateWindow
from app.catalog import service as catalog
from app.errors import Problem, ProblemList
from app.forms.identifiers import normalize_tax_code
from app.kit.clock import aware, utcnow
from app.models.accounts import ApiKey, MemberRole

KEY_MARK = "mck_"
PREFIX_LENGTH = 8
KEY_BYTES = 32
MAX_KEY_NAME_LENGTH = 100
SCOPE_CATALOG = "catalog:read"
SCOPE_SUBMIT = "dossiers:submit"
SCOPE_READ = "dossiers:read"
# Bound to the key's agency: the dossiers that agency handles.
SCOPE_PROCESS = "dossiers:process"
SCOPE_WEBHOOKS = "webhooks:manage"
SCOPE_STATS = "stats:read"
# Ordered as they are listed to people.
ENTERPRISE_SCOPES = (SCOPE_CATALOG, SCOPE_SUBMIT, SCOPE_READ, SCOPE_WEBHOOKS, SCOPE_STATS)
AGENCY_SCOPES = (SCOPE_CATALOG, SCOPE_PROCESS, SCOPE_WEBHOOKS, SCOPE_STATS)
KNOWN_SCOPES = (
    SCOPE_CATALOG,
    SCOPE_SUBMIT,
    SCOPE_READ,
    SCOPE_PROCESS,
    SCOPE_WEBHOOKS,
    SCOPE_STATS,
)
# Requests a minute a key may be given; past it a limit is no limit.
MAX_RATE_LIMIT = 100_000
# The furthest expiry a new key may be given.
MAX_LIFETIME = timedelta(days=10 * 366)
RATE_WINDOW = timedelta(minutes=1)
# Counts older than this are deleted by the worker; an hour is kept to look into a burst.
RATE_WINDOW_KEPT = timedelta(hours=1)
# Only the owner of an enterprise's account creates and revokes its keys: a key acts for the
# whole enterprise, as the owner who signed it up does; staff members see the list.
ENTERPRISE_KEY_MANAGERS = frozenset({MemberRole.owner})
# Writing last_used_at on every request would make each API call a write.
TOUCH_INTERVAL = timedelta(minutes=1)
MAX_DRAWS = 5
# Compared against when the prefix is unknown, so unknown and wrong keys take as long.
_NO_HASH = "0" * 64


def key_hash(raw_key: str) -> str:
    """What the api_keys table keeps of a key."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        prefix=key.prefix,
        name=key.name,
        enterprise_tax_code=key.enterprise.tax_code if key.enterprise else None,
        agency_code=key.agency.code if key.agency else None,
        scopes=key.scopes.split(),
        created_at=aware(key.created_at),
        last_used_at=aware(key.last_used_at) if key.last_used_at else None,
        revoked_at=aware(key.revoked_at) if key.revoked_at else None,
        expires_at=aware(key.expires_at) if key.expires_at else None,
        rate_limit=key.rate_limit,
    )


def end_of_day(day: date, time_zone: str) -> datetime:
    """The last second of a day in the portal's time zone, in UTC: what a key that expires
    "on" a day means to the person who chose the day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def after_days(days: int) -> datetime:
    """The moment ``days`` days from now."""
    return utcnow() + timedelta(days=days)


def manages_enterprise_keys(role: MemberRole) -> bool:
    """Whether a member of an enterprise with this role creates and revokes its keys."""
    return role in ENTERPRISE_KEY_MANAGERS


def _check_limits(
    expires_at: datetime | None, rate_limit: int | None, problems: ProblemList
) -> None:
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        problems.add(
            "expires_at",
            "Ngày hết hạn phải ở sau hôm nay",
            "The expiry date must be after today",
        )
    elif expires_at is not None and expires_at - now > MAX_LIFETIME:
        problems.add(
            "expires_at",
            "Ngày hết hạn không được quá 10 năm kể từ hôm nay",
            "The expiry date must be within 10 years from today",
        )
    if rate_limit is not None and not 1 <= rate_limit <= MAX_RATE_LIMIT:
        problems.add(
            "rate_limit",
            f"Giới hạn phải là một số nguyên từ 1 đến {MAX_RATE_LIMIT} yêu cầu mỗi phút",
            f"The limit must be a whole number from 1 to {MAX_RATE_LIMIT} requests a minute",
        )


@dataclass(frozen=True)
class _OwnerKind:
    scopes: tuple[str, ...]
    # "Khoá API của {name_vi}", "{name_en} API key".
    name_vi: str
    name_en: str


ENTERPRISE = _OwnerKind(ENTERPRISE_SCOPES, "doanh nghiệp", "An enterprise's")
AGENCY = _OwnerKind(AGENCY_SCOPES, "cơ quan", "An agency's")


@dataclass(frozen=True)
class _Owner:
    enterprise_id: int | None = None
    agency_id: int | None = None


async def _owner(
    session: AsyncSession, enterprise_tax_code: str | None, agency_code: str | None
) -> _Owner:
    """The enterprise, or else the agency, a key belongs to."""
    if enterprise_tax_code is not None:
        cleaned, _problem = normalize_tax_code(enterprise_tax_code)
        enterprise = await repository.enterprise_by_tax_code(session, cleaned) if cleaned else None
        if enterprise is None:
            raise EnterpriseNotFound(enterprise_tax_code.strip())
        return _Owner(enterprise_id=enterprise.id)
    code = (agency_code or "").strip()
    agency = await catalog.agency_by_code(session, code)
    if agency is None:
        raise AgencyNotFound(code)
    return _Owner(agency_id=agency.id)


def _check_owner(
    enterprise_tax_code: str | None, agency_code: str | None, problems: ProblemList
) -> _OwnerKind | None:
    if (enterprise_tax_code is None) == (agency_code is None):
        problems.add(
            "owner",
            "Khoá API phải thuộc về đúng một doanh nghiệp hoặc một cơ quan",
            "An API key belongs to exactly one enterprise or one agency",
        )
        return None
    return ENTERPRISE if enterprise_tax_code is not None else AGENCY


def _check_scopes(
    scopes: Iterable[str], owner: _OwnerKind | None, problems: ProblemList
) -> list[str]:
    """The scopes asked for, among those the owner may hold (unchecked without an owner)."""
    if owner is None:
        return []
    wanted = [s.strip() for s in scopes if s.strip()]
    listed = ", ".join(owner.scopes)
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    not_allowed = ", ".join(s for s in wanted if s in KNOWN_SCOPES and s not in owner.scopes)
    if unknown:
        problems.add(
            "scopes",
            f"Quyền không xác định: {', '.join(unknown)}; các quyền có thể cấp: {listed}",
            f"Unknown scope: {', '.join(unknown)}; the known scopes are: {listed}",
        )
    elif not_allowed:
        problems.add(
            "scopes",
            f"Khoá API của {owner.name_vi} không được cấp quyền {not_allowed}; "
            f"các quyền có thể cấp: {listed}",
            f"{owner.name_en} API key cannot have the scope {not_allowed}; "
            f"the scopes it can have are: {listed}",
        )
    elif not wanted:
        problems.add(
            "scopes",
            f"Vui lòng chọn ít nhất một quyền trong số: {listed}",
            f"Choose at least one scope among: {listed}",
        )
    return [s for s in owner.scopes if s in wanted]


def _check_new_key(
    name: str,
    scopes: Iterable[str],
    enterprise_tax_code: str | None,
    agency_code: str | None,
    expires_at: datetime | None,
    rate_limit: int | None,
    problems: ProblemList,
) -> tuple[str, list[str]]:
    """The new key's cleaned name and granted scopes, its problems added to ``problems``."""
    clean_name = " ".join(name.split())
    if not clean_name:
        problems.add("name", "Vui lòng đặt tên cho khoá API", "Give the API key a name")
    elif len(clean_name) > MAX_KEY_NAME_LENGTH:
        problems.add(
            "name",
            f"Tên khoá API không được dài quá {MAX_KEY_NAME_LENGTH} ký tự",
            f"The API key's name must be {MAX_KEY_NAME_LENGTH} characters or fewer",
        )
    kind = _check_owner(enterprise_tax_code, agency_code, problems)
    granted = _check_scopes(scopes, kind, problems)
    _check_limits(expires_at, rate_limit, problems)
    return clean_name, granted


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    enterprise_tax_code: str | None = None,
    agency_code: str | None = None,
    expires_at: datetime | None = None,
    rate_limit: int | None = None,
    found_problems: Sequence[Problem] = (),
) -> tuple[ApiKeyOut, str]:
    """A new key for an enterprise or for an agency (exactly one), with scopes that owner may
    hold, an optional expiry and an optional limit of requests a minute (the portal's default
    without one); the raw key is returned once and never stored.

    ``found_problems`` are those a form found in reading its own fields (a date that is no
    date): refused together with the rest, so that the person sees every problem at once.
    """
    problems = ProblemList(list(found_problems))
    clean_name, granted = _check_new_key(
        name, scopes, enterprise_tax_code, agency_code, expires_at, rate_limit, problems
    )
    if problems:
        raise ApiKeyInvalid(
            "Không tạo được khoá API: vui lòng sửa các lỗi dưới đây.",
            message_en="The API key was not created: please correct the errors below.",
            problems=problems.items,
        )
    owner = await _owner(session, enterprise_tax_code, agency_code)
    for _attempt in range(MAX_DRAWS):
        raw_key = KEY_MARK + secrets.token_urlsafe(KEY_BYTES)
        key = ApiKey(
            enterprise_id=owner.enterprise_id,
            agency_id=owner.agency_id,
            name=clean_name,
            prefix=raw_key[len(KEY_MARK) : len(KEY_MARK) + PREFIX_LENGTH],
            key_hash=key_hash(raw_key),
            scopes=" ".join(granted),
            created_at=utcnow(),
            expires_at=expires_at,
            rate_limit=rate_limit,
        )
        session.add(key)
        try:
            # 48 random bits: a prefix taken already is rare, but then draw another key.
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            continue
        break
    else:
        raise RuntimeError("no free API key prefix after several draws")
    found = await repository.api_key_by_prefix(session, key.prefix)
    assert found is not None
    return _out(found), raw_key


async def list_api_keys(
    session: AsyncSession,
    enterprise_tax_code: str | None = None,
    *,
    agency_code: str | None = None,
) -> list[ApiKeyOut]:
    """Every key of an enterprise or of an agency, revoked ones included, oldest first."""
    problems = ProblemList()
    if _check_owner(enterprise_tax_code, agency_code, problems) is None:
        raise ApiKeyInvalid(
            "Hãy cho biết một doanh nghiệp hoặc một cơ quan.",
            message_en="Name one enterprise or one agency.",
            problems=problems.items,
        )
    owner = await _owner(session, enterprise_tax_code, agency_code)
    keys = await repository.api_keys_of(
        session, enterprise_id=owner.enterprise_id, agency_id=owner.agency_id
    )
    return [_out(key) for key in keys]


async def revoke_api_key(
    session: AsyncSession,
    prefix: str,
    *,
    enterprise_tax_code: str | None = None,
    agency_code: str | None = None,
) -> ApiKeyOut:
    """Refuse the key from now on; revoking it again changes nothing. Given an enterprise or
    an agency, only a key of that owner is found."""
    key = await repository.api_key_by_prefix(session, prefix.strip().removeprefix(KEY_MARK))
    if enterprise_tax_code is not None or agency_code is not None:
        owner = await _owner(session, enterprise_tax_code, agency_code)
        if key is not None and (key.enterprise_id, key.agency_id) != (
            owner.enterprise_id,
            owner.agency_id,
        ):
            key = None
    if key is None:
        raise ApiKeyNotFound(prefix.strip())
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return _out(key)


async def _usable_key(session: AsyncSession, raw_key: str, now: datetime) -> ApiKey:
    """The key's row, marked used (at most once a minute); Unauthorized for any key that is
    not usable, ApiKeyExpired for a right key past its expiry."""
    raw_key = raw_key.strip()
    prefix = raw_key[len(KEY_MARK) : len(KEY_MARK) + PREFIX_LENGTH]
    well_formed = raw_key.startswith(KEY_MARK) and len(prefix) == PREFIX_LENGTH
    key = await repository.api_key_by_prefix(session, prefix) if well_formed else None
    matches = hmac.compare_digest(key_hash(raw_key), key.key_hash if key else _NO_HASH)
    if key is None or not matches or key.revoked_at is not None:
        raise Unauthorized()
    if key.expires_at is not None and aware(key.expires_at) <= now:
        raise ApiKeyExpired(aware(key.expires_at))
    if key.last_used_at is None or now - aware(key.last_used_at) >= TOUCH_INTERVAL:
        await repository.touch_api_key(session, key.id, now)
    return key


def _principal(key: ApiKey) -> ApiPrincipal:
    return ApiPrincipal(
        enterprise_tax_code=key.enterprise.tax_code if key.enterprise else None,
        enterprise_name=key.enterprise.name if key.enterprise else None,
        agency_id=key.agency.id if key.agency else None,
        agency_code=key.agency.code if key.agency else None,
        key_name=key.name,
        key_prefix=key.prefix,
        scopes=key.scopes.split(),
    )


async def authenticate(session: AsyncSession, raw_key: str) -> ApiPrincipal:
    """The enterprise or agency and the key behind a raw key; Unauthorized for any key that is
    not usable (ApiKeyExpired, a kind of it, for an expired one)."""
    return _principal(await _usable_key(session, raw_key, utcnow()))


def window_start(moment: datetime) -> datetime:
    """The minute a request falls in."""
    return moment.replace(second=0, microsecond=0)


async def admit_request(
    session: AsyncSession, raw_key: str, *, default_rate_limit: int
) -> tuple[ApiPrincipal, RateWindow]:
    """Authenticate as ``authenticate`` does and count the request in the key's minute.

    Run it in a unit of work of its own, committed before the request's work: a request that
    fails still counts. The window tells whether the limit is exceeded; refusing is the
    caller's, after that commit.
    """
    now = utcnow()
    key = await _usable_key(session, raw_key, now)
    start = window_start(now)
    used = await repository.count_api_request(session, key.id, start)
    window = RateWindow(
        limit=key.rate_limit or default_rate_limit, used=used, resets_at=start + RATE_WINDOW
    )
    return _principal(key), window


async def purge_rate_windows(session: AsyncSession) -> None:
    """Delete the request counts of minutes long past (for the worker's housekeeping)."""
    await repository.delete_rate_windows_before(session, window_start(utcnow()) - RATE_WINDOW_KEPT)


def require_scopes(principal: ApiPrincipal, *scopes: str) -> None:
    """InsufficientScope unless the key has every one of the scopes."""
    missing = [scope for scope in scopes if scope not in principal.scopes]
    if missing:
        raise InsufficientScope(missing)


def enterprise_of(principal: ApiPrincipal) -> str:
    """The tax code of the enterprise acting with the key; EnterpriseKeyRequired (403, as an
    insufficient scope) for an agency's key."""
    if principal.enterprise_tax_code is None:
        raise EnterpriseKeyRequired()
    return principal.enterprise_tax_code
