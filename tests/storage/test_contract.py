"""The storage contract, run against both backends (see conftest.harness)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterable

import pytest

from app.storage import (
    AlreadyExists,
    InvalidKey,
    LocalStorage,
    NotFound,
    OffsetMismatch,
    StoredObject,
    TooLarge,
    new_key,
)
from tests.storage.conftest import Harness

MiB = 1024 * 1024
CHUNK = 64 * 1024


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def generated(
    total: int, chunk: int = CHUNK, fail_after: int | None = None
) -> AsyncIterator[bytes]:
    """`total` bytes of a varying pattern, made chunk by chunk (never held whole)."""
    sent = 0
    index = 0
    while sent < total:
        if fail_after is not None and sent >= fail_after:
            raise ConnectionResetError("client went away")
        size = min(chunk, total - sent)
        yield (index.to_bytes(4, "big") * (size // 4 + 1))[:size]
        sent += size
        index += 1


async def sha_of_generated(total: int) -> str:
    digest = hashlib.sha256()
    async for chunk in generated(total):
        digest.update(chunk)
    return digest.hexdigest()


async def read_all(harness: Harness, key: str) -> bytes:
    async with await harness.storage.open(key) as stream:
        return b"".join([chunk async for chunk in stream])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def objects(leftovers: Iterable[str]) -> set[str]:
    return set(leftovers)


# -- objects ---------------------------------------------------------------------------------


async def test_round_trip(harness: Harness) -> None:
    storage = harness.storage
    key = new_key()
    data = os.urandom(300_000)
    stored = await storage.write(key, chunks_of(data[:1000], data[1000:200_000], data[200_000:]))
    assert stored == StoredObject(key, len(data), sha(data))
    assert await storage.exists(key)
    assert await storage.size(key) == len(data)
    stream = await storage.open(key)
    assert stream.size == len(data)
    received = [chunk async for chunk in stream]
    assert b"".join(received) == data
    assert all(received)


async def test_empty_file(harness: Harness) -> None:
    key = new_key()
    stored = await harness.storage.write(key, chunks_of())
    assert stored == StoredObject(key, 0, sha(b""))
    assert await harness.storage.size(key) == 0
    assert await read_all(harness, key) == b""
    stored = await harness.storage.write("other", chunks_of(b"", b""))
    assert stored.size == 0


async def test_overwrite_replaces(harness: Harness) -> None:
    await harness.storage.write("k", chunks_of(b"first version"))
    await harness.storage.write("k", chunks_of(b"second"))
    assert await read_all(harness, "k") == b"second"


async def test_large_body_streams_in_bounded_memory(harness: Harness) -> None:
    total = 20 * MiB
    key = new_key()
    expected = await sha_of_generated(total)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        stored = await harness.storage.write(key, generated(total))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == total
    assert stored.sha256 == expected
    if harness.kind == "local":
        # The moto server runs in this process and keeps the parts in memory, so the figure
        # only means something for the local backend.
        assert peak - before < CHUNK + 4 * MiB, f"peak grew by {(peak - before) / MiB:.1f} MiB"
    digest = hashlib.sha256()
    size = 0
    async with await harness.storage.open(key) as stream:
        async for chunk in stream:
            digest.update(chunk)
            size += len(chunk)
    assert (size, digest.hexdigest()) == (total, expected)
    if isinstance(harness.storage, LocalStorage):
        assert harness.storage.object_path(key).stat().st_size == total
    else:
        assert await harness.leftovers() == {f"files/{key}"}  # no multipart upload left over


async def test_multipart_etag_on_s3(harness: Harness, s3_admin: object) -> None:
    if harness.kind != "s3":
        pytest.skip("S3 only")
    from app.storage import S3Storage

    storage = harness.storage
    assert isinstance(storage, S3Storage)
    await storage.write("big", generated(17 * MiB, chunk=MiB))
    await storage.write("small", generated(MiB))
    head = await s3_admin.head_object(Bucket=storage.bucket, Key="files/big")  # type: ignore[attr-defined]
    assert head["ETag"].strip('"').endswith("-3")
    head = await s3_admin.head_object(Bucket=storage.bucket, Key="files/small")  # type: ignore[attr-defined]
    assert "-" not in head["ETag"]


@pytest.mark.parametrize("total", [3 * MiB, 20 * MiB])
async def test_too_large_leaves_nothing(harness: Harness, total: int) -> None:
    key = new_key()
    limit = total - 1
    with pytest.raises(TooLarge) as caught:
        await harness.storage.write(key, generated(total), max_size=limit)
    assert caught.value.limit == limit
    assert await harness.leftovers() == set()
    assert not await harness.storage.exists(key)
    # Exactly at the limit is fine.
    stored = await harness.storage.write(key, generated(total), max_size=total)
    assert stored.size == total


async def test_too_large_is_refused_early(harness: Harness) -> None:
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        while True:
            consumed += CHUNK
            yield b"x" * CHUNK

    with pytest.raises(TooLarge):
        await harness.storage.write("k", endless(), max_size=MiB)
    assert consumed <= MiB + CHUNK
    assert await harness.leftovers() == set()


@pytest.mark.parametrize("fail_after", [0, 100_000, 9 * MiB])
async def test_failing_stream_leaves_nothing(harness: Harness, fail_after: int) -> None:
    with pytest.raises(ConnectionResetError):
        await harness.storage.write("k", generated(20 * MiB, fail_after=fail_after))
    assert await harness.leftovers() == set()
    assert not await harness.storage.exists("k")


@pytest.mark.parametrize("cancels", [1, 5])
async def test_cancelled_write_leaves_nothing(harness: Harness, cancels: int) -> None:
    """Also when cancelled again during the clean-up, as anyio's cancel scopes do."""
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        async for chunk in generated(9 * MiB):
            yield chunk
        started.set()
        await asyncio.Event().wait()  # the client stops sending
        yield b"never"

    task = asyncio.create_task(harness.storage.write("k", stalls()))
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.sleep(0.05)
    for _ in range(cancels):
        task.cancel()
        await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(50):  # the local clean-up may wait for a thread call to end
        if not await harness.leftovers():
            break
        await asyncio.sleep(0.02)
    assert await harness.leftovers() == set()


