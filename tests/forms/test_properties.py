"""Property tests: validate never raises, and what it accepts the JSON Schema accepts."""

from __future__ import annotations

import json
import math
import string
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.forms import (
    FormDefinition,
    communes,
    parse_definition,
    provinces,
    to_json_schema,
    unflatten_form,
    validate,
    visible_fields,
)
from app.forms.identifiers import CITIZEN_ID_PROVINCES, tax_check_digit
from app.forms.options import builtin_options
from app.forms.values import parse_bound

SETTINGS = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TODAY = date(2026, 3, 15)
KEYS = [f"k{i}" for i in range(8)]
INNER_KEYS = [f"i{i}" for i in range(4)]
OPTION_VALUES = ["a", "b", "c", "1"]
PATTERNS = ["[a-z]+", "[0-9]{3}", ".*", "[A-Z][a-z]*", "x|y"]
MIMES = ["application/pdf", "image/*", "image/png", "text/plain"]
UNITS = [(p.code, c.code) for p in provinces() for c in communes(p.code)]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def labels() -> st.SearchStrategy[Any]:
    return st.sampled_from(["Họ và tên", {"vi": "Ngày sinh", "en": "Date of birth"}, "Số tiền"])


def bounded(
    strategy: st.SearchStrategy[Any], low: str, high: str
) -> st.SearchStrategy[dict[str, Any]]:
    """Optional low/high keys with low <= high."""

    def build(pair: tuple[Any, Any], use: tuple[bool, bool]) -> dict[str, Any]:
        a, b = sorted(pair)
        keys: dict[str, Any] = {}
        if use[0]:
            keys[low] = a
        if use[1]:
            keys[high] = b
        return keys

    return st.builds(build, st.tuples(strategy, strategy), st.tuples(st.booleans(), st.booleans()))


def options() -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(st.sampled_from(OPTION_VALUES), min_size=1, max_size=4, unique=True).map(
        lambda values: [{"value": v, "label": f"Lựa chọn {v}"} for v in values]
    )


