"""Page tests: the same fixtures as the rest (tests/conftest.py), plus language helpers and a
signed-in citizen with a draft of the building permit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from people import Person, browse_as, make_person, post_form
from permit import START_URL
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture(params=["vi", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    """Each page test that takes it runs once per language."""
    value: str = request.param
    return value


@pytest.fixture
async def citizen(client: httpx.AsyncClient, db_session: AsyncSession) -> Person:
    """A citizen, signed in on the client (in Vietnamese)."""
    person = await make_person(db_session)
    browse_as(client, person)
    return person


@pytest.fixture
async def permit_draft(client: httpx.AsyncClient, citizen: Person) -> str:
    """The reference of the citizen's new draft of the building permit."""
    response = await post_form(client, START_URL, [])
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/ho-so/nhap/") and location.endswith("?trang=1")
    return location.removeprefix("/ho-so/nhap/").removesuffix("?trang=1")


@pytest.fixture
async def elsewhere(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser over the same app and test session, at an address of its own: lookups
    are throttled per address, and tests over a live server commit theirs from 127.0.0.1."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        yield other
