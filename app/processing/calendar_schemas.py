"""What the working-calendar operations give: plain Pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from app.models.calendar import DayKind, DaySource


class CalendarDayOut(BaseModel):
    """A day that differs from the Monday-to-Friday rule."""

    day: date
    kind: DayKind
    name: str
    source: DaySource
    # ISO weekday: 1 for Monday (thứ Hai) to 7 for Sunday (Chủ nhật).
    weekday: int
