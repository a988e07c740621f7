"""What a dossier owes: the procedure's fees counted over the applicant's answers.

Pure: the same assessment is shown on the procedure page, at submission and when paying."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.catalog.schemas import Fee
from app.forms.logic import evaluate, truthy, variables


@dataclass(frozen=True)
class FeeLine:
    code: str | None
    name: str
    quantity: int
    unit_amount: int
    amount: int
    exempt: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "amount": self.amount,
            "exempt": self.exempt,
        }


@dataclass(frozen=True)
class Assessment:
    lines: tuple[FeeLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def fee_variables(fee: Fee) -> Iterator[str]:
    """The form fields a fee reads, so a catalog can be checked against its form."""
    if fee.quantity:
        yield fee.quantity
    for rule in (fee.applies_if, fee.exempt_if):
        if rule is not None:
            yield from variables(rule)


def _count(value: Any) -> int:
    """The number of items or copies an answer gives; anything else counts as none."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, list):
        # A repeating group: one item per entry.
        return len(value)
    return 0


def _line(fee: Fee, answers: Mapping[str, Any]) -> FeeLine | None:
    if fee.applies_if is not None and not truthy(fee.applies_if, answers):
        return None
    if fee.quantity is None:
        quantity = 1
    else:
        quantity = max(_count(evaluate({"var": fee.quantity}, answers)) - fee.included, 0)
        if quantity == 0:
            return None
    exempt = fee.exempt_if is not None and truthy(fee.exempt_if, answers)
    return FeeLine(
        code=fee.code,
        name=fee.name,
        quantity=quantity,
        unit_amount=fee.amount,
        amount=0 if exempt else fee.amount * quantity,
        exempt=exempt,
    )


def assess(fees: Sequence[Mapping[str, Any] | Fee], answers: Mapping[str, Any]) -> Assessment:
    """The fee lines that apply to these answers (a procedure's fees as stored or parsed)."""
    lines = []
    for raw in fees:
        fee = raw if isinstance(raw, Fee) else Fee.model_validate(raw)
        line = _line(fee, answers)
        if line is not None:
            lines.append(line)
    return Assessment(tuple(lines))
