"""Read a multipart/form-data body part by part as it arrives, in bounded memory.

Starlette's form parser spools every file to a temporary file before the handler runs; this
reader hands each part to the caller while the body is still arriving, so a file can be hashed
and written to storage on the way, with no copy on local disk and no size known in advance:

    reader = MultipartReader(request.headers["content-type"], request.stream())
    async for part in reader:
        if part.filename is None:
            value = await part.text()
        else:
            async for chunk in part.chunks(): ...

A part the caller does not read is skipped. Malformed bodies raise InvalidInput.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from python_multipart.multipart import MultipartParser, parse_options_header

from app.errors import InvalidInput

MAX_FIELD_SIZE = 64 * 1024
MAX_PARTS = 1000
MAX_HEADER_SIZE = 8 * 1024

EventKind = Literal["begin", "header", "headers_done", "data", "end", "finish"]


def _malformed(detail_vi: str, detail_en: str) -> InvalidInput:
    return InvalidInput(
        f"Không đọc được dữ liệu gửi lên: {detail_vi}.",
        message_en=f"The submitted data could not be read: {detail_en}.",
    )


@dataclass
class Part:
    """One part of the body: a field (no filename) or a file."""

    name: str
    filename: str | None
    content_type: str
    _reader: MultipartReader = field(repr=False)
    _done: bool = field(default=False, repr=False)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The part's bytes as they arrive; read once."""
        while not self._done:
            kind, payload = await self._reader._next_event()
            if kind == "data":
                yield payload
            elif kind == "end":
                self._done = True
            else:
                raise _malformed("phần dữ liệu không kết thúc", "a part does not end")

    async def text(self, limit: int = MAX_FIELD_SIZE) -> str:
        """The part as UTF-8 text, refused past ``limit`` bytes."""
        value = bytearray()
        async for chunk in self.chunks():
            value += chunk
            if len(value) > limit:
                raise _malformed(f"trường {self.name} quá dài", f"field {self.name} is too long")
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed("văn bản không phải UTF-8", "the text is not UTF-8") from exc
        if "\x00" in text:
            # No one types NUL, and PostgreSQL can store it in no text column.
            raise _malformed("văn bản chứa ký tự NUL", "the text holds a NUL character")
        return text

    async def skip(self) -> None:
        async for _ in self.chunks():
            pass


class MultipartReader:
    """The parts of a multipart/form-data body, read lazily from its chunks."""

    def __init__(
        self, content_type: str, body: AsyncIterable[bytes], *, max_parts: int = MAX_PARTS
    ) -> None:
        media_type, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if media_type != b"multipart/form-data" or not boundary:
            raise InvalidInput(
                "Dữ liệu phải gửi dạng multipart/form-data.",
                message_en="The body must be multipart/form-data.",
            )
        self._body = aiter(body)
        self._events: deque[tuple[EventKind, bytes]] = deque()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._header_size = 0
        self._max_parts = max_parts
        self._finished = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": lambda: self._events.append(("begin", b"")),
                "on_part_data": self._on_data,
                "on_part_end": lambda: self._events.append(("end", b"")),
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": lambda: self._events.append(("headers_done", b"")),
                "on_end": lambda: self._events.append(("finish", b"")),
            },
        )

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", data[start:end]))

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]
        self._count_header(end - start)

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, size: int) -> None:
        self._header_size += size
        if self._header_size > MAX_HEADER_SIZE:
            raise _malformed("phần đầu quá dài", "part headers are too long")

    def _on_header_end(self) -> None:
        line = bytes(self._header_field) + b"\x00" + bytes(self._header_value)
        self._events.append(("header", line))
        self._header_field.clear()
        self._header_value.clear()

    async def _next_event(self) -> tuple[EventKind, bytes]:
        while not self._events:
            if self._finished:
                raise _malformed("dữ liệu bị cắt ngang", "the body ends too early")
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._finished = True
                self._parser.finalize()
                continue
            try:
                self._parser.write(chunk)
            except InvalidInput:
                raise
            except Exception as exc:
                raise _malformed("sai định dạng multipart", "malformed multipart") from exc
        return self._events.popleft()

    async def __aiter__(self) -> AsyncIterator[Part]:
        count = 0
        previous: Part | None = None
        while True:
            if previous is not None and not previous._done:
                await previous.skip()
            kind, _ = await self._next_event()
            if kind == "finish":
                return
            if kind != "begin":
                raise _malformed("sai định dạng multipart", "malformed multipart")
            count += 1
            if count > self._max_parts:
                raise _malformed("quá nhiều phần", "too many parts")
            previous = await self._read_headers()
            yield previous

    async def _read_headers(self) -> Part:
        self._header_size = 0
        name: str | None = None
        filename: str | None = None
        content_type = "application/octet-stream"
        while True:
            kind, payload = await self._next_event()
            if kind == "headers_done":
                break
            if kind != "header":
                raise _malformed("sai định dạng multipart", "malformed multipart")
            header, _, value = payload.partition(b"\x00")
            header = header.strip().lower()
            if header == b"content-disposition":
                _, options = parse_options_header(value)
                if b"name" in options:
                    name = options[b"name"].decode("utf-8", "replace")
                if b"filename" in options:
                    filename = options[b"filename"].decode("utf-8", "replace")
            elif header == b"content-type":
                content_type = value.decode("latin-1").strip()
        if name is None:
            raise _malformed("một phần không có tên", "a part has no name")
        return Part(name=name, filename=filename, content_type=content_type, _reader=self)
