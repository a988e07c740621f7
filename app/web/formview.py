"""A procedure's form on pages: what was posted or saved, the widgets to draw, the answers.

The forms engine (``app.forms``) owns the definition, validation and visibility; this module
only turns its definition, a draft's saved answers and a page post into things the templates
draw, and back. A draft is filled in one section per page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.forms import (
    AddressField,
    CheckboxField,
    ChoiceField,
    CitizenIdField,
    DateField,
    DecimalField,
    EmailField,
    FieldBase,
    FieldError,
    FileField,
    FormDefinition,
    GroupField,
    IntegerField,
    MoneyField,
    Option,
    PhoneField,
    RadioField,
    TaxCodeField,
    TextareaField,
    TextField,
    communes,
    format_address,
    provinces,
    resolve_options,
    unflatten_form,
)
from app.forms.logic import variables
from app.web import formatting

ACTION = "_action"
COUNT_PREFIX = "_count."
MAX_GROUP_ITEMS = 50
_ITEM_KEY = re.compile(r"(?P<group>[a-z][a-z0-9_]*)\[(?P<index>[0-9]{1,6})\]\.(?P<rest>.+)")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_MIME_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/*": "ảnh / image",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/zip": "ZIP",
}


def field_id(path: str) -> str:
    """The HTML id of the input for a value path: ``children[0].name`` -> ``f-children-0-name``."""
    return "f-" + _ID_UNSAFE.sub("-", path).strip("-")


# --- What was posted ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileInfo:
    """A file attached to a draft's slot, as the page lists it."""

    id: str
    name: str
    size: int
    content_type: str


@dataclass
class FormState:
    """The values of a form as the page's own name/value pairs: posted, or saved in a draft."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    action: str = ""

    @classmethod
    def from_pairs(cls, posted: Iterable[tuple[str, str]]) -> FormState:
        """Read a page post's text fields: values, group counts and the button pressed."""
        state = cls()
        for name, value in posted:
            if name == ACTION:
                state.action = value
            elif name.startswith(COUNT_PREFIX):
                count = value.strip()
                if count.isascii() and count.isdigit():
                    state.counts[name[len(COUNT_PREFIX) :]] = min(int(count), MAX_GROUP_ITEMS)
            elif not name.startswith("_"):
                state.pairs.append((name, value))
        return state

    @classmethod
    def from_data(cls, definition: FormDefinition, data: Mapping[str, Any]) -> FormState:
        """The pairs a page would post for saved answers (the inverse of ``data``)."""
        state = cls()
        for each in definition.fields:
            if each.key not in data:
                continue
            value = data[each.key]
            if not isinstance(each, GroupField):
                state._put(each, each.key, value)
                continue
            items = value[:MAX_GROUP_ITEMS] if isinstance(value, list) else []
            state.counts[each.key] = len(items)
            for index, item in enumerate(items):
                for inner in each.fields:
                    if isinstance(item, Mapping) and inner.key in item:
                        state._put(inner, f"{each.key}[{index}].{inner.key}", item[inner.key])
        return state

    def _put(self, each: FieldBase, path: str, value: Any) -> None:
        if value is None or isinstance(each, FileField):
            return
        if isinstance(each, AddressField):
            if isinstance(value, Mapping):
                for part in AddressField.PARTS:
                    if value.get(part) is not None:
                        self.pairs.append((f"{path}.{part}", _as_text(value[part])))
            return
        for one in value if isinstance(value, list) else [value]:
            self.pairs.append((path, _as_text(one)))

    def values(self, name: str) -> list[str]:
        """Every value posted under ``name``."""
        return [v for k, v in self.pairs if k == name]

    def value(self, name: str) -> str:
        """The last value posted under ``name``, or an empty string."""
        found = self.values(name)
        return found[-1] if found else ""

    def count(self, group: GroupField) -> int:
        """How many items of a group the page shows."""
        highest = -1
        for name, _ in self.pairs:
            match = _ITEM_KEY.fullmatch(name)
            if match and match["group"] == group.key:
                highest = max(highest, int(match["index"]))
        count = self.counts.get(group.key, max(group.effective_min_items(), 1))
        count = max(count, highest + 1, group.effective_min_items())
        limit = min(group.max_items or MAX_GROUP_ITEMS, MAX_GROUP_ITEMS)
        return min(count, limit)

    def add_item(self, group: GroupField) -> int:
        """Show one more item of a group; returns the index of the new item."""
        count = self.count(group)
        limit = min(group.max_items or MAX_GROUP_ITEMS, MAX_GROUP_ITEMS)
        self.counts[group.key] = min(count + 1, limit)
        return min(count, limit - 1)

    def remove_item(self, group: GroupField, index: int) -> None:
        """Drop one item of a group, the later items moving up one place."""
        count = self.count(group)
        if not 0 <= index < count or count <= group.effective_min_items():
            return
        kept: list[tuple[str, str]] = []
        for name, value in self.pairs:
            match = _ITEM_KEY.fullmatch(name)
            if match is None or match["group"] != group.key:
                kept.append((name, value))
                continue
            position = int(match["index"])
            if position == index:
                continue
            if position > index:
                name = f"{group.key}[{position - 1}].{match['rest']}"
            kept.append((name, value))
        self.pairs = kept
        self.counts[group.key] = count - 1

    def data(self, definition: FormDefinition) -> dict[str, Any]:
        """The data for ``app.forms.validate``; each group item keeps its place on the page."""
        groups = {f.key for f in definition.fields if isinstance(f, GroupField)}
        data = unflatten_form(
            [(k, v) for k, v in self.pairs if _group_of(k) not in groups], definition
        )
        for top in definition.fields:
            if not isinstance(top, GroupField):
                continue
            items: list[Any] = []
            for index in range(self.count(top)):
                prefix = f"{top.key}[{index}]."
                renamed = [
                    (f"{top.key}[0].{k[len(prefix) :]}", v)
                    for k, v in self.pairs
                    if k.startswith(prefix)
                ]
                built = unflatten_form(renamed, definition).get(top.key)
                items.append(built[0] if isinstance(built, list) and built else {})
            data[top.key] = items
        return data


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _group_of(name: str) -> str | None:
    match = _ITEM_KEY.fullmatch(name)
    return match["group"] if match else None


