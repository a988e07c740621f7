"""Parsing of values as pages and API clients send them: numbers, money, dates, date bounds."""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_GROUPED_DOT = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+")
_GROUPED_COMMA = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+")
_GROUPED_SPACE = re.compile(r"[+-]?[0-9]{1,3}(?: [0-9]{3})+")
_PLAIN_INT = re.compile(r"[+-]?[0-9]+")
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MONEY_SUFFIX = re.compile(r"\s*(?:đồng|đ|₫|vnđ|vnd)\.?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_VN_DATE = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_BOUND = re.compile(r"today(?:([+-])([0-9]{1,5})([dmy]))?")
_MAX_DIGITS = 40


def _compact(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def parse_integer(value: Any) -> int | None:
    """Return an integer from an int, an integral float or text like ``1.500`` or ``1500``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if not isinstance(value, str):
        return None
    text = _compact(value)
    if len(text) > _MAX_DIGITS:
        return None
    for pattern, separator in ((_GROUPED_DOT, "."), (_GROUPED_COMMA, ","), (_GROUPED_SPACE, " ")):
        if pattern.fullmatch(text):
            return int(text.replace(separator, ""))
    if _PLAIN_INT.fullmatch(text):
        return int(text)
    return None


def parse_money(value: Any) -> int | None:
    """Return an amount of đồng from an int or text like ``1.500.000``, ``1,500,000 đ``."""
    if isinstance(value, str):
        value = _MONEY_SUFFIX.sub("", _compact(value))
    return parse_integer(value)


def parse_decimal(value: Any) -> Decimal | None:
    """Return a finite Decimal from a number or text like ``12,5``, ``12.5``, ``1.234,5``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if not isinstance(value, str):
        return None
    text = _compact(value).replace(" ", "")
    if not text or len(text) > _MAX_DIGITS:
        return None
    if "," in text and "." in text:
        # Whichever separator comes last is the decimal mark; the other one groups thousands.
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        whole, _, fraction = text.rpartition(decimal_mark)
        grouped = _GROUPED_DOT if grouping == "." else _GROUPED_COMMA
        if not grouped.fullmatch(whole) or not fraction.isdigit() or not fraction.isascii():
            return None
        text = whole.replace(grouping, "") + "." + fraction
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(".") > 1 or text.count(",") > 1:
        grouped = _GROUPED_DOT if "." in text else _GROUPED_COMMA
        if not grouped.fullmatch(text):
            return None
        text = text.replace(".", "").replace(",", "")
    if not _PLAIN_DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def decimal_places(value: Decimal) -> int:
    """Return the number of digits after the decimal mark, ignoring trailing zeros."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_date(value: Any) -> date | None:
    """Return a date from ``YYYY-MM-DD``, ``dd/mm/yyyy`` (also ``-`` or ``.``) or a date object."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _VN_DATE.fullmatch(text)
        if match is None:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def shift(day: date, amount: int, unit: str) -> date:
    """Move ``day`` by ``amount`` days, months or years (``d``/``m``/``y``), clamping month ends."""
    if unit == "d":
        return date.fromordinal(day.toordinal() + amount)
    months = amount * (12 if unit == "y" else 1)
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class DateBound:
    """A parsed ``not_before``/``not_after`` value."""

    fixed: date | None = None
    today_offset: tuple[int, str] | None = None
    field: str | None = None

    def resolve(self, today: date) -> date | None:
        """Return the bound for ``today``, or None for a field bound or out-of-range result."""
        if self.fixed is not None:
            return self.fixed
        if self.today_offset is not None:
            amount, unit = self.today_offset
            try:
                return shift(today, amount, unit)
            except (ValueError, OverflowError):
                return None
        return None


def parse_bound(text: str) -> DateBound | None:
    """Parse an ISO date, ``today``, ``today±N(d|m|y)`` or ``field:<key>``; None if invalid."""
    if text.startswith("field:"):
        key = text[len("field:") :]
        return DateBound(field=key) if key else None
    match = _BOUND.fullmatch(text)
    if match:
        sign, amount, unit = match.groups()
        if sign is None:
            return DateBound(today_offset=(0, "d"))
        return DateBound(today_offset=(int(amount) * (-1 if sign == "-" else 1), unit))
    if _ISO_DATE.fullmatch(text):
        parsed = parse_date(text)
        return DateBound(fixed=parsed) if parsed else None
    return None
