"""The national portal's synchronisation end to end: the worker's subscription made from the
settings, a dossier's changes, the delivery engine, and a local receiver that checks every field
and format of each DongBoHoSoMC record it gets."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.processing.rules import Action
from app.storage import FileStorage
from app.webhooks import delivery, national
from tests.fixtures.processing import Desk, act, file_dossier
from tests.outbox.helpers import same_session
from tests.webhooks.national_receiver import VIETNAM, national_receiver

pytestmark = pytest.mark.usefixtures("desk")


async def test_each_change_reaches_the_national_portal_as_a_valid_record_in_order(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    since = datetime.now(VIETNAM)
    with national_receiver(since) as receiver:
        synced = settings.model_copy(
            update={
                "national_portal_url": receiver.url,
                "national_portal_token": "dvcqg-token",
                "webhook_allowed_networks": "127.0.0.0/8",
            }
        )
        await national.sync_subscription(db_session, synced)
        work = same_session(db_session)

        async def deliver() -> str:
            """Deliver what is due; the status the portal now holds."""
            report = await delivery.deliver_due(work, synced)
            assert report.failed == 0 and report.retried == 0
            return str(receiver.received[-1].body["data"][0]["TrangThaiHoSo"])

        code = await file_dossier(db_session, synced, applicant, storage=storage)
        assert await deliver() == "1"
        await act(db_session, synced, storage, desk["receiver"], code, Action.receive)
        assert await deliver() == "2"
        await act(db_session, synced, storage, desk["specialist"], code, Action.take)
        await act(db_session, synced, storage, desk["specialist"], code, Action.forward)
        await act(db_session, synced, storage, desk["leader"], code, Action.approve)
        await act(db_session, synced, storage, desk["leader"], code, Action.sign)
        assert await deliver() == "4"
        await act(db_session, synced, storage, desk["clerk"], code, Action.result_ready)
        await act(db_session, synced, storage, desk["clerk"], code, Action.return_result)
        assert await deliver() == "10"

    received = receiver.received
    # Submitted, received, taken, forwarded, approved, signed, result ready, returned.
    assert len(received) == 8
    assert [r.problems for r in received] == [[]] * len(received)
    assert all(r.headers["Authorization"] == "Bearer dvcqg-token" for r in received)
    assert [r.body["isUpdating"] for r in received] == [False] + [True] * 7
    assert {r.body["data"][0]["MaHoSo"] for r in received} == {code}
    steps = received[-1].body["data"][0]["QuaTrinhXuLy"]
    assert [s["TrangThai"] for s in steps] == ["2", "4", "4", "4", "10"]