async def test_missing_keys(harness: Harness) -> None:
    storage = harness.storage
    assert not await storage.exists("missing")
    with pytest.raises(NotFound):
        await storage.open("missing")
    with pytest.raises(NotFound):
        await storage.size("missing")
    with pytest.raises(NotFound):
        await storage.partial_size("missing")
    with pytest.raises(NotFound):
        await storage.append("missing", 0, chunks_of(b"x"))
    with pytest.raises(NotFound):
        await storage.finish_partial("missing")


async def test_delete_is_idempotent(harness: Harness) -> None:
    await harness.storage.write("k", chunks_of(b"data"))
    await harness.storage.delete("k")
    assert not await harness.storage.exists("k")
    await harness.storage.delete("k")
    await harness.storage.delete("never-was")
    assert await harness.leftovers() == set()


async def test_open_can_stop_early(harness: Harness) -> None:
    await harness.storage.write("k", generated(2 * MiB))
    stream = await harness.storage.open("k")
    first = await anext(stream)
    assert first
    await stream.aclose()
    assert [chunk async for chunk in stream] == []
    await harness.storage.delete("k")


async def test_list_keys_with_prefix(harness: Harness) -> None:
    storage = harness.storage
    for key in ["drafts/a", "drafts/b", "draftsX", "att/c", "att/c/d", "e"]:
        await storage.write(key, chunks_of(key.encode()))
    await storage.create_partial("drafts/partial")
    assert {k async for k in storage.list_keys("drafts/")} == {"drafts/a", "drafts/b"}
    assert {k async for k in storage.list_keys("drafts")} == {"drafts/a", "drafts/b", "draftsX"}
    assert {k async for k in storage.list_keys()} == {
        "drafts/a",
        "drafts/b",
        "draftsX",
        "att/c",
        "att/c/d",
        "e",
    }
    assert [k async for k in storage.list_keys("nothing")] == []
    # A key and a "directory" of the same name live side by side.
    assert await read_all(harness, "att/c") == b"att/c"
    assert await read_all(harness, "att/c/d") == b"att/c/d"


VALID_KEYS = ["a", "-x", "_y", "abc/def.txt", "a.b.c", "x" * 255, "a/.b"]
INVALID_KEYS = [
    "",
    "/a",
    ".hidden",
    "../a",
    "a/../b",
    "a/..",
    "a/./b",
    "a//b",
    "a/",
    "a b",
    "a\\b",
    "é",
    "a~b",
    "a%2f",
    "x" * 256,
    "a\x00",
    "a\nb",
]


def test_new_key_is_random_and_valid() -> None:
    from app.storage import validate_key

    keys = {new_key() for _ in range(1000)}
    assert len(keys) == 1000
    for key in keys:
        assert validate_key(key) == key
        assert len(key) >= 40


@pytest.mark.parametrize("key", VALID_KEYS)
async def test_valid_keys(harness: Harness, key: str) -> None:
    await harness.storage.write(key, chunks_of(b"v"))
    assert await read_all(harness, key) == b"v"
    assert key in {k async for k in harness.storage.list_keys()}
    await harness.storage.delete(key)
    assert await harness.leftovers() == set()


