from __future__ import annotations

from typing import Any

from app.forms import FormDefinition, lint

from .helpers import field, form


def raw_lint(
    *fields: dict[str, Any], known: list[str] | None = None, **extra: Any
) -> list[tuple[str, str]]:
    """Lint without parse_definition raising, so each problem can be looked at."""
    raw = {"sections": [{"key": "main", "title": "Chính", "fields": list(fields)}], **extra}
    definition = FormDefinition.model_validate(raw)
    return [(p.location, p.message) for p in lint(definition, known)]


def where(*fields: dict[str, Any], known: list[str] | None = None, **extra: Any) -> list[str]:
    return [location for location, _ in raw_lint(*fields, known=known, **extra)]


OPTS = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]


def test_clean_definition_has_no_problem() -> None:
    definition = form(field("text", "a"), field("select", "b", options=OPTS))
    assert lint(definition) == []
    assert lint(definition, ["to_khai"]) == []


def test_duplicate_field_keys() -> None:
    assert raw_lint(field("text", "a"), field("date", "a")) == [
        (
            "sections[0].fields[1].key",
            "duplicate field key 'a' (first at sections[0].fields[0].key)",
        )
    ]


def test_duplicate_keys_across_sections() -> None:
    raw = {
        "sections": [
            {"key": "s", "title": "A", "fields": [field("text", "a")]},
            {"key": "s", "title": "B", "fields": [field("text", "a")]},
        ]
    }
    found = [p.location for p in lint(FormDefinition.model_validate(raw))]
    assert found == ["sections[1].key", "sections[1].fields[0].key"]


def test_group_keys_unique_inside_the_group_only() -> None:
    group = field("group", "g", fields=[field("text", "a"), field("text", "x"), field("text", "x")])
    assert where(field("text", "a"), group) == ["sections[0].fields[1].fields[2].key"]


def test_unknown_references_in_visible_if() -> None:
    found = raw_lint(
        field("text", "a"),
        field("text", "b", visible_if={"==": [{"var": "nope"}, "x"]}),
        field("text", "c", visible_if={"and": [{"var": "a"}, {"var": ["b.length", 0]}]}),
    )
    assert found == [("sections[0].fields[1].visible_if", "unknown field 'nope'")]


def test_visible_if_inside_group_sees_item_and_top_level() -> None:
    group = field(
        "group",
        "g",
        fields=[
            field("text", "x", visible_if={"var": "a"}),
            field("text", "y", visible_if={"var": "x"}),
            field("text", "z", visible_if={"var": "other_group_field"}),
        ],
    )
    assert where(field("text", "a"), group) == ["sections[0].fields[1].fields[2].visible_if"]


def test_self_dependent_visibility() -> None:
    assert raw_lint(field("text", "a", visible_if={"var": "a"})) == [
        ("sections[0].fields[0].visible_if", "the field 'a' depends on itself")
    ]


def test_unknown_operation() -> None:
    assert raw_lint(field("text", "a"), field("text", "b", visible_if={"equals": [1, 1]})) == [
        ("sections[0].fields[1].visible_if", "unknown JSON Logic operation 'equals'")
    ]


def test_iterating_operations_do_not_read_the_form() -> None:
    group = field("group", "kids", fields=[field("integer", "age")])
    check = {"all": [{"var": "kids"}, {"<": [{"var": "age"}, 18]}]}
    rules = [{"code": "r", "check": check, "field": "kids", "message": "m"}]
    assert where(group, rules=rules) == []


def test_rule_references() -> None:
    rules = [
        {"code": "r1", "check": {">": [{"var": "age"}, 1]}, "field": "age", "message": "m"},
        {"code": "r2", "check": {"var": "ghost"}, "field": "ghost", "message": "m"},
        {"code": "r3", "check": True, "when": {"var": "phantom"}, "message": "m"},
        {"code": "r4", "check": True, "field": "kids[0].name", "message": "m"},
        {"code": "r5", "check": True, "field": "kids[0].nope", "message": "m"},
        {"code": "r6", "check": True, "field": "home.province", "message": "m"},
        {"code": "r7", "check": True, "field": "age.x", "message": "m"},
        {"code": "r8", "check": True, "field": "age[0]", "message": "m"},
        {"code": "r9", "check": True, "field": "kids", "message": "m"},
        {"code": "r10", "check": True, "field": "Bad Path", "message": "m"},
        {"code": "r11", "check": True, "field": "kids.name", "message": "m"},
    ]
    found = raw_lint(
        field("integer", "age"),
        field("address", "home"),
        field("group", "kids", fields=[field("text", "name")]),
        rules=rules,
    )
    assert found == [
        ("rules[1].check", "unknown field 'ghost'"),
        ("rules[1].field", "unknown field 'ghost'"),
        ("rules[2].when", "unknown field 'phantom'"),
        ("rules[4].field", "unknown field 'kids[0].nope'"),
        ("rules[6].field", "unknown field 'age.x'"),
        ("rules[7].field", "unknown field 'age[0]'"),
        ("rules[9].field", "unknown field 'Bad Path'"),
        ("rules[10].field", "unknown field 'kids.name'"),
    ]


