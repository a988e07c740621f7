from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from app.forms import validate

from .helpers import TODAY, check, codes, field, form

NAME = field("text", "full_name", {"vi": "Họ và tên", "en": "Full name"}, required=True)


# --- required, empty values, messages -------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", "   ", [], {}])
def test_required_empty_values(empty: Any) -> None:
    result = check(NAME, empty)
    assert codes(result) == [("full_name", "required")]
    error = result.errors[0]
    assert error.message_vi == "Vui lòng nhập Họ và tên"
    assert error.message_en == "Enter Full name"
    assert error.message("en") == "Enter Full name"
    assert error.message("vi") == "Vui lòng nhập Họ và tên"
    assert not result.ok


def test_missing_key_is_required() -> None:
    result = validate(form(NAME), {}, today=TODAY)
    assert codes(result) == [("full_name", "required")]


def test_optional_empty_is_omitted() -> None:
    result = check(field("text", "note"), "  ")
    assert result.ok
    assert result.cleaned == {}


def test_english_falls_back_to_vietnamese_label() -> None:
    result = check(field("text", "ho_ten", "Họ tên", required=True), "")
    assert result.errors[0].message_en == "Enter Họ tên"


def test_unknown_data_keys_are_dropped() -> None:
    result = validate(form(NAME), {"full_name": "A", "admin": True}, today=TODAY)
    assert result.cleaned == {"full_name": "A"}


# --- text and textarea ----------------------------------------------------------------------


def test_text_is_stripped_and_nfc_normalised() -> None:
    decomposed = "Nguye\u0302\u0303n"
    result = check(NAME, f"  {decomposed} ")
    assert result.cleaned == {"full_name": "Nguyễn"}


def test_text_lengths() -> None:
    short = field("text", "code", "Mã", min_length=3, max_length=5)
    assert codes(check(short, "ab")) == [("code", "too_short")]
    assert check(short, "ab").errors[0].message_vi == "Mã phải có ít nhất 3 ký tự"
    assert codes(check(short, "abcdef")) == [("code", "too_long")]
    assert check(short, "abcdef").errors[0].message_vi == "Mã không được dài quá 5 ký tự"
    assert check(short, "abcd").cleaned == {"code": "abcd"}


def test_text_default_max_length_is_255() -> None:
    plain = field("text", "t")
    assert check(plain, "a" * 255).ok
    assert codes(check(plain, "a" * 256)) == [("t", "too_long")]


def test_text_pattern_is_a_full_match() -> None:
    plate = field("text", "plate", "Biển số", pattern="[0-9]{2}[A-Z]-[0-9]{5}")
    assert check(plate, "29A-12345").ok
    assert codes(check(plate, "x29A-12345")) == [("plate", "pattern")]
    assert codes(check(plate, "29A-123456")) == [("plate", "pattern")]
    assert check(plate, "x").errors[0].message_vi == "Biển số không đúng định dạng"


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], {"a": 1}])
def test_text_refuses_other_types(value: Any) -> None:
    assert codes(check(field("text", "t", "Tên"), value)) == [("t", "invalid_type")]


def test_textarea() -> None:
    area = field("textarea", "reason", "Lý do", min_length=2)
    assert check(area, " dòng 1\r\ndòng 2 ").cleaned == {"reason": "dòng 1\ndòng 2"}
    assert check(area, "a" * 4000).ok
    assert codes(check(area, "a" * 4001)) == [("reason", "too_long")]
    assert codes(check(area, "a")) == [("reason", "too_short")]


# --- numbers --------------------------------------------------------------------------------


def test_integer() -> None:
    age = field("integer", "age", {"vi": "Tuổi", "en": "Age"}, min=0, max=150)
    assert check(age, "42").cleaned == {"age": 42}
    assert check(age, 42).cleaned == {"age": 42}
    assert check(age, 42.0).cleaned == {"age": 42}
    assert codes(check(age, "4.5")) == [("age", "not_integer")]
    assert codes(check(age, 4.5)) == [("age", "not_integer")]
    assert codes(check(age, True)) == [("age", "not_integer")]
    assert codes(check(age, "-1")) == [("age", "too_small")]
    assert codes(check(age, 151)) == [("age", "too_large")]
    assert check(age, "x").errors[0].message_vi == "Tuổi phải là số nguyên"
    assert check(age, 151).errors[0].message_en == "Age must be at most 150"
    assert check(age, 0).cleaned == {"age": 0}


