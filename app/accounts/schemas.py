"""What the account operations take and give: plain Pydantic models, no ORM objects."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel

from app.models.accounts import AccountKind, MemberRole


class CitizenSignUp(BaseModel):
    full_name: str = ""
    email: str = ""
    phone: str = ""
    citizen_id: str = ""
    password: str = ""
    password_confirm: str = ""


class EnterpriseSignUp(CitizenSignUp):
    """The enterprise, and its first staff member as a person signing up."""

    tax_code: str = ""
    enterprise_name: str = ""
    enterprise_address: str = ""


class EnterpriseOut(BaseModel):
    tax_code: str
    name: str
    address: str
    role: MemberRole


class AccountOut(BaseModel):
    id: int
    kind: AccountKind
    email: str
    full_name: str
    phone: str | None
    citizen_id: str | None
    created_at: datetime
    last_sign_in_at: datetime | None
    enterprises: list[EnterpriseOut] = []


class SignedIn(BaseModel):
    """A new session: the raw token goes to the browser (signed); only its hash is stored."""

    token: str
    expires_at: datetime
    account: AccountOut


class ApiKeyOut(BaseModel):
    """An API key as it can be shown: never the key itself, which only its creator sees once."""

    prefix: str
    name: str
    # Exactly one of the two owns the key.
    enterprise_tax_code: str | None
    agency_code: str | None
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    # None: the key does not expire.
    expires_at: datetime | None = None
    # Requests a minute; None: the portal's default.
    rate_limit: int | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def state(self, now: datetime) -> str:
        """revoked, expired or active: what the lists show beside each key."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expired(now) else "active"


class RateWindow(BaseModel):
    """A key's requests in the current minute, against its limit."""

    limit: int
    used: int
    resets_at: datetime

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1), as Retry-After counts them."""
        return max(1, math.ceil((self.resets_at - now).total_seconds()))

    def headers(self, now: datetime) -> dict[str, str]:
        """The RateLimit-* fields of the IETF draft (httpapi-ratelimit-headers)."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "RateLimit-Reset": str(self.seconds_left(now)),
        }


class ApiPrincipal(BaseModel):
    """Who is calling the API with a valid key: the enterprise or the agency, and the key."""

    enterprise_tax_code: str | None = None
    enterprise_name: str | None = None
    agency_id: int | None = None
    agency_code: str | None = None
    key_name: str
    key_prefix: str
    scopes: list[str]


class EnterpriseRef(BaseModel):
    """An enterprise as other domains refer to it."""

    id: int
    tax_code: str
    name: str


class OfficialOut(BaseModel):
    """An official: the account, its agency and unit, and what it may do (OfficialRole values,
    in the order of OfficialRole)."""

    account_id: int
    email: str
    full_name: str
    phone: str | None
    title: str
    agency_id: int
    agency_code: str
    agency_name: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    roles: list[str]
    disabled: bool

    def holds(self, *roles: str) -> bool:
        """Whether the official holds at least one of the roles."""
        return any(role in self.roles for role in roles)


class UnitOut(BaseModel):
    """A unit (phòng, bộ phận) of an agency."""

    id: int
    agency_id: int
    code: str
    name: str