def test_date_bounds() -> None:
    found = raw_lint(
        field("text", "t"),
        field("date", "a", not_before="yesterday"),
        field("date", "b", not_before="field:nope"),
        field("date", "c", not_after="field:t"),
        field("date", "d", not_before="field:d"),
        field("date", "e", not_before="2025-01-02", not_after="2025-01-01"),
        field("date", "f", not_before="field:a", not_after="today+1y"),
    )
    assert found == [
        (
            "sections[0].fields[1].not_before",
            "'yesterday' is not an ISO date, 'today', 'today±N(d|m|y)' or 'field:<key>'",
        ),
        ("sections[0].fields[2].not_before", "unknown field 'nope'"),
        ("sections[0].fields[3].not_after", "the field 't' is not a date field"),
        ("sections[0].fields[4].not_before", "a date cannot be bounded by itself"),
        ("sections[0].fields[5].not_before", "not_before is after not_after"),
    ]


def test_choice_options() -> None:
    found = raw_lint(
        field("select", "a"),
        field("select", "b", options=OPTS, option_list="gender"),
        field("radio", "c", option_list="nope"),
        field("select", "d", options=[]),
        field(
            "checkbox", "e", options=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]
        ),
        field("select", "f", option_list="gender"),
        field("select", "g", option_list="ethnic_groups"),
        field("select", "h", option_list="provinces"),
        field("select", "i", option_list="mine"),
        option_lists={"mine": OPTS},
    )
    assert found == [
        ("sections[0].fields[0].options", "give options or option_list"),
        ("sections[0].fields[1].option_list", "give either options or option_list, not both"),
        ("sections[0].fields[2].option_list", "unknown option list 'nope'"),
        ("sections[0].fields[3].options", "the option list is empty"),
        (
            "sections[0].fields[4].options[1].value",
            "duplicate option value 'a' (first at sections[0].fields[4].options[0].value)",
        ),
    ]


def test_named_option_lists() -> None:
    found = raw_lint(
        field("select", "a", option_list="x"),
        option_lists={"x": [{"value": "a", "label": "A"}, {"value": "a", "label": "A"}], "y": []},
    )
    assert found == [
        (
            "option_lists.x[1].value",
            "duplicate option value 'a' (first at option_lists.x[0].value)",
        ),
        ("option_lists.y", "the option list is empty"),
    ]


def test_checkbox_counts() -> None:
    found = raw_lint(
        field("checkbox", "a", options=OPTS, min_selected=2, max_selected=1),
        field("checkbox", "b", options=OPTS, min_selected=3),
    )
    assert found == [
        ("sections[0].fields[0].min_selected", "min_selected (2) is greater than max_selected (1)"),
        ("sections[0].fields[1].min_selected", "min_selected (3) exceeds the 2 options"),
    ]


def test_min_greater_than_max() -> None:
    found = where(
        field("text", "a", min_length=10, max_length=5),
        field("textarea", "b", min_length=5000),
        field("integer", "c", min=5, max=1),
        field("decimal", "d", min=5.5, max=1.5),
        field("money", "e", min=5, max=1),
        field("file", "f", min_files=3, max_files=2),
        field("group", "g", min_items=3, max_items=2, fields=[field("text", "x")]),
    )
    assert found == [
        "sections[0].fields[0].min_length",
        "sections[0].fields[1].min_length",
        "sections[0].fields[2].min",
        "sections[0].fields[3].min",
        "sections[0].fields[4].min",
        "sections[0].fields[5].min_files",
        "sections[0].fields[6].min_items",
    ]


def test_bad_pattern() -> None:
    assert raw_lint(field("text", "a", pattern="([a-z]")) == [
        ("sections[0].fields[0].pattern", "not a valid regular expression: '([a-z]'")
    ]


def test_file_documents_and_accept() -> None:
    fields = (
        field("file", "a", document="to_khai"),
        field("file", "b", document="giay_to_khac", accept=["application/pdf", "pdf", "image/*"]),
        field("group", "g", fields=[field("file", "c", document="anh")]),
    )
    assert where(*fields) == ["sections[0].fields[1].accept[1]"]
    assert raw_lint(*fields, known=["to_khai", "anh"]) == [
        ("sections[0].fields[1].document", "unknown document 'giay_to_khac' of the procedure"),
        ("sections[0].fields[1].accept[1]", "not a MIME type: 'pdf'"),
    ]
    assert where(*fields, known=[]) == [
        "sections[0].fields[0].document",
        "sections[0].fields[1].document",
        "sections[0].fields[1].accept[1]",
        "sections[0].fields[2].fields[0].document",
    ]
