"""What a submitted dossier owes online, and whether the applicant may pay it now."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dossiers import Dossier, Status
from app.models.payments import PaymentStage
from app.payments import repository
from app.payments.fees import Assessment, assess


@dataclass(frozen=True)
class Due:
    stage: PaymentStage
    assessment: Assessment
    paid: int

    @property
    def outstanding(self) -> int:
        return max(self.assessment.total - self.paid, 0)


async def due_of(session: AsyncSession, dossier: Dossier) -> Due | None:
    """The fees of the dossier paid online (its procedure loaded), and what was paid of them;
    None when its procedure takes them at the counter."""
    stage = dossier.procedure.payment_stage
    if stage is None:
        return None
    return Due(
        stage=PaymentStage(stage),
        assessment=assess(dossier.procedure.fees, dossier.data),
        paid=await repository.paid_total(session, dossier.id),
    )


def payable_now(dossier: Dossier, due: Due | None) -> bool:
    """The applicant pays when the dossier waits for it (status 6), or ahead, right after
    submitting, when the procedure asks for the fees before processing."""
    if due is None or due.outstanding == 0:
        return False
    if dossier.status == Status.payment_required:
        return True
    return dossier.status == Status.registered and due.stage is PaymentStage.before_processing
