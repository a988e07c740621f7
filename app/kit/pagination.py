"""Keyset cursors: opaque, URL-safe tokens holding the sort key of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
CursorKey = tuple[int | str, ...]


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
