"""Turning an HTML form post into the data shape ``validate`` takes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .definition import FormDefinition
from .fields import AddressField, FieldBase, FileField, GroupField

_NAME = re.compile(r"([a-z][a-z0-9_]*)(?:\[([0-9]{1,6})\])?(?:\.(.+))?")
_FILE_KEYS = ("id", "name", "size", "content_type")


def _find(fields: Sequence[FieldBase], key: str) -> FieldBase | None:
    for field in fields:
        if field.key == key:
            return field
    return None


class _Builder:
    """Accumulates values for one level (the form, or one group item)."""

    def __init__(self, fields: Sequence[FieldBase]) -> None:
        self.fields = fields
        self.values: dict[str, Any] = {}
        self.items: dict[str, dict[int, _Builder]] = {}
        self.files: dict[str, dict[int, dict[str, Any]]] = {}

    def put(self, name: str, value: str) -> None:
        match = _NAME.fullmatch(name)
        if match is None:
            return
        key, index_text, sub = match.groups()
        field = _find(self.fields, key)
        if field is None:
            return
        index = None if index_text is None else int(index_text)
        if isinstance(field, GroupField):
            if index is None or sub is None:
                return
            item = self.items.setdefault(key, {}).setdefault(index, _Builder(field.fields))
            item.put(sub, value)
        elif isinstance(field, AddressField):
            if index is None and sub is not None:
                address = self.values.setdefault(key, {})
                if isinstance(address, dict) and sub in (*AddressField.PARTS, "text"):
                    address[sub] = value
        elif isinstance(field, FileField):
            if index is not None and sub in _FILE_KEYS:
                entry = self.files.setdefault(key, {}).setdefault(index, {})
                entry[sub] = _size(value) if sub == "size" else value
            elif index is None and sub is None:
                self.values.setdefault(key, []).append(value if not value else {"id": value})
        elif index is None and sub is None:
            if field.multiple:
                self.values.setdefault(key, []).append(value)
            else:
                self.values[key] = value

    def build(self) -> dict[str, Any]:
        result = dict(self.values)
        for key, items in self.items.items():
            result[key] = [items[i].build() for i in sorted(items)]
        for key, files in self.files.items():
            existing = result.get(key)
            listed = existing if isinstance(existing, list) else []
            result[key] = listed + [files[i] for i in sorted(files)]
        return {f.key: result[f.key] for f in self.fields if f.key in result}


def _size(value: str) -> int | str:
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else value


def unflatten_form(pairs: Iterable[tuple[str, str]], definition: FormDefinition) -> dict[str, Any]:
    """Build the data of a page post: ``a[0].b``, ``home.province``, repeated checkbox keys.

    A file slot posts ``doc[0].id``, ``doc[0].name``, ``doc[0].size``, ``doc[0].content_type``;
    a bare ``doc=<id>`` gives ``{"id": …}`` for the caller to complete from storage.
    """
    builder = _Builder(definition.fields)
    for name, value in pairs:
        if isinstance(name, str) and isinstance(value, str):
            builder.put(name.strip(), value)
    return builder.build()
