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
_HTTP_TITLES = {
    404: ("Không tìm thấy", "Not found"),
    405: ("Phương thức không được hỗ trợ", "Method not allowed"),
    500: ("Lỗi hệ thống", "Internal server error"),
}


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
        "type": f"about:blank#{code}" if code else "about:blank",
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
        or None,
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
        code="invalid_request",
        title=("Yêu cầu không hợp lệ", "Invalid request"),
        detail=("Một số tham số không hợp lệ.", "Some parameters are invalid."),
        errors=errors,
    )


def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    vi, en = _HTTP_TITLES.get(exc.status_code, ("Lỗi", "Error"))
    response = problem_response(
        request,
        status=exc.status_code,
        code=f"http_{exc.status_code}",
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
        code="internal_error",
        title=_HTTP_TITLES[500],
        detail=(
            "Đã có lỗi ngoài dự kiến; yêu cầu chưa được thực hiện. Vui lòng thử lại.",
            "Something went wrong; the request was not carried out. Please try again.",
        ),
    )


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457), in Vietnamese unless Accept-Language asks for English",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable code"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "message", "message_en"],
                "properties": {
                    "location": {"type": "string"},
                    "message": {"type": "string"},
                    "message_en": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, saying that every API error is application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if operation.get("parameters"):
                responses.setdefault("422", {"description": "Invalid parameters"})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = _PROBLEM_CONTENT
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Problem"] = PROBLEM_SCHEMA
    app.openapi_schema = schema
    return schema
