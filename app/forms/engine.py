"""Validation of submitted data against a form definition, and field visibility."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from .definition import FormDefinition
from .fields import ChoiceField, DateField, FieldBase, GroupField, Option
from .logic import truthy, variables
from .options import resolve_options
from .problems import FieldError, ValidationResult
from .report import Report
from .text import LocalizedText

_Lookup = Callable[[str], tuple[str | None, LocalizedText] | None]


def _report_for(field: FieldBase, path: str, errors: list[FieldError]) -> Report:
    return Report(path, field.label.vi, field.label.get("en"), errors)


def _root_key(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


class _Engine:
    """One validation run: holds the definition, today and the top-level values seen so far."""

    def __init__(self, definition: FormDefinition, today: date) -> None:
        self.definition = definition
        self.today = today
        self.top_values: dict[str, Any] = {}
        self.top_cleaned: dict[str, Any] = {}
        self._options: dict[int, list[Option]] = {}

    def options(self, field: ChoiceField) -> list[Option]:
        """Return the options of ``field`` (cached for this run)."""
        found = self._options.get(id(field))
        if found is None:
            found = self._options[id(field)] = resolve_options(self.definition, field)
        return found

    def visible(
        self, fields: Sequence[FieldBase], values: Mapping[str, Any], base: Mapping[str, Any]
    ) -> set[str]:
        """Return the keys of the visible fields; hidden fields' values are unseen by the logic."""
        shown = {f.key for f in fields}
        # Settle chains (a hides b, b's value shows c) by iterating to a fixed point.
        for _ in range(len(fields) + 1):
            data = {**base, **{k: v for k, v in values.items() if k in shown and v is not None}}
            now = {f.key for f in fields if f.visible_if is None or truthy(f.visible_if, data)}
            if now == shown:
                break
            shown = now
        return shown

    def previews(self, fields: Sequence[FieldBase], data: Mapping[str, Any]) -> dict[str, Any]:
        """Return the values the visibility logic sees for ``fields``."""
        return {f.key: self.safe_preview(f, data.get(f.key)) for f in fields}

    def safe_preview(self, field: FieldBase, value: Any) -> Any:
        """Preview a value; odd input never breaks visibility."""
        try:
            return field.preview(value, self)
        except Exception:
            return value

    def clean_field(self, field: FieldBase, value: Any, report: Report) -> Any:
        """Check the required rule and clean a value; None when empty or invalid."""
        if field.is_empty(value):
            if field.required:
                report.add(
                    "required", message=field.required_message(self), **field.required_params()
                )
            return None
        try:
            return field.clean(value, self, report)
        except Exception:
            # Last resort for inputs no cleaner foresaw (deep nesting, odd mappings): the
            # citizen gets an error, never a crash.
            report.add("invalid_type")
            return None

    def clean_item(self, group: GroupField, item: Mapping[str, Any], report: Report) -> Any:
        """Validate one item of a group; its visibility sees its own fields over the top level."""
        values = self.previews(group.fields, item)
        shown = self.visible(group.fields, values, self.top_values)
        cleaned: dict[str, Any] = {}
        for field in group.fields:
            if field.key not in shown:
                continue
            vi, en = field.label.vi, field.label.get("en")
            sub = report.child(
                f".{field.key}", f"{vi} ({report.label_vi})", f"{en} ({report.label_en})"
            )
            value = self.clean_field(field, item.get(field.key), sub)
            if value is not None:
                cleaned[field.key] = value
        for field in group.fields:
            if isinstance(field, DateField) and field.key in cleaned:
                vi, en = field.label.vi, field.label.get("en")
                sub = report.child(
                    f".{field.key}", f"{vi} ({report.label_vi})", f"{en} ({report.label_en})"
                )
                if not field.cross_check(cleaned[field.key], self._lookup(group, cleaned), sub):
                    del cleaned[field.key]
        return cleaned

    def _lookup(self, group: GroupField | None, item: Mapping[str, Any]) -> _Lookup:
        def find(key: str) -> tuple[str | None, LocalizedText] | None:
            fields = list(group.fields) if group is not None else []
            for field in fields:
                if field.key == key:
                    return item.get(field.key), field.label
            top = self.definition.field(key)
            if top is None:
                return None
            return self.top_cleaned.get(key), top.label

        return find

    def run(self, data: Mapping[str, Any]) -> ValidationResult:
        """Validate ``data`` and return the cleaned values and the errors."""
        fields = self.definition.fields
        values = self.previews(fields, data)
        shown = self.visible(fields, values, {})
        self.top_values = {k: v for k, v in values.items() if k in shown and v is not None}
        errors: dict[str, list[FieldError]] = {f.key: [] for f in fields}
        # Groups last, so field bounds inside items can see every top-level date.
        ordered = [f for f in fields if not isinstance(f, GroupField)] + [
            f for f in fields if isinstance(f, GroupField)
        ]
        for field in ordered:
            if field.key not in shown:
                continue
            report = _report_for(field, field.key, errors[field.key])
            value = self.clean_field(field, data.get(field.key), report)
            if value is not None:
                self.top_cleaned[field.key] = value
        for field in fields:
            if isinstance(field, DateField) and field.key in self.top_cleaned:
                report = _report_for(field, field.key, errors[field.key])
                lookup = self._lookup(None, self.top_cleaned)
                if not field.cross_check(self.top_cleaned[field.key], lookup, report):
                    del self.top_cleaned[field.key]
        all_errors = [e for f in fields for e in errors[f.key]]
        all_errors.extend(self.check_rules(shown, {_root_key(e.path) for e in all_errors}))
        cleaned = {f.key: self.top_cleaned[f.key] for f in fields if f.key in self.top_cleaned}
        return ValidationResult(cleaned=cleaned, errors=all_errors)

    def check_rules(self, shown: set[str], failed: set[str]) -> list[FieldError]:
        """Evaluate the cross-field rules over the cleaned data."""
        errors: list[FieldError] = []
        keys = {f.key for f in self.definition.fields}
        for rule in self.definition.rules:
            target = _root_key(rule.field)
            if target in keys and target not in shown:
                continue
            reads = {_root_key(v) for v in variables([rule.check, rule.when])}
            if reads & failed:
                # The fields it reads already have errors; judging them again only adds noise.
                continue
            if rule.when is not None and not truthy(rule.when, self.top_cleaned):
                continue
            if not truthy(rule.check, self.top_cleaned):
                report = Report(rule.field, "", "", errors)
                report.add_message(rule.code, rule.message.vi, rule.message.get("en"))
        return errors