# --- What the page draws --------------------------------------------------------------------


@dataclass
class OptionView:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class Condition:
    """When a field applies, told in words for readers without JavaScript."""

    question: str = ""
    answers: list[str] = field(default_factory=list)
    negated: bool = False
    answered: bool = False

    @property
    def generic(self) -> bool:
        return not self.question


@dataclass
class Widget:
    """One field of the form, ready to draw."""

    kind: str
    type: str
    name: str
    id: str
    label: str
    hint: str = ""
    required: bool = False
    errors: list[str] = field(default_factory=list)
    value: str = ""
    options: list[OptionView] = field(default_factory=list)
    input_type: str = "text"
    inputmode: str = ""
    autocomplete: str = ""
    spellcheck: bool = True
    width: str = ""
    suffix: str = ""
    example: str = ""
    condition: Condition | None = None
    visible_if: str = ""
    accept: str = ""
    accept_names: str = ""
    multiple: bool = False
    max_files: int = 1
    max_size_mb: float | None = None
    files: list[FileInfo] = field(default_factory=list)
    # Where the slot is filled from the applicant's document store, if it may be.
    store_url: str = ""
    parts: list[Widget] = field(default_factory=list)
    refresh_action: str = ""
    refresh_target: str = ""
    items: list[GroupItem] = field(default_factory=list)
    count_name: str = ""
    count: int = 0
    add_action: str = ""
    add_target: str = ""
    can_add: bool = False
    can_remove: bool = False
    item_noun: str = ""
    anchor: str = ""
    is_single_consent: bool = False
    empty_commune_list: bool = False

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def has_condition(self) -> bool:
        return self.condition is not None


@dataclass
class GroupItem:
    index: int
    id: str
    legend: str
    scope: str
    widgets: list[Widget]
    remove_action: str


@dataclass
class SectionView:
    key: str
    id: str
    title: str
    hint: str
    widgets: list[Widget]


@dataclass
class ErrorLink:
    href: str
    message: str


