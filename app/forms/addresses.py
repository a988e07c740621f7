"""Two-level administrative units (in force since 1 July 2025) and address formatting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from vietnam_provinces import Province, VietNamDivisionType, Ward


@dataclass(frozen=True)
class AdminUnit:
    """A province or a commune: ``code`` is the zero-padded GSO code."""

    code: str
    name: str


def province_code(value: int) -> str:
    """Format a province code as two digits."""
    return f"{value:02d}"


def commune_code(value: int) -> str:
    """Format a commune (ward) code as five digits."""
    return f"{value:05d}"


@cache
def _provinces() -> tuple[tuple[AdminUnit, str], ...]:
    units = sorted(Province.iter_all(), key=lambda p: int(p.code))
    return tuple(
        (AdminUnit(province_code(int(p.code)), str(p.name)), _province_full_name(p)) for p in units
    )


def _province_full_name(province: Any) -> str:
    name = str(province.name)
    # Centrally-run cities already carry "Thành phố" in their name; provinces do not.
    if province.division_type == VietNamDivisionType.TINH:
        return f"Tỉnh {name}"
    return name


@cache
def _communes_by_province() -> dict[str, tuple[AdminUnit, ...]]:
    grouped: dict[str, list[AdminUnit]] = {}
    for ward in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        unit = AdminUnit(commune_code(int(ward.code)), str(ward.name))
        grouped.setdefault(province_code(int(ward.province_code)), []).append(unit)
    return {code: tuple(units) for code, units in grouped.items()}


@cache
def _commune_index() -> dict[str, tuple[str, AdminUnit]]:
    return {
        unit.code: (province, unit)
        for province, units in _communes_by_province().items()
        for unit in units
    }


def provinces() -> list[AdminUnit]:
    """Return the 34 provinces and centrally-run cities, by code."""
    return [unit for unit, _ in _provinces()]


def communes(province_code: str) -> list[AdminUnit]:
    """Return the communes, wards and special zones of a province, by code ([] if unknown)."""
    return list(_communes_by_province().get(normalize_code(province_code, 2) or "", ()))


def normalize_code(value: Any, width: int) -> str | None:
    """Return a digits-only code zero-padded to ``width``, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > width:
        return None
    return text.zfill(width)


def province_name(code: str) -> str | None:
    """Return the name of a province, or None."""
    for unit, _ in _provinces():
        if unit.code == code:
            return unit.name
    return None


def province_full_name(code: str) -> str | None:
    """Return the name used in an address line (``Tỉnh Cao Bằng``, ``Thành phố Hà Nội``)."""
    for unit, full in _provinces():
        if unit.code == code:
            return full
    return None


def commune(code: str) -> AdminUnit | None:
    """Return the commune with this code, or None."""
    found = _commune_index().get(code)
    return found[1] if found else None


def commune_province(code: str) -> str | None:
    """Return the province code a commune belongs to, or None."""
    found = _commune_index().get(code)
    return found[0] if found else None


def format_address(value: Mapping[str, Any]) -> str:
    """Return the one-line address; an old one kept as ``{"text": …}`` is returned as is."""
    province = normalize_code(value.get("province"), 2)
    commune_value = normalize_code(value.get("commune"), 5)
    text = value.get("text")
    if province is None and commune_value is None and isinstance(text, str):
        return text.strip()
    parts: list[str] = []
    street = value.get("street")
    if isinstance(street, str) and street.strip():
        parts.append(" ".join(street.split()))
    if commune_value is not None:
        unit = commune(commune_value)
        parts.append(unit.name if unit else commune_value)
    if province is not None:
        parts.append(province_full_name(province) or province)
    if not parts and isinstance(text, str):
        return text.strip()
    return ", ".join(parts)
