"""Fixtures and settings shared by the API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.test_accounts_service import TAX_CODE
from tests.api.dossier_helpers import enterprise_key, import_api_catalog, request_client

# tus PATCH bodies are raw bytes under their own media type: schemathesis sends them as it sends
# application/octet-stream (it knows no serializer for the tus type otherwise).
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """A client over the app sharing the test's rolled-back session, each request in a
    savepoint rolled back when it fails, as the real unit of work would be."""
    async with request_client(app, db_session) as http:
        yield http


@pytest.fixture
async def key(db_session: AsyncSession) -> str:
    """The raw key of an enterprise (TAX_CODE) that submits and reads dossiers of the API
    catalog, imported first."""
    await import_api_catalog(db_session)
    return await enterprise_key(db_session, TAX_CODE)
