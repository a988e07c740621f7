"""Events for callbacks, written in the caller's transaction: an event exists (and is delivered
to the subscribers) only if the change it tells is committed."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import aware
from app.models.dossiers import Dossier
from app.models.webhooks import WebhookEvent
from app.webhooks import repository

EVENT_MARK = "msg_"


def _when(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value else None


def dossier_snapshot(dossier: Dossier) -> dict[str, Any]:
    """What a receiver needs to know of the dossier without calling back. The procedure and
    agency must be loaded with it."""
    return {
        "dossier_code": dossier.code,
        "status": dossier.status,
        "channel": dossier.channel,
        "procedure_code": dossier.procedure.code,
        "agency_code": dossier.agency.code if dossier.agency else None,
        "applicant_type": dossier.applicant_type,
        "submitted_at": _when(dossier.submitted_at),
        "received_at": _when(dossier.received_at),
        "due_at": _when(dossier.due_at),
        "finished_at": _when(dossier.finished_at),
        "returned_at": _when(dossier.returned_at),
        "delivery": dossier.delivery,
    }


async def publish(
    session: AsyncSession, dossier: Dossier, event_type: str, at: datetime, data: dict[str, Any]
) -> None:
    """Record an event of the dossier (``dossier.received``...) for the subscribers."""
    reference = EVENT_MARK + secrets.token_urlsafe(18)
    snapshot = dossier_snapshot(dossier)
    await repository.add_event(
        session,
        WebhookEvent(
            reference=reference,
            type=event_type,
            dossier_code=dossier.code,
            procedure_code=snapshot["procedure_code"],
            agency_code=snapshot["agency_code"],
            # The row version grows with every change of the dossier.
            sequence=dossier.row_version,
            occurred_at=at,
            payload={
                "type": event_type,
                "timestamp": aware(at).isoformat(),
                "data": {"id": reference, "sequence": dossier.row_version, **snapshot, **data},
            },
        ),
    )
