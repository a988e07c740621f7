"""The form definition model (format version 1, see docs/form-format.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, JsonValue

from .fields import AnyField, FieldBase, FrozenModel, GroupField, Key, Option
from .text import LocalizedText


class Section(FrozenModel):
    """A page of the form."""

    key: Key
    title: LocalizedText
    help: LocalizedText | None = None
    fields: list[AnyField] = Field(min_length=1)


class Rule(FrozenModel):
    """A cross-field check in JSON Logic; its error is shown at ``field``."""

    code: str = Field(min_length=1)
    check: JsonValue
    field: str = ""
    message: LocalizedText
    when: JsonValue = None


class FormDefinition(FrozenModel):
    """A whole form: sections of fields, named option lists and cross-field rules."""

    format: Literal[1] = 1
    option_lists: dict[Key, list[Option]] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)

    @property
    def fields(self) -> list[FieldBase]:
        """Return the top-level fields of all sections, in order."""
        return [field for section in self.sections for field in section.fields]

    def field(self, key: str) -> FieldBase | None:
        """Return the top-level field with this key, or None."""
        for field in self.fields:
            if field.key == key:
                return field
        return None

    def walk(self) -> Iterator[tuple[str, FieldBase]]:
        """Yield every field with its path pattern (``children[].birth_date`` for nested ones)."""
        for field in self.fields:
            yield field.key, field
            if isinstance(field, GroupField):
                for inner in field.fields:
                    yield f"{field.key}[].{inner.key}", inner