def test_integer_bounds_are_formatted_per_language() -> None:
    big = field("integer", "n", {"vi": "Số", "en": "Number"}, max=1000000)
    error = check(big, 2000000).errors[0]
    assert error.message_vi == "Số phải nhỏ hơn hoặc bằng 1.000.000"
    assert error.message_en == "Number must be at most 1,000,000"


def test_decimal() -> None:
    area = field("decimal", "area", {"vi": "Diện tích", "en": "Area"}, min=0.5, max=1000)
    assert check(area, "12,5").cleaned == {"area": 12.5}
    assert check(area, "12.5").cleaned == {"area": 12.5}
    assert check(area, 12).cleaned == {"area": 12.0}
    assert check(area, "12,25").cleaned == {"area": 12.25}
    assert codes(check(area, "12,255")) == [("area", "too_many_decimals")]
    assert codes(check(area, "abc")) == [("area", "not_number")]
    assert codes(check(area, "0,4")) == [("area", "too_small")]
    assert codes(check(area, 1000.01)) == [("area", "too_large")]
    assert check(area, "0,4").errors[0].message_vi == "Diện tích phải lớn hơn hoặc bằng 0,5"
    assert check(area, "0,4").errors[0].message_en == "Area must be at least 0.5"
    assert check(area, 1000).ok


def test_decimal_places_setting() -> None:
    whole = field("decimal", "d", decimal_places=0)
    assert check(whole, "3").ok
    assert codes(check(whole, "3,1")) == [("d", "too_many_decimals")]
    three = field("decimal", "d", decimal_places=3)
    assert check(three, "3,125").cleaned == {"d": 3.125}


def test_money() -> None:
    fee = field("money", "fee", {"vi": "Số tiền", "en": "Amount"}, max=10_000_000)
    assert check(fee, "1.500.000").cleaned == {"fee": 1500000}
    assert check(fee, "1,500,000").cleaned == {"fee": 1500000}
    assert check(fee, "1500000 đ").cleaned == {"fee": 1500000}
    assert check(fee, 0).cleaned == {"fee": 0}
    assert codes(check(fee, -5)) == [("fee", "too_small")]
    assert codes(check(fee, "1.5")) == [("fee", "not_money")]
    assert codes(check(fee, 20_000_000)) == [("fee", "too_large")]
    assert (
        check(fee, 20_000_000).errors[0].message_vi == "Số tiền phải nhỏ hơn hoặc bằng 10.000.000"
    )


def test_money_min() -> None:
    fee = field("money", "fee", "Số tiền", min=1000)
    assert codes(check(fee, 999)) == [("fee", "too_small")]
    assert check(fee, "1.000").ok


# --- dates ----------------------------------------------------------------------------------


def test_date_formats() -> None:
    born = field("date", "born", {"vi": "Ngày sinh", "en": "Date of birth"})
    assert check(born, "05/09/1990").cleaned == {"born": "1990-09-05"}
    assert check(born, "1990-09-05").cleaned == {"born": "1990-09-05"}
    assert check(born, date(1990, 9, 5)).cleaned == {"born": "1990-09-05"}
    result = check(born, "31/02/1990")
    assert codes(result) == [("born", "invalid_date")]
    assert result.errors[0].message_vi == "Ngày sinh không phải là ngày hợp lệ (ngày/tháng/năm)"
    assert codes(check(born, 19900905)) == [("born", "invalid_date")]


def test_date_relative_bounds_use_today() -> None:
    adult = field("date", "born", "Ngày sinh", not_after="today-18y", not_before="1900-01-01")
    today = date(2026, 3, 15)
    assert check(adult, "2008-03-15", today=today).ok
    result = check(adult, "2008-03-16", today=today)
    assert codes(result) == [("born", "too_late")]
    assert result.errors[0].message_vi == "Ngày sinh không được sau ngày 15/03/2008"
    assert codes(check(adult, "1899-12-31", today=today)) == [("born", "too_early")]
    assert check(adult, "1899-12-31", today=today).errors[0].message_en == (
        "Ngày sinh must not be before 01/01/1900"
    )


def test_date_today_bounds() -> None:
    future = field("date", "appointment", "Ngày hẹn", not_before="today", not_after="today+30d")
    assert check(future, "2026-03-15").ok
    assert check(future, "2026-04-14").ok
    assert codes(check(future, "2026-03-14")) == [("appointment", "too_early")]
    assert codes(check(future, "2026-04-15")) == [("appointment", "too_late")]
    months = field("date", "d", not_before="today-6m")
    assert check(months, "2025-09-15").ok
    assert codes(check(months, "2025-09-14")) == [("d", "too_early")]