@dataclass
class FormView:
    sections: list[SectionView]
    error_links: list[ErrorLink]

    def answers(self, posted: Mapping[str, Any]) -> dict[str, Any]:
        """The posted answers of the fields drawn here, files aside. A field drawn but posted
        nothing for (a radio left unanswered, every box unticked) is None, so saving clears it;
        the fields of other pages are left out, so saving leaves them as they are."""
        return {
            w.name: posted.get(w.name)
            for section in self.sections
            for w in section.widgets
            if w.kind != "file"
        }


class _Builder:
    """Builds the widgets of one form for one language, placing the errors on them."""

    def __init__(
        self,
        definition: FormDefinition,
        state: FormState,
        errors: Sequence[FieldError],
        locale: str,
        files: Mapping[str, Sequence[FileInfo]],
        shown: set[str] | None,
        store_link: Callable[[str], str] | None = None,
    ) -> None:
        self.store_link = store_link
        self.definition = definition
        self.state = state
        self.locale = locale
        self.errors = list(errors)
        self.files = files
        self.shown = shown
        self.page_keys: set[str] = set()
        self.by_path: dict[str, Widget] = {}
        self.anchors: dict[str, str] = {}

    def text(self, value: Any) -> str:
        return str(value.get(self.locale)) if value is not None else ""

    def build(self, section_key: str | None) -> FormView:
        sections: list[SectionView] = []
        for section in self.definition.sections:
            if section_key is not None and section.key != section_key:
                continue
            self.page_keys = {f.key for f in section.fields}
            widgets = [self.widget(f, f.key, None, "") for f in section.fields]
            sections.append(
                SectionView(
                    key=section.key,
                    id=field_id("section-" + section.key),
                    title=self.text(section.title),
                    hint=self.text(section.help),
                    widgets=[w for w in widgets if w is not None],
                )
            )
        links: list[ErrorLink] = []
        for error in self.errors:
            message = error.message(self.locale)
            target = self._owner(error.path)
            if target is not None:
                target.errors.append(message)
            anchor = self._anchor(error.path)
            links.append(ErrorLink(href=f"#{anchor}" if anchor else "", message=message))
        return FormView(sections=sections, error_links=links)

    def _owner(self, path: str) -> Widget | None:
        while path:
            if path in self.by_path:
                return self.by_path[path]
            path = _parent_path(path)
        return None

    def _anchor(self, path: str) -> str:
        while path:
            if path in self.anchors:
                return self.anchors[path]
            path = _parent_path(path)
        return ""

    def _register(self, path: str, widget: Widget, anchor: str | None = None) -> None:
        self.by_path[path] = widget
        self.anchors[path] = anchor or widget.id
        widget.anchor = self.anchors[path]

    def condition(self, each: FieldBase, scope: Sequence[FieldBase]) -> Condition | None:
        if each.visible_if is None:
            return None
        return describe_condition(each.visible_if, scope, self.definition, self.locale)

    def judged_on_page(self, each: FieldBase, group: GroupField | None) -> bool:
        """Whether the answers a field's condition reads are all on this page."""
        local = self.page_keys | {f.key for f in group.fields} if group else self.page_keys
        return {root_key(name) for name in variables(each.visible_if)} <= local

    def widget(
        self, each: FieldBase, path: str, group: GroupField | None, scope_prefix: str
    ) -> Widget | None:
        scope: list[FieldBase] = [*(group.fields if group else []), *self.definition.fields]
        conditional = each.visible_if is not None
        if conditional and self.shown is not None and not self.judged_on_page(each, group):
            # It depends on answers given on another page: judged here, with those answers.
            if path not in self.shown:
                return None
            conditional = False
        common: dict[str, Any] = {
            "type": each.type,
            "name": path,
            "id": field_id(path),
            "label": self.text(each.label),
            "hint": self.text(each.help),
            "required": each.required,
            "condition": self.condition(each, scope) if conditional else None,
            "visible_if": json.dumps(each.visible_if, ensure_ascii=False) if conditional else "",
        }
        widget: Widget
        if isinstance(each, GroupField):
            widget = self.group(each, path, common)
            return widget
        if isinstance(each, AddressField):
            widget = self.address(each, path, common)
            return widget
        if isinstance(each, FileField):
            widget = Widget(
                kind="file",
                accept=",".join(each.accept or []),
                accept_names=", ".join(
                    dict.fromkeys(_MIME_NAMES.get(m.strip().lower(), m) for m in each.accept or [])
                ),
                multiple=each.max_files > 1,
                max_files=each.max_files,
                max_size_mb=each.max_size_mb,
                files=list(self.files.get(path, [])),
                store_url=self.store_link(path) if self.store_link else "",
                **common,
            )
        elif isinstance(each, RadioField | CheckboxField):
            chosen = self.state.values(path)
            options = resolve_options(self.definition, each)
            widget = Widget(
                kind="checkboxes" if isinstance(each, CheckboxField) else "radios",
                options=self.option_views(options, chosen, path),
                is_single_consent=isinstance(each, CheckboxField) and len(options) == 1,
                **common,
            )
            if widget.options:
                self._register(path, widget, widget.options[0].id)
                return widget
        elif isinstance(each, ChoiceField):
            chosen = self.state.values(path)[-1:]
            widget = Widget(
                kind="select",
                value=chosen[0] if chosen else "",
                options=self.option_views(resolve_options(self.definition, each), chosen, path),
                **common,
            )
        elif isinstance(each, TextareaField):
            widget = Widget(kind="textarea", value=self.state.value(path), **common)
        else:
            widget = Widget(kind="input", value=self.state.value(path), **common)
            self.input_details(each, widget)
        self._register(path, widget)
        return widget

    def option_views(
        self, options: Iterable[Option], chosen: Sequence[str], path: str
    ) -> list[OptionView]:
        base = field_id(path)
        return [
            OptionView(
                value=option.value,
                label=self.text(option.label),
                id=base if index == 0 else f"{base}-{index + 1}",
                checked=option.value in chosen,
            )
            for index, option in enumerate(options)
        ]

    def input_details(self, each: FieldBase, widget: Widget) -> None:
        if isinstance(each, EmailField):
            widget.input_type, widget.autocomplete, widget.spellcheck = "email", "email", False
            widget.width = "width-30"
        elif isinstance(each, PhoneField):
            widget.input_type, widget.autocomplete, widget.width = "tel", "tel", "width-10"
        elif isinstance(each, CitizenIdField):
            widget.inputmode, widget.spellcheck, widget.width = "numeric", False, "width-10"
        elif isinstance(each, TaxCodeField):
            widget.spellcheck, widget.width = False, "width-10"
        elif isinstance(each, IntegerField):
            widget.inputmode, widget.spellcheck, widget.width = "numeric", False, "width-10"
        elif isinstance(each, MoneyField):
            widget.inputmode, widget.spellcheck, widget.width = "numeric", False, "width-10"
            widget.suffix = "đ"
        elif isinstance(each, DecimalField):
            widget.inputmode, widget.spellcheck, widget.width = "decimal", False, "width-10"
        elif isinstance(each, DateField):
            widget.spellcheck, widget.width, widget.example = False, "width-10", "date"
        elif isinstance(each, TextField):
            widget.width = "width-30" if each.max_length <= 100 else ""

    def address(self, each: AddressField, path: str, common: dict[str, Any]) -> Widget:
        widget = Widget(kind="address", **common)
        province = self.state.value(f"{path}.province")
        commune_value = self.state.value(f"{path}.commune")
        province_widget = Widget(
            kind="select",
            type="province",
            name=f"{path}.province",
            id=field_id(f"{path}.province"),
            label="",
            value=province,
            options=[OptionView(u.code, u.name, "", u.code == province) for u in provinces()],
        )
        commune_units = communes(province) if province else []
        commune_widget = Widget(
            kind="select",
            type="commune",
            name=f"{path}.commune",
            id=field_id(f"{path}.commune"),
            label="",
            value=commune_value,
            options=[
                OptionView(u.code, u.name, "", u.code == commune_value) for u in commune_units
            ],
            empty_commune_list=not commune_units,
        )
        street_widget = Widget(
            kind="input",
            type="street",
            name=f"{path}.street",
            id=field_id(f"{path}.street"),
            label="",
            value=self.state.value(f"{path}.street"),
            required=each.street_required,
            autocomplete="off",
        )
        widget.parts = [province_widget, commune_widget, street_widget]
        widget.refresh_action = f"refresh:{path}"
        widget.refresh_target = commune_widget.id
        self._register(path, widget, province_widget.id)
        self._register(f"{path}.province", province_widget)
        self._register(f"{path}.commune", commune_widget)
        self._register(f"{path}.street", street_widget)
        return widget

    def group(self, each: GroupField, path: str, common: dict[str, Any]) -> Widget:
        count = self.state.count(each)
        noun = self.text(each.item_label) if each.item_label else ""
        widget = Widget(
            kind="group",
            count_name=f"{COUNT_PREFIX}{path}",
            count=count,
            add_action=f"add:{path}",
            add_target=field_id(f"{path}[{count}]"),
            can_add=count < min(each.max_items or MAX_GROUP_ITEMS, MAX_GROUP_ITEMS),
            can_remove=count > each.effective_min_items(),
            item_noun=noun,
            **common,
        )
        for index in range(count):
            item_path = f"{path}[{index}]"
            widgets = [
                self.widget(inner, f"{item_path}.{inner.key}", each, f"{item_path}.")
                for inner in each.fields
            ]
            widget.items.append(
                GroupItem(
                    index=index,
                    id=field_id(item_path),
                    legend=f"{noun} {index + 1}" if noun else f"{index + 1}",
                    scope=f"{item_path}.",
                    widgets=[w for w in widgets if w is not None],
                    remove_action=f"remove:{path}:{index}",
                )
            )
        first = (
            widget.items[0].widgets[0].anchor if widget.items and widget.items[0].widgets else ""
        )
        self._register(path, widget, first or f"{widget.id}-add")
        for item in widget.items:
            # An error about a whole item (``members[1]``) is shown on the group.
            self.by_path[f"{path}[{item.index}]"] = widget
            self.anchors[f"{path}[{item.index}]"] = (
                item.widgets[0].anchor if item.widgets else widget.anchor
            )
        return widget


