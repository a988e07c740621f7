"""Worker jobs of processing: receiving online dossiers automatically, and the deadline watch
(nhắc việc) that marks dossiers due soon and overdue and reminds who holds them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.config import Settings
from app.kit.clock import aware, utcnow
from app.models.dossiers import DeadlineState, DossierEvent, EventKind
from app.outbox import service as outbox
from app.outbox.mail import KIND as EMAIL
from app.outbox.mail import email_payload
from app.processing import calendar_service, repository, service
from app.storage import FileStorage

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
WATCH_BATCH = 200


@dataclass
class WatchReport:
    due_soon: int = 0
    overdue: int = 0


async def auto_receive(
    unit_of_work: UnitOfWork, settings: Settings, storage: FileStorage, payload: dict[str, Any]
) -> None:
    async with unit_of_work() as session:
        await service.auto_receive(session, settings, storage, int(payload["dossier_id"]))


async def issue_form(
    unit_of_work: UnitOfWork, settings: Settings, storage: FileStorage, payload: dict[str, Any]
) -> None:
    async with unit_of_work() as session:
        await service.issue_form(session, settings, storage, payload)


def _reminder(settings: Settings, code: str, due: str, overdue: bool) -> tuple[str, str]:
    link = f"{settings.base_url.rstrip('/')}/can-bo/ho-so/{code}"
    if overdue:
        subject = f"Hồ sơ {code} đã quá hạn / Dossier {code} is overdue"
        body = (
            f"Hồ sơ {code} đã quá hạn giải quyết (hẹn trả {due}). Hãy xử lý ngay hoặc lập "
            f"phiếu xin lỗi và hẹn lại.\n{link}\n\n"
            f"Dossier {code} is overdue (due {due}): process it or issue an apology.\n"
        )
    else:
        subject = f"Hồ sơ {code} sắp đến hạn / Dossier {code} is due soon"
        body = (
            f"Hồ sơ {code} đến hạn trong vòng một ngày làm việc (hẹn trả {due}).\n{link}\n\n"
            f"Dossier {code} is due within one working day (due {due}).\n"
        )
    return subject, body


async def watch_deadlines(unit_of_work: UnitOfWork, settings: Settings) -> WatchReport:
    """Mark every dossier in processing that became due soon (within one working day) or
    overdue, emit ``dossier.overdue`` and remind the assignee and the leaders of the unit or
    agency holding it. Each dossier is marked once per state, so reminders are not repeated."""
    report = WatchReport()
    zone = ZoneInfo(settings.time_zone)
    after_id = 0
    while True:
        async with unit_of_work() as session:
            now = utcnow()
            calendar = await calendar_service.working_calendar(session, settings)
            horizon = calendar.add(calendar.clock_start(now), calendar.day_length)
            rows = await repository.deadline_candidates(session, horizon, after_id, WATCH_BATCH)
            if not rows:
                return report
            for dossier in rows:
                after_id = dossier.id
                assert dossier.due_at is not None and dossier.code is not None
                overdue = aware(dossier.due_at) < now
                state = DeadlineState.overdue if overdue else DeadlineState.due_soon
                if dossier.deadline_state == state:
                    continue
                dossier.deadline_state = state
                due_text = f"{aware(dossier.due_at).astimezone(zone):%H:%M %d/%m/%Y}"
                subject, body = _reminder(settings, dossier.code, due_text, overdue)
                for email in await repository.reminder_recipients(session, dossier):
                    await outbox.enqueue(session, EMAIL, email_payload(email, subject, body))
                if overdue:
                    report.overdue += 1
                    session.add(
                        DossierEvent(
                            dossier_id=dossier.id,
                            at=now,
                            kind=EventKind.overdue,
                            status=dossier.status,
                        )
                    )
                    await session.flush()
                    await service.publish(
                        session,
                        dossier,
                        EventKind.overdue,
                        now,
                        {"due_at": aware(dossier.due_at).isoformat()},
                    )
                    await audit.record(
                        session,
                        actor=service.WORKER_LABEL,
                        actor_name="Theo dõi thời hạn / Deadline watch",
                        action="dossier.overdue",
                        dossier_id=dossier.id,
                        dossier_code=dossier.code,
                    )
                else:
                    report.due_soon += 1
            await session.flush()
