"""storage_from_url: which backend a STORAGE_URL names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.storage import LocalStorage, S3Storage, storage_from_url


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("/srv/files", "/srv/files"),
        ("file:///srv/files", "/srv/files"),
        ("file://localhost/srv/my%20files", "/srv/my files"),
    ],
)
def test_local(url: str, root: str) -> None:
    storage = storage_from_url(url)
    assert isinstance(storage, LocalStorage)
    assert storage.root == Path(root)


def test_relative_path_is_local() -> None:
    storage = storage_from_url("var/uploads")
    assert isinstance(storage, LocalStorage)
    assert storage.root == Path.cwd() / "var" / "uploads"


def test_s3() -> None:
    storage = storage_from_url(
        "s3://motcua-files/uploads/2025?endpoint_url=http://127.0.0.1:9000&region=us-east-1"
    )
    assert isinstance(storage, S3Storage)
    assert storage.bucket == "motcua-files"
    assert storage.prefix == "uploads/2025/"
    assert storage.endpoint_url == "http://127.0.0.1:9000"
    assert storage.region == "us-east-1"


def test_s3_without_prefix_or_options() -> None:
    storage = storage_from_url("s3://bucket")
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix, storage.endpoint_url) == ("bucket", "", None)


def test_s3_credentials_stay_out_of_repr() -> None:
    storage = storage_from_url("s3://b/p?access_key=AKIA123&secret_key=very-secret")
    assert "very-secret" not in repr(storage)
    assert "AKIA123" not in repr(storage)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("ftp://host/files", "unknown storage URL scheme 'ftp'"),
        ("gs://bucket", "unknown storage URL scheme 'gs'"),
        ("file://otherhost/files", "remote host"),
        ("file:relative/path", "absolute path"),
        ("s3://", "s3://BUCKET"),
        ("s3://bucket?endpoint=http://x", "unknown S3 storage URL parameter(s) endpoint"),
        ("s3://bucket?access_key=a", "both access_key and secret_key"),
        ("s3://bucket?region=a&region=b", "exactly one value"),
        ("s3://bucket?addressing_style=weird", "addressing_style"),
    ],
)
def test_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        storage_from_url(url)
    assert message in str(caught.value)


def test_refusal_hides_secrets() -> None:
    with pytest.raises(ValueError) as caught:
        storage_from_url("s3://bucket?secret_key=hunter2&nope=1")
    assert "hunter2" not in str(caught.value)


async def test_s3_url_round_trip_with_query_credentials(moto_endpoint: str, s3_admin: Any) -> None:
    await s3_admin.create_bucket(Bucket="from-url")
    storage = storage_from_url(
        f"s3://from-url/some/prefix?endpoint_url={moto_endpoint}&region=us-east-1"
        "&access_key=testing&secret_key=testing"
    )
    try:
        stored = await storage.write("k", _chunks(b"hello"))
        assert stored.size == 5
        listed = await s3_admin.list_objects_v2(Bucket="from-url")
        assert [item["Key"] for item in listed["Contents"]] == ["some/prefix/k"]
    finally:
        await storage.aclose()


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
