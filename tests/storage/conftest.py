"""Each storage test runs twice: on a local directory and on S3 (a moto server over real HTTP)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from moto.server import ThreadedMotoServer

from app.storage import FileStorage, LocalStorage, S3Storage

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, with dummy credentials in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DUMMY_AWS_ENV.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def s3_admin(moto_endpoint: str) -> AsyncIterator[Any]:
    """A plain aiobotocore client, to create buckets and look behind the storage's back."""
    async with get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=moto_endpoint
    ) as client:
        yield client


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
