"""What the delegation operations give: plain Pydantic models, no ORM objects."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel


class DelegationState(StrEnum):
    """Where a delegation stands on a given day."""

    scheduled = "scheduled"
    in_force = "in_force"
    ended = "ended"
    revoked = "revoked"


class DelegationOut(BaseModel):
    """An agency's decisions on one procedure (or on all of them, ``procedure_code`` None)
    handed to another agency, or to a unit, from ``starts_on`` to ``ends_on`` included."""

    id: int
    from_agency_id: int
    from_agency_code: str
    from_agency_name: str
    procedure_code: str | None
    procedure_name: str | None
    to_agency_code: str
    to_agency_name: str
    to_unit_code: str | None
    to_unit_name: str | None
    starts_on: date
    ends_on: date
    note: str
    created_at: datetime
    revoked_at: datetime | None

    def state(self, today: date) -> DelegationState:
        """Revoked, or else before, within or after its period on ``today`` (a local date)."""
        if self.revoked_at is not None:
            return DelegationState.revoked
        if today < self.starts_on:
            return DelegationState.scheduled
        if today > self.ends_on:
            return DelegationState.ended
        return DelegationState.in_force


class ProcedureChoice(BaseModel):
    """A procedure an agency handles, as the delegation form offers it."""

    code: str
    name: str
