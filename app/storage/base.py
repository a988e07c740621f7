"""What every storage backend shares: the protocol, the errors, keys and the streaming helpers."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

# Chunk size used when reading objects back (and when re-reading partial uploads to hash them).
READ_CHUNK_SIZE = 256 * 1024

# The brief's pattern allows 256 characters; the local backend stores a key as one file name,
# and Linux file names stop at 255 bytes, so keys stop there on every backend alike.
MAX_KEY_LENGTH = 255
_KEY_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_./-]{0,254}")


class StorageError(Exception):
    """Base class of every error raised by a storage backend."""


class NotFound(StorageError):
    """No object (or partial upload) under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object under key {key!r}")
        self.key = key


class AlreadyExists(StorageError):
    """A partial upload already exists under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"a partial upload already exists under key {key!r}")
        self.key = key


class TooLarge(StorageError):
    """The stream went past the allowed size; nothing of it was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the content is larger than the limit of {limit} bytes")
        self.limit = limit


class OffsetMismatch(StorageError):
    """An append did not start where the partial upload ends (tus answers 409)."""

    def __init__(self, key: str, expected: int, given: int) -> None:
        super().__init__(
            f"partial upload {key!r} is {expected} bytes long, not {given}: append refused"
        )
        self.key = key
        self.expected = expected
        self.given = given


class InvalidKey(StorageError, ValueError):
    """The key is not of the accepted form (it could escape the storage root)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"invalid storage key {key!r}: use 1-{MAX_KEY_LENGTH} characters of"
            " A-Z a-z 0-9 _ - . /, starting with a letter, digit, '_' or '-',"
            " with no empty, '.' or '..' segment"
        )
        self.key = key


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object as written: its key, size in bytes and SHA-256 (lowercase hex)."""

    key: str
    size: int
    sha256: str


def validate_key(key: str) -> str:
    """Return the key if it is acceptable, else raise InvalidKey.

    Besides the character set: no leading '/', and no empty, '.' or '..' segment (so 'a//b',
    'a/./b', 'a/../b' and 'a/' are refused): such keys could escape the root on a file system
    or name the same file as another key.
    """
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidKey(key)
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise InvalidKey(key)
    return key


def new_key() -> str:
    """A fresh random key: 43 URL-safe characters (256 bits), never derived from a file name."""
    return secrets.token_urlsafe(32)


class ObjectStream:
    """The content of one object, read in chunks; `size` is known before the first read.

    Iterate it (`async for chunk in stream`), and close it when stopping early (`aclose()` or
    `async with`); reading to the end closes it too.
    """

    def __init__(
        self,
        key: str,
        size: int,
        read: Callable[[int], Awaitable[bytes]],
        close: Callable[[], Awaitable[None]],
        chunk_size: int = READ_CHUNK_SIZE,
    ) -> None:
        self.key = key
        self.size = size
        self._read = read
        self._close = close
        self._chunk_size = chunk_size
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            data = await self._read(self._chunk_size)
        except BaseException:
            await self.aclose()
            raise
        if not data:
            await self.aclose()
            raise StopAsyncIteration
        return data

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Metered:
    """Counts and hashes the bytes of a stream, refusing it once it passes `max_size`."""

    def __init__(self, max_size: int | None) -> None:
        self.max_size = max_size
        self.size = 0
        self._hash = hashlib.sha256()

    def take(self, chunk: bytes) -> None:
        """Account for one chunk; raises TooLarge before the chunk is used if it is one too many."""
        size = self.size + len(chunk)
        if self.max_size is not None and size > self.max_size:
            raise TooLarge(self.max_size)
        self.size = size
        self._hash.update(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


@runtime_checkable
class FileStorage(Protocol):
    """Objects (immutable byte strings under keys) and partial uploads (appended to, then finished).

    Every method validates its keys first (InvalidKey). Writing a key that exists replaces it.
    Appends to one partial upload must not run concurrently (the tus layer serialises them).
    """

    async def write(
        self, key: str, chunks: AsyncIterable[bytes], *, max_size: int | None = None
    ) -> StoredObject:
        """Store the stream under key in bounded memory; all or nothing (TooLarge past max_size)."""
        ...

    async def open(self, key: str) -> ObjectStream:
        """The object's content as a stream of chunks; NotFound before any byte if it is missing."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int:
        """The object's size in bytes; NotFound if it is missing."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens if it is already gone."""
        ...

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every object key starting with prefix, in no particular order (not partial uploads)."""
        ...

    async def create_partial(self, key: str) -> None:
        """Start an empty partial upload; AlreadyExists if one is there."""
        ...

    async def append(
        self, key: str, offset: int, chunks: AsyncIterable[bytes], *, max_size: int | None = None
    ) -> int:
        """Add the stream at offset and return the new size; all or nothing.

        OffsetMismatch if offset is not the current size; TooLarge if the partial upload would
        grow past max_size (its total size); NotFound if there is no such partial upload. If the
        stream fails (the client went away), nothing of this call is kept: the client resumes
        from the previous offset. To keep progress within one long request, call append on
        successive slices of it.
        """
        ...

    async def partial_size(self, key: str) -> int:
        """Bytes received so far; NotFound if there is no such partial upload."""
        ...

    async def finish_partial(self, key: str) -> StoredObject:
        """Turn the partial upload into the object under the same key, and hash it."""
        ...

    async def discard_partial(self, key: str) -> None:
        """Drop the partial upload; nothing happens if it is already gone."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads (at application shutdown)."""
        ...
