"""Every list of the API pages alike: `cursor` and `limit`, the `items` and `next_cursor`
envelope, a `Link: rel="next"` header while a next page exists; cursors refused alike."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.kit.pagination import CURSOR_MAX_LENGTH, InvalidCursor, Page, page_of
from tests.accounts.test_accounts_service import TAX_CODE
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    PROBLEM,
    agency_key,
    bearer,
    enterprise_key,
    import_api_catalog,
)
from tests.api.paging import all_pages
from tests.fixtures.processing import file_dossier


@pytest.fixture
async def enterprise(db_session: AsyncSession) -> dict[str, str]:
    """An enterprise's key with every scope, catalog:read included."""
    await import_api_catalog(db_session)
    return bearer(await enterprise_key(db_session, TAX_CODE, scopes=api_keys.ENTERPRISE_SCOPES))


@pytest.fixture
async def agency(db_session: AsyncSession) -> dict[str, str]:
    return bearer(await agency_key(db_session))


def _refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code
    assert [e["location"] for e in body["errors"]] == ["query.cursor"]


async def test_the_enterprise_reads_its_dossiers_page_by_page(
    client: httpx.AsyncClient, enterprise: dict[str, str]
) -> None:
    for _ in range(5):
        created = await client.post(
            "/api/v1/dossiers", json={"procedure": API_PROCEDURE}, headers=enterprise
        )
        assert created.status_code == 201, created.text
    whole = await all_pages(client, "/api/v1/dossiers", headers=enterprise, limit=100)
    assert len(whole) == 5
    paged = await all_pages(client, "/api/v1/dossiers", headers=enterprise, limit=2, drafts=True)
    assert paged == whole


@pytest.mark.usefixtures("desk")
async def test_the_agency_reads_its_queue_page_by_page(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
    agency: dict[str, str],
) -> None:
    codes = [await file_dossier(db_session, settings, applicant) for _ in range(3)]
    first = await client.get("/api/v1/queue", params={"limit": 2}, headers=agency)
    assert first.json()["count"] == 3 and len(first.json()["items"]) == 2
    assert first.links["next"]["url"].startswith("http://testserver/api/v1/queue?")
    paged = await all_pages(client, "/api/v1/queue", headers=agency, queue="to_receive", limit=1)
    assert [item["code"] for item in paged] == codes


async def test_lists_read_whole_are_paged_by_their_order(
    client: httpx.AsyncClient, enterprise: dict[str, str]
) -> None:
    agencies = await all_pages(client, "/api/v1/agencies", headers=enterprise, limit=100)
    assert await all_pages(client, "/api/v1/agencies", headers=enterprise, limit=3) == agencies
    first = await client.get("/api/v1/agencies", params={"limit": 1}, headers=enterprise)
    assert first.json()["items"] == agencies[:1]
    # A cursor names the last item seen: the next page starts after it, not at a position.
    following = await client.get(
        "/api/v1/agencies",
        params={"level": "commune", "cursor": first.json()["next_cursor"]},
        headers=enterprise,
    )
    communes = [a for a in agencies[1:] if a["level"] == "commune"]
    assert following.json()["items"] == communes[:20]


async def test_cursors_are_refused_alike(
    client: httpx.AsyncClient, enterprise: dict[str, str], agency: dict[str, str]
) -> None:
    fields = await client.get("/api/v1/fields", params={"limit": 1}, headers=enterprise)
    foreign = fields.json()["next_cursor"]
    # Another list's cursor holds another kind of key.
    _refused(
        await client.get("/api/v1/agencies", params={"cursor": foreign}, headers=enterprise),
        "invalid_input",
    )
    for path, key in (
        ("/api/v1/procedures", enterprise),
        ("/api/v1/agencies", enterprise),
        ("/api/v1/fields", enterprise),
        ("/api/v1/dossiers", enterprise),
        ("/api/v1/queue", agency),
    ):
        for cursor in ("abc!", "a" * (CURSOR_MAX_LENGTH + 1)):
            _refused(
                await client.get(path, params={"cursor": cursor}, headers=key), "invalid_request"
            )
        for limit in (0, 101):
            refused = await client.get(path, params={"limit": limit}, headers=key)
            assert refused.status_code == 422, path
            assert [e["location"] for e in refused.json()["errors"]] == ["query.limit"]


def test_a_page_continues_after_the_last_item_seen_when_others_come_and_go() -> None:
    items = ["b", "d", "f", "h"]

    def key(item: str) -> tuple[str]:
        return (item,)

    first = page_of(items, key, (str,), None, 2)
    assert first.items == ["b", "d"] and first.next_cursor is not None
    # "d" goes and "c" and "e" come before the next page is read.
    later = ["b", "c", "e", "f", "h"]
    second = page_of(later, key, (str,), first.next_cursor, 2)
    assert second.items == ["e", "f"] and second.next_cursor is not None
    assert page_of(later, key, (str,), second.next_cursor, 2) == Page(items=["h"], next_cursor=None)
    assert page_of([], key, (str,), None, 2) == Page(items=[], next_cursor=None)
    with pytest.raises(InvalidCursor):
        page_of(items, key, (int,), first.next_cursor, 2)
