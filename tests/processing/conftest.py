"""Fixtures of processing tests: an agency with its desk, specialist, leader and clerk, a
second agency, signing keys, and dossiers filed by a citizen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.catalog.importing import import_catalog
from app.config import Settings
from app.documents import service as documents
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.models.dossiers import Delivery
from app.processing import service
from app.processing.schemas import Actor
from app.storage import FileStorage, storage_from_url
from tests.dossiers.conftest import make_citizen
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY, PROCEDURE, small_catalog

ROLES = ("receiver", "specialist", "leader", "clerk", "admin")
PASSWORD = "mat-khau-dai-du"


@dataclass
class Desk:
    """The officials of the commune that handles the test procedure, one per role, and an
    official of the province (another agency) holding every role."""

    by_role: dict[str, Actor]
    outsider: Actor

    def __getitem__(self, role: str) -> Actor:
        return self.by_role[role]


async def make_official(
    session: AsyncSession, email: str, agency: str, roles: list[str], unit: str | None = None
) -> Actor:
    official = await officials.create_official(
        session,
        email=email,
        password=PASSWORD,
        full_name=f"Cán bộ {email.split('@')[0]}",
        agency_code=agency,
        roles=roles,
        unit_code=unit,
    )
    return service.actor_for_official(official)


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[FileStorage]:
    store = storage_from_url(settings.storage_url)
    yield store
    await store.aclose()


@pytest.fixture
async def desk(db_session: AsyncSession, settings: Settings) -> Desk:
    await import_catalog(db_session, small_catalog())
    await documents.load_demo_signing_keys(db_session, settings)
    by_role = {
        role: await make_official(db_session, f"{role}@commune.example", CHILD_AGENCY, [role])
        for role in ROLES
    }
    outsider = await make_official(db_session, "all@province.example", AGENCY, list(ROLES))
    return Desk(by_role, outsider)


@pytest.fixture
async def applicant(db_session: AsyncSession) -> Applicant:
    return await make_citizen(db_session, 7)


async def file_dossier(
    session: AsyncSession,
    settings: Settings,
    applicant: Applicant,
    delivery: Delivery = Delivery.online,
) -> str:
    """A dossier of the test procedure, submitted online; returns its code."""
    draft = await dossiers.start_draft(session, applicant, PROCEDURE, settings)
    await dossiers.update_draft(
        session,
        applicant,
        draft.reference,
        DraftChanges(
            data={"full_name": "Nguyễn Văn An"},
            agency=CHILD_AGENCY,
            delivery=DeliveryIn(method=delivery),
        ),
        settings,
    )
    submitted = await dossiers.submit(session, applicant, draft.reference, settings)
    assert submitted.code is not None
    return submitted.code
