"""The catalog API, for integrators' software with a key holding catalog:read."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.catalog.importing import import_catalog
from app.kit.text import fold
from tests.api.paging import all_pages
from tests.fixtures.catalogs import CHILD_AGENCY, FIELD, PROCEDURE, small_catalog

PROBLEM = "application/problem+json"
AGENCY = "000.00.41.H39"


@pytest.fixture
async def client(client: httpx.AsyncClient, db_session: AsyncSession) -> httpx.AsyncClient:
    """The test client, calling with an agency's key that reads the catalog."""
    _out, raw = await api_keys.create_api_key(
        db_session, agency_code=AGENCY, name="Catalog reader", scopes=[api_keys.SCOPE_CATALOG]
    )
    client.headers["Authorization"] = f"Bearer {raw}"
    return client


async def test_the_catalog_api_needs_a_key_that_reads_it(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    listing = await client.get("/api/v1/procedures")
    assert listing.status_code == 200
    assert int(listing.headers["ratelimit-remaining"]) < int(listing.headers["ratelimit-limit"])
    _out, processing_only = await api_keys.create_api_key(
        db_session, agency_code=AGENCY, name="Processing", scopes=[api_keys.SCOPE_PROCESS]
    )
    for path in ("/api/v1/procedures", f"/api/v1/procedures/{PROCEDURE}", "/api/v1/fields"):
        anonymous = await client.get(path, headers={"Authorization": ""})
        assert anonymous.status_code == 401, path
        assert anonymous.headers["content-type"].startswith(PROBLEM)
        refused = await client.get(path, headers={"Authorization": f"Bearer {processing_only}"})
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "insufficient_scope"


async def _all_pages(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    return await all_pages(client, "/api/v1/procedures", **params)


async def test_pages_cover_every_published_procedure_once(client: httpx.AsyncClient) -> None:
    everything = await _all_pages(client, limit=100)
    paged = await _all_pages(client, limit=3)
    assert len(everything) >= 12
    assert [p["code"] for p in paged] == [p["code"] for p in everything]
    names = [fold(p["name"]) for p in everything]
    assert names == sorted(names)


async def test_search_ignores_diacritics_and_word_order(client: httpx.AsyncClient) -> None:
    plain = await _all_pages(client, q="giay phep xay dung")
    accented = await _all_pages(client, q="Giấy phép xây dựng")
    shuffled = await _all_pages(client, q="xây dựng GIẤY PHÉP")
    assert plain, "the demo catalog has a construction permit"
    assert [p["code"] for p in plain] == [p["code"] for p in accented]
    assert {p["code"] for p in plain} == {p["code"] for p in shuffled}
    assert "giay phep xay dung" in fold(plain[0]["name"])


async def test_search_ranks_name_matches_first(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await import_catalog(db_session, small_catalog())
    found = await _all_pages(client, q="xac nhan thu nghiem")
    assert found[0]["code"] == PROCEDURE


async def test_search_pages_with_a_cursor(client: httpx.AsyncClient) -> None:
    whole = await _all_pages(client, q="dang ky", limit=100)
    paged = await _all_pages(client, q="dang ky", limit=2)
    assert len(whole) >= 3
    assert [p["code"] for p in paged] == [p["code"] for p in whole]


async def test_filters(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    await import_catalog(db_session, small_catalog())
    commune = await _all_pages(client, level="commune", limit=100)
    assert commune and all("commune" in p["levels"] for p in commune)
    full = await _all_pages(client, online_level="full", limit=100)
    assert full and all(p["online_level"] == "full" and p["legacy_level"] == 4 for p in full)
    by_field = await _all_pages(client, field=FIELD)
    assert [p["code"] for p in by_field] == [PROCEDURE]
    by_agency = await _all_pages(client, agency=CHILD_AGENCY)
    assert [p["code"] for p in by_agency] == [PROCEDURE]


async def test_bad_parameters_are_problems(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/procedures", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "invalid_input"

    response = await client.get(
        "/api/v1/procedures", params={"level": "galaxy"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Invalid request"
    assert body["errors"][0]["location"] == "query.level"


async def test_procedure_detail_and_unknown_code(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await import_catalog(db_session, small_catalog())
    detail = (await client.get(f"/api/v1/procedures/{PROCEDURE}")).json()
    assert detail["fees"] == [
        {
            "code": None,
            "name": "Lệ phí",
            "amount": 50000,
            "per": "dossier",
            "quantity": None,
            "included": 0,
            "applies_if": None,
            "exempt_if": None,
            "note": "",
        }
    ]
    assert detail["payment"] is None
    assert detail["documents"][0]["code"] == "to_khai"
    assert detail["version"] == 1

    missing = await client.get("/api/v1/procedures/9.999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM)
    assert "9.999999" in missing.json()["detail"]


async def test_unpublished_procedures_are_hidden(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    catalog = small_catalog()
    catalog["procedures"][0]["published"] = False
    await import_catalog(db_session, catalog)
    assert (await client.get(f"/api/v1/procedures/{PROCEDURE}")).status_code == 404
    assert PROCEDURE not in {p["code"] for p in await _all_pages(client, field=FIELD)}


async def test_form_and_its_json_schema(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await import_catalog(db_session, small_catalog())
    form = (await client.get(f"/api/v1/procedures/{PROCEDURE}/form")).json()
    assert form["version"] == 1
    assert form["definition"]["sections"][0]["fields"][0]["key"] == "full_name"

    schema = (await client.get(f"/api/v1/procedures/{PROCEDURE}/form/schema")).json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"full_name": "Nguyễn Văn An"})
    assert not validator.is_valid({})

    missing = await client.get(f"/api/v1/procedures/{PROCEDURE}/form", params={"version": 7})
    assert missing.status_code == 404


async def test_every_demo_form_has_a_valid_schema(client: httpx.AsyncClient) -> None:
    for procedure in await _all_pages(client, limit=100):
        response = await client.get(f"/api/v1/procedures/{procedure['code']}/form/schema")
        assert response.status_code == 200, procedure["code"]
        jsonschema.Draft202012Validator.check_schema(response.json())


async def test_agencies_and_fields(client: httpx.AsyncClient) -> None:
    agencies = await all_pages(client, "/api/v1/agencies", limit=100)
    levels = {a["level"] for a in agencies}
    assert {"province", "commune"} <= levels
    codes = [a["code"] for a in agencies]
    assert codes == sorted(codes)
    assert [a["code"] for a in await all_pages(client, "/api/v1/agencies", limit=2)] == codes
    communes = await all_pages(client, "/api/v1/agencies", level="commune", limit=2)
    assert len(communes) >= 3 and all(a["parent_code"] for a in communes)
    assert communes == [a for a in agencies if a["level"] == "commune"]
    fields = await all_pages(client, "/api/v1/fields", limit=100)
    assert sum(f["procedure_count"] for f in fields) >= 12
    names = [fold(f["name"]) for f in fields]
    assert names == sorted(names)
    assert await all_pages(client, "/api/v1/fields", limit=1) == fields


async def test_catalog_reads_are_revalidated_with_their_etag(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await import_catalog(db_session, small_catalog())
    for path in (
        "/api/v1/procedures",
        f"/api/v1/procedures/{PROCEDURE}",
        f"/api/v1/procedures/{PROCEDURE}/form",
        f"/api/v1/procedures/{PROCEDURE}/form/schema",
        "/api/v1/agencies",
        "/api/v1/fields",
    ):
        first = await client.get(path)
        tag = first.headers["etag"]
        cached = await client.get(path, headers={"If-None-Match": tag})
        assert cached.status_code == 304 and cached.content == b"", path
        assert cached.headers["etag"] == tag


async def test_every_operation_is_described(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 8
    assert all(op.get("description") or op.get("summary") for op in operations)
    listing = spec["paths"]["/api/v1/procedures"]["get"]["responses"]
    assert list(listing["422"]["content"]) == [PROBLEM]
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_wrong_methods_say_what_is_allowed(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/api/v1/fields"):
        response = await client.request("TRACE", path)
        assert response.status_code == 405
        assert response.headers["allow"] == "GET"


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
