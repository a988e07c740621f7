"""Error messages in Vietnamese and English, keyed by stable error codes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

# code -> (Vietnamese, English); {label} is the field label, other names are parameters.
MESSAGES: Mapping[str, tuple[str, str]] = {
    "required": ("Vui lòng nhập {label}", "Enter {label}"),
    "required_choice": ("Vui lòng chọn {label}", "Choose {label}"),
    "required_check": ("Vui lòng đánh dấu {label}", "Tick {label}"),
    "required_file": ("Vui lòng đính kèm {label}", "Attach {label}"),
    "required_province": (
        "Vui lòng chọn tỉnh/thành phố của {label}",
        "Choose the province or city of {label}",
    ),
    "required_commune": (
        "Vui lòng chọn xã/phường/đặc khu của {label}",
        "Choose the commune or ward of {label}",
    ),
    "required_street": (
        "Vui lòng nhập số nhà, đường phố, thôn/xóm của {label}",
        "Enter the house number and street of {label}",
    ),
    "required_item": (
        "Vui lòng nhập ít nhất {min} mục cho {label}",
        "Add at least {min} entries to {label}",
    ),
    "invalid_type": ("{label} không hợp lệ", "{label} is not valid"),
    "invalid_form": ("Dữ liệu biểu mẫu không hợp lệ", "The form data is not valid"),
    "too_short": (
        "{label} phải có ít nhất {min} ký tự",
        "{label} must be at least {min} characters",
    ),
    "too_long": (
        "{label} không được dài quá {max} ký tự",
        "{label} must be at most {max} characters",
    ),
    "pattern": ("{label} không đúng định dạng", "{label} is not in the expected format"),
    "not_integer": ("{label} phải là số nguyên", "{label} must be a whole number"),
    "not_number": ("{label} phải là số", "{label} must be a number"),
    "not_money": (
        "{label} phải là số tiền bằng đồng, ví dụ 1.500.000",
        "{label} must be an amount in đồng, such as 1,500,000",
    ),
    "too_small": ("{label} phải lớn hơn hoặc bằng {min}", "{label} must be at least {min}"),
    "too_large": ("{label} phải nhỏ hơn hoặc bằng {max}", "{label} must be at most {max}"),
    "too_many_decimals": (
        "{label} chỉ được có tối đa {places} chữ số sau dấu phẩy",
        "{label} may have at most {places} decimal places",
    ),
    "invalid_date": (
        "{label} không phải là ngày hợp lệ (ngày/tháng/năm)",
        "{label} is not a valid date (dd/mm/yyyy)",
    ),
    "too_early": ("{label} không được trước ngày {date}", "{label} must not be before {date}"),
    "too_late": ("{label} không được sau ngày {date}", "{label} must not be after {date}"),
    "too_early_field": (
        "{label} không được trước {other}",
        "{label} must not be before {other}",
    ),
    "too_late_field": ("{label} không được sau {other}", "{label} must not be after {other}"),
    "invalid_email": (
        "{label} không phải là địa chỉ thư điện tử hợp lệ",
        "{label} is not a valid email address",
    ),
    "invalid_phone": (
        "{label} không phải là số điện thoại Việt Nam hợp lệ",
        "{label} is not a valid Vietnamese phone number",
    ),
    "invalid_citizen_id": (
        "{label} phải gồm đúng 12 chữ số",
        "{label} must be exactly 12 digits",
    ),
    "invalid_citizen_id_province": (
        "{label} không hợp lệ: 3 chữ số đầu không phải là mã tỉnh",
        "{label} is not valid: the first 3 digits are not a province code",
    ),
    "invalid_tax_code": (
        "{label} phải gồm 10 chữ số, hoặc 13 chữ số dạng NNNNNNNNNN-NNN",
        "{label} must be 10 digits, or 13 digits as NNNNNNNNNN-NNN",
    ),
    "tax_code_checksum": (
        "{label} không hợp lệ: sai chữ số kiểm tra",
        "{label} is not valid: the check digit is wrong",
    ),
    "invalid_choice": ("{label}: lựa chọn không hợp lệ", "{label}: the choice is not valid"),
    "too_few_selected": (
        "Vui lòng chọn ít nhất {min} mục cho {label}",
        "Choose at least {min} options for {label}",
    ),
    "too_many_selected": (
        "Chỉ được chọn tối đa {max} mục cho {label}",
        "Choose at most {max} options for {label}",
    ),
    "invalid_province": (
        "Tỉnh/thành phố của {label} không hợp lệ",
        "The province or city of {label} is not valid",
    ),
    "invalid_commune": (
        "Xã/phường của {label} không thuộc tỉnh/thành phố đã chọn",
        "The commune or ward of {label} is not in the chosen province",
    ),
    "outdated_address": (
        "{label} theo đơn vị hành chính cũ; vui lòng chọn lại tỉnh/thành phố và xã/phường",
        "{label} uses the former administrative units; choose the province and commune again",
    ),
    "too_few_files": (
        "Vui lòng đính kèm ít nhất {min} tệp cho {label}",
        "Attach at least {min} files to {label}",
    ),
    "too_many_files": (
        "Chỉ được đính kèm tối đa {max} tệp cho {label}",
        "Attach at most {max} files to {label}",
    ),
    "file_too_large": (
        "Tệp {name} của {label} vượt quá {max} MB",
        "The file {name} of {label} is larger than {max} MB",
    ),
    "file_type": (
        "Tệp {name} của {label} không đúng loại cho phép",
        "The file {name} of {label} is not of an allowed type",
    ),
    "invalid_file": (
        "Tệp đính kèm của {label} không hợp lệ",
        "The attachment of {label} is not valid",
    ),
    "too_few_items": (
        "{label} phải có ít nhất {min} mục",
        "{label} must have at least {min} entries",
    ),
    "too_many_items": (
        "{label} chỉ được có tối đa {max} mục",
        "{label} may have at most {max} entries",
    ),
}


_SWAP_SEPARATORS = str.maketrans(",.", ".,")


def format_param(value: Any, locale: str) -> str:
    """Format a message parameter the way readers of ``locale`` expect."""
    english = locale == "en"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if english else f"{value:,}".replace(",", ".")
    if isinstance(value, float | Decimal):
        text = f"{value:,f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
        if english:
            return text
        return text.translate(_SWAP_SEPARATORS)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def render(
    code: str, label_vi: str, label_en: str, params: Mapping[str, Any] | None = None
) -> tuple[str, str]:
    """Return the Vietnamese and English messages for ``code`` about a field labelled so."""
    vi_template, en_template = MESSAGES.get(code, MESSAGES["invalid_type"])
    params = params or {}
    vi_params = {k: _localized(v, "vi") for k, v in params.items()}
    en_params = {k: _localized(v, "en") for k, v in params.items()}
    vi = vi_template.format_map({**vi_params, "label": label_vi})
    en = en_template.format_map({**en_params, "label": label_en})
    return _capitalize(vi), _capitalize(en)


def _localized(value: Any, locale: str) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return str(value[0] if locale == "vi" else value[1])
    return format_param(value, locale)


def _capitalize(message: str) -> str:
    return message[:1].upper() + message[1:]
