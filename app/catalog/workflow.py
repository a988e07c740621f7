"""Workflows: the steps a procedure's dossiers go through, who does each and in what share of
the time limit. Part of each procedure version, checked when the catalog is imported."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models.accounts import OfficialRole

AGENCY_CODE_PATTERN = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"
STEP_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
MAX_STEPS = 30


class StepKind(StrEnum):
    receive = "receive"
    appraise = "appraise"
    approve = "approve"
    sign = "sign"
    return_ = "return"
    custom = "custom"


class SupplementClock(StrEnum):
    """What a supplement does to the clock: pause it while the applicant completes the dossier
    (the default of the law), or restart it from zero once the dossier is complete."""

    pause = "pause"
    restart = "restart"


# The steps whose kind fixes who does them: the desk receives, a leader decides and signs, a
# clerk issues and returns.
ROLE_OF_KIND: dict[StepKind, OfficialRole] = {
    StepKind.receive: OfficialRole.receiver,
    StepKind.approve: OfficialRole.leader,
    StepKind.sign: OfficialRole.leader,
    StepKind.return_: OfficialRole.clerk,
}
# The steps that must appear exactly once, in this order.
FIXED_KINDS = (StepKind.receive, StepKind.approve, StepKind.sign, StepKind.return_)
PROCESSING_ROLES = (
    OfficialRole.receiver,
    OfficialRole.specialist,
    OfficialRole.leader,
    OfficialRole.clerk,
)

Share = Annotated[Decimal, Field(gt=0, le=100, decimal_places=1)]


class WorkflowStep(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    code: str = Field(pattern=STEP_CODE_PATTERN)
    kind: StepKind
    name: str = Field(min_length=1, max_length=200)
    role: OfficialRole
    # None: the lead agency (the one that received the dossier); otherwise a coordinating
    # agency of an inter-agency procedure (liên thông).
    agency: str | None = Field(default=None, pattern=AGENCY_CODE_PATTERN)
    share: Share = Field(description="Per cent of the committed time limit given to this step")


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[WorkflowStep] = Field(min_length=len(FIXED_KINDS), max_length=MAX_STEPS)
    auto_receive: bool = Field(
        default=False, description="Online dossiers are received without the desk"
    )
    supplement_clock: SupplementClock = SupplementClock.pause

    @model_validator(mode="after")
    def _well_formed(self) -> Workflow:
        codes = Counter(step.code for step in self.steps)
        repeated = sorted(code for code, count in codes.items() if count > 1)
        if repeated:
            raise ValueError(f"step codes appear more than once: {', '.join(repeated)}")
        kinds = [step.kind for step in self.steps]
        for kind in FIXED_KINDS:
            if kinds.count(kind) != 1:
                raise ValueError(f"a workflow has exactly one {kind.value} step")
        if kinds[0] != StepKind.receive or kinds[-1] != StepKind.return_:
            raise ValueError("a workflow starts with its receive step and ends with return")
        if kinds.index(StepKind.approve) > kinds.index(StepKind.sign):
            raise ValueError("the approve step comes before the sign step")
        for step in self.steps:
            if step.role not in PROCESSING_ROLES:
                raise ValueError(f"step {step.code}: {step.role.value} does not process dossiers")
            wanted = ROLE_OF_KIND.get(step.kind)
            if wanted is not None and step.role != wanted:
                raise ValueError(
                    f"step {step.code}: a {step.kind.value} step is for {wanted.value}"
                )
            if step.kind in (StepKind.receive, StepKind.return_) and step.agency is not None:
                raise ValueError(f"step {step.code}: the lead agency receives and returns")
        total = sum((step.share for step in self.steps), Decimal(0))
        if total != 100:
            raise ValueError(f"the shares of the steps add up to {total}, not 100")
        return self

    def coordinating_agencies(self) -> list[str]:
        return sorted({step.agency for step in self.steps if step.agency})


DEFAULT_WORKFLOW = Workflow(
    steps=[
        WorkflowStep(
            code="receive",
            kind=StepKind.receive,
            name="Tiếp nhận hồ sơ",
            role=OfficialRole.receiver,
            share=Decimal(5),
        ),
        WorkflowStep(
            code="appraise",
            kind=StepKind.appraise,
            name="Thẩm định hồ sơ",
            role=OfficialRole.specialist,
            share=Decimal(60),
        ),
        WorkflowStep(
            code="approve",
            kind=StepKind.approve,
            name="Phê duyệt",
            role=OfficialRole.leader,
            share=Decimal(15),
        ),
        WorkflowStep(
            code="sign",
            kind=StepKind.sign,
            name="Ký số kết quả",
            role=OfficialRole.leader,
            share=Decimal(10),
        ),
        WorkflowStep(
            code="return",
            kind=StepKind.return_,
            name="Trả kết quả",
            role=OfficialRole.clerk,
            share=Decimal(10),
        ),
    ]
)


def workflow_of(stored: dict[str, Any]) -> Workflow:
    """The workflow kept on a procedure version; an empty one means the default."""
    return Workflow.model_validate(stored) if stored else DEFAULT_WORKFLOW
