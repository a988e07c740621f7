"""Option lists: inline, named in the definition, and built in."""

from __future__ import annotations

from functools import cache

from . import addresses
from .definition import FormDefinition
from .fields import ChoiceField, Option
from .text import LocalizedText

# The 54 ethnic groups of Viet Nam, with the codes of the General Statistics Office
# (Decision 121-TCTK/PPCĐ), used by the national population database.
ETHNIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("01", "Kinh"),
    ("02", "Tày"),
    ("03", "Thái"),
    ("04", "Hoa"),
    ("05", "Khơ-me"),
    ("06", "Mường"),
    ("07", "Nùng"),
    ("08", "Mông"),
    ("09", "Dao"),
    ("10", "Gia-rai"),
    ("11", "Ngái"),
    ("12", "Ê-đê"),
    ("13", "Ba-na"),
    ("14", "Xơ-đăng"),
    ("15", "Sán Chay"),
    ("16", "Cơ-ho"),
    ("17", "Chăm"),
    ("18", "Sán Dìu"),
    ("19", "Hrê"),
    ("20", "Mnông"),
    ("21", "Ra-glai"),
    ("22", "Xtiêng"),
    ("23", "Bru-Vân Kiều"),
    ("24", "Thổ"),
    ("25", "Giáy"),
    ("26", "Cơ-tu"),
    ("27", "Gié-Triêng"),
    ("28", "Mạ"),
    ("29", "Khơ-mú"),
    ("30", "Co"),
    ("31", "Tà-ôi"),
    ("32", "Chơ-ro"),
    ("33", "Kháng"),
    ("34", "Xinh-mun"),
    ("35", "Hà Nhì"),
    ("36", "Chu-ru"),
    ("37", "Lào"),
    ("38", "La Chí"),
    ("39", "La Ha"),
    ("40", "Phù Lá"),
    ("41", "La Hủ"),
    ("42", "Lự"),
    ("43", "Lô Lô"),
    ("44", "Chứt"),
    ("45", "Mảng"),
    ("46", "Pà Thẻn"),
    ("47", "Cơ Lao"),
    ("48", "Cống"),
    ("49", "Bố Y"),
    ("50", "Si La"),
    ("51", "Pu Péo"),
    ("52", "Brâu"),
    ("53", "Ơ Đu"),
    ("54", "Rơ-măm"),
)


@cache
def _builtin(name: str) -> tuple[Option, ...] | None:
    if name == "gender":
        return (
            Option(value="male", label=LocalizedText(vi="Nam", en="Male")),
            Option(value="female", label=LocalizedText(vi="Nữ", en="Female")),
        )
    if name == "ethnic_groups":
        return tuple(Option(value=code, label=LocalizedText(vi=n)) for code, n in ETHNIC_GROUPS)
    if name == "provinces":
        return tuple(
            Option(value=p.code, label=LocalizedText(vi=p.name)) for p in addresses.provinces()
        )
    return None


BUILTIN_LISTS: tuple[str, ...] = ("gender", "ethnic_groups", "provinces")


def builtin_options(name: str) -> list[Option] | None:
    """Return a built-in option list (``gender``, ``ethnic_groups``, ``provinces``), or None."""
    found = _builtin(name)
    return None if found is None else list(found)


def list_exists(definition: FormDefinition, name: str) -> bool:
    """Tell whether ``name`` is a named list of the definition or a built-in list."""
    return name in definition.option_lists or name in BUILTIN_LISTS


def resolve_options(definition: FormDefinition, field: ChoiceField) -> list[Option]:
    """Return the options of a choice field: inline, else named in the form, else built in."""
    if field.options is not None:
        return list(field.options)
    if field.option_list is None:
        return []
    if field.option_list in definition.option_lists:
        return list(definition.option_lists[field.option_list])
    return builtin_options(field.option_list) or []
