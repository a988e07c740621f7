"""File storage: objects (byte streams under keys) and partial uploads, on disk or in S3.

    storage = storage_from_url(settings.storage_url)   # see app.storage.factory for URL forms
    key = new_key()
    stored = await storage.write(key, request_chunks, max_size=limit)  # key, size, sha256
    async with await storage.open(key) as stream:
        async for chunk in stream: ...

This package deals in keys and bytes only: it knows nothing of HTTP, the database or file
names given by users (never make a key from one; use new_key()).
"""

from app.storage.base import (
    MAX_KEY_LENGTH,
    AlreadyExists,
    FileStorage,
    InvalidKey,
    NotFound,
    ObjectStream,
    OffsetMismatch,
    StorageError,
    StoredObject,
    TooLarge,
    new_key,
    validate_key,
)
from app.storage.factory import storage_from_url
from app.storage.local import LocalStorage
from app.storage.s3 import S3Storage

__all__ = [
    "MAX_KEY_LENGTH",
    "AlreadyExists",
    "FileStorage",
    "InvalidKey",
    "LocalStorage",
    "NotFound",
    "ObjectStream",
    "OffsetMismatch",
    "S3Storage",
    "StorageError",
    "StoredObject",
    "TooLarge",
    "new_key",
    "storage_from_url",
    "validate_key",
]
