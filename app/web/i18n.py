"""The pages' two languages: gettext catalogs compiled at start-up, and who reads which."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_COOKIE = "lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600
LOCALES_DIR = Path(__file__).parent / "locales"


def read_catalog(locale: str, directory: Path = LOCALES_DIR) -> Catalog:
    """Every ``*.po`` file of a locale merged into one catalog: each area of the pages keeps
    its messages in a file of its own (messages.po, processing.po...)."""
    merged = Catalog(locale=locale)
    for path in sorted((directory / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            for message in read_po(po, locale=locale):
                if message.id:
                    if merged.get(message.id) is not None:
                        raise ValueError(f"{path}: {message.id!r} is already in another file")
                    merged[message.id] = message
    return merged


def load_translations(directory: Path = LOCALES_DIR) -> dict[str, Translations]:
    """Each locale's catalogs compiled in memory, so no build step is needed."""
    loaded: dict[str, Translations] = {}
    for locale in LOCALES:
        compiled = BytesIO()
        write_mo(compiled, read_catalog(locale, directory))
        compiled.seek(0)
        loaded[locale] = Translations(compiled)
    return loaded


def negotiate(cookie: str | None, default: str) -> str:
    """The language the reader chose with the switch; otherwise the portal's default.

    The browser's Accept-Language is not consulted: the portal speaks Vietnamese first, and
    English is a choice the reader makes with the link in the header.
    """
    if cookie in LOCALES:
        return cookie
    return default if default in LOCALES else DEFAULT_LOCALE


def locale_of(connection: HTTPConnection, default: str = DEFAULT_LOCALE) -> str:
    """The language of the pages for this reader."""
    return negotiate(connection.cookies.get(LOCALE_COOKIE), default)


def switch_url(path: str, query: str, locale: str) -> str:
    """This page's address asking for another language (the middleware sets the cookie)."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"]
    pairs.append(("lang", locale))
    return f"{quote(path)}?{urlencode(pairs)}"


class LanguageSwitch:
    """``?lang=en`` on any page: remember the choice in a cookie and go back to the page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(query, keep_blank_values=True)
        wanted = [v for k, v in pairs if k == "lang"]
        if path.startswith("/api/") or not wanted or wanted[-1] not in LOCALES:
            await self.app(scope, receive, send)
            return
        rest = urlencode([(k, v) for k, v in pairs if k != "lang"])
        location = quote(path) + (f"?{rest}" if rest else "")
        cookie = (
            f"{LOCALE_COOKIE}={wanted[-1]}; Path=/; Max-Age={LOCALE_COOKIE_MAX_AGE}; SameSite=Lax"
        )
        headers = Headers(
            raw=[
                (b"location", location.encode("latin-1", "replace")),
                (b"set-cookie", cookie.encode("latin-1")),
                (b"content-length", b"0"),
                (b"cache-control", b"no-store"),
            ]
        )
        await send({"type": "http.response.start", "status": 303, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
