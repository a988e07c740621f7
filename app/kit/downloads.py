"""What every download the portal gives carries, for the API and the pages alike."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from urllib.parse import quote


def content_disposition(name: str) -> str:
    """`attachment` with the UTF-8 name (RFC 5987) and an ASCII fallback for old clients."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    fallback = (
        "".join(c for c in folded if c.isascii() and c.isprintable() and c not in '"\\;').strip()
        or "tep"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_headers(name: str, size: int | None = None) -> dict[str, str]:
    """A private download the browser saves and never sniffs into something it would run."""
    headers = {
        "Content-Disposition": content_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if size is not None:
        headers["Content-Length"] = str(size)
    return headers


async def closing(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream's chunks; the storage stream is closed even if the reader goes away."""
    try:
        async for chunk in stream:
            yield chunk
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
