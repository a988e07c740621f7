"""Secrets kept sealed under the portal's secret key (Fernet: AES-128-CBC with HMAC-SHA256), so
a copy of the database alone does not reveal them. Pure: no database, no settings object."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Another purpose of the same secret key gets another derived key.
_INFO = b"motcua sealed secrets v1"


class Unsealable(ValueError):
    """The sealed text was not sealed under this secret key (or was altered)."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, plain: str) -> str:
    """The text sealed under a key derived from ``secret_key`` (ASCII, safe to store)."""
    return _fernet(secret_key).encrypt(plain.encode()).decode("ascii")


def unseal(secret_key: str, sealed: str) -> str:
    """The text that ``seal`` sealed; Unsealable if another key sealed it or it was altered."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise Unsealable("sealed with another key, or altered") from exc
