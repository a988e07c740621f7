"""Field types: each class owns its definition keys, coercion, validation and JSON Schema.

Adding a type means writing one class here and adding it to ``SimpleField`` (and so to
``FIELD_TYPES``); the parser, the validator, the schema and the linter find it there.
"""

from __future__ import annotations

import re
import unicodedata
from abc import abstractmethod
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, Protocol, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    StringConstraints,
    field_validator,
)

from . import addresses
from .identifiers import (
    CITIZEN_ID_PATTERN,
    PHONE_PATTERN,
    TAX_CODE_PATTERN,
    citizen_id_problem,
    is_email,
    normalize_phone,
    normalize_tax_code,
)
from .report import Report
from .text import LocalizedText
from .values import (
    DateBound,
    decimal_places,
    parse_bound,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_money,
)

KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
STREET_MAX_LENGTH = 255
_MB = 1024 * 1024


class FrozenModel(BaseModel):
    """Base of definition models: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(FrozenModel):
    """One choice of a select, radio or checkbox field."""

    value: str = Field(min_length=1)
    label: LocalizedText

    @field_validator("value", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        # YAML reads `value: 1` as a number; the value is still the text "1".
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


class OptionResolver(Protocol):
    """Gives the options of a choice field (inline, named or built-in list)."""

    def options(self, field: ChoiceField) -> list[Option]:
        """Return the options of ``field``."""
        ...


class Context(OptionResolver, Protocol):
    """What a field needs from the engine while cleaning a value."""

    today: date

    def clean_item(self, group: GroupField, item: Mapping[str, Any], report: Report) -> Any:
        """Validate one item of a repeating group and return its cleaned object."""
        ...


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def _clean_text(value: str, *, multiline: bool) -> str:
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip()


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """Compile an author's regex once; None when it is not valid."""
    return _compiled(pattern)