@pytest.mark.parametrize("key", INVALID_KEYS)
async def test_invalid_keys(harness: Harness, key: str) -> None:
    storage = harness.storage
    with pytest.raises(InvalidKey):
        await storage.write(key, chunks_of(b"v"))
    with pytest.raises(InvalidKey):
        await storage.open(key)
    with pytest.raises(InvalidKey):
        await storage.exists(key)
    with pytest.raises(InvalidKey):
        await storage.size(key)
    with pytest.raises(InvalidKey):
        await storage.delete(key)
    with pytest.raises(InvalidKey):
        await storage.create_partial(key)
    with pytest.raises(InvalidKey):
        await storage.append(key, 0, chunks_of(b"v"))
    with pytest.raises(ValueError):  # InvalidKey is a ValueError too
        await storage.discard_partial(key)
    assert await harness.leftovers() == set()


# -- partial uploads ---------------------------------------------------------------------------


async def test_partial_upload_in_several_appends(harness: Harness) -> None:
    storage = harness.storage
    key = new_key()
    pieces = [os.urandom(100_000), b"", os.urandom(6 * MiB + 3), os.urandom(12345)]
    await storage.create_partial(key)
    assert await storage.partial_size(key) == 0
    offset = 0
    for piece in pieces:
        offset = await storage.append(
            key, offset, chunks_of(piece[: len(piece) // 2], piece[len(piece) // 2 :])
        )
        assert await storage.partial_size(key) == offset
    data = b"".join(pieces)
    assert offset == len(data)
    assert not await storage.exists(key)
    stored = await storage.finish_partial(key)
    assert stored == StoredObject(key, len(data), sha(data))
    assert await read_all(harness, key) == data
    with pytest.raises(NotFound):
        await storage.partial_size(key)
    assert [k async for k in storage.list_keys()] == [key]
    leftovers = await harness.leftovers()
    assert len(leftovers) == 1 and next(iter(leftovers)).endswith(key.replace("/", "~"))


async def test_empty_partial_finishes_as_empty_object(harness: Harness) -> None:
    await harness.storage.create_partial("p")
    assert await harness.storage.finish_partial("p") == StoredObject("p", 0, sha(b""))
    assert await harness.storage.size("p") == 0


async def test_create_partial_twice(harness: Harness) -> None:
    await harness.storage.create_partial("p")
    with pytest.raises(AlreadyExists):
        await harness.storage.create_partial("p")


async def test_offset_mismatch(harness: Harness) -> None:
    storage = harness.storage
    await storage.create_partial("p")
    assert await storage.append("p", 0, chunks_of(b"hello")) == 5
    for wrong in (0, 4, 6):
        with pytest.raises(OffsetMismatch) as caught:
            await storage.append("p", wrong, chunks_of(b"again"))
        assert (caught.value.expected, caught.value.given) == (5, wrong)
    assert await storage.partial_size("p") == 5
    assert await storage.append("p", 5, chunks_of(b" world")) == 11
    assert (await storage.finish_partial("p")).sha256 == sha(b"hello world")


async def test_failed_appends_keep_the_previous_offset(harness: Harness) -> None:
    storage = harness.storage
    await storage.create_partial("p")
    assert await storage.append("p", 0, chunks_of(b"abc"), max_size=10) == 3
    with pytest.raises(TooLarge) as caught:
        await storage.append("p", 3, chunks_of(b"defg", b"hijk"), max_size=10)
    assert caught.value.limit == 10
    assert await storage.partial_size("p") == 3
    with pytest.raises(ConnectionResetError):
        await storage.append("p", 3, generated(9 * MiB, fail_after=8 * MiB + 5))
    assert await storage.partial_size("p") == 3
    assert await storage.append("p", 3, chunks_of(b"defghij"), max_size=10) == 10
    assert (await storage.finish_partial("p")).sha256 == sha(b"abcdefghij")
    assert [k async for k in storage.list_keys()] == ["p"]
    assert len(await harness.leftovers()) == 1


async def test_discard_partial_leaves_nothing(harness: Harness) -> None:
    storage = harness.storage
    await storage.create_partial("p")
    await storage.append("p", 0, chunks_of(b"some bytes"))
    await storage.append("p", 10, chunks_of(b"more"))
    await storage.discard_partial("p")
    assert await harness.leftovers() == set()
    with pytest.raises(NotFound):
        await storage.partial_size("p")
    await storage.discard_partial("p")
    await storage.discard_partial("never-was")
    await storage.create_partial("p")  # the key is free again
    assert await storage.partial_size("p") == 0


async def test_partials_of_nested_keys_are_separate(harness: Harness) -> None:
    storage = harness.storage
    await storage.create_partial("a")
    await storage.create_partial("a/b")
    await storage.append("a/b", 0, chunks_of(b"inner"))
    assert await storage.partial_size("a") == 0
    await storage.discard_partial("a")
    assert await storage.partial_size("a/b") == 5
