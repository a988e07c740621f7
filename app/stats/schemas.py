"""What the statistics take and give: the filters of a report, the Decision 766 indicators of
one group of dossiers, the report, and the dossiers behind one number."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class GroupBy(StrEnum):
    """How a report's dossiers are broken down."""

    agency = "agency"
    field = "field"
    procedure = "procedure"
    channel = "channel"
    month = "month"


class Measure(StrEnum):
    """A count of the report, by the name a drill-down asks for the dossiers behind it.

    Counts over the dossiers received in the period: received, online, in_processing, overdue,
    fee_bearing, paid_online, digitised, complained. Counts over the dossiers whose processing
    ended in the period: finished, early, on_time, late, results, electronic_results and the
    ratings.
    """

    received = "received"
    online = "online"
    in_processing = "in_processing"
    overdue = "overdue"
    fee_bearing = "fee_bearing"
    paid_online = "paid_online"
    digitised = "digitised"
    complained = "complained"
    finished = "finished"
    early = "early"
    on_time = "on_time"
    late = "late"
    results = "results"
    electronic_results = "electronic_results"
    very_satisfied = "very_satisfied"
    satisfied = "satisfied"
    not_satisfied = "not_satisfied"


RECEIVED_MEASURES = frozenset(
    {
        Measure.received,
        Measure.online,
        Measure.in_processing,
        Measure.overdue,
        Measure.fee_bearing,
        Measure.paid_online,
        Measure.digitised,
        Measure.complained,
    }
)


class StatsFilter(BaseModel):
    """The dossiers a report counts: a period of days (both included, in the portal's time
    zone) and optionally one agency, field, procedure (by code) or channel."""

    first: date
    last: date
    agency: str | None = None
    field: str | None = None
    procedure: str | None = None
    channel: int | None = Field(default=None, ge=1, le=3)


class Ratings(BaseModel):
    """How many applicants rated the dossiers finished in the period, by answer."""

    very_satisfied: int = 0
    satisfied: int = 0
    not_satisfied: int = 0


RATE = "Per cent, one decimal; null when its denominator is zero"


class Indicators(BaseModel):
    """The Decision 766 indicators of a group of dossiers (or of all of them).

    Rates are per cent with one decimal, null when their denominator is zero (shown "—").
    """

    key: str | None = Field(
        description="The group: agency, field or procedure code, channel number (1 counter,"
        " 2 online, 3 post), month as YYYY-MM; null for the whole report"
    )
    label: str = Field(description="The group's name in Vietnamese")
    label_en: str = Field(description="The group's name in English")
    received: int = Field(description="Dossiers received in the period")
    online: int = Field(description="Of them, filed online (channel 2)")
    online_rate: float | None = Field(description="online ÷ received; " + RATE)
    in_processing: int = Field(
        description="Dossiers received in the period whose processing has not ended"
    )
    overdue: int = Field(
        description="Of them, past their due time now (or asked twice for a supplement)"
    )
    finished: int = Field(description="Received dossiers whose processing ended in the period")
    early: int = Field(description="Finished on a day before the due day")
    on_time: int = Field(description="Finished by the due time, on the due day")
    late: int = Field(
        description="Finished after the due time, asked more than once for a supplement, or"
        " apologised for and finished after the original due time"
    )
    early_rate: float | None = Field(description="early ÷ finished; " + RATE)
    on_time_rate: float | None = Field(description="(early + on_time) ÷ finished; " + RATE)
    late_rate: float | None = Field(description="late ÷ finished; " + RATE)
    average_days: float | None = Field(
        description="Average processing time of the finished dossiers, in working days from"
        " the day the clock started to the day processing ended; null without any"
    )
    fee_bearing: int = Field(
        description="Received dossiers with fees (of a procedure with a fee above 0, or paid)"
    )
    paid_online: int = Field(description="Of them, paid online")
    paid_online_rate: float | None = Field(description="paid_online ÷ fee_bearing; " + RATE)
    results: int = Field(description="Finished dossiers with a result (not stopped)")
    electronic_results: int = Field(
        description="Of them, with a signed electronic result delivered online"
    )
    electronic_result_rate: float | None = Field(
        description="electronic_results ÷ results; " + RATE
    )
    digitised: int = Field(description="Received dossiers with a scanned or reused file")
    digitised_rate: float | None = Field(description="digitised ÷ received; " + RATE)
    complained: int = Field(description="Received dossiers with a complaint (phản ánh)")
    complaint_rate: float | None = Field(description="complained ÷ received; " + RATE)
    satisfaction_rate: float | None = Field(
        description="100 − (late_rate + complaint_rate), not below 0; " + RATE
    )
    ratings: Ratings
    procedures: int | None = Field(
        description="Published procedures of the group (null for channels and months)"
    )
    procedures_online: int | None = Field(description="Of them, full online (toàn trình)")
    procedures_online_rate: float | None = Field(
        description="procedures_online ÷ procedures; " + RATE
    )
    fee_procedures: int | None = Field(description="Published procedures with a fee above 0")
    fee_procedures_online: int | None = Field(description="Of them, payable online")
    fee_procedures_online_rate: float | None = Field(
        description="fee_procedures_online ÷ fee_procedures; " + RATE
    )


class Targets(BaseModel):
    """The rates Decision 766 gives full marks at, per cent."""

    online_rate: float = 50.0
    procedures_online_rate: float = 80.0
    fee_procedures_online_rate: float = 80.0
    electronic_result_rate: float = 80.0
    satisfaction_rate: float = 90.0


class StatsReport(BaseModel):
    """The indicators of the dossiers the filter picks, in all and by group."""

    first: date = Field(description="First day of the period")
    last: date = Field(description="Last day of the period, included")
    agency: str | None
    field: str | None
    procedure: str | None
    channel: int | None
    group_by: GroupBy | None
    generated_at: datetime
    total: Indicators
    groups: list[Indicators]
    targets: Targets = Targets()


class DossierBrief(BaseModel):
    """A dossier behind a number of the report."""

    id: int
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    channel: int
    status: int
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    supplement_count: int


class DossierBriefPage(BaseModel):
    """One page of the dossiers behind a number, newest first."""

    items: list[DossierBrief]
    next_cursor: str | None


class Scope(BaseModel):
    """The agencies whose dossiers a reader may list: None for every agency."""

    agency_ids: frozenset[int] | None
