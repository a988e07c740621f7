"""Conditional requests (RFC 9110 §13): entity tags on the API's JSON representations,
If-None-Match on reads (304) and If-Match on writes two clients could race (412).

An entity tag is strong and derived from the representation itself (SHA-256 of its JSON in a
canonical form, so that a body rendered by FastAPI and one rendered from a stored replay tag
alike), so it changes whenever anything shown changes, whatever table it comes from. A write's
If-Match is compared with the tag of what the matching read gives now; the rows' optimistic
locking (dossiers' row_version) then refuses a change that slips in between (409).
Resources whose rows count their versions (webhook subscriptions) are tagged by that version
instead (``version_tag``), and If-Match names the version a change was decided on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import PortalError

# Responses that carry a representation whose tag is worth giving.
_TAGGED_METHODS = frozenset({"GET", "POST", "PATCH"})
_TAGGED_STATUSES = frozenset({200, 201})
# Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
_KEPT_ON_304 = ("etag", "cache-control", "content-location", "vary")

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the representation this change was decided on: the"
        " dossier's (`GET /dossiers/{reference}`) for an applicant's change, its processing"
        " view's (`GET /dossiers/{code}/processing`) for an agency's action; each change's"
        " response gives the new one. When the resource has changed since, nothing is done"
        " and the answer is 412. Optional.",
        json_schema_extra={"maxLength": 1000},
    ),
]

ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": "Strong entity tag of this representation: send it back as"
        " If-None-Match to revalidate (304), or as If-Match to change it safely (412)",
        "schema": {"type": "string"},
    }
}
IF_NONE_MATCH: dict[str, Any] = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags of representations the client holds: 304 without a body when one"
    " of them is still current",
    "schema": {"type": "string", "maxLength": 1000},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "Not modified: the representation named in If-None-Match is current",
        "headers": ETAG_HEADER,
    }
}


class PreconditionFailed(PortalError):
    status = 412
    code = "precondition_failed"
    title_vi = "Dữ liệu đã thay đổi"
    title_en = "Precondition failed"

    def __init__(self) -> None:
        super().__init__(
            "Dữ liệu đã được thay đổi sau lần bạn đọc (If-Match không còn khớp): hãy đọc lại"
            " rồi quyết định lại.",
            message_en="The resource has changed since you read it (If-Match no longer"
            " matches): read it again and decide again.",
        )


def entity_tag(data: Any) -> str:
    """The strong entity tag of a representation, from its JSON data."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def none_match(header: str | None, tag: str) -> bool:
    """If-None-Match is false (the client's copy is current): weak comparison."""
    if header is None:
        return True
    tags = _tags(header)
    return not ("*" in tags or _opaque(tag) in {_opaque(t) for t in tags})


def version_tag(version: int) -> str:
    """The entity tag of a resource whose row counts its versions (a webhook subscription):
    ``W/"<version>"``, weak since a later release may render the same version with more."""
    return f'W/"{version}"'


def check_if_match_version(header: str | None, version: int) -> None:
    """PreconditionFailed unless If-Match (if given) is ``*`` or names ``version_tag(version)``:
    a version tag names one version of the resource exactly, so it matches with or without
    its W/."""
    if header is None:
        return
    tags = _tags(header)
    if "*" not in tags and _opaque(version_tag(version)) not in {_opaque(t) for t in tags}:
        raise PreconditionFailed()


async def check_if_match(header: str | None, read: Callable[[], Awaitable[BaseModel]]) -> None:
    """PreconditionFailed unless If-Match (if given) names what ``read`` gives now: strong
    comparison, so weak tags never match; ``*`` matches any existing representation."""
    if header is None:
        return
    tags = _tags(header)
    current = await read()
    if "*" not in tags and entity_tag(current.model_dump(mode="json")) not in tags:
        raise PreconditionFailed()


class ConditionalRoute(APIRoute):
    """Gives an ETag to each JSON representation the route returns, and answers a read whose
    If-None-Match names it with 304 and no body; its OpenAPI operation says so."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if not isinstance(self.response_class, DefaultPlaceholder):
            return  # files and other bodies of their own: no tag
        ok = self.status_code or 200
        responses = dict(self.responses)
        documented = responses.get(ok, {})
        headers = {**documented.get("headers", {}), **ETAG_HEADER}
        responses[ok] = {**documented, "headers": headers}
        if "GET" in (self.methods or set()):
            responses |= NOT_MODIFIED
            extra = self.openapi_extra or {}
            self.openapi_extra = {
                **extra,
                "parameters": [*extra.get("parameters", []), IF_NONE_MATCH],
            }
        self.responses = responses

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def conditional_handler(request: Request) -> Response:
            response = await handler(request)
            if (
                request.method not in _TAGGED_METHODS
                or response.status_code not in _TAGGED_STATUSES
                or response.media_type != "application/json"
                or not getattr(response, "body", None)
            ):
                return response
            tag = entity_tag(json.loads(bytes(response.body)))
            response.headers["ETag"] = tag
            if request.method == "GET" and not none_match(
                request.headers.get("if-none-match"), tag
            ):
                kept = {k: v for k, v in response.headers.items() if k in _KEPT_ON_304}
                return Response(status_code=304, headers=kept)
            return response

        return conditional_handler
