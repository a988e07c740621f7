from __future__ import annotations

from collections import Counter

import pytest

from app.forms import AdminUnit, builtin_options, communes, format_address, provinces
from app.forms.addresses import commune, commune_province, normalize_code
from app.forms.options import ETHNIC_GROUPS


def test_34_provinces() -> None:
    units = provinces()
    assert len(units) == 34
    assert units[0] == AdminUnit("01", "Thành phố Hà Nội")
    by_code = {u.code: u.name for u in units}
    assert by_code["79"] == "Thành phố Hồ Chí Minh"
    assert by_code["04"] == "Cao Bằng"
    assert len(set(by_code)) == 34
    assert all(len(u.code) == 2 and u.code.isdigit() for u in units)


def test_3321_communes() -> None:
    total = [c for p in provinces() for c in communes(p.code)]
    assert len(total) == 3321
    assert len({c.code for c in total}) == 3321
    assert all(len(c.code) == 5 and c.code.isdigit() for c in total)
    counts = Counter(commune_province(c.code) for c in total)
    assert set(counts) == {p.code for p in provinces()}


def test_communes_of_a_province() -> None:
    hanoi = communes("01")
    assert AdminUnit("00070", "Phường Hoàn Kiếm") in hanoi
    assert [c.code for c in hanoi] == sorted(c.code for c in hanoi)
    assert communes("1") == hanoi
    assert communes("02") == []
    assert communes("abc") == []
    # Callers may mutate the list they get without touching the cache.
    hanoi.clear()
    assert communes("01")


def test_commune_lookup() -> None:
    assert commune("00070") == AdminUnit("00070", "Phường Hoàn Kiếm")
    assert commune_province("00070") == "01"
    assert commune("99999") is None


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        ("1", 2, "01"),
        (1, 2, "01"),
        (" 79 ", 2, "79"),
        ("123", 2, None),
        ("a1", 2, None),
        (True, 2, None),
        (None, 2, None),
        (1.0, 2, None),
    ],
)
def test_normalize_code(value: object, width: int, expected: str | None) -> None:
    assert normalize_code(value, width) == expected


def test_format_address() -> None:
    value = {"province": "01", "commune": "00070", "street": "  12   Hàng Bài "}
    assert format_address(value) == "12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội"
    cao_bang = communes("04")[0]
    line = format_address({"province": "04", "commune": cao_bang.code})
    assert line == f"{cao_bang.name}, Tỉnh Cao Bằng"


def test_format_old_three_level_address_as_stored() -> None:
    old = {"text": "Số 5, phường Tràng Tiền, quận Hoàn Kiếm, thành phố Hà Nội"}
    assert format_address(old) == old["text"]


def test_format_address_with_unknown_codes() -> None:
    assert format_address({"province": "02", "commune": "99999", "street": "x"}) == "x, 99999, 02"
    assert format_address({}) == ""


def test_builtin_lists() -> None:
    gender = builtin_options("gender")
    assert gender is not None
    assert [(o.value, o.label.vi, o.label.get("en")) for o in gender] == [
        ("male", "Nam", "Male"),
        ("female", "Nữ", "Female"),
    ]
    ethnic = builtin_options("ethnic_groups")
    assert ethnic is not None
    assert len(ethnic) == 54 == len(ETHNIC_GROUPS)
    names = {o.label.vi for o in ethnic}
    for name in (
        "Kinh",
        "Tày",
        "Thái",
        "Mường",
        "Khơ-me",
        "Hoa",
        "Nùng",
        "Mông",
        "Ê-đê",
        "Ơ Đu",
        "Brâu",
        "Rơ-măm",
    ):
        assert name in names
    assert [o.value for o in ethnic] == [f"{n:02d}" for n in range(1, 55)]
    province_options = builtin_options("provinces")
    assert province_options is not None
    assert [o.value for o in province_options] == [p.code for p in provinces()]
    assert builtin_options("nope") is None