def type_keys(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """The type-specific keys of a valid field of this kind."""
    small = st.integers(0, 20)
    if kind == "text":
        return st.fixed_dictionaries({}, optional={"pattern": st.sampled_from(PATTERNS)}).flatmap(
            lambda d: bounded(small, "min_length", "max_length").map(
                lambda b: {**d, **b} if b.get("max_length", 1) else d
            )
        )
    if kind == "textarea":
        return bounded(st.integers(1, 50), "min_length", "max_length")
    if kind == "integer":
        return bounded(st.integers(-1000, 1000), "min", "max")
    if kind == "decimal":
        hundredths = st.integers(-(10**8), 10**8).map(lambda n: n / 100)
        return bounded(hundredths | st.floats(-1e6, 1e6), "min", "max").flatmap(
            lambda b: st.fixed_dictionaries({}, optional={"decimal_places": st.integers(0, 4)}).map(
                lambda d: {**b, **d}
            )
        )
    if kind == "money":
        return bounded(st.integers(0, 10**9), "min", "max")
    if kind == "date":
        bound = st.sampled_from(["today", "today-18y", "today+30d", "today-6m"]) | st.dates(
            date(1900, 1, 1), date(2100, 1, 1)
        ).map(date.isoformat)
        return st.fixed_dictionaries({}, optional={"not_before": bound, "not_after": bound}).filter(
            lambda d: (
                not (
                    d.get("not_before", "t")[0].isdigit()
                    and d.get("not_after", "t")[0].isdigit()
                    and d["not_before"] > d["not_after"]
                )
            )
        )
    if kind in ("select", "radio"):
        return options().map(lambda o: {"options": o}) | st.sampled_from(
            [
                {"option_list": "gender"},
                {"option_list": "ethnic_groups"},
                {"option_list": "provinces"},
            ]
        )
    if kind == "checkbox":
        return st.builds(
            lambda o, lo, hi: {
                "options": o,
                **({"min_selected": min(lo, len(o))} if lo is not None else {}),
                **({"max_selected": max(hi, min(lo or 0, len(o)), 1)} if hi is not None else {}),
            },
            options(),
            st.none() | st.integers(0, 3),
            st.none() | st.integers(1, 4),
        )
    if kind == "address":
        return st.fixed_dictionaries({}, optional={"street_required": st.booleans()})
    if kind == "file":
        return st.builds(
            lambda accept, size, lo, hi: {
                **({"accept": accept} if accept else {}),
                **({"max_size_mb": size} if size else {}),
                **({"min_files": min(lo, hi)} if lo is not None else {}),
                "max_files": hi,
            },
            st.lists(st.sampled_from(MIMES), max_size=2, unique=True),
            st.none() | st.floats(0.001, 5),
            st.none() | st.integers(0, 2),
            st.integers(1, 3),
        )
    return st.just({})


SIMPLE_KINDS = [
    "text", "textarea", "integer", "decimal", "money", "date", "email", "phone",
    "citizen_id", "tax_code", "select", "radio", "checkbox", "address", "file",
]  # fmt: skip


def simple_field(key: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(SIMPLE_KINDS).flatmap(
        lambda kind: st.builds(
            lambda extra, label, required: {
                "type": kind,
                "key": key,
                "label": label,
                "required": required,
                **extra,
            },
            type_keys(kind),
            labels(),
            st.booleans(),
        )
    )


def group_field(key: str) -> st.SearchStrategy[dict[str, Any]]:
    inner = st.lists(st.sampled_from(INNER_KEYS), min_size=1, max_size=3, unique=True).flatmap(
        lambda keys: st.tuples(*[simple_field(k) for k in keys]).map(list)
    )
    return st.builds(
        lambda fields, label, required, counts: {
            "type": "group", "key": key, "label": label, "required": required,
            "fields": fields, **counts,
        },
        inner,
        labels(),
        st.booleans(),
        bounded(st.integers(0, 3), "min_items", "max_items").map(
            lambda b: b if b.get("max_items", 1) >= 1 else {}
        ),
    )  # fmt: skip


def any_field(key: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(simple_field(key), simple_field(key), group_field(key))


@st.composite
def raw_definitions(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True))
    fields = [draw(any_field(k)) for k in keys]
    return {"format": 1, "sections": [{"key": "main", "title": "Chính", "fields": fields}]}


def tax_code(digits: str) -> str:
    check = tax_check_digit(digits)
    return digits + str(check if check is not None else 0)


def plausible(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a page or an API client could send for the field, valid or nearly so."""
    kind = field["type"]
    digits = st.text(string.digits, min_size=1, max_size=12)
    if kind in ("text", "textarea"):
        return st.text(max_size=60) | st.from_regex(r"[a-zA-Z0-9]{0,5}", fullmatch=True)
    if kind == "integer":
        return st.integers(-2000, 2000) | st.integers(-2000, 2000).map(str) | digits
    if kind == "decimal":
        return (
            st.decimals(-(10**6), 10**6, places=3).map(lambda d: str(d).replace(".", ","))
            | st.floats(-1e7, 1e7)
            | st.integers(-100, 100)
        )
    if kind == "money":
        return st.integers(-5, 10**10) | st.integers(0, 10**10).map(
            lambda n: f"{n:,}".replace(",", ".")
        )
    if kind == "date":
        days = st.dates(date(1800, 1, 1), date(2200, 1, 1))
        return days.map(date.isoformat) | days.map(lambda d: d.strftime("%d/%m/%Y"))
    if kind == "email":
        return st.emails() | st.text(max_size=20)
    if kind == "phone":
        return st.tuples(
            st.sampled_from(["09", "03", "+84 9", "84 8", "024", "02", "11"]), digits
        ).map("".join)
    if kind == "citizen_id":
        return st.tuples(st.sampled_from([*CITIZEN_ID_PROVINCES, "003"]), digits).map("".join)
    if kind == "tax_code":
        nine = st.text(string.digits, min_size=9, max_size=9)
        return (
            nine.map(tax_code)
            | st.tuples(nine.map(tax_code), st.sampled_from(["-001", "123", "-000"])).map("".join)
            | digits
        )
    if kind in ("select", "radio"):
        return st.sampled_from([*OPTION_VALUES, "male", "female", "01", "79", "zz"])
    if kind == "checkbox":
        return st.lists(st.sampled_from([*OPTION_VALUES, ""]), max_size=4) | st.sampled_from(
            OPTION_VALUES
        )
    if kind == "address":
        return st.builds(
            lambda unit, street, other: {
                "province": other or unit[0], "commune": unit[1], "street": street
            },
            st.sampled_from(UNITS),
            st.text(max_size=30),
            st.none() | st.sampled_from(["01", "79", "02"]),
        )  # fmt: skip
    if kind == "file":
        one = st.builds(
            lambda i, size, ct: {"id": i, "name": f"{i}.bin", "size": size, "content_type": ct},
            st.text(min_size=1, max_size=5),
            st.integers(0, 10 * 1024 * 1024),
            st.sampled_from([*MIMES, "image/jpeg", "Image/PNG; x=1", "image/", "application/zip"]),
        )
        return st.lists(one, max_size=4)
    if kind == "group":
        item = st.fixed_dictionaries({}, optional={f["key"]: plausible(f) for f in field["fields"]})
        return st.lists(item, max_size=4)
    return json_values


VI_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĐÊễỹ "
MB = 1024 * 1024


def _option_values(field: dict[str, Any]) -> list[str]:
    if "options" in field:
        return [o["value"] for o in field["options"]]
    found = builtin_options(field["option_list"])
    return [o.value for o in found or []]


def _text(field: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = field.get("min_length") or 1, min(field.get("max_length", 255), 40)
    if "pattern" in field:
        return st.from_regex(field["pattern"], fullmatch=True).filter(
            lambda t: low <= len(t.strip()) <= high and t == t.strip() and "\n" not in t
        )
    return st.text(VI_LETTERS, min_size=low, max_size=max(low, high)).map(
        lambda t: "x" * low if len(t.strip()) < low else t
    )


def valid_value(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that should pass the field's own checks (most of the time)."""
    kind = field["type"]
    if kind in ("text", "textarea"):
        return _text(field)
    if kind == "integer":
        low, high = field.get("min", -1000), field.get("max", 1000)
        return st.integers(min(low, high), high).flatmap(lambda n: st.sampled_from([n, str(n)]))
    if kind == "decimal":
        places = field.get("decimal_places", 2)
        scale = 10**places
        low = math.ceil(Decimal(repr(field.get("min", -1e6))) * scale)
        high = math.floor(Decimal(repr(field.get("max", 1e6))) * scale)
        if low > high:
            return st.just("")
        return st.integers(low, high).map(
            lambda n: str(Decimal(n).scaleb(-places)).replace(".", ",")
        )
    if kind == "money":
        low, high = field.get("min", 0), field.get("max", 10**10)
        return st.integers(low, high).map(lambda n: f"{n:,}".replace(",", "."))
    if kind == "date":
        low = parse_bound(field["not_before"]) if "not_before" in field else None
        high = parse_bound(field["not_after"]) if "not_after" in field else None
        first = (low.resolve(TODAY) if low else None) or date(1900, 1, 1)
        last = (high.resolve(TODAY) if high else None) or date(2100, 1, 1)
        if first > last:
            return st.just("")
        return st.dates(first, last).map(lambda d: d.strftime("%d/%m/%Y"))
    if kind == "email":
        return st.from_regex(r"[a-z0-9.]{1,8}@[a-z]{1,8}\.(vn|com)", fullmatch=True)
    if kind == "phone":
        return st.tuples(
            st.sampled_from(["09", "03", "+84 7", "84 5", "028 ", "0"]),
            st.text(string.digits, min_size=8, max_size=8),
        ).map(lambda parts: parts[0] + parts[1] + ("9" if parts[0] in ("028 ",) else ""))
    if kind == "citizen_id":
        return st.tuples(
            st.sampled_from(list(CITIZEN_ID_PROVINCES)),
            st.text(string.digits, min_size=9, max_size=9),
        ).map("".join)
    if kind == "tax_code":
        return (
            st.text(string.digits, min_size=9, max_size=9)
            .filter(lambda d: tax_check_digit(d) is not None)
            .map(tax_code)
        )
    if kind in ("select", "radio"):
        return st.sampled_from(_option_values(field))
    if kind == "checkbox":
        values = _option_values(field)
        low = max(field.get("min_selected") or 0, 1)
        high = min(field.get("max_selected", len(values)), len(values))
        return st.lists(st.sampled_from(values), min_size=low, max_size=max(low, high), unique=True)
    if kind == "address":
        return st.builds(
            lambda unit, street: {"province": unit[0], "commune": unit[1], "street": street},
            st.sampled_from(UNITS),
            st.text(VI_LETTERS, min_size=0, max_size=20).map(lambda t: t + "1"),
        )
    if kind == "file":
        allowed = [m.replace("*", "png") for m in field.get("accept", [])] or ["application/pdf"]
        limit = int(field.get("max_size_mb", 5) * MB)
        one = st.builds(
            lambda i, size, ct: {
                "id": f"id{i}",
                "name": f"{i}.bin",
                "size": size,
                "content_type": ct,
            },
            st.integers(0, 99),
            st.integers(0, limit),
            st.sampled_from(allowed),
        )
        low = max(field.get("min_files") or 0, 1)
        return st.lists(one, min_size=low, max_size=max(low, field.get("max_files", 1)))
    if kind == "group":
        item = st.fixed_dictionaries(
            {f["key"]: valid_value(f) for f in field["fields"] if f["required"]},
            optional={f["key"]: valid_value(f) for f in field["fields"] if not f["required"]},
        )
        low = max(field.get("min_items") or 0, 1)
        return st.lists(item, min_size=low, max_size=max(low, field.get("max_items", 3)))
    return json_values


@st.composite
def definition_and_data(draw: st.DrawFn) -> tuple[FormDefinition, dict[str, Any]]:
    raw = draw(raw_definitions())
    definition = parse_definition(raw)
    data: dict[str, Any] = {}
    for field in raw["sections"][0]["fields"]:
        choice = draw(st.integers(0, 19))
        if choice == 0:
            continue
        if choice == 1:
            data[field["key"]] = draw(json_values)
        elif choice <= 4:
            data[field["key"]] = draw(plausible(field))
        else:
            data[field["key"]] = draw(valid_value(field))
    return definition, data


LOGIC_OPS = [
    "==",
    "!=",
    "<",
    ">",
    "and",
    "or",
    "!",
    "if",
    "in",
    "+",
    "/",
    "%",
    "var",
    "missing",
    "all",
    "cat",
    "nope",
]


def logic() -> st.SearchStrategy[Any]:
    leaf = json_scalars | st.sampled_from(KEYS).map(lambda k: {"var": k})
    return st.recursive(
        leaf,
        lambda children: st.builds(
            lambda op, args: {op: args}, st.sampled_from(LOGIC_OPS), st.lists(children, max_size=3)
        ),
        max_leaves=8,
    )


@st.composite
def wild_definitions(draw: st.DrawFn) -> FormDefinition:
    """Definitions with arbitrary visible_if and rules; linting is skipped on purpose."""
    raw = draw(raw_definitions())
    for field in raw["sections"][0]["fields"]:
        if draw(st.booleans()):
            field["visible_if"] = draw(logic())
    raw["rules"] = draw(
        st.lists(
            st.builds(
                lambda check, when, target: {
                    "code": "r", "check": check, "when": when, "field": target, "message": "Sai"
                },
                logic(),
                st.none() | logic(),
                st.sampled_from(["", *KEYS, "k1[0].i1", "zz"]),
            ),
            max_size=3,
        )
    )  # fmt: skip
    return FormDefinition.model_validate(raw)


@SETTINGS
@given(wild_definitions(), st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8))
def test_validate_never_raises_on_junk(definition: FormDefinition, data: dict[str, Any]) -> None:
    result = validate(definition, data, today=TODAY)
    json.dumps(result.cleaned)
    assert result.ok == (not result.errors)
    visible_fields(definition, data)


@SETTINGS
@given(wild_definitions(), st.data())
def test_validate_never_raises_on_plausible_data(
    definition: FormDefinition, data: st.DataObject
) -> None:
    values = {
        f.key: data.draw(st.one_of(plausible(raw), valid_value(raw), json_values))
        for f in definition.fields
        for raw in [f.model_dump(exclude_none=True)]
    }
    result = validate(definition, values, today=TODAY)
    json.dumps(result.cleaned)
    for error in result.errors:
        assert error.message_vi and error.message_en
    assert set(result.cleaned) <= {f.key for f in definition.fields}


@settings(SETTINGS, max_examples=250)
@given(definition_and_data())
def test_accepted_data_matches_the_schema(case: tuple[FormDefinition, dict[str, Any]]) -> None:
    definition, data = case
    schema = to_json_schema(definition)
    Draft202012Validator.check_schema(schema)
    result = validate(definition, data, today=TODAY)
    json.dumps(result.cleaned)
    if result.ok:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        validator.validate(result.cleaned)
        # Cleaning is idempotent: cleaned data validates to itself.
        again = validate(definition, result.cleaned, today=TODAY)
        assert again.ok, again.errors
        assert again.cleaned == result.cleaned


@SETTINGS
@given(
    st.lists(st.tuples(st.text(max_size=20), st.text(max_size=10)), max_size=20), raw_definitions()
)
def test_unflatten_never_raises(pairs: list[tuple[str, str]], raw: dict[str, Any]) -> None:
    definition = parse_definition(raw)
    data = unflatten_form(pairs, definition)
    validate(definition, data, today=TODAY)
