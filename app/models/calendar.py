"""The working calendar: days that differ from the Monday-to-Friday rule."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class DayKind(StrEnum):
    # A public holiday or an extra day off: no working hours on a weekday.
    day_off = "day_off"
    # A Saturday or Sunday worked in exchange for a day off (ngày làm bù).
    working = "working"


class DaySource(StrEnum):
    # Seeded from the `holidays` package; an administrator may still change or remove it.
    statutory = "statutory"
    admin = "admin"


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CalendarYear(Base):
    """A year whose statutory holidays were seeded, so removing one by hand stays removed."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True)
    seeded_at: Mapped[datetime] = mapped_column(default=utcnow)
