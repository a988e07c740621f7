"""Keyset cursors: opaque, URL-safe tokens holding the sort key of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
CursorKey = tuple[int | str, ...]

# Every list pages alike: the same page sizes, and cursors of the same alphabet and bound.
PAGE_SIZE = 20
PAGE_MAX = 100
# The longest key is a procedure's folded name (at most 500 characters) and its code.
CURSOR_MAX_LENGTH = 1000
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


class InvalidCursor(ValueError):
    """The cursor was not made by this server (or was cut or altered)."""


def encode_cursor(key: CursorKey) -> str:
    """An opaque token for the sort key of the last row of a page."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, shape: Sequence[type]) -> CursorKey:
    """The sort key a token holds, checked against the expected types of its parts."""
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(token) from exc
    if not isinstance(value, list) or len(value) != len(shape):
        raise InvalidCursor(token)
    if not all(type(part) is kind for part, kind in zip(value, shape, strict=True)):
        raise InvalidCursor(token)
    return tuple(value)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next page, if there is one."""

    items: list[T]
    next_cursor: str | None


def page_of(
    items: Iterable[T],
    key: Callable[[T], CursorKey],
    shape: Sequence[type],
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """One page of a short list read whole, in the order of ``key`` (unique per item): the
    items after the cursor's key, so that no item is skipped or repeated when others come or
    go between pages. InvalidCursor when the cursor does not hold a key of ``shape``."""
    ordered = sorted(items, key=key)
    start = 0 if cursor is None else bisect_right(ordered, decode_cursor(cursor, shape), key=key)
    end = start + max(1, min(limit, PAGE_MAX))
    page = ordered[start:end]
    more = end < len(ordered)
    return Page(items=page, next_cursor=encode_cursor(key(page[-1])) if more else None)
