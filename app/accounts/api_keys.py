"""API keys of enterprises and agencies: create, list, revoke, and authenticate a request's key.

An enterprise's key files and follows the enterprise's dossiers; an agency's key processes the
dossiers the agency handles. The scopes a key may hold follow from its owner.

A key is ``mck_`` followed by 43 random URL-safe characters. Only its SHA-256 is stored, next to
a public prefix (the 8 characters after ``mck_``) that finds the row without the key: a copy of
the table lets no one call the API. Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.errors import (
    AgencyNotFound,
    ApiKeyInvalid,
    ApiKeyNotFound,
    EnterpriseKeyRequired,
    EnterpriseNotFound,
    InsufficientScope,
    Unauthorized,
)
from app.accounts.schemas import ApiKeyOut, ApiPrincipal
from app.catalog import service as catalog
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
SCOPE_PROCESS = "dossiers:process"
# Ordered as they are listed to people.
ENTERPRISE_SCOPES = (SCOPE_SUBMIT, SCOPE_READ)
AGENCY_SCOPES = (SCOPE_PROCESS,)
KNOWN_SCOPES = (*ENTERPRISE_SCOPES, *AGENCY_SCOPES)
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


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    enterprise_tax_code: str | None = None,
    agency_code: str | None = None,
) -> tuple[ApiKeyOut, str]:
    """A new key for an enterprise or for an agency (exactly one), with scopes that owner may
    hold; the raw key is returned once and never stored."""
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
    kind = _check_owner(enterprise_tax_code, agency_code, problems)
    granted = _check_scopes(scopes, kind, problems)
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
    """The enterprise or agency and the key behind a raw key; Unauthorized for any key that is
    not usable."""
    raw_key = raw_key.strip()
    prefix = raw_key[len(KEY_MARK) : len(KEY_MARK) + PREFIX_LENGTH]
    well_formed = raw_key.startswith(KEY_MARK) and len(prefix) == PREFIX_LENGTH
    key = await repository.api_key_by_prefix(session, prefix) if well_formed else None
    matches = hmac.compare_digest(key_hash(raw_key), key.key_hash if key else _NO_HASH)
    if key is None or not matches or key.revoked_at is not None:
        raise Unauthorized()
    now = utcnow()
    if key.last_used_at is None or now - aware(key.last_used_at) >= TOUCH_INTERVAL:
        await repository.touch_api_key(session, key.id, now)
    return ApiPrincipal(
        enterprise_tax_code=key.enterprise.tax_code if key.enterprise else None,
        enterprise_name=key.enterprise.name if key.enterprise else None,
        agency_id=key.agency.id if key.agency else None,
        agency_code=key.agency.code if key.agency else None,
        key_name=key.name,
        key_prefix=key.prefix,
        scopes=key.scopes.split(),
    )


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
