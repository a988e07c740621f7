"""The pages: Jinja templates over the same services as the API."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.config import Settings
from app.web import urls
from app.web.i18n import LanguageSwitch, locale_of
from app.web.routes import router
from app.web.routes.deps import SignInRequired
from app.web.security import CsrfProtection
from app.web.templating import STATIC_DIR, Pages


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the pages and their static files on the application."""
    app.state.pages = Pages(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_middleware(LanguageSwitch)
    app.add_middleware(CsrfProtection, secret_key=settings.secret_key, refuse=_csrf_refused)


async def _sign_in_first(_request: Request, exc: Exception) -> Response:
    back_to = exc.back_to if isinstance(exc, SignInRequired) else "/"
    return RedirectResponse(urls.sign_in(back_to), status_code=303)


def _csrf_refused(request: Request) -> Response:
    return error_page(
        request,
        400,
        "Trang này đã hết hạn hoặc được mở từ nơi khác. Vui lòng tải lại trang rồi gửi lại.",
        "This page has expired or was opened from elsewhere. Please reload the page and send "
        "it again.",
    )


def error_page(request: Request, status: int, message_vi: str, message_en: str) -> Response:
    """A page telling what went wrong, in the reader's language."""
    pages: Pages | None = getattr(request.app.state, "pages", None)
    if pages is None:
        locale = locale_of(request)
        message = message_en if locale == "en" else message_vi
        return HTMLResponse(
            f"<!DOCTYPE html><html lang={locale}><title>{status}</title>"
            f"<h1>{status}</h1><p>{escape(message)}</p></html>",
            status_code=status,
        )
    locale = pages.locale(request)
    return pages.render(
        request,
        "pages/error.html",
        {"status": status, "message": message_en if locale == "en" else message_vi},
        status_code=status,
    )
