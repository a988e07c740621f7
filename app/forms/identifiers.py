"""Checks for Vietnamese identifiers: citizen ID, tax code, phone number, email."""

from __future__ import annotations

import re
from types import MappingProxyType

# Province codes of the citizen ID scheme (Circular 07/2016/TT-BCA, amended by 59/2021/TT-BCA).
# They keep the 63 pre-2025 provinces: cards issued before the 2025 merger stay valid.
CITIZEN_ID_PROVINCES: MappingProxyType[str, str] = MappingProxyType(
    {
        "001": "Hà Nội",
        "002": "Hà Giang",
        "004": "Cao Bằng",
        "006": "Bắc Kạn",
        "008": "Tuyên Quang",
        "010": "Lào Cai",
        "011": "Điện Biên",
        "012": "Lai Châu",
        "014": "Sơn La",
        "015": "Yên Bái",
        "017": "Hòa Bình",
        "019": "Thái Nguyên",
        "020": "Lạng Sơn",
        "022": "Quảng Ninh",
        "024": "Bắc Giang",
        "025": "Phú Thọ",
        "026": "Vĩnh Phúc",
        "027": "Bắc Ninh",
        "030": "Hải Dương",
        "031": "Hải Phòng",
        "033": "Hưng Yên",
        "034": "Thái Bình",
        "035": "Hà Nam",
        "036": "Nam Định",
        "037": "Ninh Bình",
        "038": "Thanh Hóa",
        "040": "Nghệ An",
        "042": "Hà Tĩnh",
        "044": "Quảng Bình",
        "045": "Quảng Trị",
        "046": "Thừa Thiên Huế",
        "048": "Đà Nẵng",
        "049": "Quảng Nam",
        "051": "Quảng Ngãi",
        "052": "Bình Định",
        "054": "Phú Yên",
        "056": "Khánh Hòa",
        "058": "Ninh Thuận",
        "060": "Bình Thuận",
        "062": "Kon Tum",
        "064": "Gia Lai",
        "066": "Đắk Lắk",
        "067": "Đắk Nông",
        "068": "Lâm Đồng",
        "070": "Bình Phước",
        "072": "Tây Ninh",
        "074": "Bình Dương",
        "075": "Đồng Nai",
        "077": "Bà Rịa - Vũng Tàu",
        "079": "Hồ Chí Minh",
        "080": "Long An",
        "082": "Tiền Giang",
        "083": "Bến Tre",
        "084": "Trà Vinh",
        "086": "Vĩnh Long",
        "087": "Đồng Tháp",
        "089": "An Giang",
        "091": "Kiên Giang",
        "092": "Cần Thơ",
        "093": "Hậu Giang",
        "094": "Sóc Trăng",
        "095": "Bạc Liêu",
        "096": "Cà Mau",
    }
)

CITIZEN_ID_PATTERN = "^(?:" + "|".join(CITIZEN_ID_PROVINCES) + r")[0-9]{9}$"
TAX_CODE_PATTERN = r"^[0-9]{10}(?:-[0-9]{3})?$"
PHONE_PATTERN = r"^0(?:[35789][0-9]{8}|2[0-9]{9})$"

_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_SEPARATORS = re.compile(r"[\s.\-()]+")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_PHONE = re.compile(PHONE_PATTERN)


def citizen_id_problem(value: str) -> str | None:
    """Return None if ``value`` is a valid citizen ID, else ``format`` or ``province``."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return "format"
    if value[:3] not in CITIZEN_ID_PROVINCES:
        return "province"
    return None


def tax_check_digit(first_nine: str) -> int | None:
    """Return the official check digit for 9 digits, or None when no digit can be valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, _TAX_WEIGHTS, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def normalize_tax_code(value: str) -> tuple[str | None, str | None]:
    """Return ``(cleaned, None)`` or ``(None, "format" | "checksum")`` for a tax code."""
    compact = "".join(value.split())
    match = re.fullmatch(r"([0-9]{10})(?:-?([0-9]{3}))?", compact)
    if match is None:
        return None, "format"
    main, branch = match.group(1), match.group(2)
    if branch == "000":
        return None, "format"
    if tax_check_digit(main[:9]) != int(main[9]):
        return None, "checksum"
    return (f"{main}-{branch}" if branch else main), None


def normalize_phone(value: str) -> str | None:
    """Return the number as ``0…`` digits if it is a Vietnamese mobile or landline, else None."""
    compact = _SEPARATORS.sub("", value.strip())
    for prefix in ("+84", "0084"):
        if compact.startswith(prefix):
            rest = compact[len(prefix) :]
            # "+84 (0) 912 …" is a common way of writing it.
            compact = "0" + (rest[1:] if rest.startswith("0") else rest)
            break
    else:
        if compact.startswith("84") and len(compact) in (11, 12):
            compact = "0" + compact[2:]
    return compact if _PHONE.fullmatch(compact) else None


def is_email(value: str) -> bool:
    """Tell whether ``value`` looks like a deliverable email address."""
    if len(value) > 254 or not value.isascii():
        return False
    local, _, _ = value.partition("@")
    return len(local) <= 64 and _EMAIL.fullmatch(value) is not None
