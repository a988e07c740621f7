"""Checks of a parsed form definition that its types alone cannot express."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from json_logic.builtins import BUILTINS

from .definition import FormDefinition
from .fields import (
    ChoiceField,
    DateField,
    DecimalField,
    FieldBase,
    FileField,
    GroupField,
    IntegerField,
    MoneyField,
    Option,
    TextareaField,
    TextField,
    compile_pattern,
)
from .logic import variables
from .options import list_exists, resolve_options
from .problems import DefinitionProblem
from .values import parse_bound

_SPECIAL_OPERATIONS = frozenset(
    {"if", "?:", "and", "or", "filter", "reduce", "map", "all", "some", "none"}
)
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)")
_ADDRESS_PARTS = frozenset({"province", "commune", "street"})
_RULE_FIELD = re.compile(r"([a-z][a-z0-9_]*)(?:\[([0-9]+)\])?(?:\.([a-z][a-z0-9_]*))?")


class _Linter:
    def __init__(self, definition: FormDefinition, known_documents: Collection[str] | None):
        self.definition = definition
        self.known_documents = None if known_documents is None else set(known_documents)
        self.problems: list[DefinitionProblem] = []
        self.top_keys = {f.key for f in definition.fields}

    def add(self, location: str, message: str) -> None:
        self.problems.append(DefinitionProblem(location, message))

    def run(self) -> list[DefinitionProblem]:
        self.option_lists()
        seen_sections: dict[str, str] = {}
        seen_fields: dict[str, str] = {}
        for s_index, section in enumerate(self.definition.sections):
            where = f"sections[{s_index}]"
            self.unique(section.key, f"{where}.key", seen_sections, "section key")
            for f_index, field in enumerate(section.fields):
                at = f"{where}.fields[{f_index}]"
                self.unique(field.key, f"{at}.key", seen_fields, "field key")
                self.field(field, at, None)
        self.rules()
        return self.problems

    def unique(self, key: str, location: str, seen: dict[str, str], what: str) -> None:
        if key in seen:
            self.add(location, f"duplicate {what} {key!r} (first at {seen[key]})")
        else:
            seen[key] = location

    def option_lists(self) -> None:
        for name, options in self.definition.option_lists.items():
            where = f"option_lists.{name}"
            if not options:
                self.add(where, "the option list is empty")
            self.option_values(options, where)

    def option_values(self, options: Iterable[Option], where: str) -> None:
        seen: dict[str, str] = {}
        for index, option in enumerate(options):
            self.unique(option.value, f"{where}[{index}].value", seen, "option value")

    def field(self, field: FieldBase, at: str, group: GroupField | None) -> None:
        scope = self.top_keys | ({f.key for f in group.fields} if group else set())
        if field.visible_if is not None:
            self.logic(field.visible_if, f"{at}.visible_if", scope)
            names = {_root(v) for v in variables(field.visible_if)}
            if field.key in names:
                self.add(f"{at}.visible_if", f"the field {field.key!r} depends on itself")
        if isinstance(field, TextField | TextareaField):
            self.min_max(field.min_length, field.max_length, f"{at}.min_length", "min_length")
        if (
            isinstance(field, TextField)
            and field.pattern is not None
            and compile_pattern(field.pattern) is None
        ):
            self.add(f"{at}.pattern", f"not a valid regular expression: {field.pattern!r}")
        if isinstance(field, IntegerField | DecimalField | MoneyField):
            self.min_max(field.min, field.max, f"{at}.min", "min")
        if isinstance(field, DateField):
            self.date_bounds(field, at, group)
        if isinstance(field, ChoiceField):
            self.choices(field, at)
        if isinstance(field, FileField):
            self.file(field, at)
        if isinstance(field, GroupField):
            self.min_max(field.min_items, field.max_items, f"{at}.min_items", "min_items")
            seen: dict[str, str] = {}
            for index, inner in enumerate(field.fields):
                inner_at = f"{at}.fields[{index}]"
                self.unique(inner.key, f"{inner_at}.key", seen, "field key in the group")
                self.field(inner, inner_at, field)

    def min_max(self, low: Any, high: Any, location: str, name: str) -> None:
        if low is not None and high is not None and low > high:
            maximum = name.replace("min", "max")
            self.add(location, f"{name} ({low}) is greater than {maximum} ({high})")

    def date_bounds(self, field: DateField, at: str, group: GroupField | None) -> None:
        fixed: dict[str, date | None] = {}
        for name in ("not_before", "not_after"):
            text = getattr(field, name)
            if text is None:
                continue
            bound = parse_bound(text)
            if bound is None:
                self.add(
                    f"{at}.{name}",
                    f"{text!r} is not an ISO date, 'today', 'today±N(d|m|y)' or 'field:<key>'",
                )
                continue
            fixed[name] = bound.fixed
            if bound.field is None:
                continue
            target = self.find_field(bound.field, group)
            if target is None:
                self.add(f"{at}.{name}", f"unknown field {bound.field!r}")
            elif target is field:
                self.add(f"{at}.{name}", "a date cannot be bounded by itself")
            elif not isinstance(target, DateField):
                self.add(f"{at}.{name}", f"the field {bound.field!r} is not a date field")
        low, high = fixed.get("not_before"), fixed.get("not_after")
        if low is not None and high is not None and low > high:
            self.add(f"{at}.not_before", "not_before is after not_after")

    def find_field(self, key: str, group: GroupField | None) -> FieldBase | None:
        if group is not None:
            for inner in group.fields:
                if inner.key == key:
                    return inner
        return self.definition.field(key)

    def choices(self, field: ChoiceField, at: str) -> None:
        if field.options is None and field.option_list is None:
            self.add(f"{at}.options", "give options or option_list")
            return
        if field.options is not None and field.option_list is not None:
            self.add(f"{at}.option_list", "give either options or option_list, not both")
        if field.options is not None:
            if not field.options:
                self.add(f"{at}.options", "the option list is empty")
            self.option_values(field.options, f"{at}.options")
        elif field.option_list is not None and not list_exists(self.definition, field.option_list):
            self.add(f"{at}.option_list", f"unknown option list {field.option_list!r}")
            return
        min_selected = getattr(field, "min_selected", None)
        max_selected = getattr(field, "max_selected", None)
        self.min_max(min_selected, max_selected, f"{at}.min_selected", "min_selected")
        count = len(resolve_options(self.definition, field))
        if min_selected is not None and count and min_selected > count:
            self.add(
                f"{at}.min_selected", f"min_selected ({min_selected}) exceeds the {count} options"
            )

    def file(self, field: FileField, at: str) -> None:
        if (
            field.document is not None
            and self.known_documents is not None
            and field.document not in self.known_documents
        ):
            self.add(f"{at}.document", f"unknown document {field.document!r} of the procedure")
        for index, mime in enumerate(field.accept or []):
            if not _MIME.fullmatch(mime.strip().lower()):
                self.add(f"{at}.accept[{index}]", f"not a MIME type: {mime!r}")
        self.min_max(field.min_files, field.max_files, f"{at}.min_files", "min_files")

    def rules(self) -> None:
        for index, rule in enumerate(self.definition.rules):
            where = f"rules[{index}]"
            self.logic(rule.check, f"{where}.check", self.top_keys)
            if rule.when is not None:
                self.logic(rule.when, f"{where}.when", self.top_keys)
            if rule.field and not self.rule_target(rule.field):
                self.add(f"{where}.field", f"unknown field {rule.field!r}")

    def rule_target(self, path: str) -> bool:
        match = _RULE_FIELD.fullmatch(path)
        if match is None:
            return False
        key, index, inner = match.groups()
        field = self.definition.field(key)
        if field is None:
            return False
        if isinstance(field, GroupField):
            if inner is None:
                return index is None
            return index is not None and any(f.key == inner for f in field.fields)
        if index is not None:
            return False
        if inner is None:
            return True
        return field.type == "address" and inner in _ADDRESS_PARTS

    def logic(self, expression: Any, location: str, scope: set[str]) -> None:
        for op in sorted(set(_operations(expression))):
            if op not in BUILTINS and op not in _SPECIAL_OPERATIONS:
                self.add(location, f"unknown JSON Logic operation {op!r}")
        for name in dict.fromkeys(variables(expression)):
            if _root(name) not in scope:
                self.add(location, f"unknown field {_root(name)!r}")


def _root(name: str) -> str:
    return name.split(".", 1)[0]


def _operations(expression: Any) -> Iterable[str]:
    if isinstance(expression, list):
        for item in expression:
            yield from _operations(item)
    elif isinstance(expression, dict) and len(expression) == 1:
        op, args = next(iter(expression.items()))
        yield op
        yield from _operations(args)


def lint(
    definition: FormDefinition, known_documents: Collection[str] | None = None
) -> list[DefinitionProblem]:
    """Return the problems of a parsed definition; file slots are checked against documents."""
    return _Linter(definition, known_documents).run()
