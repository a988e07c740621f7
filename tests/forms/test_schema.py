from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from app.forms import to_json_schema, validate

from .helpers import TODAY, field, form

OPTS = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]


def everything() -> Any:
    return form(
        field(
            "text",
            "full_name",
            {"vi": "Họ và tên", "en": "Full name"},
            required=True,
            help="Viết hoa",
        ),
        field("text", "plate", "Biển số", pattern="[0-9]{2}[A-Z]", min_length=3),
        field("textarea", "note", "Ghi chú"),
        field("integer", "age", "Tuổi", min=0, max=150, required=True),
        field("decimal", "area", "Diện tích", min=0),
        field("money", "fee", "Lệ phí", max=1000),
        field("date", "born", "Ngày sinh", not_after="today"),
        field("email", "mail", "Thư điện tử"),
        field("phone", "phone", "Điện thoại"),
        field("citizen_id", "cid", "CCCD"),
        field("tax_code", "tax", "Mã số thuế"),
        field("select", "kind", "Loại", options=OPTS, required=True, visible_if={"var": "age"}),
        field("radio", "gender", "Giới tính", option_list="gender"),
        field("checkbox", "langs", "Ngôn ngữ", options=OPTS, max_selected=2),
        field("address", "home", "Nơi ở", street_required=False),
        field(
            "file",
            "doc",
            "Tờ khai",
            accept=["application/pdf", "image/*"],
            max_size_mb=2,
            max_files=3,
        ),
        field(
            "group",
            "kids",
            "Các con",
            max_items=5,
            fields=[
                field("text", "name", "Tên", required=True),
                field("date", "born", "Ngày sinh"),
            ],
        ),
    )


def test_schema_is_valid_2020_12() -> None:
    schema = to_json_schema(everything())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_schema_shapes() -> None:
    props = to_json_schema(everything())["properties"]
    assert props["full_name"] == {
        "title": "Họ và tên",
        "description": "Viết hoa",
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
    }
    assert props["plate"]["pattern"] == "^(?:[0-9]{2}[A-Z])$"
    assert props["plate"]["minLength"] == 3
    assert props["note"]["maxLength"] == 4000
    assert props["age"] == {"title": "Tuổi", "type": "integer", "minimum": 0, "maximum": 150}
    assert props["area"]["type"] == "number"
    assert props["fee"] == {"title": "Lệ phí", "type": "integer", "minimum": 0, "maximum": 1000}
    assert props["born"]["format"] == "date"
    assert props["born"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert props["kind"]["enum"] == ["a", "b"]
    assert props["gender"]["enum"] == ["male", "female"]
    assert props["langs"]["items"]["enum"] == ["a", "b"]
    assert props["langs"]["maxItems"] == 2
    assert props["langs"]["uniqueItems"] is True
    assert len(props["home"]["properties"]["province"]["enum"]) == 34
    assert props["home"]["required"] == ["province", "commune"]
    assert props["doc"]["maxItems"] == 3
    assert props["doc"]["items"]["properties"]["size"]["maximum"] == 2 * 1024 * 1024
    assert props["kids"]["type"] == "array"
    assert props["kids"]["maxItems"] == 5
    assert props["kids"]["items"]["required"] == ["name"]
    assert props["kids"]["items"]["properties"]["born"]["format"] == "date"


def test_required_excludes_conditional_fields() -> None:
    schema = to_json_schema(everything())
    assert schema["required"] == ["full_name", "age"]


def test_cleaned_data_matches_schema() -> None:
    definition = everything()
    data = {
        "full_name": "Nguyễn Văn A",
        "plate": "29A",
        "note": "dòng 1\r\ndòng 2",
        "age": "40",
        "area": "12,5",
        "fee": "1.000",
        "born": "01/02/1990",
        "mail": "a@b.vn",
        "phone": "+84 912 345 678",
        "cid": "001090012345",
        "tax": "0100109106001",
        "kind": "a",
        "gender": "male",
        "langs": ["a", "b"],
        "home": {"province": "1", "commune": "70", "street": ""},
        "doc": [{"id": "1", "name": "a.png", "size": 10, "content_type": "image/png"}],
        "kids": [{"name": "B", "born": "2020-01-01"}],
    }
    result = validate(definition, data, today=TODAY)
    assert result.ok, result.errors
    validator = Draft202012Validator(
        to_json_schema(definition), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(result.cleaned)


def test_schema_rejects_what_validate_rejects() -> None:
    schema = to_json_schema(everything())
    bad: list[dict[str, Any]] = [
        {"full_name": "A"},
        {"full_name": "A", "age": 1.5},
        {"full_name": "A", "age": 1, "phone": "+84912345678"},
        {"full_name": "A", "age": 1, "cid": "003090012345"},
        {"full_name": "A", "age": 1, "langs": ["a", "a"]},
        {"full_name": "A", "age": 1, "home": {"province": "02", "commune": "00070"}},
        {
            "full_name": "A",
            "age": 1,
            "doc": [{"id": "1", "name": "x", "size": 1, "content_type": "text/html"}],
        },
        {"full_name": "A", "age": 1, "unknown": 1},
    ]
    for instance in bad:
        try:
            jsonschema.validate(instance, schema, cls=Draft202012Validator)
        except jsonschema.ValidationError:
            continue
        raise AssertionError(f"schema accepted {instance}")
