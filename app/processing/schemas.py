"""What processing operations take and give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from app.dossiers.schemas import StatusOut
from app.models.accounts import OfficialRole
from app.models.dossiers import Delivery
from app.processing.rules import Action

MAX_REASON_LENGTH = 2000
MAX_ITEMS = 50


class Person(NamedTuple):
    """How an account is named on a routing slip."""

    name: str
    # Empty for an account that is not an official.
    title: str


@dataclass(frozen=True)
class Actor:
    """Who acts on a dossier: an official, or an agency's API key acting for its agency."""

    label: str
    name: str
    agency_id: int
    agency_code: str
    roles: frozenset[str]
    account_id: int | None = None
    unit_id: int | None = None
    ip: str = ""

    @property
    def sees_whole_agency(self) -> bool:
        """Leaders and administrators oversee every dossier of their agency; an agency's key
        acts for the whole agency."""
        return self.account_id is None or bool(
            self.roles & {OfficialRole.leader.value, OfficialRole.admin.value}
        )


PROCESSING_KEY_ROLES = frozenset(
    {
        OfficialRole.receiver.value,
        OfficialRole.specialist.value,
        OfficialRole.leader.value,
        OfficialRole.clerk.value,
    }
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SupplementItem(_In):
    """One thing to complete or correct: an answer of the form (``path``) or a file slot."""

    path: str = Field(min_length=1, max_length=200, description="Form field or file slot path")
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)


class ActionIn(_In):
    """What an action takes; each action reads the parts it needs (see the action's text)."""

    reason: str = Field(default="", max_length=MAX_REASON_LENGTH)
    items: list[SupplementItem] = Field(default=[], max_length=MAX_ITEMS)
    unit: str | None = Field(default=None, max_length=32, description="Unit code to hand to")
    official: str | None = Field(
        default=None, max_length=254, description="E-mail of the official to hand to"
    )
    agency: str | None = Field(
        default=None, max_length=20, description="Agency to forward to (inter-agency)"
    )
    new_due_at: datetime | None = Field(default=None, description="An apology's new date")
    method: Delivery | None = Field(default=None, description="How the result was returned")
    tracking_number: str | None = Field(default=None, max_length=50)


class StepOut(BaseModel):
    """One row of the routing slip."""

    position: int
    code: str
    kind: str
    name: str
    role: str
    agency_code: str
    agency_name: str
    unit_name: str | None
    assignee_name: str | None
    handed_over_by: str
    handed_over_at: datetime
    received_by: str | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    result: str | None
    outcome: str | None
    note: str


class SupplementOut(BaseModel):
    requested_at: datetime
    requested_by: str
    items: list[SupplementItem]
    note: str
    due_before: datetime | None
    resubmitted_at: datetime | None
    due_after: datetime | None


class DocumentRef(BaseModel):
    reference: str
    form: str
    signed: bool
    created_at: datetime


class WorkOut(BaseModel):
    """A dossier as an official works on it."""

    code: str
    status: StatusOut
    channel: int
    procedure_code: str
    procedure_name: str
    agency_code: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    applicant_email: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    original_due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    supplement_count: int
    late: bool = Field(
        description="Counts as late: finished (or still open) past its due time, or asked for "
        "a supplement more than once"
    )
    apology_at: datetime | None
    apology_late: bool
    deadline_state: str | None
    decision: str | None
    delivery: str | None
    return_method: str | None
    postal_tracking: str | None
    step: StepOut | None
    actions: list[Action] = Field(description="What the caller may do now")
    routing_slip: list[StepOut]
    supplements: list[SupplementOut]
    documents: list[DocumentRef]


class Queue(StrEnum):
    to_receive = "to_receive"
    # Handed to one of the official's roles (or their unit) and not yet taken by anyone.
    to_take = "to_take"
    mine = "mine"
    unit = "unit"
    due_soon = "due_soon"
    overdue = "overdue"
    supplement = "supplement"
    to_return = "to_return"


class QueueFilter(_In):
    procedure: str | None = None
    field: str | None = None
    status: int | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


class QueueItem(BaseModel):
    code: str
    status: StatusOut
    procedure_code: str
    procedure_name: str
    applicant_name: str
    channel: int
    received_at: datetime | None
    submitted_at: datetime | None
    due_at: datetime | None
    deadline_state: str | None
    step_kind: str | None
    assignee_name: str | None


class QueuePage(BaseModel):
    queue: Queue
    items: list[QueueItem]
    next_cursor: str | None
    count: int = Field(description="How many dossiers the whole queue holds")


class QueueCount(BaseModel):
    queue: Queue
    count: int
