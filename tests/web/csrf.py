"""The CSRF token a browser would hold, for tests that post the pages' forms."""

from __future__ import annotations

from app.web.security import CSRF_COOKIE, CSRF_FIELD, sign
from tests.conftest import TEST_SECRET_KEY

TOKEN = sign(TEST_SECRET_KEY, "csrf", "a-test-browser")


def with_csrf_cookie(headers: dict[str, str] | None = None) -> dict[str, str]:
    """The headers with the CSRF cookie added to any Cookie header they already have."""
    headers = dict(headers or {})
    cookie = headers.get("Cookie")
    headers["Cookie"] = f"{cookie}; {CSRF_COOKIE}={TOKEN}" if cookie else f"{CSRF_COOKIE}={TOKEN}"
    return headers


def with_csrf_field(data: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form fields with the token first, as the csrf_field macro puts it."""
    return {CSRF_FIELD: [TOKEN], **data}
