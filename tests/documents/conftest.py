"""Fixtures of document tests: the configured storage and a dossier to issue documents on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.importing import import_catalog
from app.config import Settings
from app.dossiers import service as dossiers
from app.models.dossiers import Dossier
from app.storage import FileStorage, storage_from_url
from tests.dossiers.conftest import make_citizen
from tests.fixtures.catalogs import PROCEDURE, small_catalog


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[FileStorage]:
    store = storage_from_url(settings.storage_url)
    yield store
    await store.aclose()


@pytest.fixture
async def dossier_id(db_session: AsyncSession, settings: Settings) -> int:
    """A draft of the small test procedure, in the test's rolled-back transaction."""
    await import_catalog(db_session, small_catalog())
    citizen = await make_citizen(db_session)
    draft = await dossiers.start_draft(db_session, citizen, PROCEDURE, settings)
    found = await db_session.scalar(select(Dossier.id).where(Dossier.reference == draft.reference))
    assert found is not None
    return found