def _parent_path(path: str) -> str:
    """``a[0].b`` -> ``a[0]`` -> ``a`` -> ``""``."""
    if path.endswith("]"):
        return path[: path.rfind("[")]
    if "." in path:
        return path[: path.rfind(".")]
    return ""


def root_key(path: str) -> str:
    """The top-level field of a value path: ``co_owners[1].name`` -> ``co_owners``."""
    return path.split(".", 1)[0].split("[", 1)[0]


def build_form_view(
    definition: FormDefinition,
    state: FormState,
    errors: Sequence[FieldError],
    locale: str,
    *,
    section: str | None = None,
    files: Mapping[str, Sequence[FileInfo]] | None = None,
    shown: set[str] | None = None,
    store_link: Callable[[str], str] | None = None,
) -> FormView:
    """The widgets of the form (or of one ``section``, a page of a draft) with the values,
    the files attached to each slot and the errors placed on them.

    ``shown`` is the set of visible paths (``app.forms.visible_fields``) for the answers saved
    so far: a field whose condition reads answers of another page is drawn, without its
    condition, only if it is shown; otherwise the page's script judges the condition.
    ``store_link`` gives, for a file slot's path, the page that fills it from the applicant's
    document store.
    """
    return _Builder(definition, state, errors, locale, files or {}, shown, store_link).build(
        section
    )


