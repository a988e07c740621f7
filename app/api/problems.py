"""Errors as application/problem+json (RFC 9457), in the client's language."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.errors import PortalError

PROBLEM_JSON = "application/problem+json"
# A problem's type is a URI that never changes for its code (RFC 9457 §3.1.1); clients
# compare it (or `code`) as a whole.
TYPE_PREFIX = "urn:motcua:problem:"
_HTTP_TITLES = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    404: ("Không tìm thấy", "Not found"),
    405: ("Phương thức không được hỗ trợ", "Method not allowed"),
    500: ("Lỗi hệ thống", "Internal server error"),
}
INVALID_REQUEST = "invalid_request"
INTERNAL_ERROR = "internal_error"


def problem_type(code: str) -> str:
    """The stable type URI of the problems with this code."""
    return TYPE_PREFIX + code


def _http_code(status: int) -> str:
    return f"http_{status}"


def _subclasses(cls: type[PortalError]) -> list[type[PortalError]]:
    found: list[type[PortalError]] = []
    for sub in cls.__subclasses__():
        found.extend([sub, *_subclasses(sub)])
    return found


def problem_codes() -> dict[str, str]:
    """Every code a problem of the API may carry, with its English title: each PortalError
    the portal defines, the request's own validation, HTTP's and the unexpected error."""
    classes: list[type[PortalError]] = [PortalError, *_subclasses(PortalError)]
    codes: dict[str, str] = {cls.code: cls.title_en for cls in classes}
    codes[INVALID_REQUEST] = "Invalid request"
    codes[INTERNAL_ERROR] = _HTTP_TITLES[500][1]
    codes.update({_http_code(s): en for s, (_, en) in _HTTP_TITLES.items()})
    return dict(sorted(codes.items()))


def wants_english(request: Request) -> bool:
    """English when the client prefers it over Vietnamese; Vietnamese otherwise."""
    header = request.headers.get("accept-language", "").strip().lower()
    return header.startswith("en")


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: tuple[str, str],
    detail: tuple[str, str],
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    english = wants_english(request)
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title[1] if english else title[0],
        "status": status,
        "detail": detail[1] if english else detail[0],
        "code": code,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def portal_error(request: Request, exc: PortalError) -> JSONResponse:
    response = problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=(exc.title_vi, exc.title_en),
        detail=(exc.message, exc.message_en),
        errors=[
            {"location": p.location, "message": p.message, "message_en": p.message_en or p.message}
            for p in exc.problems
        ]
        # Invalid input always lists what is wrong, even when nothing can be pointed at.
        or ([] if exc.status == 422 else None),
    )
    response.headers.update(exc.headers)
    return response


def request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "location": ".".join(str(part) for part in item["loc"]),
            "message": f"Giá trị không hợp lệ: {item['msg']}",
            "message_en": item["msg"],
        }
        for item in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        code=INVALID_REQUEST,
        title=("Yêu cầu không hợp lệ", "Invalid request"),
        detail=("Một số tham số không hợp lệ.", "Some parameters are invalid."),
        errors=errors,
    )


def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    vi, en = _HTTP_TITLES.get(exc.status_code, ("Lỗi", "Error"))
    response = problem_response(
        request,
        status=exc.status_code,
        code=_http_code(exc.status_code),
        title=(vi, en),
        detail=(vi, en if exc.detail is None else str(exc.detail)),
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def unexpected_error(request: Request, _exc: Exception) -> JSONResponse:
    return problem_response(
        request,
        status=500,
        code=INTERNAL_ERROR,
        title=_HTTP_TITLES[500],
        detail=(
            "Đã có lỗi ngoài dự kiến; yêu cầu chưa được thực hiện. Vui lòng thử lại.",
            "Something went wrong; the request was not carried out. Please try again.",
        ),
    )


_FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "One problem of the request, located",
    "required": ["location", "message", "message_en"],
    "properties": {
        "location": {
            "type": "string",
            "description": "Where: a dotted path into the request (`body.data.full_name`,"
            " `query.limit`, `children[0].birth_certificate`) or a header's name",
        },
        "message": {"type": "string", "description": "In Vietnamese"},
        "message_en": {"type": "string", "description": "In English"},
    },
}


def problem_schema() -> dict[str, Any]:
    """The Problem component: every code the API may answer with, each with its type URI."""
    codes = problem_codes()
    return {
        "type": "object",
        "description": "An error (RFC 9457), in Vietnamese unless Accept-Language asks for"
        f" English. `type` is `{TYPE_PREFIX}` followed by `code`; the codes:\n\n"
        + "\n".join(f"- `{code}`: {title}" for code, title in codes.items()),
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "enum": [problem_type(code) for code in codes]},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {
                "type": "string",
                "description": "Stable machine-readable code",
                "enum": list(codes),
            },
            "instance": {"type": "string", "description": "The path of the request"},
            "errors": {"type": "array", "items": _FIELD_ERROR},
        },
    }


VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "description": "A Problem saying what in the request is wrong: `errors` lists every"
    " problem found, each with its location",
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {"type": "object", "required": ["errors"]},
    ],
}


def _content(component: str) -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{component}"}}}


# What every operation of the API may answer, by what it takes; the route's own description
# of a status is kept when it has one.
_UNAUTHORIZED = "Missing, malformed, unknown or revoked credentials"
_FORBIDDEN = "The credentials lack a needed scope or right"
_NOT_FOUND = "No such resource (or not the caller's)"
_INVALID = "Invalid parameters or body; `errors` locates each problem"
_INTERNAL = "Unexpected error; nothing was done"


def _has_parameter(operation: dict[str, Any], where: str, name: str | None = None) -> bool:
    return any(
        p.get("in") == where and (name is None or p.get("name", "").lower() == name.lower())
        for p in operation.get("parameters", [])
    )


def _document_errors(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})

    def expect(status: int, description: str) -> None:
        responses.setdefault(str(status), {"description": description})

    if operation.get("security"):
        expect(401, _UNAUTHORIZED)
        expect(403, _FORBIDDEN)
    if _has_parameter(operation, "path"):
        expect(404, _NOT_FOUND)
    if operation.get("parameters") or operation.get("requestBody"):
        expect(422, _INVALID)
    if _has_parameter(operation, "header", "Idempotency-Key"):
        expect(400, "Idempotency-Key empty, too long or not printable ASCII")
        expect(409, "A request with the same Idempotency-Key is still being processed")
    if _has_parameter(operation, "header", "If-Match"):
        expect(412, "If-Match names a representation that is no longer current")
    expect(500, _INTERNAL)
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            response["content"] = _content("ValidationProblem" if status == "422" else "Problem")


def openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, saying every error each API operation may answer, as
    application/problem+json (RFC 9457)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/api/"):
            for operation in operations.values():
                _document_errors(operation)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Problem"] = problem_schema()
    components["ValidationProblem"] = VALIDATION_PROBLEM_SCHEMA
    app.openapi_schema = schema
    return schema
