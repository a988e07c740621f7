"""HMAC-signed strings and the names of the browser's signed cookies.

Pure helpers (no HTTP library), shared by the pages, which set the cookies, and by the API,
which accepts the session cookie on the endpoints the pages call from JavaScript (tus uploads).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SESSION_COOKIE = "motcua_session"
CSRF_COOKIE = "motcua_csrf"
# No signed value we issue is longer; a longer one is refused unread.
MAX_TOKEN_LENGTH = 200


def _mac(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, purpose: str, value: str) -> str:
    """``value.signature``: the value with its HMAC-SHA256 under the secret key."""
    return f"{value}.{_mac(secret, purpose, value)}"


def unsign(secret: str, purpose: str, signed: str | None) -> str | None:
    """The value of a signed string, or None if it was not signed with this key."""
    if not signed or len(signed) > MAX_TOKEN_LENGTH:
        return None
    value, _, signature = signed.rpartition(".")
    if not value or not hmac.compare_digest(signature, _mac(secret, purpose, value)):
        return None
    return value
