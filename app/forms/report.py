"""Collects validation errors with their paths and localized messages."""

from __future__ import annotations

from typing import Any

from .messages import render
from .problems import FieldError


class Report:
    """Where a field's errors go: its path, its label and a shared error list."""

    def __init__(
        self, path: str, label_vi: str, label_en: str, errors: list[FieldError] | None = None
    ) -> None:
        self.path = path
        self.label_vi = label_vi
        self.label_en = label_en
        self.errors: list[FieldError] = [] if errors is None else errors

    def add(self, code: str, sub: str = "", *, message: str | None = None, **params: Any) -> None:
        """Add an error about this field (``sub`` extends the path; ``message`` picks the text)."""
        vi, en = render(message or code, self.label_vi, self.label_en, params)
        self.errors.append(FieldError(self.path + sub, code, vi, en))

    def add_message(self, code: str, message_vi: str, message_en: str) -> None:
        """Add an error with a message given by the form author."""
        self.errors.append(FieldError(self.path, code, message_vi, message_en))

    def child(self, sub: str, label_vi: str, label_en: str) -> Report:
        """Return a report for a part of this field, sharing the error list."""
        return Report(self.path + sub, label_vi, label_en, self.errors)

    def scratch(self) -> Report:
        """Return a report whose errors are thrown away."""
        return Report(self.path, self.label_vi, self.label_en)
