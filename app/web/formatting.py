"""How numbers, money, dates, working days and file sizes are written on the pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.kit.clock import aware

_GROUPING = {"vi": ".", "en": ","}
_DECIMAL_MARK = {"vi": ",", "en": "."}


def _lang(locale: str) -> str:
    return "en" if locale.lower().startswith("en") else "vi"


def format_integer(value: int, locale: str = "vi") -> str:
    """A whole number with thousands grouped: ``1.500.000`` (vi), ``1,500,000`` (en)."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", _GROUPING[_lang(locale)])


def format_decimal(value: float | Decimal | int, locale: str = "vi", places: int = 2) -> str:
    """A number with at most ``places`` decimals, trailing zeros dropped: ``12,5`` (vi)."""
    number = (
        Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
        if places
        else Decimal(round(float(value)))
    )
    whole, _, fraction = f"{abs(number):f}".partition(".")
    fraction = fraction.rstrip("0")
    lang = _lang(locale)
    text = format_integer(int(whole), lang)
    if fraction:
        text += _DECIMAL_MARK[lang] + fraction
    return ("-" if number < 0 and (int(whole) or fraction) else "") + text


def format_money(amount: int, locale: str = "vi") -> str:
    """An amount of đồng: ``200.000 đ`` in Vietnamese, ``200,000 VND`` in English."""
    if _lang(locale) == "en":
        return f"{format_integer(amount, 'en')} VND"
    return f"{format_integer(amount, 'vi')}\u00a0đ"


def format_days(days: float | Decimal | int, locale: str = "vi") -> str:
    """A count of working days: ``0,5`` or ``15`` (vi), ``0.5`` (en)."""
    return format_decimal(days, locale, places=1)


def format_date(value: date | str | None, zone: str | None = None) -> str:
    """A date as ``dd/mm/yyyy`` (the way both locales read dates on these pages); a moment
    is dated in the ``zone`` given."""
    if value is None:
        return ""
    if isinstance(value, datetime) and zone:
        value = aware(value).astimezone(ZoneInfo(zone))
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime(value: datetime | None, zone: str = "Asia/Ho_Chi_Minh") -> str:
    """A moment as ``hh:mm dd/mm/yyyy`` in the portal's time zone (as the standard forms write
    it)."""
    if value is None:
        return ""
    local = aware(value).astimezone(ZoneInfo(zone))
    return f"{local:%H:%M} {format_date(local)}"


def format_file_size(size: int, locale: str = "vi") -> str:
    """A file size for people: ``820 byte``, ``34 KB``, ``1,2 MB``."""
    if size < 1024:
        return f"{size} {'bytes' if _lang(locale) == 'en' else 'byte'}"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, locale, places=0)} KB"
    return f"{format_decimal(size / (1024 * 1024), locale, places=1)} MB"
