"""What the account operations take and give: plain Pydantic models, no ORM objects."""

from __future__ import annotations

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
    enterprise_tax_code: str | None
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiPrincipal(BaseModel):
    """Who is calling the API with a valid key: the enterprise and the key."""

    enterprise_tax_code: str
    enterprise_name: str
    key_name: str
    key_prefix: str
    scopes: list[str]


class EnterpriseRef(BaseModel):
    """An enterprise as other domains refer to it."""

    id: int
    tax_code: str
    name: str
