"""The OpenAPI document walked whole: every operation of the API documents its request and
response schemas and every error it can answer, as application/problem+json."""

from __future__ import annotations

from typing import Any

import httpx

from app.api.problems import problem_codes, problem_type
from app.kit.pagination import CURSOR_PATTERN

PROBLEM = "application/problem+json"
# tus has its own protocol for retries (HEAD then PATCH at the offset): no Idempotency-Key.
TUS = "/api/v1/uploads"
# Verification changes nothing (a retry gets the same answer): a POST only to carry an upload.
SAFE_POSTS = {"/api/v1/verify"}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
    ]


def _params(operation: dict[str, Any], where: str) -> set[str]:
    return {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == where}


def _missing(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    responses = operation["responses"]
    expected: set[str] = {"500"}
    if operation.get("security"):
        expected |= {"401", "403"}
    if _params(operation, "path"):
        expected.add("404")
    if operation.get("parameters") or operation.get("requestBody"):
        expected.add("422")
    headers = _params(operation, "header")
    if "idempotency-key" in headers:
        expected |= {"400", "409"}
    if "if-match" in headers:
        expected.add("412")
    if (
        method == "post"
        and not path.startswith(TUS)
        and path not in SAFE_POSTS
        and "idempotency-key" not in headers
    ):
        return [f"{method} {path}: a POST without Idempotency-Key"]
    problems = [f"{method} {path}: {status} undocumented" for status in expected - set(responses)]
    for status, response in responses.items():
        content = response.get("content", {})
        if status.startswith(("4", "5")):
            component = "ValidationProblem" if status == "422" else "Problem"
            ref = content.get(PROBLEM, {}).get("schema", {}).get("$ref")
            if ref != f"#/components/schemas/{component}" or len(content) != 1:
                problems.append(f"{method} {path}: {status} is not a {component}")
        elif (
            status.startswith("2")
            and status != "204"
            and not path.startswith(TUS)
            and not (content and all("schema" in media for media in content.values()))
        ):
            problems.append(f"{method} {path}: {status} without a schema")
    return problems


async def test_every_operation_documents_its_schemas_and_errors(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    operations = _operations(document)
    assert len(operations) >= 20
    missing = [problem for path, method, op in operations for problem in _missing(path, method, op)]
    assert missing == []
    for _path, method, operation in operations:
        if method in ("post", "put", "patch"):
            body = operation.get("requestBody", {}).get("content", {})
            assert all("schema" in media for media in body.values())


async def test_every_problem_type_is_documented_and_stable(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    problem = schemas["Problem"]["properties"]
    codes = set(problem_codes())
    assert set(problem["code"]["enum"]) == codes
    assert set(problem["type"]["enum"]) == {problem_type(code) for code in codes}
    assert {"not_found", "invalid_input", "precondition_failed", "idempotency_key_reused"} <= codes
    assert problem_type("not_found") == "urn:motcua:problem:not_found"
    validation = schemas["ValidationProblem"]["allOf"]
    assert {"$ref": "#/components/schemas/Problem"} in validation
    assert problem["errors"]["items"]["required"] == ["location", "message", "message_en"]


async def test_errors_carry_their_type_and_field_paths(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/v1/nowhere")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(PROBLEM)
    assert unknown.json()["type"] == problem_type("http_404")
    invalid = await client.get("/api/v1/lookup", params={"code": "X"})
    body = invalid.json()
    assert invalid.status_code == 422 and body["type"] == problem_type("invalid_request")
    assert [e["location"] for e in body["errors"]] == ["query.verifier"]


# A summary of the agency's queues, one count per queue: not a list of resources to page.
SUMMARIES = {"/api/v1/queue/counts"}


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


async def test_every_list_pages_alike(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    lists: dict[str, dict[str, Any]] = {}
    for path, method, operation in _operations(document):
        ok = operation["responses"].get("200", {})
        schema = ok.get("content", {}).get("application/json", {}).get("schema")
        if method != "get" or schema is None:
            continue
        answer = _resolved(document, schema)
        if answer.get("type") == "array":
            assert path in SUMMARIES, f"{path} answers a bare array"
        elif "next_cursor" in answer.get("properties", {}) or "cursor" in _params(
            operation, "query"
        ):
            lists[path] = operation
            assert {"items", "next_cursor"} <= set(answer["required"]), path
            assert answer["properties"]["items"]["type"] == "array", path
            assert answer["properties"]["next_cursor"]["anyOf"][1] == {"type": "null"}, path
            assert "Link" in ok["headers"], path
    assert set(lists) >= {
        "/api/v1/procedures",
        "/api/v1/agencies",
        "/api/v1/fields",
        "/api/v1/dossiers",
        "/api/v1/dossiers/{code}/documents",
        "/api/v1/queue",
        "/api/v1/webhooks",
        "/api/v1/webhooks/event-types",
        "/api/v1/webhooks/{subscription_id}/deliveries",
    }
    paging = {
        path: {
            p["name"]: (p["schema"], p["required"])
            for p in operation["parameters"]
            if p["in"] == "query" and p["name"] in ("cursor", "limit")
        }
        for path, operation in lists.items()
    }
    first = paging["/api/v1/dossiers"]
    cursor, cursor_required = first["cursor"]
    assert cursor_required is False
    assert cursor["anyOf"][0] == {"type": "string", "maxLength": 1000, "pattern": CURSOR_PATTERN}
    limit, limit_required = first["limit"]
    assert limit_required is False
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)
    assert all(parameters == first for parameters in paging.values()), paging
