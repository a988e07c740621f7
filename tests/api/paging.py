"""Reading a list of the API to its end, as a client would: page after page by the Link header,
checking on the way that every page has the same envelope and that Link and next_cursor agree."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx


async def all_pages(
    client: httpx.AsyncClient,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every item of a list, its pages followed by their `Link: rel="next"`."""
    items: list[dict[str, Any]] = []
    response = await client.get(path, params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        assert isinstance(page["items"], list)
        items += page["items"]
        following = response.links.get("next")
        if page["next_cursor"] is None:
            assert following is None, "the last page links nowhere"
            return items
        assert following is not None, "a page with a next one links to it"
        query = parse_qs(urlsplit(following["url"]).query)
        assert query["cursor"] == [page["next_cursor"]]
        # The next page keeps every other parameter of this one.
        assert {k: v for k, v in query.items() if k != "cursor"} == {
            k: [str(v).lower() if isinstance(v, bool) else str(v)] for k, v in params.items()
        }
        response = await client.get(following["url"], headers=headers)
