"""A complete, valid answer to the building permit form of the demo catalog, page by page, as
the pages of a draft post it."""

from __future__ import annotations

from datetime import date, timedelta

PERMIT = "1.010007"
START_URL = f"/thu-tuc/{PERMIT}/nop-ho-so"
LAO_CAI = "15"
PHUONG_LAO_CAI = "02647"
# The demo catalog's commune people's committees that receive it (the first is chosen here).
AGENCY = "000.00.41.H39"


def planned_start() -> date:
    return date.today() + timedelta(days=10)


def owner_pairs() -> list[tuple[str, str]]:
    """Page 1: the owner, with one co-owner."""
    return [
        ("owner_full_name", "Nguyễn Văn An"),
        ("owner_citizen_id", "001099012345"),
        ("owner_address.province", LAO_CAI),
        ("owner_address.commune", PHUONG_LAO_CAI),
        ("owner_address.street", "Số 12 đường Hoàng Liên"),
        ("owner_phone", "0912 345 678"),
        ("owner_email", ""),
        ("has_co_owners", "yes"),
        ("_count.co_owners", "1"),
        ("co_owners[0].co_owner_name", "Trần Thị Bình"),
        ("co_owners[0].co_owner_citizen_id", "015199054321"),
        ("co_owners[0].co_owner_relationship", "Vợ"),
    ]


def site_pairs() -> list[tuple[str, str]]:
    """Page 2: the building site."""
    return [
        ("site_address.province", LAO_CAI),
        ("site_address.commune", PHUONG_LAO_CAI),
        ("site_address.street", "Tổ 5"),
        ("land_certificate_serial", "CS 123456"),
        ("map_sheet_number", "12"),
        ("parcel_number", "345"),
        ("plot_area", "120,5"),
    ]


def design_pairs() -> list[tuple[str, str]]:
    """Page 3: what is to be built."""
    return [
        ("building_footprint", "80"),
        ("floors", "3"),
        ("total_floor_area", "240"),
        ("building_height", "11,5"),
        ("has_basement", "no"),
        ("basement_area", ""),
        ("designer_name", "Công ty TNHH Thiết kế Sa Pa"),
        ("designer_tax_code", ""),
        ("estimated_cost", "1.500.000.000"),
        ("planned_start", planned_start().strftime("%d/%m/%Y")),
        ("duration_months", "8"),
        ("has_adjacent_buildings", "no"),
    ]


def attachment_pairs() -> list[tuple[str, str]]:
    """Page 4: the declaration (files come separately)."""
    return [("declaration_consent", "agree")]


PAGES = [owner_pairs, site_pairs, design_pairs, attachment_pairs]


def replace(pairs: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    """The pairs with some values changed."""
    return [(k, changes.get(k, v)) for k, v in pairs]
