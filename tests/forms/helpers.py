"""Shared builders for the forms tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.forms import FormDefinition, ValidationResult, parse_definition, validate

TODAY = date(2026, 3, 15)


def field(type_: str, key: str = "f", label: Any = "Trường", **keys: Any) -> dict[str, Any]:
    """Return a raw field definition."""
    return {"type": type_, "key": key, "label": label, **keys}


def form(*fields: dict[str, Any], **extra: Any) -> FormDefinition:
    """Parse a one-section form with these raw fields."""
    raw = {"format": 1, "sections": [{"key": "main", "title": "Chính", "fields": list(fields)}]}
    raw.update(extra)
    return parse_definition(raw)


def check(raw_field: dict[str, Any], value: Any, today: date = TODAY) -> ValidationResult:
    """Validate a single value against a one-field form."""
    return validate(form(raw_field), {raw_field["key"]: value}, today=today)


def codes(result: ValidationResult) -> list[tuple[str, str]]:
    """Return the (path, code) of each error."""
    return [(e.path, e.code) for e in result.errors]