def test_date_field_bounds() -> None:
    definition = form(
        field("date", "start", {"vi": "Từ ngày", "en": "From"}),
        field("date", "end", {"vi": "Đến ngày", "en": "To"}, not_before="field:start"),
    )
    ok = validate(definition, {"start": "01/01/2026", "end": "02/01/2026"}, today=TODAY)
    assert ok.ok
    bad = validate(definition, {"start": "2026-01-05", "end": "2026-01-02"}, today=TODAY)
    assert codes(bad) == [("end", "too_early_field")]
    assert bad.errors[0].message_vi == "Đến ngày không được trước Từ ngày"
    assert bad.errors[0].message_en == "To must not be before From"
    assert bad.cleaned == {"start": "2026-01-05"}
    # Without the other date there is nothing to compare.
    assert validate(definition, {"end": "2026-01-02"}, today=TODAY).ok


def test_date_not_after_field() -> None:
    definition = form(
        field("date", "issued", "Ngày cấp", not_after="field:expires"),
        field("date", "expires", "Ngày hết hạn"),
    )
    bad = validate(definition, {"issued": "2026-01-05", "expires": "2026-01-02"}, today=TODAY)
    assert codes(bad) == [("issued", "too_late_field")]


# --- email, phone, citizen ID, tax code -----------------------------------------------------


def test_email() -> None:
    mail = field("email", "mail", {"vi": "Thư điện tử", "en": "Email"})
    assert check(mail, " an@example.vn ").cleaned == {"mail": "an@example.vn"}
    assert codes(check(mail, "an@")) == [("mail", "invalid_email")]
    assert check(mail, "an@").errors[0].message_en == "Email is not a valid email address"
    assert codes(check(mail, 5)) == [("mail", "invalid_type")]


def test_phone() -> None:
    phone = field("phone", "phone", {"vi": "Số điện thoại", "en": "Phone"})
    assert check(phone, "+84 912.345.678").cleaned == {"phone": "0912345678"}
    assert check(phone, "024 3825 1234").cleaned == {"phone": "02438251234"}
    result = check(phone, "12345")
    assert codes(result) == [("phone", "invalid_phone")]
    assert (
        result.errors[0].message_vi == "Số điện thoại không phải là số điện thoại Việt Nam hợp lệ"
    )
    assert codes(check(phone, 912345678)) == [("phone", "invalid_type")]


def test_citizen_id() -> None:
    cid = field("citizen_id", "cid", {"vi": "Số định danh cá nhân", "en": "Citizen ID"})
    assert check(cid, "001 090 012 345").cleaned == {"cid": "001090012345"}
    assert codes(check(cid, "00109001234")) == [("cid", "invalid_citizen_id")]
    assert codes(check(cid, "003090012345")) == [("cid", "invalid_citizen_id_province")]
    assert check(cid, "1").errors[0].message_vi == "Số định danh cá nhân phải gồm đúng 12 chữ số"
    assert codes(check(cid, 1090012345)) == [("cid", "invalid_type")]


def test_tax_code() -> None:
    tax = field("tax_code", "tax", {"vi": "Mã số thuế", "en": "Tax code"})
    assert check(tax, "0100109106").cleaned == {"tax": "0100109106"}
    assert check(tax, "0100109106001").cleaned == {"tax": "0100109106-001"}
    assert codes(check(tax, "0100109105")) == [("tax", "tax_code_checksum")]
    assert codes(check(tax, "12345")) == [("tax", "invalid_tax_code")]
    assert check(tax, "0100109105").errors[0].message_vi == (
        "Mã số thuế không hợp lệ: sai chữ số kiểm tra"
    )


# --- choices --------------------------------------------------------------------------------

OPTIONS = [
    {"value": "a", "label": {"vi": "Lựa chọn A", "en": "Option A"}},
    {"value": "b", "label": "Lựa chọn B"},
    {"value": "1", "label": "Một"},
]


@pytest.mark.parametrize("kind", ["select", "radio"])
def test_select_and_radio(kind: str) -> None:
    choice = field(kind, "c", {"vi": "Loại", "en": "Kind"}, options=OPTIONS, required=True)
    assert check(choice, "a").cleaned == {"c": "a"}
    assert check(choice, " b ").cleaned == {"c": "b"}
    assert check(choice, 1).cleaned == {"c": "1"}
    assert codes(check(choice, "z")) == [("c", "invalid_choice")]
    assert codes(check(choice, ["a"])) == [("c", "invalid_choice")]
    required = check(choice, "")
    assert codes(required) == [("c", "required")]
    assert required.errors[0].message_vi == "Vui lòng chọn Loại"
    assert required.errors[0].message_en == "Choose Kind"


