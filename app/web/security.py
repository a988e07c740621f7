"""Signed cookies: the session cookie and the CSRF token every form of the pages posts back.

CSRF uses a signed double-submit cookie: the browser holds ``motcua_csrf`` (a random value and
its HMAC under the secret key) and every ``<form method="post">`` carries the same value in a
hidden ``_csrf`` input, put there by the ``csrf_field`` macro (the underscore keeps it out of a
procedure form's answers). One middleware checks every unsafe request of the pages before any
route runs, so no form can forget it. It reads only as much of the body as it needs and hands
the whole body on untouched.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Environment, Settings

# Re-exported: the pages import them from here.
from app.kit.signing import CSRF_COOKIE as CSRF_COOKIE
from app.kit.signing import MAX_TOKEN_LENGTH as MAX_TOKEN_LENGTH
from app.kit.signing import SESSION_COOKIE as SESSION_COOKIE
from app.kit.signing import sign as sign
from app.kit.signing import unsign as unsign

CSRF_FIELD = "_csrf"
CSRF_COOKIE_MAX_AGE = 365 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The token is the first field of every form; past this much body it is not there.
MAX_SCAN_BYTES = 1024 * 1024


def secure_cookies(settings: Settings) -> bool:
    """Cookies go over HTTPS only, except where the portal runs on plain local HTTP."""
    return settings.environment not in (Environment.development, Environment.test)


def set_cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def delete_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="lax", secure=secure_cookies(settings)
    )


def session_token(connection: HTTPConnection, settings: Settings) -> str | None:
    """The session token of the request's signed cookie, if the signature holds."""
    return unsign(settings.secret_key, "session", connection.cookies.get(SESSION_COOKIE))


def csrf_token(request: Request, settings: Settings) -> str:
    """The browser's CSRF token for the forms of this page; a new one if it has none yet
    (the page then sets the cookie, see ``csrf_cookie_to_set``)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if unsign(settings.secret_key, "csrf", existing) is not None and existing:
        return existing
    new: str | None = getattr(request.state, "new_csrf_token", None)
    if new is None:
        new = sign(settings.secret_key, "csrf", secrets.token_urlsafe(24))
        request.state.new_csrf_token = new
    return new


def csrf_cookie_to_set(request: Request) -> str | None:
    new: str | None = getattr(request.state, "new_csrf_token", None)
    return new


class _FirstFields:
    """Streams a multipart body until the CSRF field has been read."""

    def __init__(self, boundary: bytes) -> None:
        self.token: str | None = None
        self.done = False
        self._name: bytes | None = None
        self._header_field = b""
        self._header_value = b""
        self._value = b""
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._name, self._value = None, b""

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            _, options = parse_options_header(self._header_value)
            self._name = options.get(b"name")
        self._header_field, self._header_value = b"", b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == CSRF_FIELD.encode() and len(self._value) <= MAX_TOKEN_LENGTH:
            self._value += data[start:end]

    def _part_end(self) -> None:
        if self._name == CSRF_FIELD.encode():
            self.token = self._value.decode("latin-1")
            self.done = True

    def feed(self, chunk: bytes) -> None:
        self.parser.write(chunk)


Refuse = Callable[[Request], Response]


class CsrfProtection:
    """Refuses every unsafe request of the pages whose form lacks the browser's token."""

    def __init__(self, app: ASGIApp, secret_key: str, refuse: Refuse) -> None:
        self.app = app
        self.secret_key = secret_key
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        buffered: list[Message] = []
        try:
            posted = await self._posted_token(headers, receive, buffered)
        except Exception:
            posted = None
        expected = HTTPConnection(scope).cookies.get(CSRF_COOKIE)
        valid = (
            posted is not None
            and expected is not None
            and unsign(self.secret_key, "csrf", expected) is not None
            and hmac.compare_digest(posted.encode(), expected.encode())
        )
        if not valid:
            response = self.refuse(Request(scope))
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _posted_token(
        self, headers: Headers, receive: Receive, buffered: list[Message]
    ) -> str | None:
        content_type, options = parse_options_header(headers.get("content-type", ""))
        multipart = content_type == b"multipart/form-data"
        if content_type != b"application/x-www-form-urlencoded" and not multipart:
            return None
        fields = _FirstFields(options[b"boundary"]) if multipart else None
        body = b""
        scanned = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                return None
            chunk: bytes = message.get("body", b"")
            scanned += len(chunk)
            if fields is not None:
                fields.feed(chunk)
                if fields.done:
                    return fields.token
            else:
                body += chunk
            if not message.get("more_body", False) or scanned > MAX_SCAN_BYTES:
                break
        if fields is not None:
            return fields.token
        values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD)
        return values[0] if values else None
