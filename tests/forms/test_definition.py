from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from app.forms import (
    FIELD_TYPES,
    DateField,
    DefinitionError,
    DefinitionProblem,
    FormDefinition,
    GroupField,
    LocalizedText,
    SelectField,
    TextField,
    parse_definition,
)

from .helpers import field, form


def problems(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw)
    return [(p.location, p.message) for p in caught.value.problems]


def locations(raw: Any) -> list[str]:
    return [location for location, _ in problems(raw)]


def section(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"key": "main", "title": "Chính", "fields": list(fields)}


def test_minimal_definition() -> None:
    definition = form(field("text", "full_name", "Họ và tên"))
    assert isinstance(definition, FormDefinition)
    assert definition.format == 1
    assert [f.key for f in definition.fields] == ["full_name"]
    assert isinstance(definition.fields[0], TextField)
    assert definition.field("full_name") is definition.fields[0]
    assert definition.field("nope") is None


def test_every_documented_type_is_registered() -> None:
    assert set(FIELD_TYPES) == {
        "text", "textarea", "integer", "decimal", "money", "date", "email", "phone",
        "citizen_id", "tax_code", "select", "radio", "checkbox", "address", "file", "group",
    }  # fmt: skip
    for name, cls in FIELD_TYPES.items():
        assert cls.model_fields["type"].default == name


def test_models_are_frozen() -> None:
    definition = form(field("text", "a"))
    with pytest.raises(ValidationError):
        definition.fields[0].required = True  # type: ignore[misc]
    with pytest.raises(ValidationError):
        definition.format = 1  # type: ignore[misc]


def test_localized_text() -> None:
    plain = LocalizedText.model_validate("Họ và tên")
    assert plain.get("vi") == "Họ và tên"
    assert plain.get("en") == "Họ và tên"
    both = LocalizedText.model_validate({"vi": "Họ và tên", "en": "Full name"})
    assert both.get("en") == "Full name"
    assert both.get("en-GB") == "Full name"
    assert both.get("vi") == "Họ và tên"
    assert both.get("fr") == "Họ và tên"
    assert str(both) == "Họ và tên"


def test_walk_lists_nested_fields() -> None:
    definition = form(
        field("text", "a"),
        field("group", "g", fields=[field("text", "x"), field("date", "y")]),
    )
    assert [path for path, _ in definition.walk()] == ["a", "g", "g[].x", "g[].y"]
    assert isinstance(definition.field("g"), GroupField)


def test_full_example_of_the_doc_parses() -> None:
    raw = {
        "format": 1,
        "option_lists": {
            "marital_status": [
                {"value": "single", "label": {"vi": "Chưa kết hôn", "en": "Single"}},
                {"value": "married", "label": {"vi": "Đã kết hôn", "en": "Married"}},
            ]
        },
        "sections": [
            {
                "key": "applicant",
                "title": {"vi": "Người yêu cầu", "en": "Applicant"},
                "help": {"vi": "…", "en": "…"},
                "fields": [
                    field("integer", "groom_age", "Tuổi chú rể"),
                    field("select", "status", "Tình trạng", option_list="marital_status"),
                ],
            }
        ],
        "rules": [
            {
                "code": "marriage_age",
                "check": {">=": [{"var": "groom_age"}, 20]},
                "field": "groom_age",
                "message": {"vi": "Chú rể phải từ đủ 20 tuổi", "en": "The groom must be 20"},
            }
        ],
    }
    definition = parse_definition(raw)
    assert definition.rules[0].code == "marriage_age"
    assert definition.sections[0].help is not None


# --- structural problems --------------------------------------------------------------------


def test_not_a_mapping() -> None:
    assert locations([1, 2]) == [""]


def test_sections_required_and_non_empty() -> None:
    assert problems({}) == [("sections", "Field required")]
    assert locations({"sections": []}) == ["sections"]
    assert locations({"sections": [{"key": "a", "title": "A", "fields": []}]}) == [
        "sections[0].fields"
    ]


def test_format_must_be_1() -> None:
    assert locations({"format": 2, "sections": [section(field("text", "a"))]}) == ["format"]


