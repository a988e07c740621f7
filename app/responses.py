"""Downloads as the API and the pages give them alike; both faces import this, it imports
neither (app.kit stays free of HTTP frameworks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse

from app.kit.downloads import attachment_headers, closing
from app.processing.reports import Export


def exported(export: Export) -> Response:
    """A report made in memory (routing slip, register) as a file to download."""
    return Response(
        export.content, media_type=export.media_type, headers=attachment_headers(export.filename)
    )


def streamed(
    stream: AsyncIterator[bytes], media_type: str, name: str, size: int | None
) -> StreamingResponse:
    """A stored file as a download, its storage stream closed even if the reader goes away."""
    return StreamingResponse(
        closing(stream), media_type=media_type, headers=attachment_headers(name, size)
    )
