"""What the dossier API tests share: a filing catalog, enterprises with API keys, files."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.accounts import service as accounts
from app.catalog.importing import import_catalog
from app.db import request_session
from app.forms.identifiers import tax_check_digit
from tests.accounts.test_accounts_service import enterprise
from tests.dossiers.conftest import PDF, PNG
from tests.fixtures.catalogs import AGENCY, CHILD_AGENCY, small_catalog

__all__ = ["AGENCY", "CHILD_AGENCY", "PDF", "PNG"]

PROBLEM = "application/problem+json"
API_PROCEDURE = "9.000002"
BOTH_SCOPES = ("dossiers:submit", "dossiers:read")
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 200
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
POSTAL_ADDRESS = {
    "recipient": "Trần Thị Bình",
    "phone": "0912345678",
    "province": "15",
    "commune": "02647",
    "street": "Số 1 đường Hoàng Liên",
}


def api_catalog() -> dict[str, Any]:
    """The small test catalog with one more procedure: two agencies to choose from, a required
    name, an optional PDF declaration and an optional photo (PNG or JPEG)."""
    catalog = small_catalog()
    procedure = dict(catalog["procedures"][0])
    procedure["code"] = API_PROCEDURE
    procedure["name"] = "Thủ tục thử nghiệm của API"
    procedure["levels"] = ["province", "commune"]
    procedure["agencies"] = [AGENCY, CHILD_AGENCY]
    fields = procedure["form"]["sections"][0]["fields"]
    procedure["form"]["sections"][0]["fields"] = [
        *fields,
        {
            "key": "photo",
            "type": "file",
            "label": {"vi": "Ảnh", "en": "Photo"},
            "accept": ["image/png", "image/jpeg"],
            "max_files": 2,
        },
    ]
    catalog["procedures"].append(procedure)
    return catalog


async def import_api_catalog(session: AsyncSession) -> str:
    await import_catalog(session, api_catalog())
    return API_PROCEDURE


def random_tax_code() -> str:
    """A valid tax code no other test uses (enterprises of live-server tests are committed)."""
    while True:
        first = f"{random.randrange(10**8, 10**9):09d}"
        check = tax_check_digit(first)
        if check is not None:
            return f"{first}{check}"


async def enterprise_key(
    session: AsyncSession,
    tax_code: str,
    *,
    scopes: tuple[str, ...] = BOTH_SCOPES,
    name: str = "ERP",
    new_enterprise: bool = True,
    rate_limit: int | None = None,
) -> str:
    """A raw API key of the enterprise (signed up first unless ``new_enterprise`` is false),
    allowed ``rate_limit`` requests a minute (the portal's default without one)."""
    if new_enterprise:
        await accounts.sign_up_enterprise(
            session,
            enterprise(
                tax_code=tax_code,
                email=f"staff-{tax_code}@example.com",
                phone=f"09{tax_code[-8:]}",
            ),
        )
    _out, raw = await api_keys.create_api_key(
        session,
        enterprise_tax_code=tax_code,
        name=name,
        scopes=list(scopes),
        rate_limit=rate_limit,
    )
    return raw


async def agency_key(session: AsyncSession, agency: str = CHILD_AGENCY) -> str:
    """A raw API key with which the agency's one-stop software processes its dossiers."""
    _out, raw = await api_keys.create_api_key(
        session, agency_code=agency, name="Phần mềm một cửa", scopes=[api_keys.SCOPE_PROCESS]
    )
    return raw


def bearer(raw: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}", **extra}


@asynccontextmanager
async def request_client(
    app: FastAPI, session: AsyncSession, *, address: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client over the app whose requests share the test's rolled-back session, each in a
    savepoint rolled back when the request fails, as the real unit of work would be."""

    async def unit_of_work() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    app.dependency_overrides[request_session] = unit_of_work
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        app.dependency_overrides.clear()