def test_builtin_option_lists() -> None:
    assert check(field("select", "g", option_list="gender"), "female").ok
    assert check(field("select", "e", option_list="ethnic_groups"), "01").ok
    assert codes(check(field("select", "e", option_list="ethnic_groups"), "55")) == [
        ("e", "invalid_choice")
    ]
    assert check(field("select", "p", option_list="provinces"), "79").ok
    assert codes(check(field("select", "p", option_list="provinces"), "02")) == [
        ("p", "invalid_choice")
    ]


def test_named_option_list() -> None:
    definition = form(
        field("radio", "marital", "Tình trạng hôn nhân", option_list="marital_status"),
        option_lists={"marital_status": [{"value": "single", "label": "Chưa kết hôn"}]},
    )
    assert validate(definition, {"marital": "single"}, today=TODAY).ok
    assert not validate(definition, {"marital": "married"}, today=TODAY).ok


def test_checkbox_list() -> None:
    boxes = field(
        "checkbox", "langs", {"vi": "Ngôn ngữ", "en": "Languages"}, options=OPTIONS, max_selected=2
    )
    assert check(boxes, ["a", "b", "a"]).cleaned == {"langs": ["a", "b"]}
    assert check(boxes, "a").cleaned == {"langs": ["a"]}
    assert check(boxes, ["", "b"]).cleaned == {"langs": ["b"]}
    assert check(boxes, [""]).cleaned == {}
    assert codes(check(boxes, ["a", "b", "1"])) == [("langs", "too_many_selected")]
    assert codes(check(boxes, ["a", "z"])) == [("langs", "invalid_choice")]
    assert codes(check(boxes, {"a": True})) == [("langs", "invalid_type")]
    assert check(boxes, ["a", "b", "1"]).errors[0].message_vi == (
        "Chỉ được chọn tối đa 2 mục cho Ngôn ngữ"
    )


def test_checkbox_min_selected() -> None:
    boxes = field("checkbox", "c", "Chọn", options=OPTIONS, min_selected=2)
    assert codes(check(boxes, ["a"])) == [("c", "too_few_selected")]
    assert check(boxes, ["a"]).errors[0].message_vi == "Vui lòng chọn ít nhất 2 mục cho Chọn"
    assert check(boxes, []).ok  # optional: nothing chosen is fine


def test_single_consent_box() -> None:
    consent = field(
        "checkbox",
        "agree",
        {"vi": "Tôi cam đoan", "en": "I declare"},
        required=True,
        options=[{"value": "yes", "label": "Đồng ý"}],
    )
    assert check(consent, "yes").cleaned == {"agree": ["yes"]}
    assert check(consent, True).cleaned == {"agree": ["yes"]}
    result = check(consent, False)
    assert codes(result) == [("agree", "required")]
    assert result.errors[0].message_vi == "Vui lòng đánh dấu Tôi cam đoan"
    assert result.errors[0].message_en == "Tick I declare"


def test_required_checkbox_list_code() -> None:
    boxes = field("checkbox", "c", "Chọn", options=OPTIONS, required=True)
    assert codes(check(boxes, [])) == [("c", "required")]


# --- address --------------------------------------------------------------------------------

HOME = field("address", "home", {"vi": "Nơi thường trú", "en": "Permanent address"}, required=True)


def test_address_valid() -> None:
    value = {"province": "01", "commune": "00070", "street": " 12  Hàng Bài "}
    assert check(HOME, value).cleaned == {
        "home": {"province": "01", "commune": "00070", "street": "12 Hàng Bài"}
    }
    # Codes given as numbers or without padding are normalised.
    value = {"province": 1, "commune": "70", "street": "12 Hàng Bài"}
    assert check(HOME, value).cleaned["home"]["commune"] == "00070"


def test_address_parts_missing() -> None:
    result = check(HOME, {"province": "", "commune": "", "street": "1 Lê Lợi"})
    assert codes(result) == [("home.province", "required"), ("home.commune", "required")]
    assert result.errors[0].message_vi == "Vui lòng chọn tỉnh/thành phố của Nơi thường trú"
    result = check(HOME, {"province": "01", "commune": "00070"})
    assert codes(result) == [("home.street", "required")]


