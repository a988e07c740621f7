"""API keys as a product: the scopes of each owner, expiry, revocation by the owner, and the
requests a key may make in a minute, counted in the database (also over real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys, service
from app.accounts.errors import (
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyNotFound,
    Unauthorized,
)
from app.db import Database
from app.kit.clock import utcnow
from app.models.accounts import ApiKey, ApiRateWindow
from tests.accounts.test_accounts_service import TAX_CODE, enterprise

AGENCY = "000.00.41.H39"
OTHER_AGENCY = "000.00.42.H39"
PROBLEM = "application/problem+json"


async def test_each_owner_may_hold_its_own_scopes(db_session: AsyncSession) -> None:
    await service.sign_up_enterprise(db_session, enterprise())
    every = list(api_keys.KNOWN_SCOPES)
    assert every == [
        "catalog:read",
        "dossiers:submit",
        "dossiers:read",
        "dossiers:process",
        "webhooks:manage",
        "stats:read",
    ]
    firm, _raw = await api_keys.create_api_key(
        db_session, enterprise_tax_code=TAX_CODE, name="Firm", scopes=api_keys.ENTERPRISE_SCOPES
    )
    assert firm.scopes == [
        api_keys.SCOPE_CATALOG,
        api_keys.SCOPE_SUBMIT,
        api_keys.SCOPE_READ,
        api_keys.SCOPE_WEBHOOKS,
        api_keys.SCOPE_STATS,
    ]
    agency, _raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY, name="Agency", scopes=reversed(api_keys.AGENCY_SCOPES)
    )
    assert agency.scopes == [
        api_keys.SCOPE_CATALOG,
        api_keys.SCOPE_PROCESS,
        api_keys.SCOPE_WEBHOOKS,
        api_keys.SCOPE_STATS,
    ]
    for owner, refused in (
        ({"enterprise_tax_code": TAX_CODE}, api_keys.SCOPE_PROCESS),
        ({"agency_code": AGENCY}, api_keys.SCOPE_SUBMIT),
        ({"agency_code": AGENCY}, api_keys.SCOPE_READ),
    ):
        with pytest.raises(ApiKeyInvalid) as exc:
            await api_keys.create_api_key(
                db_session, name="x", scopes=[api_keys.SCOPE_CATALOG, refused], **owner
            )
        assert [p.location for p in exc.value.problems] == ["scopes"]


async def test_expiry_and_rate_limit_are_checked_and_kept(db_session: AsyncSession) -> None:
    with pytest.raises(ApiKeyInvalid) as exc:
        await api_keys.create_api_key(
            db_session,
            agency_code=AGENCY,
            name="x",
            scopes=[api_keys.SCOPE_CATALOG],
            expires_at=utcnow() - timedelta(seconds=1),
            rate_limit=0,
        )
    problems = {p.location: p for p in exc.value.problems}
    assert set(problems) == {"expires_at", "rate_limit"}
    assert problems["expires_at"].message == "Ngày hết hạn phải ở sau hôm nay"
    assert problems["rate_limit"].message_en.startswith("The limit must be a whole number")
    with pytest.raises(ApiKeyInvalid) as exc:
        await api_keys.create_api_key(
            db_session,
            agency_code=AGENCY,
            name="x",
            scopes=[api_keys.SCOPE_CATALOG],
            expires_at=utcnow() + timedelta(days=11 * 366),
            rate_limit=api_keys.MAX_RATE_LIMIT + 1,
        )
    assert {p.location for p in exc.value.problems} == {"expires_at", "rate_limit"}
    ends = api_keys.end_of_day(date(2031, 1, 31), "Asia/Ho_Chi_Minh")
    assert ends == datetime(2031, 1, 31, 16, 59, 59, tzinfo=UTC)
    made, _raw = await api_keys.create_api_key(
        db_session,
        agency_code=AGENCY,
        name="Until 2031",
        scopes=[api_keys.SCOPE_CATALOG],
        expires_at=ends,
        rate_limit=30,
    )
    assert made.expires_at == ends and made.rate_limit == 30
    assert made.state(utcnow()) == "active"
    assert made.state(ends) == "expired"
    [listed] = await api_keys.list_api_keys(db_session, agency_code=AGENCY)
    assert listed.expires_at == ends and listed.rate_limit == 30


async def test_an_expired_key_is_refused_as_expired(db_session: AsyncSession) -> None:
    made, raw = await api_keys.create_api_key(
        db_session,
        agency_code=AGENCY,
        name="Short-lived",
        scopes=[api_keys.SCOPE_CATALOG],
        expires_at=api_keys.after_days(1),
    )
    assert await api_keys.authenticate(db_session, raw)
    past = datetime(2020, 5, 1, 3, 0, tzinfo=UTC)
    await db_session.execute(
        update(ApiKey).where(ApiKey.prefix == made.prefix).values(expires_at=past)
    )
    with pytest.raises(ApiKeyExpired) as exc:
        await api_keys.authenticate(db_session, raw)
    assert isinstance(exc.value, Unauthorized)
    assert exc.value.status == 401 and exc.value.code == "api_key_expired"
    assert "đã hết hạn lúc 2020-05-01 03:00 UTC" in exc.value.message
    assert exc.value.message_en.startswith("This API key expired at 2020-05-01 03:00 UTC")
    # A wrong key with the same prefix learns nothing of the expiry.
    with pytest.raises(Unauthorized) as wrong:
        await api_keys.authenticate(db_session, raw[:-1] + ("A" if raw[-1] != "A" else "B"))
    assert wrong.value.code == "unauthorized"
    [listed] = await api_keys.list_api_keys(db_session, agency_code=AGENCY)
    assert listed.state(utcnow()) == "expired"


async def test_only_the_owner_revokes_through_its_own_list(db_session: AsyncSession) -> None:
    made, raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY, name="Mine", scopes=[api_keys.SCOPE_CATALOG]
    )
    with pytest.raises(ApiKeyNotFound):
        await api_keys.revoke_api_key(db_session, made.prefix, agency_code=OTHER_AGENCY)
    await service.sign_up_enterprise(db_session, enterprise())
    with pytest.raises(ApiKeyNotFound):
        await api_keys.revoke_api_key(db_session, made.prefix, enterprise_tax_code=TAX_CODE)
    assert await api_keys.authenticate(db_session, raw)
    revoked = await api_keys.revoke_api_key(db_session, made.prefix, agency_code=AGENCY)
    assert revoked.state(utcnow()) == "revoked"
    with pytest.raises(Unauthorized):
        await api_keys.authenticate(db_session, raw)


async def test_requests_are_counted_per_key_and_minute(db_session: AsyncSession) -> None:
    made, raw = await api_keys.create_api_key(
        db_session,
        agency_code=AGENCY,
        name="Counted",
        scopes=[api_keys.SCOPE_CATALOG],
        rate_limit=2,
    )
    _other, other_raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY, name="Default", scopes=[api_keys.SCOPE_CATALOG]
    )
    windows = [
        (await api_keys.admit_request(db_session, raw, default_rate_limit=50))[1] for _ in range(3)
    ]
    assert [(w.limit, w.used, w.exceeded) for w in windows] == [
        (2, 1, False),
        (2, 2, False),
        (2, 3, True),
    ]
    start = windows[0].resets_at - api_keys.RATE_WINDOW
    assert start.second == 0 and start.microsecond == 0
    headers = windows[1].headers(start + timedelta(seconds=20))
    assert headers == {"RateLimit-Limit": "2", "RateLimit-Remaining": "0", "RateLimit-Reset": "40"}
    principal, other = await api_keys.admit_request(db_session, other_raw, default_rate_limit=50)
    assert (other.limit, other.used) == (50, 1)
    assert principal.key_name == "Default"
    key_id = await db_session.scalar(select(ApiKey.id).where(ApiKey.prefix == made.prefix))
    old = start - api_keys.RATE_WINDOW_KEPT - api_keys.RATE_WINDOW
    db_session.add(ApiRateWindow(api_key_id=key_id, window_start=old, requests=9))
    await db_session.flush()
    await api_keys.purge_rate_windows(db_session)
    kept = await db_session.scalars(
        select(ApiRateWindow.requests).where(ApiRateWindow.api_key_id == key_id)
    )
    assert list(kept) == [3]


async def test_an_expired_key_over_http(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    made, raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY, name="Old", scopes=[api_keys.SCOPE_CATALOG]
    )
    await db_session.execute(
        update(ApiKey)
        .where(ApiKey.prefix == made.prefix)
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    for language, words in (("vi", "đã hết hạn"), ("en", "expired")):
        response = await client.get(
            "/api/v1/fields",
            headers={"Authorization": f"Bearer {raw}", "Accept-Language": language},
        )
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        body = response.json()
        assert body["type"].endswith(":api_key_expired") or body["type"].endswith(
            "#api_key_expired"
        )
        assert body["code"] == "api_key_expired"
        assert words in body["detail"]
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_429_is_documented_with_its_headers(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    keyed = [
        operation
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for operation in operations.values()
        if {"ApiKey": []} in operation.get("security", [])
    ]
    assert len(keyed) > 10
    for operation in keyed:
        limited = operation["responses"]["429"]
        assert set(limited["headers"]) >= {"Retry-After", "RateLimit-Limit", "RateLimit-Reset"}
        assert list(limited["content"]) == [PROBLEM]


# ----------------------------------------------------------------------------- over real HTTP


@pytest.fixture
async def committed_keys(database: Database) -> AsyncIterator[tuple[str, str]]:
    """Two agency keys of three requests a minute, committed for the live server to see."""
    raws: list[str] = []
    prefixes: list[str] = []
    async with database.unit_of_work() as session:
        for name in ("Limited A", "Limited B"):
            made, raw = await api_keys.create_api_key(
                session,
                agency_code=AGENCY,
                name=name,
                scopes=[api_keys.SCOPE_CATALOG],
                rate_limit=3,
            )
            raws.append(raw)
            prefixes.append(made.prefix)
    yield raws[0], raws[1]
    async with database.unit_of_work() as session:
        await session.execute(delete(ApiKey).where(ApiKey.prefix.in_(prefixes)))


async def test_the_fourth_request_in_a_minute_gets_429(
    live_server: str,
    database: Database,
    committed_keys: tuple[str, str],
    fixed_clock: None,
) -> None:
    first, second = committed_keys
    async with httpx.AsyncClient(base_url=live_server) as http:

        async def call(raw: str, path: str = "/api/v1/fields") -> httpx.Response:
            return await http.get(
                path, headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
            )

        ok = await call(first)
        assert ok.status_code == 200
        assert ok.headers["ratelimit-limit"] == "3"
        assert ok.headers["ratelimit-remaining"] == "2"
        assert ok.headers["ratelimit-reset"] == "30"
        # A request that fails (its unit of work rolls back) still counts, and says so.
        failed = await call(first, "/api/v1/procedures/9.999999")
        assert failed.status_code == 404 and failed.headers["ratelimit-remaining"] == "1"
        # An answer the route makes itself (304 to a matching If-None-Match) says it too.
        unchanged = await http.get(
            "/api/v1/fields",
            headers={"Authorization": f"Bearer {first}", "If-None-Match": ok.headers["etag"]},
        )
        assert unchanged.status_code == 304 and unchanged.headers["ratelimit-remaining"] == "0"
        refused = await call(first)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.headers["retry-after"] == "30"
        assert refused.headers["ratelimit-remaining"] == "0"
        body = refused.json()
        assert body["code"] == "rate_limited" and body["type"].endswith("rate_limited")
        assert "3 requests a minute" in body["detail"]
        vietnamese = await http.get("/api/v1/fields", headers={"Authorization": f"Bearer {first}"})
        assert "Vui lòng thử lại sau 30 giây" in vietnamese.json()["detail"]
        # Another key counts on its own.
        other = await call(second)
        assert other.status_code == 200 and other.headers["ratelimit-remaining"] == "2"
    async with database.unit_of_work() as session:
        counted = await session.scalar(
            select(func.sum(ApiRateWindow.requests))
            .join(ApiKey, ApiKey.id == ApiRateWindow.api_key_id)
            .where(
                ApiKey.name == "Limited A",
                ApiRateWindow.window_start == datetime(2030, 3, 4, 5, 6, tzinfo=UTC),
            )
        )
    assert counted == 5
