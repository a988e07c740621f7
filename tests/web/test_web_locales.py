"""The gettext catalogs: every message of the pages is in both, and Vietnamese is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from app.web import i18n

WEB_DIR = Path(__file__).resolve().parents[2] / "app" / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n,jinja2.ext.do", "trimmed": "true"},
}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Vietnamese letters that ASCII lacks: a message without any is almost surely missing its marks.
VIETNAMESE_LETTERS = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I
)
# Correct Vietnamese that happens to need no marks.
PLAIN_VIETNAMESE = {"Trang sau"}


def _used() -> dict[str | tuple[str, ...], list[str]]:
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB_DIR), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def _catalog(locale: str) -> Catalog:
    return i18n.read_catalog(locale)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_message_of_the_pages_is_in_the_catalog(locale: str) -> None:
    used = _used()
    assert len(used) > 100
    catalog = _catalog(locale)
    missing = {
        str(key): places
        for key, places in used.items()
        if catalog.get(key if isinstance(key, str) else key[0]) is None
    }
    assert not missing, missing
    unused = [
        m.id
        for m in catalog
        if m.id and (m.id if isinstance(m.id, str) else tuple(m.id)) not in used
    ]
    assert not unused, f"messages no page uses any more: {unused}"
    assert not [m.id for m in catalog if m.id and m.fuzzy]


def test_vietnamese_messages_are_complete_and_have_their_marks() -> None:
    for message in _catalog("vi"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for string in strings:
            assert string, f"no Vietnamese for {message.id!r}"
            if string not in PLAIN_VIETNAMESE:
                assert VIETNAMESE_LETTERS.search(string), f"no diacritics in {string!r}"
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(ids[0])), string


def test_catalogs_compile_at_start_up() -> None:
    translations = i18n.load_translations()
    assert translations["vi"].gettext("Public services portal") == "Cổng dịch vụ công"
    assert translations["en"].gettext("Public services portal") == "Public services portal"
    assert translations["vi"].ngettext("%(num)s procedure", "%(num)s procedures", 3) == (
        "%(num)s thủ tục"
    )
    assert translations["en"].ngettext("%(num)s procedure", "%(num)s procedures", 1) == (
        "%(num)s procedure"
    )


@pytest.mark.parametrize(
    ("cookie", "default", "expected"),
    [
        (None, "vi", "vi"),
        ("en", "vi", "en"),
        ("vi", "en", "vi"),
        ("de", "vi", "vi"),
        (None, "fr", "vi"),
    ],
)
def test_language_negotiation(cookie: str | None, default: str, expected: str) -> None:
    assert i18n.negotiate(cookie, default) == expected