def describe_condition(
    expression: Any, scope: Sequence[FieldBase], definition: FormDefinition, locale: str
) -> Condition:
    """Say in words when a field applies, for the simple shapes; otherwise say it depends."""
    if not isinstance(expression, Mapping) or len(expression) != 1:
        return Condition()
    op, args = next(iter(expression.items()))
    if op == "var":
        found = _scope_field(args, scope)
        return Condition(question=found.label.get(locale), answered=True) if found else Condition()
    if op not in ("==", "===", "!=", "!==", "in") or not isinstance(args, list) or len(args) != 2:
        return Condition()
    variable, wanted = args
    if isinstance(variable, Mapping) and "var" not in variable and isinstance(wanted, Mapping):
        variable, wanted = wanted, variable
    if not isinstance(variable, Mapping) or set(variable) != {"var"}:
        return Condition()
    found = _scope_field(variable["var"], scope)
    if found is None:
        return Condition()
    values = wanted if op == "in" and isinstance(wanted, list) else [wanted]
    if not all(isinstance(v, str | int | float | bool) for v in values):
        return Condition()
    labels: dict[str, str] = {}
    if isinstance(found, ChoiceField):
        labels = {o.value: o.label.get(locale) for o in resolve_options(definition, found)}
    return Condition(
        question=found.label.get(locale),
        answers=[labels.get(str(v), str(v)) for v in values],
        negated=op in ("!=", "!=="),
    )