def test_address_street_optional() -> None:
    home = field("address", "home", street_required=False)
    assert check(home, {"province": "01", "commune": "00070"}).cleaned == {
        "home": {"province": "01", "commune": "00070"}
    }


def test_address_wrong_units() -> None:
    assert codes(check(HOME, {"province": "02", "commune": "00070", "street": "x"})) == [
        ("home.province", "invalid_province")
    ]
    # 25747 is a ward of Ho Chi Minh City, not of Ha Noi.
    wrong = {"province": "01", "commune": "25747", "street": "x"}
    assert codes(check(HOME, wrong)) == [("home.commune", "invalid_commune")]
    assert codes(check(HOME, {"province": "01", "commune": "99999", "street": "x"})) == [
        ("home.commune", "invalid_commune")
    ]
    assert codes(check(HOME, {"province": "01", "commune": "00070", "street": 5})) == [
        ("home.street", "invalid_type")
    ]
    assert codes(check(HOME, {"province": "01", "commune": "00070", "street": "x" * 256})) == [
        ("home.street", "too_long")
    ]
    assert codes(check(HOME, "Hà Nội")) == [("home", "invalid_type")]


def test_old_address_text_is_refused_for_new_submissions() -> None:
    result = check(HOME, {"text": "Số 1, phường Tràng Tiền, quận Hoàn Kiếm, Hà Nội"})
    assert codes(result) == [("home", "outdated_address")]


def test_empty_address() -> None:
    assert codes(check(HOME, {"province": "", "commune": "", "street": ""})) == [
        ("home", "required")
    ]
    assert check(field("address", "home"), {"province": ""}).cleaned == {}


# --- files ----------------------------------------------------------------------------------


def pdf(
    name: str = "to_khai.pdf", size: int = 1000, content_type: str = "application/pdf"
) -> dict[str, Any]:
    return {"id": f"f-{name}", "name": name, "size": size, "content_type": content_type}


def test_file() -> None:
    slot = field(
        "file",
        "doc",
        {"vi": "Tờ khai", "en": "Declaration"},
        required=True,
        accept=["application/pdf", "image/*"],
        max_size_mb=1,
        max_files=2,
    )
    assert check(slot, [pdf()]).cleaned == {"doc": [pdf()]}
    assert check(slot, pdf()).cleaned == {"doc": [pdf()]}
    photo = pdf("a.jpg", content_type="IMAGE/JPEG; q=1")
    assert check(slot, [photo]).cleaned["doc"][0]["content_type"] == "image/jpeg"
    required = check(slot, [])
    assert codes(required) == [("doc", "required")]
    assert required.errors[0].message_vi == "Vui lòng đính kèm Tờ khai"
    assert codes(check(slot, [pdf("a.exe", content_type="application/x-msdownload")])) == [
        ("doc[0]", "file_type")
    ]
    big = check(slot, [pdf(size=2 * 1024 * 1024)])
    assert codes(big) == [("doc[0]", "file_too_large")]
    assert big.errors[0].message_vi == "Tệp to_khai.pdf của Tờ khai vượt quá 1 MB"
    assert codes(check(slot, [pdf("a"), pdf("b"), pdf("c")])) == [("doc", "too_many_files")]
    assert codes(check(slot, [{"id": "x"}])) == [("doc[0]", "invalid_file")]
    assert codes(check(slot, [pdf(), "junk"])) == [("doc[1]", "invalid_file")]
    assert codes(check(slot, "x")) == [("doc", "invalid_type")]
    assert codes(check(slot, [{**pdf(), "size": True}])) == [("doc[0]", "invalid_file")]


def test_file_min_files() -> None:
    slot = field("file", "doc", "Ảnh", min_files=2, max_files=3)
    assert codes(check(slot, [pdf("a")])) == [("doc", "too_few_files")]
    assert check(slot, [pdf("a"), pdf("b")]).ok
    assert check(slot, []).ok


# --- groups ---------------------------------------------------------------------------------

CHILDREN = field(
    "group",
    "children",
    {"vi": "Các con", "en": "Children"},
    item_label={"vi": "Con", "en": "Child"},
    max_items=2,
    fields=[
        field("text", "name", {"vi": "Họ tên", "en": "Name"}, required=True),
        field("date", "birth_date", {"vi": "Ngày sinh", "en": "Date of birth"}),
    ],
)


def test_group_items() -> None:
    data = [{"name": "An", "birth_date": "01/02/2020"}, {"name": "Bình"}]
    assert check(CHILDREN, data).cleaned == {
        "children": [{"name": "An", "birth_date": "2020-02-01"}, {"name": "Bình"}]
    }


