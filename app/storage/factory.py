"""Choosing the storage backend from one URL (the STORAGE_URL setting).

Accepted forms:

- a plain path, relative or absolute: ``var/uploads``, ``/srv/motcua/files``
  → LocalStorage rooted there;
- ``file:///srv/motcua/files`` (or ``file://localhost/...``; percent-escapes are decoded)
  → LocalStorage;
- ``s3://BUCKET[/PREFIX][?QUERY]`` → S3Storage on that bucket, under the optional key prefix.
  Query parameters (all optional):

  ``endpoint_url``    the S3 endpoint for MinIO, Ceph, Garage, moto... (``http://127.0.0.1:9000``);
                      absent: AWS itself
  ``region``          e.g. ``us-east-1``; absent: from AWS_REGION / AWS_DEFAULT_REGION / config
  ``access_key``, ``secret_key``, ``session_token``
                      credentials; absent: botocore's usual chain, i.e. the environment variables
                      AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, then
                      AWS_PROFILE / ~/.aws, then the instance or container role. Prefer the
                      environment: a URL with a secret tends to end up in logs.
  ``addressing_style`` ``path``, ``virtual`` or ``auto``; default ``path`` when endpoint_url is
                      given (custom servers rarely serve bucket sub-domains), else ``auto``

  Example: ``s3://motcua-files/uploads?endpoint_url=http://127.0.0.1:9000&region=us-east-1``

Anything else (``ftp://...``, ``gs://...``, an unknown query parameter) raises ValueError.
"""

from __future__ import annotations

import re
from typing import Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

from app.storage.base import FileStorage
from app.storage.local import LocalStorage
from app.storage.s3 import S3Storage

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
_S3_PARAMS = {
    "endpoint_url",
    "region",
    "access_key",
    "secret_key",
    "session_token",
    "addressing_style",
}
_ADDRESSING_STYLES = ("auto", "path", "virtual")


def storage_from_url(url: str) -> FileStorage:
    """The storage a URL (or plain path) names; ValueError for what cannot be understood."""
    if not url or not url.strip():
        raise ValueError("the storage URL is empty")
    url = url.strip()
    scheme_match = _SCHEME_RE.match(url)
    if scheme_match is None:
        return LocalStorage(url)
    scheme = scheme_match.group(1).lower()
    parts = urlsplit(url)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file storage URL with a remote host is not supported: {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"a file storage URL takes no query or fragment: {url!r}")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ValueError(f"a file storage URL needs an absolute path (file:///...): {url!r}")
        return LocalStorage(path)
    if scheme == "s3":
        return _s3_from_url(url)
    raise ValueError(
        f"unknown storage URL scheme {scheme!r} in {_redact(url)!r}: use a path, file:///path"
        " or s3://bucket/prefix"
    )


def _s3_from_url(url: str) -> S3Storage:
    parts = urlsplit(url)
    bucket = parts.hostname or ""
    if not bucket or parts.username or parts.password or parts.port:
        raise ValueError(f"an S3 storage URL is s3://BUCKET[/PREFIX][?...]: {_redact(url)!r}")
    if parts.fragment:
        raise ValueError(f"an S3 storage URL takes no fragment: {_redact(url)!r}")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = sorted(set(query) - _S3_PARAMS)
    if unknown:
        raise ValueError(
            f"unknown S3 storage URL parameter(s) {', '.join(unknown)}; accepted:"
            f" {', '.join(sorted(_S3_PARAMS))}"
        )
    params: dict[str, str] = {}
    for name, values in query.items():
        if len(values) != 1 or not values[0]:
            raise ValueError(f"S3 storage URL parameter {name!r} needs exactly one value")
        params[name] = values[0]
    if ("access_key" in params) != ("secret_key" in params):
        raise ValueError("give both access_key and secret_key in the S3 storage URL, or neither")
    style = params.get("addressing_style")
    if style is not None and style not in _ADDRESSING_STYLES:
        raise ValueError(f"addressing_style must be one of {', '.join(_ADDRESSING_STYLES)}")
    return S3Storage(
        bucket,
        unquote(parts.path).strip("/"),
        endpoint_url=params.get("endpoint_url"),
        region=params.get("region"),
        access_key=params.get("access_key"),
        secret_key=params.get("secret_key"),
        session_token=params.get("session_token"),
        addressing_style=cast(Literal["auto", "path", "virtual"] | None, style),
    )


def _redact(url: str) -> str:
    """The URL without secret values, for error messages."""
    return re.sub(r"((?:secret_key|session_token)=)[^&]*", r"\1***", url)
