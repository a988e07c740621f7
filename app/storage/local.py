"""Objects as files under one root directory.

Layout (all under `root`):

    objects/<h0h1>/<h2h3>/<name>     one file per object
    partials/<h0h1>/<h2h3>/<name>    one file per partial upload, appended to in place

`h` is the SHA-256 (hex) of the key, so the 65,536 shard directories fill evenly even when keys
share a prefix such as "drafts/". `name` is the key with each '/' written '~' (a character keys
cannot hold), so every key is one file name and a key can never be the directory of another.
Temporary files are named `%tmp-<random>` ('%' cannot occur in a key) in the directory of the
file they will replace, so the final `os.replace` is atomic; the file is fsynced before the
rename and the directory after it. A crash can leave `%tmp-` files behind; `list_keys` never
shows them and a clean-up job may delete those older than a day.

Blocking calls run in the storage's own thread pool. An open file descriptor is only closed
after the thread call using it has returned, even when the awaiting task is cancelled, so a
cancelled request can never make a worker thread write into a reused descriptor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import os
import re
import secrets
import stat
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

from app.storage.base import (
    READ_CHUNK_SIZE,
    AlreadyExists,
    Metered,
    NotFound,
    ObjectStream,
    OffsetMismatch,
    StoredObject,
    validate_key,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Chunks are gathered up to this size before each write to the file: fewer thread hops, and the
# memory held stays this small whatever the size of the body.
WRITE_BUFFER_SIZE = 1024 * 1024
_TEMP_PREFIX = "%tmp-"
_PREFIX_RE = re.compile(r"[A-Za-z0-9_./-]*")
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | _O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | bytearray) -> None:
    with memoryview(data) as view:
        while view:
            written = os.write(fd, view)
            view = view[written:]


def _file_name(key: str) -> str:
    return key.replace("/", "~")


def _key_of(name: str) -> str | None:
    if name.startswith(_TEMP_PREFIX):
        return None
    key = name.replace("~", "/")
    try:
        return validate_key(key)
    except ValueError:
        return None


async def _write_chunks(file: _OpenFile, chunks: AsyncIterable[bytes], meter: Metered) -> None:
    """Write the chunks at the file's position in writes of about WRITE_BUFFER_SIZE."""
    buffer = bytearray()
    async for chunk in chunks:
        meter.take(chunk)
        buffer += chunk
        if len(buffer) >= WRITE_BUFFER_SIZE:
            data, buffer = buffer, bytearray()
            await file.run(_write_all, file.fileno, data)
    if buffer:
        await file.run(_write_all, file.fileno, buffer)