def test_group_item_errors_name_the_item() -> None:
    result = check(CHILDREN, [{"name": "An"}, {"name": "", "birth_date": "x"}])
    assert codes(result) == [
        ("children[1].name", "required"),
        ("children[1].birth_date", "invalid_date"),
    ]
    assert result.errors[0].message_vi == "Vui lòng nhập Họ tên (Con 2)"
    assert result.errors[0].message_en == "Enter Name (Child 2)"
    assert "children" not in result.cleaned


def test_group_blank_rows_are_ignored() -> None:
    result = check(CHILDREN, [{"name": ""}, {"name": "An", "birth_date": ""}, {}])
    assert result.cleaned == {"children": [{"name": "An"}]}


def test_group_counts() -> None:
    assert codes(check(CHILDREN, [{"name": "a"}, {"name": "b"}, {"name": "c"}])) == [
        ("children", "too_many_items")
    ]
    needs_two = {**CHILDREN, "min_items": 2}
    result = check(needs_two, [{"name": "a"}])
    assert codes(result) == [("children", "too_few_items")]
    assert result.errors[0].message_vi == "Các con phải có ít nhất 2 mục"
    required = check({**CHILDREN, "required": True}, [])
    assert codes(required) == [("children", "required")]
    assert required.errors[0].message_vi == "Vui lòng nhập ít nhất 1 mục cho Các con"


def test_group_bad_shapes() -> None:
    assert codes(check(CHILDREN, "x")) == [("children", "invalid_type")]
    assert codes(check(CHILDREN, {"name": "a"})) == [("children", "invalid_type")]
    assert codes(check(CHILDREN, [{"name": "a"}, 5])) == [("children[1]", "invalid_type")]


def test_group_without_item_label() -> None:
    group = {**CHILDREN, "item_label": None}
    result = check(group, [{"name": ""}, {"name": "", "birth_date": "2020-01-01"}])
    assert result.errors[0].message_vi == "Vui lòng nhập Họ tên (Các con, mục 2)"
    assert result.errors[0].message_en == "Enter Name (Children, entry 2)"


def test_group_field_bounds_see_item_then_top_level() -> None:
    definition = form(
        field("date", "marriage", "Ngày kết hôn"),
        field(
            "group",
            "children",
            "Các con",
            fields=[
                field("date", "born", "Ngày sinh", not_before="field:marriage"),
                field("date", "registered", "Ngày đăng ký", not_before="field:born"),
            ],
        ),
    )
    data = {
        "marriage": "2020-01-01",
        "children": [
            {"born": "2021-01-01", "registered": "2021-01-05"},
            {"born": "2019-01-01"},
            {"born": "2022-01-01", "registered": "2021-12-31"},
        ],
    }
    result = validate(definition, data, today=TODAY)
    assert codes(result) == [
        ("children[1].born", "too_early_field"),
        ("children[2].registered", "too_early_field"),
    ]


# --- whole-result properties ----------------------------------------------------------------


def test_cleaned_is_json_serialisable() -> None:
    definition = form(
        NAME,
        field("date", "d"),
        field("decimal", "x"),
        HOME,
        CHILDREN,
    )
    data = {
        "full_name": "A",
        "d": "01/01/2000",
        "x": "1,5",
        "home": {"province": "79", "commune": "25747", "street": "1 Lê Lợi"},
        "children": [{"name": "B"}],
    }
    result = validate(definition, data, today=TODAY)
    assert result.ok, result.errors
    assert json.loads(json.dumps(result.cleaned)) == result.cleaned


@pytest.mark.parametrize("data", [None, [], "x", 5, [("a", 1)]])
def test_non_mapping_data(data: Any) -> None:
    result = validate(form(NAME), data, today=TODAY)
    assert codes(result) == [("", "invalid_form")]
    assert result.errors[0].message_vi == "Dữ liệu biểu mẫu không hợp lệ"


def test_errors_follow_field_order() -> None:
    definition = form(
        field("text", "a", required=True),
        field("group", "g", required=True, fields=[field("text", "x")]),
        field("text", "b", required=True),
    )
    result = validate(definition, {}, today=TODAY)
    assert [e.path for e in result.errors] == ["a", "g", "b"]


def test_default_today(monkeypatch: pytest.MonkeyPatch) -> None:
    future = form(field("date", "d", not_after="today"))
    assert validate(future, {"d": "2000-01-01"}).ok
    assert not validate(future, {"d": "9999-01-01"}).ok
