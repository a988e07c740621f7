"""Conditional requests on the API: ETags on representations, If-None-Match (304) on reads,
If-Match (412) on the writes two clients could race."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.problems import problem_type
from app.config import Settings
from app.dossiers.schemas import Applicant
from tests.api.dossier_helpers import (
    API_PROCEDURE,
    POSTAL_ADDRESS,
    PROBLEM,
    agency_key,
    bearer,
)
from tests.fixtures.catalogs import CHILD_AGENCY
from tests.fixtures.processing import Desk, file_dossier

DOSSIERS = "/api/v1/dossiers"


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 412, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == problem_type("precondition_failed")


async def test_a_read_is_revalidated_with_its_etag(client: httpx.AsyncClient, key: str) -> None:
    created = await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    url = f"{DOSSIERS}/{created.json()['reference']}"
    first = await client.get(url, headers=bearer(key))
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag == created.headers["etag"]
    for held in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        cached = await client.get(url, headers=bearer(key, **{"If-None-Match": held}))
        assert cached.status_code == 304 and cached.content == b"", held
        assert cached.headers["etag"] == tag
    stale = await client.get(url, headers=bearer(key, **{"If-None-Match": '"other"'}))
    assert stale.status_code == 200 and stale.json() == first.json()
    # Lists are representations too.
    listed = await client.get(DOSSIERS, headers=bearer(key))
    again = await client.get(
        DOSSIERS, headers=bearer(key, **{"If-None-Match": listed.headers["etag"]})
    )
    assert again.status_code == 304


async def test_a_change_decided_on_an_old_read_is_refused(
    client: httpx.AsyncClient, key: str
) -> None:
    created = await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    url = f"{DOSSIERS}/{created.json()['reference']}"
    read = (await client.get(url, headers=bearer(key))).headers["etag"]

    first = await client.patch(
        url, json={"data": {"full_name": "An"}}, headers=bearer(key, **{"If-Match": read})
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != read

    # The second writer read before the first wrote: nothing it sends is applied.
    second = await client.patch(
        url, json={"data": {"full_name": "Bình"}}, headers=bearer(key, **{"If-Match": read})
    )
    _refused(second)
    for weak in (f"W/{first.headers['etag']}",):
        _refused(await client.patch(url, json={}, headers=bearer(key, **{"If-Match": weak})))
    _refused(await client.delete(url, headers=bearer(key, **{"If-Match": read})))
    _refused(await client.post(f"{url}/submit", headers=bearer(key, **{"If-Match": read})))
    assert (await client.get(url, headers=bearer(key))).json()["data"]["full_name"] == "An"

    # If-Match stays optional; the current tag and * both let the change through.
    assert (await client.patch(url, json={}, headers=bearer(key))).status_code == 200
    assert (
        await client.patch(url, json={}, headers=bearer(key, **{"If-Match": "*"}))
    ).status_code == 200
    current = (await client.get(url, headers=bearer(key))).headers["etag"]
    deleted = await client.delete(url, headers=bearer(key, **{"If-Match": current}))
    assert deleted.status_code == 204


@pytest.mark.usefixtures("desk")
async def test_an_action_on_an_old_processing_view_is_refused(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
    desk: Desk,
) -> None:
    raw = await agency_key(db_session)
    code = await file_dossier(db_session, settings, applicant)
    view = await client.get(f"{DOSSIERS}/{code}/processing", headers=bearer(raw))
    tag = view.headers["etag"]
    received = await client.post(
        f"{DOSSIERS}/{code}/actions/receive", json={}, headers=bearer(raw, **{"If-Match": tag})
    )
    assert received.status_code == 200, received.text
    retaken = await client.post(
        f"{DOSSIERS}/{code}/actions/take", json={}, headers=bearer(raw, **{"If-Match": tag})
    )
    _refused(retaken)
    fresh = await client.get(f"{DOSSIERS}/{code}/processing", headers=bearer(raw))
    assert fresh.headers["etag"] == received.headers["etag"]


async def test_a_write_gives_the_etag_of_the_next_read(
    client: httpx.AsyncClient, db_session: AsyncSession, key: str
) -> None:
    """A client chains writes with the ETag each one answers, never reading in between."""
    created = await client.post(DOSSIERS, json={"procedure": API_PROCEDURE}, headers=bearer(key))
    url = f"{DOSSIERS}/{created.json()['reference']}"
    writes = [
        ("PATCH", "", {"data": {"full_name": "Nguyễn Văn An"}}),
        (
            "PATCH",
            "",
            {"agency": CHILD_AGENCY, "delivery": {"method": "post", "address": POSTAL_ADDRESS}},
        ),
        ("POST", "/submit", None),
        ("POST", "/withdraw", {"reason": "Nộp nhầm thủ tục"}),
    ]
    tag = created.headers["etag"]
    for method, suffix, body in writes:
        # A real server reads the rows afresh for each request, as a new session does.
        db_session.expire_all()
        written = await client.request(
            method, url + suffix, json=body, headers=bearer(key, **{"If-Match": tag})
        )
        assert written.status_code == 200, (suffix, written.text)
        tag = written.headers["etag"]
        db_session.expire_all()
        read = await client.get(url, headers=bearer(key))
        assert read.json() == written.json(), suffix
        assert read.headers["etag"] == tag, suffix
    assert read.json()["status"]["code"] == 7