class FieldBase(FrozenModel):
    """Keys common to every field type, and the default behaviour."""

    type: str
    key: Key
    label: LocalizedText
    help: LocalizedText | None = None
    required: bool = False
    visible_if: JsonValue = None

    #: values arrive as repeated form keys and are kept as a list
    multiple: ClassVar[bool] = False

    def is_empty(self, value: Any) -> bool:
        """Tell whether ``value`` counts as not given."""
        return _is_blank(value)

    def required_message(self, resolver: OptionResolver) -> str:
        """Return the message key of the ``required`` error (enter, choose, attach…)."""
        return "required"

    def required_params(self) -> dict[str, Any]:
        """Return the message parameters of the required error."""
        return {}

    @abstractmethod
    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Coerce and check a non-empty value; return it cleaned, or None after reporting."""

    def preview(self, value: Any, ctx: Context) -> Any:
        """Return the value visibility logic sees: cleaned when valid, else as given."""
        if self.is_empty(value):
            return None
        cleaned = self.clean(value, ctx, Report("", "", ""))
        return value if cleaned is None else cleaned

    @abstractmethod
    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Return the JSON Schema of the cleaned value, without title."""

    def json_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Return the JSON Schema of the cleaned value, titled with the Vietnamese label."""
        schema: dict[str, Any] = {"title": self.label.vi}
        if self.help is not None:
            schema["description"] = self.help.vi
        schema.update(self.value_schema(resolver))
        return schema


def _bounds_schema(minimum: Any, maximum: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _clean_length(
    value: Any, report: Report, min_length: int | None, max_length: int, *, multiline: bool
) -> str | None:
    if not isinstance(value, str):
        report.add("invalid_type")
        return None
    text = _clean_text(value, multiline=multiline)
    if min_length is not None and len(text) < min_length:
        report.add("too_short", min=min_length)
        return None
    if len(text) > max_length:
        report.add("too_long", max=max_length)
        return None
    return text


def _length_schema(min_length: int | None, max_length: int) -> dict[str, Any]:
    # Cleaned text is never empty: an empty optional value is left out instead.
    return {"type": "string", "minLength": max(1, min_length or 0), "maxLength": max_length}


class TextField(FieldBase):
    """A single line of text."""

    type: Literal["text"] = "text"
    min_length: NonNegativeInt | None = None
    max_length: PositiveInt = 255
    pattern: str | None = None

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Strip and NFC-normalise the text and check its length and pattern (full match)."""
        text = _clean_length(value, report, self.min_length, self.max_length, multiline=False)
        if text is not None and self.pattern is not None:
            compiled = compile_pattern(self.pattern)
            if compiled is not None and compiled.fullmatch(text) is None:
                report.add("pattern")
                return None
        return text

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a string with its length limits and pattern."""
        schema = _length_schema(self.min_length, self.max_length)
        if self.pattern is not None:
            schema["pattern"] = f"^(?:{self.pattern})$"
        return schema


class TextareaField(FieldBase):
    """Several lines of text."""

    type: Literal["textarea"] = "textarea"
    min_length: NonNegativeInt | None = None
    max_length: PositiveInt = 4000

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Strip and NFC-normalise the text, unify line ends and check its length."""
        return _clean_length(value, report, self.min_length, self.max_length, multiline=True)

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a string with its length limits."""
        return _length_schema(self.min_length, self.max_length)


class IntegerField(FieldBase):
    """A whole number; pages send it as text."""

    type: Literal["integer"] = "integer"
    min: int | None = None
    max: int | None = None

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Parse the number and check its bounds."""
        number = parse_integer(value)
        if number is None:
            report.add("not_integer")
            return None
        if self.min is not None and number < self.min:
            report.add("too_small", min=self.min)
            return None
        if self.max is not None and number > self.max:
            report.add("too_large", max=self.max)
            return None
        return number

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe an integer with its bounds."""
        return {"type": "integer", **_bounds_schema(self.min, self.max)}


class DecimalField(FieldBase):
    """A number with a limited count of decimals; pages may send ``12,5``."""

    type: Literal["decimal"] = "decimal"
    min: float | None = None
    max: float | None = None
    decimal_places: NonNegativeInt = 2

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Parse the number and check its decimals and bounds."""
        number = parse_decimal(value)
        if number is None:
            report.add("not_number")
            return None
        if decimal_places(number) > self.decimal_places:
            report.add("too_many_decimals", places=self.decimal_places)
            return None
        if self.min is not None and number < Decimal(repr(self.min)):
            report.add("too_small", min=self.min)
            return None
        if self.max is not None and number > Decimal(repr(self.max)):
            report.add("too_large", max=self.max)
            return None
        return float(number)

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a number with its bounds."""
        return {"type": "number", **_bounds_schema(self.min, self.max)}


class MoneyField(FieldBase):
    """An amount in đồng, a whole number ≥ 0; pages may send ``1.500.000``."""

    type: Literal["money"] = "money"
    min: NonNegativeInt | None = None
    max: NonNegativeInt | None = None

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Parse the amount and check it is not negative and within bounds."""
        amount = parse_money(value)
        if amount is None:
            report.add("not_money")
            return None
        minimum = self.min or 0
        if amount < minimum:
            report.add("too_small", min=minimum)
            return None
        if self.max is not None and amount > self.max:
            report.add("too_large", max=self.max)
            return None
        return amount

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a non-negative integer with its bounds."""
        return {"type": "integer", **_bounds_schema(self.min or 0, self.max)}


class DateField(FieldBase):
    """A calendar date, cleaned to ``YYYY-MM-DD``; pages may send ``dd/mm/yyyy``."""

    type: Literal["date"] = "date"
    not_before: str | None = None
    not_after: str | None = None

    @field_validator("not_before", "not_after", mode="before")
    @classmethod
    def _yaml_date(cls, value: Any) -> Any:
        # YAML reads an unquoted 2025-07-01 as a date object.
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return value

    def bounds(self) -> tuple[DateBound | None, DateBound | None]:
        """Return the parsed ``not_before`` and ``not_after`` (None when absent or invalid)."""
        return (
            parse_bound(self.not_before) if self.not_before is not None else None,
            parse_bound(self.not_after) if self.not_after is not None else None,
        )

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Parse the date and check the fixed and relative bounds (field bounds come later)."""
        day = parse_date(value)
        if day is None:
            report.add("invalid_date")
            return None
        not_before, not_after = self.bounds()
        earliest = not_before.resolve(ctx.today) if not_before else None
        latest = not_after.resolve(ctx.today) if not_after else None
        if earliest is not None and day < earliest:
            report.add("too_early", date=earliest)
            return None
        if latest is not None and day > latest:
            report.add("too_late", date=latest)
            return None
        return day.isoformat()

    def cross_check(
        self,
        value: str,
        lookup: Callable[[str], tuple[str | None, LocalizedText] | None],
        report: Report,
    ) -> bool:
        """Check ``field:`` bounds against the other fields' cleaned dates; False if it fails."""
        day = parse_date(value)
        if day is None:
            return True
        for bound, code in zip(self.bounds(), ("too_early_field", "too_late_field"), strict=True):
            if bound is None or bound.field is None:
                continue
            found = lookup(bound.field)
            if found is None or found[0] is None:
                continue
            other = parse_date(found[0])
            if other is None:
                continue
            if (code == "too_early_field" and day < other) or (
                code == "too_late_field" and day > other
            ):
                report.add(code, other=(found[1].vi, found[1].get("en")))
                return False
        return True

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe an ISO date string."""
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}


class EmailField(FieldBase):
    """An email address."""

    type: Literal["email"] = "email"

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Strip the address and check its shape."""
        if not isinstance(value, str):
            report.add("invalid_type")
            return None
        address = value.strip()
        if not is_email(address):
            report.add("invalid_email")
            return None
        return address

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe an email string."""
        return {"type": "string", "format": "email", "maxLength": 254}


class PhoneField(FieldBase):
    """A Vietnamese mobile or landline number, cleaned to ``0…`` digits."""

    type: Literal["phone"] = "phone"

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Normalise the number (``+84``, spaces, dots, dashes) and check it."""
        if not isinstance(value, str):
            report.add("invalid_type")
            return None
        number = normalize_phone(value)
        if number is None:
            report.add("invalid_phone")
        return number

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a normalised phone number."""
        return {"type": "string", "pattern": PHONE_PATTERN}


class CitizenIdField(FieldBase):
    """A 12-digit citizen ID (CCCD) whose first 3 digits are a province code."""

    type: Literal["citizen_id"] = "citizen_id"

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Drop spaces and check the length and the province code."""
        if not isinstance(value, str):
            report.add("invalid_type")
            return None
        number = "".join(value.split())
        problem = citizen_id_problem(number)
        if problem == "format":
            report.add("invalid_citizen_id")
            return None
        if problem == "province":
            report.add("invalid_citizen_id_province")
            return None
        return number

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a citizen ID."""
        return {"type": "string", "pattern": CITIZEN_ID_PATTERN}


class TaxCodeField(FieldBase):
    """A 10-digit tax code, or 13 digits with a branch suffix."""

    type: Literal["tax_code"] = "tax_code"

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Check the shape and the check digit; clean to ``NNNNNNNNNN`` or ``NNNNNNNNNN-NNN``."""
        if not isinstance(value, str):
            report.add("invalid_type")
            return None
        cleaned, problem = normalize_tax_code(value)
        if problem == "checksum":
            report.add("tax_code_checksum")
        elif problem is not None:
            report.add("invalid_tax_code")
        return cleaned

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a tax code."""
        return {"type": "string", "pattern": TAX_CODE_PATTERN}


class ChoiceField(FieldBase):
    """Keys shared by the fields that pick among options."""

    options: list[Option] | None = None
    option_list: str | None = None

    def required_message(self, resolver: OptionResolver) -> str:
        """Ask to choose rather than to enter."""
        return "required_choice"

    def _choice(self, value: Any, allowed: set[str]) -> str | None:
        if isinstance(value, str):
            value = value.strip()
        elif isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        else:
            return None
        return value if value in allowed else None


class SingleChoiceField(ChoiceField):
    """Behaviour of the fields whose value is one option."""

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Check the value is one of the options."""
        choice = self._choice(value, {o.value for o in ctx.options(self)})
        if choice is None:
            report.add("invalid_choice")
        return choice

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe one of the option values."""
        return {"type": "string", "enum": [o.value for o in resolver.options(self)]}


class SelectField(SingleChoiceField):
    """One option from a drop-down list."""

    type: Literal["select"] = "select"


class RadioField(SingleChoiceField):
    """One option from radio buttons."""

    type: Literal["radio"] = "radio"


class CheckboxField(ChoiceField):
    """Several options, or a single consent box."""

    type: Literal["checkbox"] = "checkbox"
    min_selected: NonNegativeInt | None = None
    max_selected: PositiveInt | None = None

    multiple: ClassVar[bool] = True

    def _items(self, value: Any) -> list[Any] | None:
        if isinstance(value, bool):
            return [] if value is False else None
        if isinstance(value, str | int):
            value = [value]
        if not isinstance(value, list | tuple):
            return None
        return [v for v in value if not (isinstance(v, str) and not v.strip()) and v is not None]

    def is_empty(self, value: Any) -> bool:
        """An unticked box, an empty list or only empty strings count as not given."""
        return value is None or value is False or self._items(value) == []

    def required_message(self, resolver: OptionResolver) -> str:
        """A single consent box is ticked; a list is chosen from."""
        return "required_check" if len(resolver.options(self)) == 1 else "required_choice"

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Check every value is an option, drop duplicates and check the count."""
        options = ctx.options(self)
        if value is True and len(options) == 1:
            # An API client may send true for a single consent box.
            value = [options[0].value]
        items = self._items(value)
        if items is None:
            report.add("invalid_type")
            return None
        allowed = {o.value for o in options}
        chosen: list[str] = []
        for item in items:
            choice = self._choice(item, allowed)
            if choice is None:
                report.add("invalid_choice")
                return None
            if choice not in chosen:
                chosen.append(choice)
        minimum = self.min_selected or (1 if self.required else 0)
        if len(chosen) < minimum:
            report.add("too_few_selected", min=minimum)
            return None
        if self.max_selected is not None and len(chosen) > self.max_selected:
            report.add("too_many_selected", max=self.max_selected)
            return None
        return chosen

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe a list of distinct option values."""
        schema: dict[str, Any] = {
            "type": "array",
            "items": {"type": "string", "enum": [o.value for o in resolver.options(self)]},
            "uniqueItems": True,
            "minItems": max(1, self.min_selected or 0),
        }
        if self.max_selected is not None:
            schema["maxItems"] = self.max_selected
        return schema


class AddressField(FieldBase):
    """A two-level address: province, commune and street (units since 1 July 2025)."""

    type: Literal["address"] = "address"
    street_required: bool = True

    PARTS: ClassVar[tuple[str, ...]] = ("province", "commune", "street")

    def is_empty(self, value: Any) -> bool:
        """An address with no part filled in counts as not given."""
        if isinstance(value, Mapping):
            return all(_is_blank(value.get(part)) for part in (*self.PARTS, "text"))
        return _is_blank(value)

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Check the province, that the commune belongs to it, and the street."""
        if not isinstance(value, Mapping):
            report.add("invalid_type")
            return None
        if all(_is_blank(value.get(part)) for part in ("province", "commune")) and not _is_blank(
            value.get("text")
        ):
            report.add("outdated_address")
            return None
        ok = True
        province = value.get("province")
        province_code: str | None = None
        if _is_blank(province):
            report.add("required", ".province", message="required_province")
            ok = False
        else:
            province_code = addresses.normalize_code(province, 2)
            if province_code is None or addresses.province_name(province_code) is None:
                report.add("invalid_province", ".province")
                ok = False
                province_code = None
        commune = value.get("commune")
        commune_code = addresses.normalize_code(commune, 5)
        if _is_blank(commune):
            report.add("required", ".commune", message="required_commune")
            ok = False
        elif (
            commune_code is None
            or (
                province_code is not None
                and addresses.commune_province(commune_code) != province_code
            )
            or addresses.commune(commune_code) is None
        ):
            report.add("invalid_commune", ".commune")
            ok = False
        street = value.get("street")
        street_text = ""
        if not _is_blank(street):
            if not isinstance(street, str):
                report.add("invalid_type", ".street")
                ok = False
            else:
                street_text = " ".join(_clean_text(street, multiline=False).split())
                if len(street_text) > STREET_MAX_LENGTH:
                    report.add("too_long", ".street", max=STREET_MAX_LENGTH)
                    ok = False
        elif self.street_required:
            report.add("required", ".street", message="required_street")
            ok = False
        if not ok or province_code is None or commune_code is None:
            return None
        cleaned = {"province": province_code, "commune": commune_code}
        if street_text:
            cleaned["street"] = street_text
        return cleaned

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe the address object."""
        required = ["province", "commune"] + (["street"] if self.street_required else [])
        return {
            "type": "object",
            "properties": {
                "province": {
                    "type": "string",
                    "title": "Tỉnh/thành phố",
                    "enum": [p.code for p in addresses.provinces()],
                },
                "commune": {"type": "string", "title": "Xã/phường", "pattern": "^[0-9]{5}$"},
                "street": {
                    "type": "string",
                    "title": "Số nhà, đường phố",
                    "minLength": 1,
                    "maxLength": STREET_MAX_LENGTH,
                },
            },
            "required": required,
            "additionalProperties": False,
        }


class FileField(FieldBase):
    """Uploaded files for a required document of the procedure."""

    type: Literal["file"] = "file"
    document: str | None = None
    accept: list[str] | None = None
    max_size_mb: PositiveFloat | None = None
    min_files: NonNegativeInt | None = None
    max_files: PositiveInt = 1

    multiple: ClassVar[bool] = True

    def effective_min_files(self) -> int:
        """Return ``min_files``, defaulting to 1 when required and 0 otherwise."""
        return self.min_files if self.min_files is not None else (1 if self.required else 0)

    def _items(self, value: Any) -> list[Any] | None:
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list | tuple):
            return None
        return [v for v in value if not _is_blank(v)]

    def is_empty(self, value: Any) -> bool:
        """No file, or only empty entries, counts as not given."""
        return value is None or self._items(value) == []

    def required_message(self, resolver: OptionResolver) -> str:
        """Ask to attach."""
        return "required_file"

    def accepts(self, content_type: str) -> bool:
        """Tell whether a (normalised) MIME type is allowed."""
        if not self.accept:
            return True
        for allowed in self.accept:
            allowed = allowed.strip().lower()
            prefix = allowed[:-1]
            if allowed == content_type or (
                allowed.endswith("/*")
                and content_type.startswith(prefix)
                and len(content_type) > len(prefix)
            ):
                return True
        return False

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Check each file's metadata, type and size, and the count of files."""
        items = self._items(value)
        if items is None:
            report.add("invalid_type")
            return None
        files: list[dict[str, Any]] = []
        ok = True
        for index, item in enumerate(items):
            cleaned = self._clean_file(item, index, report)
            if cleaned is None:
                ok = False
            else:
                files.append(cleaned)
        if not ok:
            return None
        minimum = self.effective_min_files()
        if len(files) < minimum:
            report.add("too_few_files", min=minimum)
            return None
        if len(files) > self.max_files:
            report.add("too_many_files", max=self.max_files)
            return None
        return files

    def _clean_file(self, item: Any, index: int, report: Report) -> dict[str, Any] | None:
        sub = f"[{index}]"
        if not isinstance(item, Mapping):
            report.add("invalid_file", sub)
            return None
        file_id, name = item.get("id"), item.get("name")
        size, content_type = item.get("size"), item.get("content_type")
        if (
            not isinstance(file_id, str)
            or not file_id.strip()
            or not isinstance(name, str)
            or not isinstance(size, int)
            or isinstance(size, bool)
            or size < 0
            or not isinstance(content_type, str)
        ):
            report.add("invalid_file", sub)
            return None
        media_type = content_type.split(";")[0].strip().lower()
        if not self.accepts(media_type):
            report.add("file_type", sub, name=name)
            return None
        if self.max_size_mb is not None and size > self.max_size_mb * _MB:
            report.add("file_too_large", sub, name=name, max=self.max_size_mb)
            return None
        return {"id": file_id, "name": name, "size": size, "content_type": media_type}

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe the list of file objects."""
        content_type: dict[str, Any] = {"type": "string"}
        if self.accept:
            alternatives = [
                re.escape(a.strip().lower()[:-1]) + "[^;]+"
                if a.strip().endswith("/*")
                else re.escape(a.strip().lower())
                for a in self.accept
            ]
            content_type["pattern"] = "^(?:" + "|".join(alternatives) + ")$"
        size: dict[str, Any] = {"type": "integer", "minimum": 0}
        if self.max_size_mb is not None:
            size["maximum"] = self.max_size_mb * _MB
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "size": size,
                    "content_type": content_type,
                },
                "required": ["id", "name", "size", "content_type"],
                "additionalProperties": False,
            },
            "minItems": max(1, self.effective_min_files()),
            "maxItems": self.max_files,
        }


_Simple = (
    TextField
    | TextareaField
    | IntegerField
    | DecimalField
    | MoneyField
    | DateField
    | EmailField
    | PhoneField
    | CitizenIdField
    | TaxCodeField
    | SelectField
    | RadioField
    | CheckboxField
    | AddressField
    | FileField
)
SimpleField = Annotated[_Simple, Field(discriminator="type")]


class GroupField(FieldBase):
    """A repeating group: a list of objects keyed by the nested fields."""

    type: Literal["group"] = "group"
    fields: list[SimpleField] = Field(min_length=1)
    min_items: NonNegativeInt | None = None
    max_items: PositiveInt | None = None
    item_label: LocalizedText | None = None

    def effective_min_items(self) -> int:
        """Return ``min_items``, defaulting to 1 when required and 0 otherwise."""
        return self.min_items if self.min_items is not None else (1 if self.required else 0)

    def item_labels(self, index: int) -> tuple[str, str]:
        """Return how the item at ``index`` is named in messages (``Con 2``)."""
        if self.item_label is not None:
            return f"{self.item_label.vi} {index + 1}", f"{self.item_label.get('en')} {index + 1}"
        return f"{self.label.vi}, mục {index + 1}", f"{self.label.get('en')}, entry {index + 1}"

    def is_blank_item(self, item: Any) -> bool:
        """Tell whether an item has no value at all (a blank row of a page)."""
        if not isinstance(item, Mapping):
            return _is_blank(item)
        return all(f.is_empty(item.get(f.key)) for f in self.fields)

    def _items(self, value: Any) -> list[tuple[int, Any]] | None:
        if not isinstance(value, list | tuple):
            return None
        return [(i, item) for i, item in enumerate(value) if not self.is_blank_item(item)]

    def is_empty(self, value: Any) -> bool:
        """No item, or only blank items, counts as not given."""
        return value is None or self._items(value) == []

    def required_message(self, resolver: OptionResolver) -> str:
        """Ask for at least the minimum count of items."""
        return "required_item"

    def required_params(self) -> dict[str, Any]:
        """Name the minimum count of items."""
        return {"min": max(1, self.effective_min_items())}

    def clean(self, value: Any, ctx: Context, report: Report) -> Any:
        """Validate each non-blank item and the count of items."""
        items = self._items(value)
        if items is None:
            report.add("invalid_type")
            return None
        cleaned: list[Any] = []
        ok = True
        for index, item in items:
            item_vi, item_en = self.item_labels(index)
            item_report = report.child(f"[{index}]", item_vi, item_en)
            if not isinstance(item, Mapping):
                item_report.add("invalid_type")
                ok = False
                continue
            before = len(report.errors)
            result = ctx.clean_item(self, item, item_report)
            if len(report.errors) > before:
                ok = False
            else:
                cleaned.append(result)
        if not ok:
            return None
        minimum = self.effective_min_items()
        if len(cleaned) < minimum:
            report.add("too_few_items", min=minimum)
            return None
        if self.max_items is not None and len(cleaned) > self.max_items:
            report.add("too_many_items", max=self.max_items)
            return None
        return cleaned

    def preview(self, value: Any, ctx: Context) -> Any:
        """Return the items with each nested value previewed."""
        items = self._items(value)
        if items is None:
            return value
        return [
            {f.key: f.preview(item.get(f.key), ctx) for f in self.fields}
            if isinstance(item, Mapping)
            else item
            for _, item in items
        ]

    def value_schema(self, resolver: OptionResolver) -> dict[str, Any]:
        """Describe the list of item objects."""
        item_schema = {
            "type": "object",
            "properties": {f.key: f.json_schema(resolver) for f in self.fields},
            "required": [f.key for f in self.fields if f.required and f.visible_if is None],
            "additionalProperties": False,
        }
        schema: dict[str, Any] = {
            "type": "array",
            "items": item_schema,
            "minItems": max(1, self.effective_min_items()),
        }
        if self.max_items is not None:
            schema["maxItems"] = self.max_items
        return schema


AnyField = Annotated[_Simple | GroupField, Field(discriminator="type")]

FIELD_TYPES: Mapping[str, type[FieldBase]] = {
    cls.model_fields["type"].default: cls for cls in (*get_args(_Simple), GroupField)
}
