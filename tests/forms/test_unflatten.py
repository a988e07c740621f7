from __future__ import annotations

from app.forms import unflatten_form, validate

from .helpers import TODAY, field, form

OPTS = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]

DEFINITION = form(
    field("text", "full_name", "Họ và tên", required=True),
    field("integer", "age", "Tuổi"),
    field("checkbox", "langs", "Ngôn ngữ", options=OPTS),
    field("address", "home", "Nơi ở"),
    field("file", "doc", "Tờ khai", max_files=2),
    field(
        "group",
        "children",
        "Các con",
        fields=[
            field("text", "name", "Tên"),
            field("date", "birth_date", "Ngày sinh"),
            field("address", "home", "Nơi ở", street_required=False),
            field("checkbox", "tags", "Nhãn", options=OPTS),
        ],
    ),
)


def test_plain_and_nested_keys() -> None:
    pairs = [
        ("csrf_token", "x"),
        ("full_name", "Nguyễn Văn A"),
        ("age", "30"),
        ("langs", "a"),
        ("langs", "b"),
        ("home.province", "01"),
        ("home.commune", "00070"),
        ("home.street", "12 Hàng Bài"),
        ("home.bogus", "x"),
        ("children[0].name", "An"),
        ("children[0].birth_date", "01/02/2020"),
        ("children[1].name", "Bình"),
        ("children[1].home.province", "79"),
        ("children[1].tags", "a"),
        ("children[1].tags", "b"),
        ("Children[2].name", "ignored"),
        ("full_name[0]", "ignored"),
        ("age.x", "ignored"),
    ]
    assert unflatten_form(pairs, DEFINITION) == {
        "full_name": "Nguyễn Văn A",
        "age": "30",
        "langs": ["a", "b"],
        "home": {"province": "01", "commune": "00070", "street": "12 Hàng Bài"},
        "children": [
            {"name": "An", "birth_date": "01/02/2020"},
            {"name": "Bình", "home": {"province": "79"}, "tags": ["a", "b"]},
        ],
    }


def test_empty_strings_stay() -> None:
    pairs = [("full_name", ""), ("langs", ""), ("children[0].name", "")]
    data = unflatten_form(pairs, DEFINITION)
    assert data == {"full_name": "", "langs": [""], "children": [{"name": ""}]}
    result = validate(DEFINITION, data, today=TODAY)
    assert [(e.path, e.code) for e in result.errors] == [("full_name", "required")]
    assert result.cleaned == {}


def test_sparse_group_indexes_keep_order() -> None:
    pairs = [("children[5].name", "C"), ("children[0].name", "A"), ("children[2].name", "B")]
    data = unflatten_form(pairs, DEFINITION)
    assert [item["name"] for item in data["children"]] == ["A", "B", "C"]


def test_last_value_wins_for_single_fields() -> None:
    assert unflatten_form([("age", "1"), ("age", "2")], DEFINITION) == {"age": "2"}


def test_files() -> None:
    pairs = [
        ("doc[0].id", "f1"),
        ("doc[0].name", "a.pdf"),
        ("doc[0].size", "1024"),
        ("doc[0].content_type", "application/pdf"),
        ("doc[1].id", "f2"),
        ("doc[1].size", "big"),
        ("doc[1].other", "x"),
    ]
    assert unflatten_form(pairs, DEFINITION)["doc"] == [
        {"id": "f1", "name": "a.pdf", "size": 1024, "content_type": "application/pdf"},
        {"id": "f2", "size": "big"},
    ]
    assert unflatten_form([("doc", "f9"), ("doc", "")], DEFINITION)["doc"] == [{"id": "f9"}, ""]


def test_round_trip_through_validate() -> None:
    pairs = [
        ("full_name", "A"),
        ("age", "1.000"),
        ("langs", "b"),
        ("home.province", "01"),
        ("home.commune", "00070"),
        ("home.street", "1 Tràng Tiền"),
        ("children[0].name", "An"),
        ("children[0].birth_date", "01/02/2020"),
        ("children[1].name", ""),
    ]
    result = validate(DEFINITION, unflatten_form(pairs, DEFINITION), today=TODAY)
    assert result.ok, result.errors
    assert result.cleaned == {
        "full_name": "A",
        "age": 1000,
        "langs": ["b"],
        "home": {"province": "01", "commune": "00070", "street": "1 Tràng Tiền"},
        "children": [{"name": "An", "birth_date": "2020-02-01"}],
    }
