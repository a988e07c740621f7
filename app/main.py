"""The portal application: the API and the pages over one database, with health checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from app import api, web
from app.api import problems
from app.api.auth import RateLimitHeaders
from app.config import Settings, get_settings
from app.db import Database
from app.errors import ChangedMeanwhile, InvalidInput, PortalError
from app.storage import storage_from_url

API_DESCRIPTION = """
Public API of the motcua one-stop shop portal.

- **Catalog** (no key needed): administrative procedures, agencies, fields, and each procedure's
  form as a definition and as JSON Schema.
- **Dossiers** (an enterprise's API key, `Authorization: Bearer mck_…`, scopes `dossiers:submit`
  and `dossiers:read`): create a draft or submit at once, change a draft, attach files (multipart,
  streamed) or upload them resumably with tus 1.0 at `/api/v1/uploads`, submit, follow, withdraw.
  Every state-changing request honours an `Idempotency-Key` header for 24 hours.
- **Lookup** (public): a dossier's status by its code and the last 4 digits of the applicant's
  phone or ID number.

Errors are `application/problem+json` (RFC 9457), in Vietnamese unless `Accept-Language` asks
for English.
"""


class NulInAddress(InvalidInput):
    code = "nul_in_address"

    def __init__(self) -> None:
        super().__init__(
            "Địa chỉ yêu cầu chứa ký tự NUL không hợp lệ.",
            message_en="The request address holds an invalid NUL character.",
        )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application for the given settings (read from the environment by default)."""
    settings = settings or get_settings()
    database = Database(settings.database_url)
    storage = storage_from_url(settings.storage_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await storage.aclose()
        await database.dispose()

    app = FastAPI(
        title="motcua",
        version="1",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database
    app.state.storage = storage
    app.include_router(api.router)
    app.add_middleware(RateLimitHeaders)
    app.openapi = lambda: problems.openapi_with_problems(app)  # type: ignore[method-assign]
    web.install(app, settings)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "Database unreachable"}})
    async def readyz(request: Request) -> Response:
        """Readiness: the database answers a query."""
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return problems.problem_response(
                request,
                status=503,
                code="database_unavailable",
                title=("Chưa sẵn sàng", "Not ready"),
                detail=("Không kết nối được cơ sở dữ liệu.", "The database is unreachable."),
            )
        return JSONResponse({"status": "ready"})

    @app.exception_handler(PortalError)
    async def on_portal_error(request: Request, exc: PortalError) -> Response:
        if _is_api(request):
            return problems.portal_error(request, exc)
        return web.error_page(request, exc.status, exc.message, exc.message_en)

    @app.middleware("http")
    async def refuse_nul_in_address(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # NUL cannot be stored or even compared by PostgreSQL; no real address holds one.
        if "\x00" in request.url.path or b"%00" in request.scope["query_string"]:
            return await on_portal_error(request, NulInAddress())
        return await call_next(request)

    @app.exception_handler(StaleDataError)
    async def on_concurrent_change(request: Request, exc: StaleDataError) -> Response:
        # Optimistic locking refused a change made on a state another request changed first.
        return await on_portal_error(request, ChangedMeanwhile())

    @app.exception_handler(RequestValidationError)
    async def on_request_validation_error(
        request: Request, exc: RequestValidationError
    ) -> Response:
        if _is_api(request):
            return problems.request_validation_error(request, exc)
        return web.error_page(
            request, 400, "Địa chỉ trang không hợp lệ.", "The page address is not valid."
        )

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        if _is_api(request):
            return problems.http_error(request, exc)
        if exc.status_code == 404:
            page = web.error_page(
                request, 404, "Không tìm thấy trang bạn yêu cầu.", "Page not found."
            )
        else:
            page = web.error_page(request, exc.status_code, "Yêu cầu không hợp lệ.", "Bad request.")
        # Such as Allow on a 405: the page replaces the body, not the protocol.
        page.headers.update(exc.headers or {})
        return page

    @app.exception_handler(Exception)
    async def on_unexpected_error(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return problems.unexpected_error(request, exc)
        return web.error_page(
            request,
            500,
            "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau.",
            "Something went wrong. Please try again later.",
        )

    return app
