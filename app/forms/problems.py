"""Result and error types shared by the forms engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in a form definition; ``location`` is relative to the form root."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class DefinitionError(Exception):
    """A form definition is malformed or fails the linter."""

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid form definition ({len(problems)} problems):\n{lines}")


@dataclass(frozen=True)
class FieldError:
    """One validation error at ``path`` (``full_name``, ``children[1].birth_date``, ``""``)."""

    path: str
    code: str
    message_vi: str
    message_en: str

    def message(self, locale: str) -> str:
        """Return the message in ``locale`` (English for ``en…``, else Vietnamese)."""
        return self.message_en if locale.lower().startswith("en") else self.message_vi


@dataclass
class ValidationResult:
    """Cleaned data of the visible fields and the errors found."""

    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def errors_by_path(self) -> dict[str, list[FieldError]]:
        """Group the errors by path, in order."""
        grouped: dict[str, list[FieldError]] = {}
        for error in self.errors:
            grouped.setdefault(error.path, []).append(error)
        return grouped
