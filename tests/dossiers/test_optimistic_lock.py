"""Two requests acting on the same draft at once: only the first change wins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm.exc import StaleDataError

from app.catalog.importing import import_catalog
from app.config import Settings
from app.db import Database
from app.dossiers import repository, service
from app.dossiers.errors import NotADraft
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.main import create_app
from app.models.accounts import Account
from app.models.dossiers import Delivery, Dossier
from app.models.outbox import OutboxMessage
from app.models.webhooks import WebhookEvent
from tests.dossiers.conftest import make_citizen
from tests.fixtures.catalogs import PROCEDURE, small_catalog


@pytest.fixture
async def committed_draft(
    database: Database, settings: Settings
) -> AsyncIterator[tuple[Applicant, str]]:
    async with database.unit_of_work() as session:
        last_message = await session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
        await import_catalog(session, small_catalog())
        applicant = await make_citizen(session, 9001)
        draft = await service.start_draft(session, applicant, PROCEDURE, settings)
        await service.update_draft(
            session,
            applicant,
            draft.reference,
            DraftChanges(
                data={"full_name": "Trần Thị Bình"},
                delivery=DeliveryIn(method=Delivery.counter),
            ),
            settings,
        )
    yield applicant, draft.reference
    async with database.unit_of_work() as session:
        # The events for callbacks of the submissions, which name the dossiers by code.
        codes = select(Dossier.code).where(Dossier.reference == draft.reference)
        await session.execute(delete(WebhookEvent).where(WebhookEvent.dossier_code.in_(codes)))
        await session.execute(delete(Dossier).where(Dossier.reference == draft.reference))
        await session.execute(delete(Account).where(Account.id == applicant.account_id))
        # The acknowledgement e-mail of the submission, which other tests would otherwise see.
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id > last_message))


async def test_a_change_read_before_a_submission_is_refused_after_it(
    database: Database, settings: Settings, committed_draft: tuple[Applicant, str]
) -> None:
    applicant, reference = committed_draft
    first = database.sessions()
    second = database.sessions()
    try:
        # The second request read the draft before the first one submitted it, and writes
        # after: its change must be refused, not silently applied over the submission.
        stale = await repository.by_reference(second, reference)
        assert stale is not None and stale.status is None
        submitted = await service.submit(first, applicant, reference, settings)
        await first.commit()
        stale.data = {"full_name": "Ghi đè"}
        with pytest.raises(StaleDataError):
            await second.flush()
        await second.rollback()
        with pytest.raises(NotADraft):
            await service.submit(second, applicant, reference, settings)
    finally:
        await first.close()
        await second.close()
    async with database.unit_of_work() as session:
        found = await service.get_dossier(session, applicant, reference)
    assert found.code == submitted.code
    assert [e.kind for e in found.events] == ["created", "submitted"]


async def test_a_concurrent_change_is_answered_409_not_500(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/api/v1/stale-probe")
    async def stale_probe() -> None:
        raise StaleDataError("the row changed meanwhile")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/api/v1/stale-probe")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "changed_meanwhile"
