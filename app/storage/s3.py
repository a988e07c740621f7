"""Objects in an S3 bucket (AWS, MinIO, Ceph, Garage, moto...), through aiobotocore.

Layout (under the optional `prefix`, e.g. "uploads/"):

    <prefix><key>                                   one object per key
    <prefix>.partials/<key>~/created                 marks a partial upload (empty)
    <prefix>.partials/<key>~/s<offset, 20 digits>   one segment per successful append

Writes: the body is gathered into parts of 8 MiB; a body smaller than one part goes up in one
PutObject, a larger one as a multipart upload, which is aborted on any error or cancellation
(the abort runs to its end even in a cancelled task) so no orphan parts are left to bill. Memory
held per write: about two parts (the part being filled and the copy sent).

Partial uploads (tus) are stored as segments, one per append, each written like an object (so
an append is all or nothing: a refused or broken append leaves no segment). `finish_partial`
streams the segments in order into the final object (computing its SHA-256 on the way, which
has to read every byte anyway because a hash state cannot be kept between requests) and then
deletes them. Why not one multipart upload fed across appends? Every part but the last must be
at least 5 MiB, so the tail of each append would have to wait somewhere: a local spool file
breaks as soon as two app servers share the bucket (the next PATCH may reach the other), and an
S3 tail object needs the same read-back and rewrite as segments do, plus bookkeeping of part
ETags. Segments are correct on any number of servers, the cost is one extra copy at finish.
All state lives in the bucket, so any server can answer any request of an upload.

Appends to one partial upload must be serialised by the caller (the tus layer locks the upload
row): two concurrent appends at the same offset would both pass the offset check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Coroutine
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Literal

from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from app.storage.base import (
    AlreadyExists,
    Metered,
    NotFound,
    ObjectStream,
    OffsetMismatch,
    StorageError,
    StoredObject,
    TooLarge,
    validate_key,
)

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef, ObjectIdentifierTypeDef

logger = logging.getLogger(__name__)

PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's floor for every part but the last
_PARTIALS = ".partials/"
_MARKER = "created"
_SEGMENT_RE = re.compile(r"s(\d{20})")
_PREFIX_RE = re.compile(r"[A-Za-z0-9_./-]*")
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING_CODES


class S3Storage:
    """Objects in one bucket, under an optional prefix (see the module docstring)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        addressing_style: Literal["auto", "path", "virtual"] | None = None,
        part_size: int = PART_SIZE,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 storage needs a bucket name")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        prefix = prefix.strip("/")
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self.part_size = part_size
        self._credentials = {
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "aws_session_token": session_token,
        }
        # A custom endpoint (MinIO, moto...) rarely resolves bucket subdomains: use paths there.
        self._addressing_style = addressing_style or ("path" if endpoint_url else "auto")
        self._client: S3Client | None = None
        self._stack: AsyncExitStack | None = None
        self._lock = asyncio.Lock()
        self._cleanups: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:  # never shows the credentials
        return (
            f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r},"
            f" endpoint_url={self.endpoint_url!r})"
        )

    async def _s3(self) -> S3Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    stack = AsyncExitStack()
                    config = AioConfig(
                        s3={"addressing_style": self._addressing_style},
                        # The newer default checksum headers are refused by several
                        # S3-compatible servers; send them only where S3 requires them.
                        request_checksum_calculation="when_required",
                        retries={"mode": "standard", "max_attempts": 3},
                    )
                    client: S3Client = await stack.enter_async_context(
                        get_session().create_client(
                            "s3",
                            region_name=self.region,
                            endpoint_url=self.endpoint_url,
                            config=config,
                            **self._credentials,
                        )
                    )
                    self._stack, self._client = stack, client
        return self._client

    async def aclose(self) -> None:
        if self._cleanups:
            await asyncio.gather(*self._cleanups, return_exceptions=True)
        if self._stack is not None:
            stack, self._stack, self._client = self._stack, None, None
            await stack.aclose()

    async def _finally(self, cleanup: Coroutine[Any, Any, None]) -> None:
        """Run a clean-up to its end, even when this task is being cancelled; never raise its error.

        It runs as its own task: a cancellation of the caller (even one repeated at each await,
        as anyio's cancel scopes do) interrupts only the waiting, not the clean-up.
        """
        task = asyncio.ensure_future(cleanup)
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)
        with contextlib.suppress(Exception):
            await asyncio.shield(task)

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    # -- objects -------------------------------------------------------------------------------

    async def write(
        self, key: str, chunks: AsyncIterable[bytes], *, max_size: int | None = None
    ) -> StoredObject:
        return await self._put(self._key(key), key, chunks, max_size)

    async def _put(
        self, s3_key: str, key: str, chunks: AsyncIterable[bytes], max_size: int | None
    ) -> StoredObject:
        client = await self._s3()
        meter = Metered(max_size)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []

        async def send_part(body: bytes) -> None:
            nonlocal upload_id
            if upload_id is None:
                created = await client.create_multipart_upload(Bucket=self.bucket, Key=s3_key)
                upload_id = created["UploadId"]
            number = len(parts) + 1
            sent = await client.upload_part(
                Bucket=self.bucket, Key=s3_key, UploadId=upload_id, PartNumber=number, Body=body
            )
            parts.append({"PartNumber": number, "ETag": sent["ETag"]})

        try:
            async for chunk in chunks:
                meter.take(chunk)
                buffer += chunk
                while len(buffer) >= self.part_size:
                    with memoryview(buffer) as view:
                        body = bytes(view[: self.part_size])
                    del buffer[: self.part_size]
                    await send_part(body)
                    del body
            if upload_id is None:
                await client.put_object(Bucket=self.bucket, Key=s3_key, Body=bytes(buffer))
            else:
                if buffer:
                    await send_part(bytes(buffer))
                buffer.clear()
                await client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=s3_key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
                upload_id = None
        except BaseException:
            if upload_id is not None:
                await self._finally(self._abort(s3_key, upload_id))
            raise
        return StoredObject(key, meter.size, meter.sha256)

    async def _abort(self, s3_key: str, upload_id: str) -> None:
        client = await self._s3()
        try:
            await client.abort_multipart_upload(Bucket=self.bucket, Key=s3_key, UploadId=upload_id)
        except Exception:
            logger.exception("could not abort multipart upload %s of %s", upload_id, s3_key)

    async def open(self, key: str) -> ObjectStream:
        return await self._open(self._key(key), key)

    async def _open(self, s3_key: str, key: str) -> ObjectStream:
        client = await self._s3()
        try:
            response = await client.get_object(Bucket=self.bucket, Key=s3_key)
        except ClientError as error:
            if _is_missing(error):
                raise NotFound(key) from None
            raise
        body = response["Body"]

        async def read(n: int) -> bytes:
            data: bytes = await body.read(n)
            return data

        async def close() -> None:
            body.close()

        return ObjectStream(key, response["ContentLength"], read, close)

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except NotFound:
            return False
        return True

    async def size(self, key: str) -> int:
        client = await self._s3()
        try:
            head = await client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _is_missing(error):
                raise NotFound(key) from None
            raise
        return head["ContentLength"]

    async def delete(self, key: str) -> None:
        client = await self._s3()
        await client.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        if not _PREFIX_RE.fullmatch(prefix):
            return
        async for s3_key, _size in self._list(self.prefix + prefix):
            key = s3_key[len(self.prefix) :]
            if key.startswith(_PARTIALS):
                continue
            try:
                yield validate_key(key)
            except ValueError:
                continue  # not one of ours

    async def _list(self, prefix: str) -> AsyncIterator[tuple[str, int]]:
        client = await self._s3()
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["Size"]

    async def _delete_many(self, s3_keys: list[str]) -> None:
        client = await self._s3()
        for start in range(0, len(s3_keys), 1000):
            batch: list[ObjectIdentifierTypeDef] = [
                {"Key": k} for k in s3_keys[start : start + 1000]
            ]
            result = await client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if result.get("Errors"):
                raise StorageError(f"could not delete some objects: {result['Errors']!r}")

    # -- partial uploads -----------------------------------------------------------------------

    def _partial_base(self, key: str) -> str:
        return f"{self.prefix}{_PARTIALS}{validate_key(key)}~/"

    async def _segments(self, key: str) -> tuple[list[tuple[int, str, int]], list[str]]:
        """The segments (offset, S3 key, size) in order, and every S3 key of the partial upload.

        NotFound if the partial upload was never created (or is gone).
        """
        base = self._partial_base(key)
        segments: list[tuple[int, str, int]] = []
        everything: list[str] = []
        created = False
        async for s3_key, size in self._list(base):
            everything.append(s3_key)
            name = s3_key[len(base) :]
            if name == _MARKER:
                created = True
            elif match := _SEGMENT_RE.fullmatch(name):
                segments.append((int(match.group(1)), s3_key, size))
        if not created:
            raise NotFound(key)
        segments.sort()
        expected = 0
        for offset, _s3_key, size in segments:
            if offset != expected:
                raise StorageError(f"partial upload {key!r} has a gap or overlap at {offset}")
            expected += size
        return segments, everything

    @staticmethod
    def _total(segments: list[tuple[int, str, int]]) -> int:
        return sum(size for _offset, _key, size in segments)

    async def create_partial(self, key: str) -> None:
        try:
            await self._segments(key)
        except NotFound:
            pass
        else:
            raise AlreadyExists(key)
        client = await self._s3()
        await client.put_object(Bucket=self.bucket, Key=self._partial_base(key) + _MARKER, Body=b"")

    async def append(
        self, key: str, offset: int, chunks: AsyncIterable[bytes], *, max_size: int | None = None
    ) -> int:
        segments, _ = await self._segments(key)
        current = self._total(segments)
        if current != offset:
            raise OffsetMismatch(key, current, offset)
        room = None if max_size is None else max_size - current
        if room is not None and room < 0:
            raise TooLarge(max_size or 0)
        segment = f"{self._partial_base(key)}s{offset:020d}"
        try:
            stored = await self._put(segment, key, chunks, room)
        except TooLarge:
            raise TooLarge(max_size or 0) from None
        return current + stored.size

    async def partial_size(self, key: str) -> int:
        segments, _ = await self._segments(key)
        return self._total(segments)

    async def finish_partial(self, key: str) -> StoredObject:
        segments, everything = await self._segments(key)

        async def content() -> AsyncGenerator[bytes, None]:
            for _offset, s3_key, _size in segments:
                async with await self._open(s3_key, key) as stream:
                    async for chunk in stream:
                        yield chunk

        async with contextlib.aclosing(content()) as chunks:
            stored = await self._put(self._key(key), key, chunks, None)
        await self._delete_many(everything)
        return stored

    async def discard_partial(self, key: str) -> None:
        base = self._partial_base(key)
        await self._delete_many([s3_key async for s3_key, _size in self._list(base)])
