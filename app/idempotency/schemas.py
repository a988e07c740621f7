"""What idempotency keys keep and give back: plain values, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StoredResponse:
    """A response as it is kept for replays: status, JSON body (None for none) and the headers
    worth repeating (such as Location)."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """A live record of a key: the request it was first used for, and that request's response
    (None while that request is still running, which only its own transaction can see)."""

    fingerprint: str
    response: StoredResponse | None


@dataclass(frozen=True)
class Claim:
    """A key taken by the running request; ``complete`` it with the response."""

    record_id: int
