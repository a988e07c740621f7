"""Fixtures of dossier tests: a filing catalog, applicants, and the configured storage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import CitizenSignUp
from app.catalog.importing import import_catalog
from app.config import Settings
from app.dossiers import service
from app.dossiers.schemas import Applicant
from app.storage import FileStorage, storage_from_url
from tests.fixtures.catalogs import PROCEDURE, small_catalog

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 20000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100


@pytest.fixture
async def filing(db_session: AsyncSession) -> str:
    """The small test procedure (one text field, one PDF slot, postal allowed), imported in the
    test's rolled-back transaction; returns its code."""
    await import_catalog(db_session, small_catalog())
    return PROCEDURE


async def make_citizen(session: AsyncSession, n: int = 1) -> Applicant:
    account = await accounts.sign_up_citizen(
        session,
        CitizenSignUp(
            full_name="Nguyễn Văn An",
            email=f"an{n}@example.com",
            phone=f"091234{n:04d}",
            citizen_id=f"0010{n:08d}",
            password="mat-khau-dai-du",
            password_confirm="mat-khau-dai-du",
        ),
    )
    return await service.applicant_for_account(session, account)


@pytest.fixture
async def citizen(db_session: AsyncSession) -> Applicant:
    return await make_citizen(db_session)


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[FileStorage]:
    store = storage_from_url(settings.storage_url)
    yield store
    await store.aclose()


async def chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
