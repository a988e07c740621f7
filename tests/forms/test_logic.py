from __future__ import annotations

from typing import Any

import pytest

from app.forms import FormDefinition, validate, visible_fields
from app.forms.logic import evaluate, truthy, variables

from .helpers import TODAY, codes, field, form

OPTS = [{"value": "single", "label": "Độc thân"}, {"value": "married", "label": "Đã kết hôn"}]


def marital_form(**extra: Any) -> FormDefinition:
    return form(
        field("radio", "marital", "Tình trạng", options=OPTS, required=True),
        field(
            "text",
            "spouse",
            {"vi": "Họ tên vợ/chồng", "en": "Spouse's name"},
            required=True,
            visible_if={"==": [{"var": "marital"}, "married"]},
        ),
        field(
            "date",
            "wedding",
            "Ngày cưới",
            visible_if={"!!": [{"var": "spouse"}]},
        ),
        **extra,
    )


def test_hidden_field_is_not_required_nor_kept() -> None:
    definition = marital_form()
    result = validate(definition, {"marital": "single", "spouse": "B", "wedding": "2020-01-01"})
    assert result.ok
    assert result.cleaned == {"marital": "single"}


def test_shown_field_is_required() -> None:
    result = validate(marital_form(), {"marital": "married"})
    assert codes(result) == [("spouse", "required")]
    assert result.errors[0].message_vi == "Vui lòng nhập Họ tên vợ/chồng"


def test_visibility_chains_settle() -> None:
    definition = marital_form()
    data = {"marital": "single", "spouse": "B", "wedding": "2020-01-01"}
    assert visible_fields(definition, data) == {"marital"}
    data["marital"] = "married"
    assert visible_fields(definition, data) == {"marital", "spouse", "wedding"}


def test_visibility_sees_coerced_values() -> None:
    definition = form(
        field("integer", "count", "Số con"),
        field("text", "note", "Ghi chú", visible_if={">": [{"var": "count"}, 2]}),
        field("money", "income", "Thu nhập"),
        field("text", "why", "Lý do", visible_if={">=": [{"var": "income"}, 1000000]}),
    )
    data = {"count": "3", "note": "x", "income": "1.500.000", "why": "y"}
    assert validate(definition, data, today=TODAY).cleaned == {
        "count": 3,
        "note": "x",
        "income": 1500000,
        "why": "y",
    }
    assert visible_fields(definition, {"count": "1", "income": "900.000"}) == {"count", "income"}


def test_visibility_errors_are_falsy() -> None:
    definition = form(
        field("integer", "a"),
        field("text", "b", required=True, visible_if={"/": [1, 0]}),
        field("text", "c", required=True, visible_if={"substr": [{"var": "a"}, "x", "y"]}),
    )
    result = validate(definition, {"a": 1})
    assert result.ok
    assert visible_fields(definition, {"a": 1}) == {"a"}


