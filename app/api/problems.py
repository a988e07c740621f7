"""Errors as application/problem+json (RFC 9457), in the client's language."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
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
    return problem_response(
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
