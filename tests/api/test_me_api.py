"""`GET /api/v1/me` and the bearer API-key authentication it shares with later endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys, service
from app.accounts.schemas import ApiPrincipal
from app.api.auth import FORBIDDEN, UNAUTHORIZED, requires
from app.config import Settings
from app.db import request_session
from app.main import create_app
from tests.accounts.test_accounts_service import TAX_CODE, enterprise

PROBLEM = "application/problem+json"


async def _key(session: AsyncSession) -> str:
    await service.sign_up_enterprise(session, enterprise())
    _out, raw = await api_keys.create_api_key(
        session, enterprise_tax_code=TAX_CODE, name="ERP", scopes=["dossiers:read"]
    )
    return raw


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "unauthorized" and body["status"] == 401


async def test_me_with_a_good_key(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    raw = await _key(db_session)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "enterprise": {"tax_code": TAX_CODE, "name": "Công ty TNHH Minh Phát"},
        "api_key": {"name": "ERP", "prefix": raw[4:12], "scopes": ["dossiers:read"]},
    }


async def test_me_without_a_usable_key(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    raw = await _key(db_session)
    _assert_unauthorized(await client.get("/api/v1/me"))
    _assert_unauthorized(await client.get("/api/v1/me", headers={"Authorization": f"Basic {raw}"}))
    _assert_unauthorized(await client.get("/api/v1/me", headers={"Authorization": "Bearer"}))
    _assert_unauthorized(
        await client.get("/api/v1/me", headers={"Authorization": "Bearer mck_unknown-key"})
    )
    await api_keys.revoke_api_key(db_session, raw[4:12])
    response = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    )
    _assert_unauthorized(response)
    assert "API key" in response.json()["detail"]


async def test_openapi_declares_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["ApiKey"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"ApiKey": []}]
    assert PROBLEM in me["responses"]["401"]["content"]


async def test_a_key_without_the_scope_gets_403(
    settings: Settings, db_session: AsyncSession
) -> None:
    """The dependency later endpoints will use, on an app with one scoped route."""
    app = create_app(settings)

    @app.get("/api/v1/scoped", responses=UNAUTHORIZED | FORBIDDEN)
    async def scoped(
        principal: Annotated[ApiPrincipal, Depends(requires("dossiers:submit"))],
    ) -> str:
        return principal.key_name

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield db_session

    app.dependency_overrides[request_session] = test_session
    raw = await _key(db_session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/api/v1/scoped", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "insufficient_scope"
        assert 'scope="dossiers:submit"' in response.headers["www-authenticate"]
        _assert_unauthorized(await client.get("/api/v1/scoped"))
