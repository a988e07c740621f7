from __future__ import annotations

import pytest

from app.forms.identifiers import (
    CITIZEN_ID_PROVINCES,
    citizen_id_problem,
    is_email,
    normalize_phone,
    normalize_tax_code,
    tax_check_digit,
)


def test_citizen_id_province_list_is_the_63_old_provinces() -> None:
    assert len(CITIZEN_ID_PROVINCES) == 63
    assert CITIZEN_ID_PROVINCES["001"] == "Hà Nội"
    assert CITIZEN_ID_PROVINCES["079"] == "Hồ Chí Minh"
    assert CITIZEN_ID_PROVINCES["096"] == "Cà Mau"
    assert all(len(code) == 3 and code.isdigit() for code in CITIZEN_ID_PROVINCES)
    assert "003" not in CITIZEN_ID_PROVINCES
    assert "097" not in CITIZEN_ID_PROVINCES


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("001090012345", None),
        ("079201000001", None),
        ("096300123456", None),
        ("003090012345", "province"),
        ("000090012345", "province"),
        ("099090012345", "province"),
        ("00109001234", "format"),
        ("0010900123456", "format"),
        ("00109001234a", "format"),
        ("００１０９００１２３４５", "format"),
        ("", "format"),
    ],
)
def test_citizen_id(value: str, problem: str | None) -> None:
    assert citizen_id_problem(value) == problem


def test_tax_check_digit_of_viettel() -> None:
    assert tax_check_digit("010010910") == 6


@pytest.mark.parametrize(
    ("value", "cleaned", "problem"),
    [
        ("0100109106", "0100109106", None),
        (" 0100 109 106 ", "0100109106", None),
        ("0100109106-001", "0100109106-001", None),
        ("0100109106001", "0100109106-001", None),
        ("0100109106-999", "0100109106-999", None),
        ("0100109107", None, "checksum"),
        ("0100109106-000", None, "format"),
        ("0100109106-01", None, "format"),
        ("010010910", None, "format"),
        ("01001091061234", None, "format"),
        ("abcdefghij", None, "format"),
        ("0100109106--001", None, "format"),
    ],
)
def test_tax_code(value: str, cleaned: str | None, problem: str | None) -> None:
    assert normalize_tax_code(value) == (cleaned, problem)


def test_tax_code_whose_check_would_be_ten_is_invalid() -> None:
    # Find 9 digits whose weighted sum is a multiple of 11: no 10th digit can be valid.
    first_nine = next(f"{n:09d}" for n in range(1, 10**6) if tax_check_digit(f"{n:09d}") is None)
    for last in "0123456789":
        assert normalize_tax_code(first_nine + last) == (None, "checksum")


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("0912345678", "0912345678"),
        ("091 234 5678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("091-234-5678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("0321234567", "0321234567"),
        ("0561234567", "0561234567"),
        ("0701234567", "0701234567"),
        ("0812345678", "0812345678"),
        ("02438251234", "02438251234"),
        ("(024) 3825 1234", "02438251234"),
        ("+84 24 3825 1234", "02438251234"),
        ("842838251234", "02838251234"),
        ("0112345678", None),
        ("0412345678", None),
        ("0612345678", None),
        ("091234567", None),
        ("09123456789", None),
        ("0243825123", None),
        ("+1 212 555 0100", None),
        ("phone", None),
        ("", None),
    ],
)
def test_phone(value: str, cleaned: str | None) -> None:
    assert normalize_phone(value) == cleaned


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("an.nguyen@example.vn", True),
        ("a+tag@sub.example.gov.vn", True),
        ("x@y.co", True),
        ("no-at.example.vn", False),
        ("a@b", False),
        ("a@@b.vn", False),
        (".a@b.vn", False),
        ("a..b@b.vn", False),
        ("a@-b.vn", False),
        ("a b@b.vn", False),
        ("nguyễn@example.vn", False),
        ("a@" + "b" * 250 + ".vn", False),
        ("", False),
    ],
)
def test_email(value: str, ok: bool) -> None:
    assert is_email(value) is ok
