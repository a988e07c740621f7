"""One place for every setting: environment variables prefixed MOTCUA_."""

from __future__ import annotations

import re
import secrets
from datetime import time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///./{VAR_DIR}/motcua.sqlite3"
SECRET_KEY_FILE = VAR_DIR / "secret_key"
MIN_SECRET_KEY_LENGTH = 32
MIN_GATEWAY_SECRET_LENGTH = 16
_PERIOD = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class PaymentGateway(StrEnum):
    """Where applicants pay their fees online: the embedded sandbox (a stand-in speaking the
    VNPAY protocol, for development and demonstrations) or VNPAY itself."""

    sandbox = "sandbox"
    vnpay = "vnpay"


class Settings(BaseSettings):
    """Settings of one portal process."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    database_url: str = DEFAULT_DATABASE_URL
    storage_url: str = str(VAR_DIR / "files")
    secret_key: str = Field(default="", repr=False)
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "vi"
    time_zone: str = "Asia/Ho_Chi_Minh"
    page_size: int = Field(default=20, ge=1, le=100)
    session_days: int = Field(default=14, ge=1, le=90)
    # Unset: e-mails are written as .eml files under mail_dir instead of being sent.
    smtp_url: str = Field(default="", repr=False)
    mail_dir: str = str(VAR_DIR / "mail")
    mail_from: str = "Cổng dịch vụ công <no-reply@localhost>"
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    # Drafts untouched this long are deleted with their files by the worker.
    draft_days: int = Field(default=30, ge=1, le=365)
    # Upload limits: per file (a slot's own max_size_mb may be lower) and per dossier, in MiB.
    max_file_mb: int = Field(default=100, ge=1)
    max_dossier_mb: int = Field(default=500, ge=1)
    # Unfinished resumable (tus) uploads are discarded this long after they were created.
    upload_hours: int = Field(default=24, ge=1, le=24 * 30)
    # tcp://host:3310 or unix:///path/to/clamd.ctl; unset: files are not scanned for viruses.
    clamd_url: str = ""
    # Working periods of a day, in order: deadlines count only these hours (see working_periods).
    working_hours: str = "07:00-11:30,13:30-17:00"
    # API requests a minute per key, unless the key has its own limit.
    api_rate_limit: int = Field(default=600, ge=1)
    # How long an Idempotency-Key is remembered.
    idempotency_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Callback targets resolving to these networks are allowed although private or loopback
    # (comma-separated CIDRs, such as 10.0.0.0/8,127.0.0.1/32); every other private, loopback,
    # link-local or reserved address is refused.
    webhook_allowed_networks: str = ""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # How long a worker holds the deliveries it claimed before another may take them.
    webhook_lease_seconds: int = Field(default=60, ge=1, le=3600)
    # Deliveries a worker claims at once, and sends at the same time.
    webhook_batch: int = Field(default=200, ge=1, le=5000)
    webhook_concurrency: int = Field(default=64, ge=1, le=1000)
    # How long a rotated secret keeps signing beside the new one.
    webhook_rotation_hours: int = Field(default=24, ge=0, le=24 * 30)
    # An endpoint failing this long without a success is disabled and its owner told.
    webhook_disable_after_days: int = Field(default=5, ge=1, le=60)
    # The national portal's DongBoHoSoMC endpoint and token; unset: no synchronisation.
    national_portal_url: str = ""
    national_portal_token: str = Field(default="", repr=False)
    # --- Feedback and verification (app/feedback) ---
    # Working days an agency has to answer feedback or a complaint (phản ánh, kiến nghị).
    feedback_answer_days: int = Field(default=10, ge=1, le=60)
    # The largest PDF the public verification page and POST /api/v1/verify read, in MiB.
    verify_max_mb: int = Field(default=20, ge=1, le=200)
    # Verifications one client address may ask for in 15 minutes.
    verify_rate_limit: int = Field(default=60, ge=1)
    # --- Fees paid online (app/payments) ---
    # Unset: the sandbox outside production; in production, no online payment until set.
    payment_gateway: PaymentGateway | None = None
    # The merchant's terminal code and hash secret VNPAY gives (vnp_TmnCode, vnp_HashSecret).
    vnpay_tmn_code: str = ""
    vnpay_hash_secret: str = Field(default="", repr=False)
    vnpay_pay_url: str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    vnpay_api_url: str = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
    # How long the payer has on the gateway's pages (vnp_ExpireDate).
    payment_expiry_minutes: int = Field(default=15, ge=5, le=24 * 60)
    # A payment still pending this long after it started is asked about again (then with backoff).
    payment_check_seconds: int = Field(default=60, ge=1, le=3600)
    payment_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    # Where the embedded sandbox sends its IPN; unset: the portal's own IPN address.
    sandbox_ipn_url: str = ""

    @model_validator(mode="after")
    def _payment_gateway_is_set(self) -> Self:
        if self.payment_gateway is PaymentGateway.vnpay:
            if not self.vnpay_tmn_code or not self.vnpay_hash_secret:
                raise ValueError(
                    "MOTCUA_VNPAY_TMN_CODE and MOTCUA_VNPAY_HASH_SECRET are required with"
                    " MOTCUA_PAYMENT_GATEWAY=vnpay"
                )
            if (
                self.environment is Environment.production
                and len(self.vnpay_hash_secret) < MIN_GATEWAY_SECRET_LENGTH
            ):
                raise ValueError(
                    f"MOTCUA_VNPAY_HASH_SECRET must be at least {MIN_GATEWAY_SECRET_LENGTH}"
                    " characters"
                )
        elif self.payment_gateway is PaymentGateway.sandbox:
            if self.environment is Environment.production:
                # The sandbox marks paid whatever its tester says is: never for real fees.
                raise ValueError("MOTCUA_PAYMENT_GATEWAY=sandbox is refused in production")
        elif self.environment is not Environment.production:
            self.payment_gateway = PaymentGateway.sandbox
        return self

    @field_validator("working_hours")
    @classmethod
    def _working_hours_parse(cls, value: str) -> str:
        parse_working_hours(value)
        return value

    @property
    def working_periods(self) -> tuple[tuple[time, time], ...]:
        """The working hours as (start, end) times of day, in order."""
        return parse_working_hours(self.working_hours)

    @model_validator(mode="after")
    def _secret_key_is_set(self) -> Self:
        if self.secret_key:
            if (
                self.environment is Environment.production
                and len(self.secret_key) < MIN_SECRET_KEY_LENGTH
            ):
                raise ValueError(
                    f"MOTCUA_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters"
                )
            return self
        if self.environment is Environment.production:
            raise ValueError("MOTCUA_SECRET_KEY is required in production")
        self.secret_key = _development_secret_key()
        return self


def parse_working_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Periods written HH:MM-HH:MM and separated by commas, in order and not overlapping, as
    (start, end) pairs; ValueError naming the faulty period otherwise."""
    periods: list[tuple[time, time]] = []
    for written in text.split(","):
        period = written.strip()
        match = _PERIOD.fullmatch(period)
        if match is None:
            raise ValueError(
                f"MOTCUA_WORKING_HOURS: {period!r} is not a period HH:MM-HH:MM"
                " (such as 07:00-11:30,13:30-17:00)"
            )
        start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
        start, end = time(start_hour, start_minute), time(end_hour, end_minute)
        if end <= start:
            raise ValueError(f"MOTCUA_WORKING_HOURS: {period!r} must end after it starts")
        if periods and start < periods[-1][1]:
            raise ValueError(
                f"MOTCUA_WORKING_HOURS: {period!r} begins before the period before it ends"
                " (periods must be in order and must not overlap)"
            )
        periods.append((start, end))
    return tuple(periods)


def _development_secret_key() -> str:
    """Keep one random key per checkout so sessions survive restarts in development."""
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    SECRET_KEY_FILE.write_text(key)
    SECRET_KEY_FILE.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
