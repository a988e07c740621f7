"""Vietnamese text folding, so searches ignore diacritics, case and punctuation."""

from __future__ import annotations

import re
import unicodedata

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
