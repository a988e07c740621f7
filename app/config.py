"""One place for every setting: environment variables prefixed MOTCUA_."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///./{VAR_DIR}/motcua.sqlite3"
SECRET_KEY_FILE = VAR_DIR / "secret_key"
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


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
