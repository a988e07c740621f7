from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.forms.values import (
    DateBound,
    decimal_places,
    parse_bound,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_money,
    shift,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        (-3, -3),
        (5.0, 5),
        ("12", 12),
        (" -7 ", -7),
        ("+7", 7),
        ("1.500", 1500),
        ("1,500", 1500),
        ("1 500 000", 1500000),
        ("1\u00a0500", 1500),
        (Decimal("4"), 4),
        (5.5, None),
        ("1.5", None),
        ("12,5", None),
        ("1.50", None),
        ("abc", None),
        ("", None),
        (True, None),
        (None, None),
        ([1], None),
        (float("inf"), None),
        (float("nan"), None),
        ("9" * 41, None),
    ],
)
def test_parse_integer(value: Any, expected: int | None) -> None:
    assert parse_integer(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.500.000", 1500000),
        ("1,500,000", 1500000),
        ("1500000", 1500000),
        ("1.500.000 đ", 1500000),
        ("1.500.000đ", 1500000),
        ("1.500.000 VNĐ", 1500000),
        ("200 đồng", 200),
        ("2.000.000 ₫", 2000000),
        (1500000, 1500000),
        ("1.5", None),
        ("đ", None),
    ],
)
def test_parse_money(value: Any, expected: int | None) -> None:
    assert parse_money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("-0,25", Decimal("-0.25")),
        (".5", Decimal("0.5")),
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("1.234.567", Decimal("1234567")),
        ("1 234,5", Decimal("1234.5")),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),
        ("1,2,3", None),
        ("1.2.3", None),
        ("1.23,4.5", None),
        ("1e5", None),
        ("NaN", None),
        ("Infinity", None),
        ("", None),
        (True, None),
        (float("nan"), None),
        ({"a": 1}, None),
    ],
)
def test_parse_decimal(value: Any, expected: Decimal | None) -> None:
    assert parse_decimal(value) == expected


def test_decimal_places() -> None:
    assert decimal_places(Decimal("12.50")) == 1
    assert decimal_places(Decimal("12")) == 0
    assert decimal_places(Decimal("1E+2")) == 0
    assert decimal_places(Decimal("0.125")) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("29/02/2024", date(2024, 2, 29)),
        ("1/2/2024", date(2024, 2, 1)),
        ("01-02-2024", date(2024, 2, 1)),
        ("01.02.2024", date(2024, 2, 1)),
        (" 2024-02-01 ", date(2024, 2, 1)),
        (date(2020, 1, 2), date(2020, 1, 2)),
        (datetime(2020, 1, 2, 10, 0), date(2020, 1, 2)),
        ("2023-02-29", None),
        ("31/04/2024", None),
        ("2024/02/01", None),
        ("02/01/24", None),
        ("2024-2-1", None),
        ("0000-01-01", None),
        ("yesterday", None),
        (20240201, None),
        (None, None),
    ],
)
def test_parse_date(value: Any, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_shift_clamps_month_ends() -> None:
    assert shift(date(2024, 2, 29), -18, "y") == date(2006, 2, 28)
    assert shift(date(2024, 3, 31), -1, "m") == date(2024, 2, 29)
    assert shift(date(2024, 1, 31), 1, "m") == date(2024, 2, 29)
    assert shift(date(2024, 12, 31), 1, "d") == date(2025, 1, 1)
    assert shift(date(2024, 1, 15), -13, "m") == date(2022, 12, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", DateBound(today_offset=(0, "d"))),
        ("today-18y", DateBound(today_offset=(-18, "y"))),
        ("today+30d", DateBound(today_offset=(30, "d"))),
        ("today-6m", DateBound(today_offset=(-6, "m"))),
        ("2025-07-01", DateBound(fixed=date(2025, 7, 1))),
        ("field:birth_date", DateBound(field="birth_date")),
        ("field:", None),
        ("today-18", None),
        ("today-18w", None),
        ("Today", None),
        ("01/07/2025", None),
        ("2025-02-30", None),
    ],
)
def test_parse_bound(text: str, expected: DateBound | None) -> None:
    assert parse_bound(text) == expected


def test_bound_resolution() -> None:
    today = date(2026, 3, 15)
    assert DateBound(today_offset=(-18, "y")).resolve(today) == date(2008, 3, 15)
    assert DateBound(fixed=date(2000, 1, 1)).resolve(today) == date(2000, 1, 1)
    assert DateBound(field="x").resolve(today) is None
    assert DateBound(today_offset=(99999, "y")).resolve(today) is None