def test_unknown_keys_are_refused() -> None:
    raw = {"sections": [section(field("text", "a", lable="x"))], "extra": 1}
    assert problems(raw) == [
        ("sections[0].fields[0].lable", "Extra inputs are not permitted"),
        ("extra", "Extra inputs are not permitted"),
    ]


def test_unknown_key_of_another_type_is_refused() -> None:
    # `pattern` belongs to text, not textarea.
    assert locations({"sections": [section(field("textarea", "a", pattern="x"))]}) == [
        "sections[0].fields[0].pattern"
    ]


def test_bad_type() -> None:
    found = problems({"sections": [section(field("txt", "a"))]})
    assert found[0][0] == "sections[0].fields[0]"
    assert "unknown field type 'txt'" in found[0][1]
    missing = problems({"sections": [section({"key": "a", "label": "A"})]})
    assert missing[0][0] == "sections[0].fields[0]"
    assert "'type' is required" in missing[0][1]


def test_nested_group_is_refused() -> None:
    inner = field("group", "inner", fields=[field("text", "x")])
    found = problems({"sections": [section(field("group", "outer", fields=[inner]))]})
    assert found == [("sections[0].fields[0].fields[0]", "a group cannot contain another group")]


def test_bad_key_and_label() -> None:
    assert locations({"sections": [section(field("text", "Full Name"))]}) == [
        "sections[0].fields[0].key"
    ]
    assert locations({"sections": [section(field("text", "a", label=5))]}) == [
        "sections[0].fields[0].label"
    ]
    assert locations({"sections": [section(field("text", "a", label={"en": "x"}))]}) == [
        "sections[0].fields[0].label.vi"
    ]
    assert locations({"sections": [section(field("text", "a", label={"vi": ""}))]}) == [
        "sections[0].fields[0].label.vi"
    ]


def test_nested_field_locations() -> None:
    group = field("group", "g", fields=[field("text", "x"), field("integer", "y", min="a")])
    assert locations({"sections": [section(field("text", "a"), group)]}) == [
        "sections[0].fields[1].fields[1].min"
    ]


def test_option_list_locations() -> None:
    raw = {
        "option_lists": {"kinds": [{"value": "a", "label": "A"}, {"value": "", "label": "B"}]},
        "sections": [section(field("select", "a", option_list="kinds"))],
    }
    assert locations(raw) == ["option_lists.kinds[1].value"]


def test_numeric_constraints() -> None:
    raw = {"sections": [section(field("text", "a", max_length=0), field("file", "f", max_files=0))]}
    assert locations(raw) == ["sections[0].fields[0].max_length", "sections[0].fields[1].max_files"]
    raw = {"sections": [section(field("money", "m", min=-1))]}
    assert locations(raw) == ["sections[0].fields[0].min"]


def test_rule_structure() -> None:
    raw = {
        "sections": [section(field("text", "a"))],
        "rules": [{"code": "x", "check": True}],
    }
    assert problems(raw) == [("rules[0].message", "Field required")]


def test_definition_error_message_lists_problems() -> None:
    error = DefinitionError(
        [DefinitionProblem("sections[0].key", "bad"), DefinitionProblem("", "x")]
    )
    assert "sections[0].key: bad" in str(error)
    assert str(error.problems[1]) == "x"


def test_lint_problems_are_raised_by_parse() -> None:
    raw = {"sections": [section(field("text", "a"), field("text", "a"))]}
    assert problems(raw) == [
        (
            "sections[0].fields[1].key",
            "duplicate field key 'a' (first at sections[0].fields[0].key)",
        )
    ]


def test_yaml_scalars_are_accepted() -> None:
    # What PyYAML gives for `value: 1` and `not_before: 2025-07-01` (unquoted).
    definition = form(
        field("select", "a", options=[{"value": 1, "label": "Một"}]),
        field("date", "d", not_before=date(2025, 7, 1), not_after=datetime(2030, 1, 1, 0, 0)),
    )
    select = definition.fields[0]
    assert isinstance(select, SelectField) and select.options is not None
    assert select.options[0].value == "1"
    dated = definition.fields[1]
    assert isinstance(dated, DateField)
    assert (dated.not_before, dated.not_after) == ("2025-07-01", "2030-01-01")
    assert locations(
        {"sections": [section(field("select", "a", options=[{"value": True, "label": "x"}]))]}
    ) == ["sections[0].fields[0].options[0].value"]
