"""The streaming multipart reader: parts in order, in any chunking, and clear refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import InvalidInput
from app.kit.multipart import MultipartReader

BOUNDARY = "----motcua-boundary-7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/pdf\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(data: bytes, size: int) -> list[tuple[str, str | None, bytes]]:
    found = []
    async for part in MultipartReader(CONTENT_TYPE, chunked(data, size)):
        content = b"".join([c async for c in part.chunks()])
        found.append((part.name, part.filename, content))
    return found


FILE = bytes(range(256)) * 300 + b"\r\n--not-the-boundary\r\n"
PARTS = [("_csrf", None, b"token"), ("slot", None, "tờ khai".encode()), ("file", "tờ.pdf", FILE)]


@given(size=st.integers(min_value=1, max_value=70_000))
@settings(max_examples=40, deadline=None)
async def test_every_chunking_gives_the_same_parts(size: int) -> None:
    parts = await read_all(body(*PARTS), size)
    assert parts == PARTS


async def test_text_fields_and_skipped_parts() -> None:
    reader = MultipartReader(CONTENT_TYPE, chunked(body(*PARTS), 1000))
    names = []
    async for part in reader:
        names.append(part.name)
        if part.name == "slot":
            assert await part.text() == "tờ khai"
    assert names == ["_csrf", "slot", "file"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/json", b"{}"),
        ("multipart/form-data", b""),
        (CONTENT_TYPE, body(*PARTS)[:-40]),
        (CONTENT_TYPE, b"garbage without any boundary"),
    ],
    ids=["not-multipart", "no-boundary", "truncated", "garbage"],
)
async def test_malformed_bodies_are_refused_clearly(content_type: str, data: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        async for part in MultipartReader(content_type, chunked(data, 100)):
            await part.skip()
    assert refused.value.message_en


async def test_limits() -> None:
    with pytest.raises(InvalidInput, match="quá nhiều"):
        await read_all_limited(body(*[("f", None, b"x")] * 5), max_parts=4)
    with pytest.raises(InvalidInput, match="quá dài"):
        async for part in MultipartReader(CONTENT_TYPE, chunked(body(("f", None, b"x" * 10)), 3)):
            await part.text(limit=5)


async def read_all_limited(data: bytes, max_parts: int) -> None:
    async for part in MultipartReader(CONTENT_TYPE, chunked(data, 50), max_parts=max_parts):
        await part.skip()
