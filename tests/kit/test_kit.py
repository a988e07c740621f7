from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.kit.text import fold, words


def test_fold_removes_marks_case_and_punctuation() -> None:
    assert fold("Giấy phép XÂY DỰNG, nhà ở riêng lẻ") == "giay phep xay dung nha o rieng le"
    assert fold("Đăng ký đất đai") == "dang ky dat dai"
    assert words("đất  Đai đất") == ["dat", "dai"]


@given(st.text())
def test_fold_gives_only_ascii_words(text: str) -> None:
    folded = fold(text)
    assert folded == folded.strip()
    assert all(part.isascii() and part.isalnum() for part in folded.split())


@given(st.tuples(st.integers(), st.text()))
def test_cursor_round_trip(key: tuple[int, str]) -> None:
    assert decode_cursor(encode_cursor(key), (int, str)) == key


@pytest.mark.parametrize("token", ["", "!!!", encode_cursor(("a", "b")), encode_cursor((1,))])
def test_foreign_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(token, (int, str))
