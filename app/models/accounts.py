"""Accounts: citizens, enterprise staff and officials; enterprises; sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.kit.clock import utcnow
from app.models.base import Base
from app.models.catalog import Agency


class AccountKind(StrEnum):
    citizen = "citizen"
    enterprise_staff = "enterprise_staff"
    # Officials are created by administrators (not by sign-up); the kind is kept from the start.
    official = "official"


class MemberRole(StrEnum):
    owner = "owner"
    staff = "staff"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    # Stored lower-cased, so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    citizen_id: Mapped[str | None] = mapped_column(String(12), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(default=False)

    memberships: Mapped[list[EnterpriseMember]] = relationship(
        back_populates="account", lazy="raise"
    )


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_code: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[EnterpriseMember]] = relationship(
        back_populates="enterprise", lazy="raise"
    )


class EnterpriseMember(Base):
    """A staff member acting for an enterprise; the first one signs it up as its owner."""

    __tablename__ = "enterprise_members"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped[Enterprise] = relationship(back_populates="members", lazy="raise")
    account: Mapped[Account] = relationship(back_populates="memberships", lazy="raise")


class Session(Base):
    """A signed-in browser. Only the SHA-256 of the random token is kept: a copy of the table
    does not let anyone sign in."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")

    account: Mapped[Account] = relationship(lazy="raise")


class SignInAttempt(Base):
    """One sign-in attempt, for throttling; key is ``account:<email>`` or ``ip:<address>``."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)


class PasswordResetToken(Base):
    """A link to set a new password: single use, short-lived; only the SHA-256 is kept."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OfficialRole(StrEnum):
    """What an official may do; one official may hold several."""

    receiver = "receiver"
    specialist = "specialist"
    leader = "leader"
    clerk = "clerk"
    admin = "admin"


class Unit(Base):
    """A unit (phòng, bộ phận) inside an agency, to which steps of a workflow are handed."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Official(Base):
    """The agency, unit and roles of an official's account."""

    __tablename__ = "officials"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    # Space-separated OfficialRole values, so one LIKE filters them on every database.
    roles: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")

    account: Mapped[Account] = relationship(lazy="raise")
    agency: Mapped[Agency] = relationship(lazy="raise")
    unit: Mapped[Unit | None] = relationship(lazy="raise")

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class ApiKey(Base):
    """A key that enterprise or agency software uses on the REST API. Only the SHA-256 of the key is
    kept; the public prefix (the 8 characters after ``mck_``) finds the row to compare with."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An enterprise's key submits and reads its dossiers; an agency's key processes dossiers.
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    # Space-separated, as in OAuth 2.0 (RFC 6749 §3.3).
    scopes: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # None: the key does not expire.
    expires_at: Mapped[datetime | None]
    # Requests a minute; None: the portal's default (MOTCUA_API_RATE_LIMIT).
    rate_limit: Mapped[int | None]

    enterprise: Mapped[Enterprise | None] = relationship(lazy="raise")
    agency: Mapped[Agency | None] = relationship(lazy="raise")


class ApiRateWindow(Base):
    """How many requests a key made in one minute: the rate limit's counter, kept in the
    database so that every web process counts the same requests."""

    __tablename__ = "api_rate_windows"

    api_key_id: Mapped[int] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    requests: Mapped[int] = mapped_column(default=0)