def _scope_field(name: Any, scope: Sequence[FieldBase]) -> FieldBase | None:
    if isinstance(name, list) and name:
        name = name[0]
    if not isinstance(name, str):
        return None
    for each in scope:
        if each.key == name:
            return each
    return None


# --- Check your answers ---------------------------------------------------------------------


@dataclass
class AnswerRow:
    label: str
    lines: list[str]
    anchor: str
    items: list[tuple[str, list[AnswerRow]]] = field(default_factory=list)
    multiline: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class AnswerSection:
    key: str
    number: int
    title: str
    rows: list[AnswerRow]


def build_answers(
    definition: FormDefinition,
    cleaned: Mapping[str, Any],
    locale: str,
    errors: Sequence[FieldError] = (),
) -> list[AnswerSection]:
    """Each visible answer in words: labels, option names, money, dates, addresses, files;
    with ``errors``, also each answer still missing or wrong, with what is wrong with it.
    Sections are numbered from 1, as the pages of a draft are."""
    problems: dict[str, list[str]] = {}
    for error in errors:
        problems.setdefault(root_key(error.path), []).append(error.message(locale))
    sections: list[AnswerSection] = []
    for number, section in enumerate(definition.sections, start=1):
        rows: list[AnswerRow] = []
        for each in section.fields:
            if each.key in cleaned:
                row = _answer(definition, each, cleaned[each.key], each.key, locale)
            elif each.key in problems:
                row = AnswerRow(label=each.label.get(locale), lines=[], anchor=_anchor(each))
            else:
                continue
            row.errors = problems.get(each.key, [])
            rows.append(row)
        if rows:
            sections.append(AnswerSection(section.key, number, section.title.get(locale), rows))
    return sections


def _anchor(each: FieldBase, path: str | None = None) -> str:
    path = path or each.key
    return field_id(f"{path}.province" if isinstance(each, AddressField) else path)


def _answer(
    definition: FormDefinition, each: FieldBase, value: Any, path: str, locale: str
) -> AnswerRow:
    label = each.label.get(locale)
    if isinstance(each, GroupField):
        noun = each.item_label.get(locale) if each.item_label else ""
        items: list[tuple[str, list[AnswerRow]]] = []
        for index, item in enumerate(value if isinstance(value, list) else []):
            inner_rows = [
                _answer(definition, inner, item[inner.key], f"{path}[{index}].{inner.key}", locale)
                for inner in each.fields
                if isinstance(item, Mapping) and inner.key in item
            ]
            items.append((f"{noun} {index + 1}" if noun else f"{index + 1}", inner_rows))
        return AnswerRow(label=label, lines=[], anchor=field_id(path), items=items)
    return AnswerRow(
        label=label,
        lines=answer_lines(definition, each, value, locale),
        anchor=_anchor(each, path),
        multiline=isinstance(each, TextareaField),
    )


def answer_lines(definition: FormDefinition, each: FieldBase, value: Any, locale: str) -> list[str]:
    """A cleaned value in words, one line per part (checkbox choices, files)."""
    if isinstance(each, ChoiceField):
        labels = {o.value: o.label.get(locale) for o in resolve_options(definition, each)}
        chosen = value if isinstance(value, list) else [value]
        return [labels.get(str(v), str(v)) for v in chosen]
    if isinstance(each, MoneyField) and isinstance(value, int):
        return [formatting.format_money(value, locale)]
    if isinstance(each, IntegerField) and isinstance(value, int):
        return [formatting.format_integer(value, locale)]
    if isinstance(each, DecimalField) and isinstance(value, int | float):
        return [formatting.format_decimal(value, locale, each.decimal_places)]
    if isinstance(each, DateField) and isinstance(value, str):
        return [formatting.format_date(value)]
    if isinstance(each, AddressField) and isinstance(value, Mapping):
        return [format_address(value)]
    if isinstance(each, FileField) and isinstance(value, list):
        return [
            f"{f.get('name', '')} ({formatting.format_file_size(int(f.get('size', 0)), locale)})"
            for f in value
            if isinstance(f, Mapping)
        ]
    return [str(value)]
