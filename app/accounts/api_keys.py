"""API keys of enterprises: create, list, revoke, and authenticate a request's key.

A key is ``mck_`` followed by 43 random URL-safe characters. Only its SHA-256 is stored, next to
a public prefix (the 8 characters after ``mck_``) that finds the row without the key: a copy of
the table lets no one call the API. Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.errors import (
    ApiKeyInvalid,
    ApiKeyNotFound,
    EnterpriseNotFound,
    InsufficientScope,
    Unauthorized,
)
from app.accounts.schemas import ApiKeyOut, ApiPrincipal
from app.errors import ProblemList
from app.forms.identifiers import normalize_tax_code
from app.kit.clock import aware, utcnow
from app.models.accounts import ApiKey

KEY_MARK = "mck_"
PREFIX_LENGTH = 8
KEY_BYTES = 32
MAX_KEY_NAME_LENGTH = 100
SCOPE_SUBMIT = "dossiers:submit"
SCOPE_READ = "dossiers:read"
# Ordered as they are listed to people.
KNOWN_SCOPES = (SCOPE_SUBMIT, SCOPE_READ)
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
        scopes=key.scopes.split(),
        created_at=aware(key.created_at),
        last_used_at=aware(key.last_used_at) if key.last_used_at else None,
        revoked_at=aware(key.revoked_at) if key.revoked_at else None,
    )


async def _enterprise_id(session: AsyncSession, tax_code: str) -> int:
    cleaned, _problem = normalize_tax_code(tax_code)
    enterprise = await repository.enterprise_by_tax_code(session, cleaned) if cleaned else None
    if enterprise is None:
        raise EnterpriseNotFound(tax_code.strip())
    return enterprise.id


def _check_scopes(scopes: Iterable[str], problems: ProblemList) -> list[str]:
    wanted = [s.strip() for s in scopes if s.strip()]
    known = ", ".join(KNOWN_SCOPES)
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    if unknown:
        problems.add(
            "scopes",
            f"Quyền không xác định: {', '.join(unknown)}; các quyền có thể cấp: {known}",
            f"Unknown scope: {', '.join(unknown)}; the known scopes are: {known}",
        )
    elif not wanted:
        problems.add(
            "scopes",
            f"Vui lòng chọn ít nhất một quyền trong số: {known}",
            f"Choose at least one scope among: {known}",
        )
    return [s for s in KNOWN_SCOPES if s in wanted]


async def create_api_key(
    session: AsyncSession, *, enterprise_tax_code: str, name: str, scopes: Iterable[str]
) -> tuple[ApiKeyOut, str]:
    """A new key for an enterprise; the raw key is returned once and never stored."""
    problems = ProblemList()
    clean_name = " ".join(name.split())
    if not clean_name:
        problems.add("name", "Vui lòng đặt tên cho khoá API", "Give the API key a name")
    elif len(clean_name) > MAX_KEY_NAME_LENGTH:
        problems.add(
            "name",
            f"Tên khoá API không được dài quá {MAX_KEY_NAME_LENGTH} ký tự",
            f"The API key's name must be {MAX_KEY_NAME_LENGTH} characters or fewer",
        )
    granted = _check_scopes(scopes, problems)
    if problems:
        raise ApiKeyInvalid(
            "Không tạo được khoá API: vui lòng sửa các lỗi dưới đây.",
            message_en="The API key was not created: please correct the errors below.",
            problems=problems.items,
        )
    enterprise_id = await _enterprise_id(session, enterprise_tax_code)
    for _attempt in range(MAX_DRAWS):
        raw_key = KEY_MARK + secrets.token_urlsafe(KEY_BYTES)
        key = ApiKey(
            enterprise_id=enterprise_id,
            name=clean_name,
            prefix=raw_key[len(KEY_MARK) : len(KEY_MARK) + PREFIX_LENGTH],
            key_hash=key_hash(raw_key),
            scopes=" ".join(granted),
            created_at=utcnow(),
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


async def list_api_keys(session: AsyncSession, tax_code: str) -> list[ApiKeyOut]:
    """Every key of an enterprise, revoked ones included, oldest first."""
    enterprise_id = await _enterprise_id(session, tax_code)
    return [_out(key) for key in await repository.api_keys_of_enterprise(session, enterprise_id)]


async def revoke_api_key(session: AsyncSession, prefix: str) -> ApiKeyOut:
    """Refuse the key from now on; revoking it again changes nothing."""
    key = await repository.api_key_by_prefix(session, prefix.strip().removeprefix(KEY_MARK))
    if key is None:
        raise ApiKeyNotFound(prefix.strip())
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return _out(key)


async def authenticate(session: AsyncSession, raw_key: str) -> ApiPrincipal:
    """The enterprise and key behind a raw key; Unauthorized for any key that is not usable."""
    raw_key = raw_key.strip()
    prefix = raw_key[len(KEY_MARK) : len(KEY_MARK) + PREFIX_LENGTH]
    well_formed = raw_key.startswith(KEY_MARK) and len(prefix) == PREFIX_LENGTH
    key = await repository.api_key_by_prefix(session, prefix) if well_formed else None
    matches = hmac.compare_digest(key_hash(raw_key), key.key_hash if key else _NO_HASH)
    if key is None or not matches or key.revoked_at is not None or key.enterprise is None:
        raise Unauthorized()
    now = utcnow()
    if key.last_used_at is None or now - aware(key.last_used_at) >= TOUCH_INTERVAL:
        await repository.touch_api_key(session, key.id, now)
    return ApiPrincipal(
        enterprise_tax_code=key.enterprise.tax_code,
        enterprise_name=key.enterprise.name,
        key_name=key.name,
        key_prefix=key.prefix,
        scopes=key.scopes.split(),
    )


def require_scopes(principal: ApiPrincipal, *scopes: str) -> None:
    """InsufficientScope unless the key has every one of the scopes."""
    missing = [scope for scope in scopes if scope not in principal.scopes]
    if missing:
        raise InsufficientScope(missing)
