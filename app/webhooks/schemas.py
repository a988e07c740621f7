"""What callback operations take and give: plain Pydantic models, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.webhooks.addresses import MAX_URL_LENGTH

MAX_FILTER_ITEMS = 100


@dataclass(frozen=True)
class Owner:
    """Whose subscriptions: an enterprise's (its API keys and staff) or an agency's (its API
    keys and administrators). Exactly one is set."""

    enterprise_id: int | None = None
    agency_id: int | None = None

    def __post_init__(self) -> None:
        if (self.enterprise_id is None) == (self.agency_id is None):
            raise ValueError("an owner is an enterprise or an agency")


class EventTypeOut(BaseModel):
    name: str = Field(examples=["dossier.received"])
    description_vi: str
    description_en: str


class SubscriptionIn(BaseModel):
    """A new subscription: where to post, and which events (empty lists: all of them)."""

    url: str = Field(max_length=MAX_URL_LENGTH, examples=["https://example.vn/hooks/motcua"])
    event_types: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    procedure_codes: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    agency_codes: list[str] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    description: str = Field(default="", max_length=500)
    contact_email: str | None = Field(
        default=None, max_length=320, description="Told when the endpoint is disabled"
    )


class SubscriptionChanges(BaseModel):
    """A change of a subscription (PATCH): only the fields given change. ``enabled: true``
    resumes a disabled endpoint and the deliveries waiting for it."""

    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    event_types: list[str] | None = Field(default=None, max_length=MAX_FILTER_ITEMS)
    procedure_codes: list[str] | None = Field(default=None, max_length=MAX_FILTER_ITEMS)
    agency_codes: list[str] | None = Field(default=None, max_length=MAX_FILTER_ITEMS)
    description: str | None = Field(default=None, max_length=500)
    contact_email: str | None = Field(default=None, max_length=320)
    enabled: bool | None = None


class SubscriptionOut(BaseModel):
    id: str = Field(examples=["ep_3kTqv9XJ2a0wQ1"])
    url: str
    description: str
    event_types: list[str]
    procedure_codes: list[str]
    agency_codes: list[str]
    payload_format: str
    contact_email: str | None
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None = Field(
        description="Why it is off, a stable code: owner (turned off by its owner), gone (the"
        " endpoint answered 410), failing (every delivery failed for days), not_configured and"
        " duplicate (the national portal's sink)",
        examples=["gone"],
    )
    disabled_reason_vi: str | None = Field(description="The reason, in Vietnamese")
    disabled_reason_en: str | None = Field(description="The reason, in English")
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret signs too (after a rotation)"
    )
    created_at: datetime
    updated_at: datetime
    version: int = Field(description='Grows with each change; the ETag is W/"<version>"')


class OperatedSubscription(SubscriptionOut):
    """A subscription as the operator sees it: whose, and how much waits."""

    enterprise_tax_code: str | None
    agency_code: str | None = Field(description="Both None: the national portal's sink")
    pending: int = Field(description="Deliveries not yet delivered nor failed")


class SecretOut(BaseModel):
    secret: str = Field(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    previous_secret_expires_at: datetime | None


class CreatedSubscription(SubscriptionOut):
    secret: str = Field(description="The signing secret (also at GET …/secret)")


class SubscriptionPage(BaseModel):
    """A page of an owner's subscriptions, oldest first."""

    items: list[SubscriptionOut]
    next_cursor: str | None


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    response_snippet: str | None


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="The webhook-id header, the same on every retry")
    event_type: str
    dossier_code: str | None
    state: str = Field(examples=["pending", "delivered", "failed"])
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class DeliveryDetail(DeliveryOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryPage(BaseModel):
    """A page of a subscription's deliveries, newest first."""

    items: list[DeliveryOut]
    next_cursor: str | None


class ReplayIn(BaseModel):
    since: datetime


class ReplayOut(BaseModel):
    queued: int = Field(description="New deliveries queued")
    limit: int = Field(description="The most events one replay queues")
    truncated: bool = Field(description="More events matched than the limit: replay again later")
    until: datetime | None = Field(description="The time of the last event queued")
