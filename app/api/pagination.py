"""Cursor pagination as every list of the API gives it: the `cursor` and `limit` parameters,
the `items` and `next_cursor` envelope, and a `Link` header to the next page (RFC 8288)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field

from app.errors import InvalidPageCursor
from app.kit.pagination import (
    CURSOR_MAX_LENGTH,
    CURSOR_PATTERN,
    PAGE_MAX,
    PAGE_SIZE,
    CursorKey,
    InvalidCursor,
    Page,
    page_of,
)


class _Paged(Protocol):
    @property
    def next_cursor(self) -> str | None: ...


T = TypeVar("T")
P = TypeVar("P", bound=_Paged)

NEXT_CURSOR = (
    'Pass as `cursor` to get the next page (the `Link` header with `rel="next"` gives its'
    " whole address); null on the last page"
)

# Merged into a list operation's `responses`: its 200 may carry the Link header.
PAGED: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Link": {
                "description": 'The next page, as `<URL>; rel="next"`; absent on the last page',
                "schema": {"type": "string"},
            }
        }
    }
}


class CursorPage(BaseModel, Generic[T]):
    """One page of a list; subclassed per item type to give the page a name of its own."""

    items: list[T]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


@dataclass(frozen=True)
class Paging:
    """The page a request asks for, and the means to answer it."""

    cursor: str | None
    limit: int
    request: Request
    response: Response

    def answer(self, page: P) -> P:
        """The page as given, its next page linked from the response's headers."""
        if page.next_cursor is not None:
            following = self.request.url.include_query_params(cursor=page.next_cursor)
            self.response.headers["Link"] = f'<{following}>; rel="next"'
        return page

    def of(
        self, items: Iterable[T], key: Callable[[T], CursorKey], shape: Sequence[type]
    ) -> Page[T]:
        """The page asked for of a short list read whole, in the order of ``key``."""
        try:
            return page_of(items, key, shape, self.cursor, self.limit)
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc


def _paging(
    request: Request,
    response: Response,
    cursor: Annotated[
        str | None,
        Query(
            max_length=CURSOR_MAX_LENGTH,
            pattern=CURSOR_PATTERN,
            description="`next_cursor` of the previous page; none for the first page",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=PAGE_MAX, description="The most items a page holds")
    ] = PAGE_SIZE,
) -> Paging:
    return Paging(cursor=cursor, limit=limit, request=request, response=response)


PageQuery = Annotated[Paging, Depends(_paging)]
