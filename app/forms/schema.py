"""JSON Schema (2020-12) of the cleaned data of a form, as the API takes and returns it."""

from __future__ import annotations

from typing import Any

from .definition import FormDefinition
from .fields import ChoiceField, Option
from .options import resolve_options

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Resolver:
    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition

    def options(self, field: ChoiceField) -> list[Option]:
        return resolve_options(self.definition, field)


def to_json_schema(definition: FormDefinition) -> dict[str, Any]:
    """Return the JSON Schema of the data shape; fields with ``visible_if`` are never required."""
    resolver = _Resolver(definition)
    fields = definition.fields
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "properties": {f.key: f.json_schema(resolver) for f in fields},
        "required": [f.key for f in fields if f.required and f.visible_if is None],
        "additionalProperties": False,
    }