def test_group_visibility_sees_item_over_top_level() -> None:
    definition = form(
        field(
            "radio", "kind", options=[{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]
        ),
        field(
            "group",
            "items",
            "Mục",
            fields=[
                field(
                    "radio",
                    "kind",
                    options=[{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
                ),
                field(
                    "text",
                    "detail",
                    "Chi tiết",
                    required=True,
                    visible_if={"==": [{"var": "kind"}, "y"]},
                ),
                field(
                    "text",
                    "extra",
                    "Thêm",
                    required=True,
                    visible_if={"==": [{"var": "top"}, "on"]},
                ),
            ],
        ),
        field("text", "top"),
    )
    data = {"kind": "y", "top": "on", "items": [{"kind": "x"}, {"kind": "y"}, {"kind": ""}]}
    result = validate(definition, data, today=TODAY)
    assert codes(result) == [
        ("items[0].extra", "required"),
        ("items[1].detail", "required"),
        ("items[1].extra", "required"),
    ]
    paths = visible_fields(definition, data)
    assert "items[0].detail" not in paths
    assert "items[1].detail" in paths
    assert "items[2].extra" in paths


def test_hidden_group_is_not_validated() -> None:
    definition = form(
        field("checkbox", "has_kids", options=[{"value": "yes", "label": "Có con"}]),
        field(
            "group",
            "kids",
            required=True,
            visible_if={"in": ["yes", {"var": "has_kids"}]},
            fields=[field("text", "name", required=True)],
        ),
    )
    assert validate(definition, {"kids": [{"name": ""}]}).ok
    result = validate(definition, {"has_kids": ["yes"], "kids": []})
    assert codes(result) == [("kids", "required")]


# --- rules ----------------------------------------------------------------------------------

MARRIAGE = {
    "code": "marriage_age",
    "check": {">=": [{"var": "groom_age"}, 20]},
    "field": "groom_age",
    "message": {"vi": "Nam phải từ đủ 20 tuổi", "en": "The groom must be at least 20"},
}


def age_form(*rules: dict[str, Any]) -> FormDefinition:
    return form(
        field("integer", "groom_age", "Tuổi chú rể", required=True),
        field("integer", "bride_age", "Tuổi cô dâu"),
        rules=list(rules),
    )


def test_rule_passes_and_fails() -> None:
    definition = age_form(MARRIAGE)
    assert validate(definition, {"groom_age": "20"}).ok
    result = validate(definition, {"groom_age": "19"})
    assert [(e.path, e.code, e.message_vi, e.message_en) for e in result.errors] == [
        ("groom_age", "marriage_age", "Nam phải từ đủ 20 tuổi", "The groom must be at least 20")
    ]


def test_rule_is_skipped_when_its_fields_have_errors() -> None:
    result = validate(age_form(MARRIAGE), {"groom_age": "abc"})
    assert codes(result) == [("groom_age", "not_integer")]


def test_rule_when() -> None:
    rule = {**MARRIAGE, "when": {"!!": [{"var": "bride_age"}]}}
    definition = age_form(rule)
    assert validate(definition, {"groom_age": 18}).ok
    assert codes(validate(definition, {"groom_age": 18, "bride_age": 18})) == [
        ("groom_age", "marriage_age")
    ]


def test_rule_runtime_error_is_falsy() -> None:
    broken_check = {**MARRIAGE, "check": {"/": [1, 0]}}
    assert codes(validate(age_form(broken_check), {"groom_age": 30})) == [
        ("groom_age", "marriage_age")
    ]
    broken_when = {**MARRIAGE, "when": {"%": [1, 0]}}
    assert validate(age_form(broken_when), {"groom_age": 1}).ok


def test_rule_without_field_is_form_level() -> None:
    rule = {"code": "total", "check": False, "message": "Hồ sơ không hợp lệ"}
    result = validate(age_form(rule), {"groom_age": 30})
    assert codes(result) == [("", "total")]
    assert result.errors[0].message_en == "Hồ sơ không hợp lệ"


def test_rule_about_hidden_field_is_skipped() -> None:
    rule = {"code": "r", "check": False, "field": "spouse", "message": "m"}
    definition = marital_form(rules=[rule])
    assert validate(definition, {"marital": "single"}).ok
    assert codes(validate(definition, {"marital": "married", "spouse": "B"})) == [("spouse", "r")]


def test_rule_over_group_items() -> None:
    rule = {
        "code": "minor",
        "check": {"all": [{"var": "kids"}, {"<": [{"var": "age"}, 18]}]},
        "field": "kids",
        "message": "Chỉ khai con chưa thành niên",
    }
    definition = form(
        field("group", "kids", fields=[field("integer", "age")], required=True), rules=[rule]
    )
    assert validate(definition, {"kids": [{"age": "3"}, {"age": 17}]}).ok
    assert codes(validate(definition, {"kids": [{"age": "3"}, {"age": 18}]})) == [("kids", "minor")]


def test_rule_sees_iso_dates() -> None:
    rule = {
        "code": "order",
        "check": {"<": [{"var": "start"}, {"var": "end"}]},
        "field": "end",
        "message": "m",
    }
    definition = form(field("date", "start"), field("date", "end"), rules=[rule])
    assert validate(definition, {"start": "01/02/2025", "end": "03/02/2025"}).ok
    assert not validate(definition, {"start": "01/03/2025", "end": "03/02/2025"}).ok


# --- logic helpers --------------------------------------------------------------------------


def test_evaluate_never_raises() -> None:
    assert evaluate({"nope": [1]}, {}) is None
    assert evaluate({"/": [1, 0]}, {}) is None
    deep: Any = 1
    for _ in range(5000):
        deep = {"!": [deep]}
    assert truthy(deep, {}) in (True, False)


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ({"var": "a"}, ["a"]),
        ({"var": ["a.b", 1]}, ["a.b"]),
        ({"var": ""}, []),
        ({"var": 0}, []),
        ({"missing": ["a", "b"]}, ["a", "b"]),
        ({"missing_some": [1, ["a", "b"]]}, ["a", "b"]),
        ({"if": [{"var": "a"}, {"var": "b"}, {"var": "c"}]}, ["a", "b", "c"]),
        ({"map": [{"var": "kids"}, {"var": "age"}]}, ["kids"]),
        (
            {
                "reduce": [
                    {"var": "xs"},
                    {"+": [{"var": "current"}, {"var": "accumulator"}]},
                    {"var": "z"},
                ]
            },
            ["xs", "z"],
        ),
        ({"var": {"cat": ["a", {"var": "b"}]}}, ["b"]),
        ([{"var": "a"}, {"x": 1, "y": 2}], ["a"]),
    ],
)
def test_variables(expression: Any, names: list[str]) -> None:
    assert list(variables(expression)) == names
