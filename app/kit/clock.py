"""The current time, always aware, so tests and code agree on one source."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, time-zone aware."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """The moment with its time zone: SQLite gives timestamps back without one, and every
    timestamp is written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