class _OpenFile:
    """One descriptor used by successive thread calls; released only after the last has ended."""

    def __init__(self, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        self._executor = executor
        self._last: concurrent.futures.Future[Any] | None = None
        self.fd: int | None = None
        self.temp: Path | None = None  # unlinked on release, unless committed

    @property
    def fileno(self) -> int:
        assert self.fd is not None
        return self.fd

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        future = self._executor.submit(fn, *args)
        self._last = future
        return await asyncio.wrap_future(future)

    def release(self, truncate_to: int | None = None) -> None:
        """Close (first truncating, for a failed append) and drop the temp file, when it is safe."""

        def release_now(_: object = None) -> None:
            try:
                if self.fd is not None:
                    if truncate_to is not None:
                        os.ftruncate(self.fd, truncate_to)
                        os.fsync(self.fd)
                    os.close(self.fd)
                    self.fd = None
                if self.temp is not None:
                    self.temp.unlink(missing_ok=True)
                    self.temp = None
            except OSError:
                logger.exception("could not clean up after a failed storage operation")

        last = self._last
        if last is None or last.done():
            release_now()
        else:
            last.add_done_callback(release_now)


class LocalStorage:
    """Files under a root directory (see the module docstring for the layout)."""

    def __init__(self, root: str | os.PathLike[str], *, threads: int = 8) -> None:
        self.root = Path(root).absolute()
        self._objects = self.root / "objects"
        self._partials = self.root / "partials"
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="storage"
        )

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    # -- paths ---------------------------------------------------------------------------------

    @staticmethod
    def _path(base: Path, key: str) -> Path:
        digest = hashlib.sha256(validate_key(key).encode()).hexdigest()
        return base / digest[:2] / digest[2:4] / _file_name(key)

    def object_path(self, key: str) -> Path:
        """Where the object of this key lives (for tests and tools; use open() to read)."""
        return self._path(self._objects, key)

    def _ensure_dir(self, directory: Path) -> None:
        """Create the directory and its missing parents, fsyncing each parent that gained one."""
        if directory.is_dir():
            return
        missing: list[Path] = []
        current = directory
        while not current.is_dir():
            missing.append(current)
            current = current.parent
        directory.mkdir(parents=True, exist_ok=True)
        for created in reversed(missing):
            _fsync_dir(created.parent)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    # -- objects -------------------------------------------------------------------------------

    async def write(
        self, key: str, chunks: AsyncIterable[bytes], *, max_size: int | None = None
    ) -> StoredObject:
        final = self.object_path(key)
        file = _OpenFile(self._executor)
        meter = Metered(max_size)
        committed = False
        try:
            await file.run(self._create_temp, file, final.parent)
            await _write_chunks(file, chunks, meter)
            # If cancelled while this runs, the rename still happens: the write then took place
            # just before the cancellation, which is as good an order as any.
            await file.run(self._commit_temp, file, final)
            committed = True
        finally:
            if not committed:
                file.release()
        return StoredObject(key, meter.size, meter.sha256)

    def _create_temp(self, file: _OpenFile, directory: Path) -> None:
        self._ensure_dir(directory)
        path = directory / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
        file.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o600)
        file.temp = path

    @staticmethod
    def _commit_temp(file: _OpenFile, final: Path) -> None:
        assert file.fd is not None and file.temp is not None
        os.fsync(file.fd)
        os.close(file.fd)
        file.fd = None
        os.replace(file.temp, final)
        file.temp = None
        _fsync_dir(final.parent)

    async def open(self, key: str) -> ObjectStream:
        path = self.object_path(key)
        file = _OpenFile(self._executor)

        def open_for_reading() -> int:
            file.fd = os.open(path, os.O_RDONLY | _O_CLOEXEC)
            return os.fstat(file.fd).st_size

        try:
            size = await file.run(open_for_reading)
        except FileNotFoundError:
            file.release()
            raise NotFound(key) from None
        except BaseException:
            file.release()
            raise

        async def read(n: int) -> bytes:
            return await file.run(os.read, file.fileno, n)

        async def close() -> None:
            file.release()

        return ObjectStream(key, size, read, close)

    async def exists(self, key: str) -> bool:
        return await self._run(self.object_path(key).is_file)

    async def size(self, key: str) -> int:
        return await self._size(self.object_path(key), key)

    async def _size(self, path: Path, key: str) -> int:
        try:
            info = await self._run(os.stat, path)
        except FileNotFoundError:
            raise NotFound(key) from None
        if not stat.S_ISREG(info.st_mode):
            raise NotFound(key)
        return info.st_size

    async def delete(self, key: str) -> None:
        await self._run(self._unlink, self.object_path(key))

    @staticmethod
    def _unlink(path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        if not _PREFIX_RE.fullmatch(prefix):
            return
        for shard in await self._run(self._subdirs, self._objects):
            for key in await self._run(self._keys_in_shard, shard, prefix):
                yield key

    @staticmethod
    def _subdirs(base: Path) -> list[Path]:
        try:
            return sorted(entry for entry in base.iterdir() if entry.is_dir())
        except FileNotFoundError:
            return []

    @staticmethod
    def _keys_in_shard(shard: Path, prefix: str) -> list[str]:
        keys: list[str] = []
        for directory in LocalStorage._subdirs(shard):
            with os.scandir(directory) as entries:
                for entry in entries:
                    key = _key_of(entry.name)
                    if key is not None and key.startswith(prefix) and entry.is_file():
                        keys.append(key)
        return keys

    # -- partial uploads -----------------------------------------------------------------------

    def _partial_path(self, key: str) -> Path:
        return self._path(self._partials, key)

    async def create_partial(self, key: str) -> None:
        path = self._partial_path(key)

        def create() -> None:
            self._ensure_dir(path.parent)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o600)
            except FileExistsError:
                raise AlreadyExists(key) from None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(path.parent)

        await self._run(create)

    async def append(
        self, key: str, offset: int, chunks: AsyncIterable[bytes], *, max_size: int | None = None
    ) -> int:
        path = self._partial_path(key)
        file = _OpenFile(self._executor)
        done = False
        truncate_to: int | None = None

        def open_for_append() -> int:
            file.fd = os.open(path, os.O_WRONLY | _O_CLOEXEC)
            return os.fstat(file.fd).st_size

        try:
            try:
                current = await file.run(open_for_append)
            except FileNotFoundError:
                raise NotFound(key) from None
            if current != offset:
                raise OffsetMismatch(key, current, offset)
            truncate_to = offset
            os.lseek(file.fileno, offset, os.SEEK_SET)
            meter = Metered(max_size)
            meter.size = offset
            await _write_chunks(file, chunks, meter)
            await file.run(os.fsync, file.fileno)
            done = True
        finally:
            file.release(truncate_to=None if done else truncate_to)
        return meter.size

    async def partial_size(self, key: str) -> int:
        return await self._size(self._partial_path(key), key)

    async def finish_partial(self, key: str) -> StoredObject:
        partial = self._partial_path(key)
        final = self.object_path(key)

        def finish() -> StoredObject:
            try:
                fd = os.open(partial, os.O_RDONLY | _O_CLOEXEC)
            except FileNotFoundError:
                raise NotFound(key) from None
            digest = hashlib.sha256()
            size = 0
            try:
                while data := os.read(fd, READ_CHUNK_SIZE):
                    digest.update(data)
                    size += len(data)
            finally:
                os.close(fd)
            self._ensure_dir(final.parent)
            os.replace(partial, final)
            _fsync_dir(final.parent)
            _fsync_dir(partial.parent)
            return StoredObject(key, size, digest.hexdigest())

        return await self._run(finish)

    async def discard_partial(self, key: str) -> None:
        await self._run(self._unlink, self._partial_path(key))

    async def aclose(self) -> None:
        # Waits for the clean-ups still queued behind cancelled thread calls.
        await asyncio.to_thread(self._executor.shutdown, True)
