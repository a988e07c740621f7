"""Jinja environments, one per language, and the function that renders a page."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.config import Settings
from app.web import formatting, urls
from app.web.i18n import LOCALES, load_translations, locale_of, switch_url
from app.web.security import (
    CSRF_COOKIE,
    CSRF_COOKIE_MAX_AGE,
    csrf_cookie_to_set,
    csrf_token,
    set_cookie,
)

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def _static_versions() -> dict[str, str]:
    """A short content hash per static file, so browsers fetch a file again when it changes."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }


def _environment(
    locale: str, translations: Translations, versions: Mapping[str, str], time_zone: str
) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Added by the i18n extension, so it is not in Environment's type.
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        integer=partial(formatting.format_integer, locale=locale),
        decimal=partial(formatting.format_decimal, locale=locale),
        money=partial(formatting.format_money, locale=locale),
        days=partial(formatting.format_days, locale=locale),
        date=partial(formatting.format_date, zone=time_zone),
        datetime=partial(formatting.format_datetime, zone=time_zone),
        file_size=partial(formatting.format_file_size, locale=locale),
    )

    def static(name: str) -> str:
        version = versions.get(name)
        return f"/static/{name}?v={version}" if version else f"/static/{name}"

    env.globals.update(locale=locale, static=static, **urls.TEMPLATE_GLOBALS)
    return env


class Pages:
    """Renders the templates in the reader's language."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.default_locale = settings.default_locale
        self.translations = load_translations()
        versions = _static_versions()
        self.environments = {
            locale: _environment(locale, self.translations[locale], versions, settings.time_zone)
            for locale in LOCALES
        }

    def locale(self, request: Request) -> str:
        """The reader's language."""
        return locale_of(request, self.default_locale)

    def gettext(self, request: Request, message: str) -> str:
        """A message of Python code in the reader's language."""
        return str(self.translations[self.locale(request)].gettext(message))

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """The page in the reader's language; every page gets the request, language links, the
        signed-in account and official (if any) and the CSRF token of its forms."""
        locale = self.locale(request)
        other = "en" if locale == "vi" else "vi"
        page = self.environments[locale].get_template(template)
        html = page.render(
            {
                "request": request,
                "current_path": request.url.path,
                "switch_locale": other,
                "switch_url": switch_url(request.url.path, request.url.query, other),
                "current_account": getattr(request.state, "account", None),
                "current_official": getattr(request.state, "official", None),
                "csrf_token": csrf_token(request, self.settings),
                **(context or {}),
            }
        )
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Language"] = locale
        # The page depends on the language cookie.
        response.headers["Vary"] = "Cookie"
        if getattr(request.state, "account", None) is not None:
            # Someone's own answers and dossiers: not to be kept by a shared computer's browser
            # for the next person to find with the back button.
            response.headers["Cache-Control"] = "private, no-store"
        new_token = csrf_cookie_to_set(request)
        if new_token:
            set_cookie(response, self.settings, CSRF_COOKIE, new_token, CSRF_COOKIE_MAX_AGE)
        return response
