"""The transition table: which role may do what, on which step, in which status. One place for
the rule; the services, the API and the pages all ask it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.catalog.workflow import StepKind
from app.models.accounts import OfficialRole
from app.models.dossiers import EventKind, Status


class Action(StrEnum):
    receive = "receive"
    request_supplement = "request_supplement"
    refuse = "refuse"
    take = "take"
    assign = "assign"
    forward = "forward"
    send_back = "send_back"
    approve = "approve"
    deny = "deny"
    sign = "sign"
    result_ready = "result_ready"
    return_result = "return"
    apologize = "apologize"
    stop = "stop"


# Stands for "whoever holds the open step's role" in the table below.
STEP_ROLE = "step"
ACTIVE = frozenset({Status.received, Status.processing})
ANY_STEP = frozenset(StepKind)
WORK_STEPS = frozenset({StepKind.appraise, StepKind.custom})


@dataclass(frozen=True)
class Transition:
    roles: frozenset[str]
    statuses: frozenset[Status]
    steps: frozenset[StepKind]
    # None: the status does not change.
    to_status: Status | None
    event: EventKind
    # The step passes to someone else (a new row of the routing slip).
    hands_over: bool


def _t(
    roles: set[str],
    statuses: set[Status],
    steps: frozenset[StepKind] | set[StepKind],
    to_status: Status | None,
    event: EventKind,
    *,
    hands_over: bool = True,
) -> Transition:
    return Transition(
        frozenset(roles), frozenset(statuses), frozenset(steps), to_status, event, hands_over
    )


RECEIVER = OfficialRole.receiver.value
LEADER = OfficialRole.leader.value
CLERK = OfficialRole.clerk.value

TRANSITIONS: dict[Action, Transition] = {
    Action.receive: _t(
        {RECEIVER}, {Status.registered}, {StepKind.receive}, Status.received, EventKind.received
    ),
    Action.refuse: _t(
        {RECEIVER},
        {Status.registered},
        {StepKind.receive},
        Status.not_accepted,
        EventKind.refused,
        hands_over=False,
    ),
    # The desk asks at reception; a specialist may still find something missing when
    # appraising (the law allows one request; a second makes the dossier late).
    Action.request_supplement: _t(
        {STEP_ROLE},
        {Status.registered, *ACTIVE},
        {StepKind.receive, *WORK_STEPS},
        Status.supplement_requested,
        EventKind.supplement_requested,
        hands_over=False,
    ),
    Action.take: _t(
        {STEP_ROLE},
        set(ACTIVE),
        ANY_STEP - {StepKind.receive},
        Status.processing,
        EventKind.taken,
        hands_over=False,
    ),
    Action.assign: _t(
        {LEADER}, set(ACTIVE), ANY_STEP - {StepKind.receive}, None, EventKind.assigned
    ),
    Action.forward: _t(
        {STEP_ROLE}, set(ACTIVE), WORK_STEPS, Status.processing, EventKind.forwarded
    ),
    Action.send_back: _t(
        {STEP_ROLE},
        set(ACTIVE),
        ANY_STEP - {StepKind.receive},
        Status.processing,
        EventKind.sent_back,
    ),
    Action.approve: _t(
        {LEADER}, set(ACTIVE), {StepKind.approve}, Status.processing, EventKind.approved
    ),
    Action.deny: _t({LEADER}, set(ACTIVE), {StepKind.approve}, Status.processing, EventKind.denied),
    Action.sign: _t({LEADER}, set(ACTIVE), {StepKind.sign}, Status.processing, EventKind.signed),
    Action.result_ready: _t(
        {CLERK},
        set(ACTIVE),
        {StepKind.return_},
        Status.result_ready,
        EventKind.result_ready,
        hands_over=False,
    ),
    Action.return_result: _t(
        {CLERK},
        {Status.result_ready},
        {StepKind.return_},
        Status.returned,
        EventKind.returned,
        hands_over=False,
    ),
    Action.apologize: _t(
        {LEADER},
        {*ACTIVE, Status.supplement_requested},
        ANY_STEP,
        None,
        EventKind.apology_issued,
        hands_over=False,
    ),
    Action.stop: _t(
        {LEADER},
        {*ACTIVE, Status.supplement_requested, Status.payment_required},
        ANY_STEP,
        Status.stopped,
        EventKind.stopped,
        hands_over=False,
    ),
}


def allowed_roles(action: Action, step_role: str) -> frozenset[str]:
    """The roles that may take ``action`` on a dossier whose open step is for ``step_role``."""
    roles = TRANSITIONS[action].roles
    return (roles - {STEP_ROLE}) | ({step_role} if STEP_ROLE in roles else set())


def may_act(
    action: Action, *, roles: frozenset[str], status: Status, step_kind: StepKind, step_role: str
) -> bool:
    """Whether someone holding ``roles`` may take ``action`` now (visibility aside)."""
    transition = TRANSITIONS[action]
    return (
        status in transition.statuses
        and step_kind in transition.steps
        and bool(roles & allowed_roles(action, step_role))
    )


def available_actions(
    *, roles: frozenset[str], status: Status, step_kind: StepKind, step_role: str
) -> list[Action]:
    """Every action the holder of ``roles`` may take now, in the table's order."""
    return [
        action
        for action in TRANSITIONS
        if may_act(action, roles=roles, status=status, step_kind=step_kind, step_role=step_role)
    ]