def validate(
    definition: FormDefinition, data: Mapping[str, Any], *, today: date | None = None
) -> ValidationResult:
    """Validate submitted data (API JSON or page strings); never raises."""
    if not isinstance(data, Mapping):
        report = Report("", "", "")
        report.add("invalid_form")
        return ValidationResult(errors=report.errors)
    return _Engine(definition, today or date.today()).run(data)


def visible_fields(
    definition: FormDefinition, data: Mapping[str, Any], *, today: date | None = None
) -> set[str]:
    """Return the paths of the fields shown for ``data`` (``key``, ``group[i].inner``)."""
    engine = _Engine(definition, today or date.today())
    if not isinstance(data, Mapping):
        data = {}
    fields = definition.fields
    values = engine.previews(fields, data)
    shown = engine.visible(fields, values, {})
    engine.top_values = {k: v for k, v in values.items() if k in shown and v is not None}
    paths = set(shown)
    for field in fields:
        if not isinstance(field, GroupField) or field.key not in shown:
            continue
        items = data.get(field.key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            item_data = item if isinstance(item, Mapping) else {}
            inner = engine.visible(
                field.fields, engine.previews(field.fields, item_data), engine.top_values
            )
            paths.update(f"{field.key}[{index}].{key}" for key in inner)
    return paths
