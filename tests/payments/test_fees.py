"""The fees a dossier owes, counted from the procedure's fee lines and the applicant's answers,
and how the catalog checks them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.importing import import_catalog
from app.catalog.schemas import Fee
from app.errors import InvalidInput
from app.payments.fees import assess
from tests.fixtures.catalogs import small_catalog

# The criminal record certificate of the demo catalog: full, halved or exempt, and 5,000 đồng
# for each certificate from the third.
RECORD_FEES: list[dict[str, Any]] = [
    {
        "code": "LLTP",
        "name": "Phí cung cấp thông tin",
        "amount": 200_000,
        "applies_if": {"!=": [{"var": "fee_category"}, "reduced"]},
        "exempt_if": {"==": [{"var": "fee_category"}, "exempt"]},
    },
    {
        "code": "LLTP-GIAM",
        "name": "Phí cung cấp thông tin (giảm 50%)",
        "amount": 100_000,
        "applies_if": {"==": [{"var": "fee_category"}, "reduced"]},
    },
    {
        "code": "LLTP-THEM",
        "name": "Phí cấp thêm Phiếu",
        "amount": 5_000,
        "per": "copy",
        "quantity": "copies",
        "included": 2,
        "exempt_if": {"==": [{"var": "fee_category"}, "exempt"]},
    },
]


@pytest.mark.parametrize(
    ("answers", "total", "codes"),
    [
        ({"fee_category": "standard", "copies": 1}, 200_000, ["LLTP"]),
        ({"fee_category": "standard", "copies": 2}, 200_000, ["LLTP"]),
        # Copies 3, 4 and 5 are charged: 200,000 + 3 × 5,000.
        ({"fee_category": "standard", "copies": 5}, 215_000, ["LLTP", "LLTP-THEM"]),
        ({"fee_category": "reduced", "copies": 4}, 110_000, ["LLTP-GIAM", "LLTP-THEM"]),
        ({"fee_category": "exempt", "copies": 4}, 0, ["LLTP", "LLTP-THEM"]),
        # A count the form never gives (text, negative, a flag) charges no extra copy.
        ({"fee_category": "standard", "copies": "nhiều"}, 200_000, ["LLTP"]),
        ({"fee_category": "standard", "copies": -3}, 200_000, ["LLTP"]),
        ({"fee_category": "standard", "copies": True}, 200_000, ["LLTP"]),
        ({"fee_category": "standard", "copies": "4"}, 210_000, ["LLTP", "LLTP-THEM"]),
    ],
)
def test_the_fees_follow_the_answers(answers: dict[str, Any], total: int, codes: list[str]) -> None:
    assessment = assess(RECORD_FEES, answers)
    assert assessment.total == total
    assert [line.code for line in assessment.lines] == codes


def test_an_exempt_line_is_shown_with_nothing_to_pay() -> None:
    lines = assess(RECORD_FEES, {"fee_category": "exempt", "copies": 3}).lines
    assert [(line.quantity, line.unit_amount, line.amount, line.exempt) for line in lines] == [
        (1, 200_000, 0, True),
        (1, 5_000, 0, True),
    ]


def test_per_item_counts_the_entries_of_a_repeating_group() -> None:
    fees = [{"name": "Phí thẩm định", "amount": 30_000, "per": "item", "quantity": "plots"}]
    assessment = assess(fees, {"plots": [{"area": 1}, {"area": 2}, {"area": 3}]})
    assert assessment.total == 90_000
    assert assessment.lines[0].as_json() == {
        "code": None,
        "name": "Phí thẩm định",
        "quantity": 3,
        "unit_amount": 30_000,
        "amount": 90_000,
        "exempt": False,
    }
    assert assess(fees, {}).lines == ()


def test_a_fee_counted_per_copy_names_its_field_and_only_then() -> None:
    with pytest.raises(ValidationError):
        Fee.model_validate({"name": "Phí", "amount": 1, "per": "copy"})
    with pytest.raises(ValidationError):
        Fee.model_validate({"name": "Phí", "amount": 1, "quantity": "copies"})
    with pytest.raises(ValidationError):
        Fee.model_validate({"name": "Phí", "amount": -1})


async def test_the_catalog_refuses_a_fee_reading_a_field_the_form_lacks(
    db_session: AsyncSession,
) -> None:
    catalog = small_catalog()
    catalog["procedures"][0]["fees"] = [
        {"name": "Phí", "amount": 1000, "per": "copy", "quantity": "copies"},
        {"name": "Phí", "amount": 1000, "exempt_if": {"==": [{"var": "group"}, "poor"]}},
    ]
    with pytest.raises(InvalidInput) as caught:
        await import_catalog(db_session, catalog)
    locations = [p.location for p in caught.value.problems]
    assert locations == ["procedures[0] (9.000001).fees[0]", "procedures[0] (9.000001).fees[1]"]


async def test_the_catalog_keeps_the_fees_and_when_they_are_paid(
    db_session: AsyncSession,
) -> None:
    from app.catalog import service as catalog
    from app.catalog.importing import export_catalog

    raw = small_catalog()
    raw["procedures"][0]["fees"] = [
        {"code": "LP", "name": "Lệ phí", "amount": 5000, "per": "copy", "quantity": "full_name"}
    ]
    raw["procedures"][0]["payment"] = "before_result"
    await import_catalog(db_session, raw)
    detail = await catalog.get_procedure(db_session, raw["procedures"][0]["code"])
    assert detail.payment == "before_result"
    assert detail.fees[0].per == "copy" and detail.fees[0].code == "LP"
    code = raw["procedures"][0]["code"]
    everything = await export_catalog(db_session)
    (exported,) = [p for p in everything["procedures"] if p["code"] == code]
    assert exported["payment"] == "before_result"
    assert exported["fees"] == raw["procedures"][0]["fees"]
    # Importing what was exported changes nothing.
    report = await import_catalog(db_session, everything)
    assert report.created == report.updated == 0
