"""Text helpers: Vietnamese folding, so searches ignore diacritics, case and punctuation;
the NUL check of text headed for the database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_NON_WORD = re.compile(r"[^0-9a-z]+")
# NFD leaves đ/Đ whole: they are letters of their own, not d with a mark.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: 'Giấy phép' -> 'giay phep'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.lower()).strip()


def words(text: str) -> list[str]:
    """The distinct folded words of a text, in order of first appearance."""
    return list(dict.fromkeys(fold(text).split()))


def contains_nul(value: Any) -> bool:
    """Whether a string, or any string inside lists and mappings, holds a NUL character, which
    PostgreSQL cannot store in text or JSON (and no person types)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False
