"""Each storage test runs twice: on a local directory and on S3 (a moto server over real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.storage import FileStorage, LocalStorage, S3Storage


@dataclass
class Harness:
    kind: str
    storage: FileStorage
    leftovers: Callable[[], Awaitable[set[str]]]
    """Everything stored, objects as well as temp files, partials and multipart uploads."""


_bucket_counter = 0


@pytest.fixture(params=["local", "s3"])
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, moto_endpoint: str, s3_admin: Any
) -> AsyncIterator[Harness]:
    if request.param == "local":
        root = tmp_path / "files"
        local = LocalStorage(root)

        async def local_leftovers() -> set[str]:
            return {
                path.relative_to(root).as_posix() for path in root.rglob("*") if not path.is_dir()
            }

        yield Harness("local", local, local_leftovers)
        await local.aclose()
        return

    admin = s3_admin
    global _bucket_counter
    _bucket_counter += 1
    bucket = f"test-bucket-{_bucket_counter}"
    await admin.create_bucket(Bucket=bucket)
    s3 = S3Storage(bucket, "files", endpoint_url=moto_endpoint, region="us-east-1")

    async def s3_leftovers() -> set[str]:
        found: set[str] = set()
        listed = await admin.list_objects_v2(Bucket=bucket)
        found.update(item["Key"] for item in listed.get("Contents", []))
        uploads = await admin.list_multipart_uploads(Bucket=bucket)
        found.update(f"upload:{u['Key']}" for u in uploads.get("Uploads", []))
        return found

    yield Harness("s3", s3, s3_leftovers)
    await s3.aclose()
