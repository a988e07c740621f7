"""Every query of the payments domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.payments import Payment, PaymentState

# Money that reached the portal for the dossier; a later refund does not make it owe again.
SETTLED = (PaymentState.paid, PaymentState.partially_refunded, PaymentState.refunded)


async def paid_total(session: AsyncSession, dossier_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.dossier_id == dossier_id, Payment.state.in_(SETTLED)
        )
    )
    return int(total or 0)
