"""Standard Webhooks signatures: secrets ``whsec_<base64>`` and the headers of one attempt."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

SECRET_MARK = "whsec_"
SECRET_BYTES = 24
USER_AGENT = "motcua-webhooks"


def new_secret() -> str:
    """A fresh signing secret, shown once to its owner (and kept sealed)."""
    return SECRET_MARK + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def headers(
    signers: Sequence[Webhook], message_id: str, at: datetime, body: bytes
) -> dict[str, str]:
    """The headers of one attempt: the id stays across retries, the timestamp is this
    attempt's, and each secret in use (two during a rotation) adds a signature."""
    text = body.decode()
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(s.sign(message_id, at, text) for s in signers),
    }
