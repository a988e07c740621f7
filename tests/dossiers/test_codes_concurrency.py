"""Dossier codes stay unique when many submissions commit at once, each in its own transaction."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, select

from app.catalog.importing import import_catalog
from app.config import Settings
from app.db import Database
from app.dossiers import service
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.models.accounts import Account
from app.models.catalog import Agency
from app.models.dossiers import Delivery, Dossier, DossierCodeCounter
from app.models.outbox import OutboxMessage
from app.models.webhooks import WebhookEvent
from app.outbox.mail import KIND as EMAIL
from tests.dossiers.conftest import make_citizen
from tests.fixtures.catalogs import CHILD_AGENCY, PROCEDURE, small_catalog

SUBMISSIONS = 50


@pytest.fixture
async def drafts(
    database: Database, settings: Settings
) -> AsyncIterator[tuple[Applicant, list[str]]]:
    """Committed drafts ready to submit; everything they leave behind is removed after."""
    async with database.unit_of_work() as session:
        await import_catalog(session, small_catalog())
        applicant = await make_citizen(session, 7001)
        references = []
        for _ in range(SUBMISSIONS):
            draft = await service.start_draft(session, applicant, PROCEDURE, settings)
            await service.update_draft(
                session,
                applicant,
                draft.reference,
                DraftChanges(
                    data={"full_name": "Nguyễn Văn An"},
                    delivery=DeliveryIn(method=Delivery.counter),
                ),
                settings,
            )
            references.append(draft.reference)
        agency_id = await session.scalar(select(Agency.id).where(Agency.code == CHILD_AGENCY))
        counters = {
            (c.day, c.last)
            for c in await session.scalars(
                select(DossierCodeCounter).where(DossierCodeCounter.agency_id == agency_id)
            )
        }
    try:
        yield applicant, references
    finally:
        async with database.unit_of_work() as session:
            # The events for callbacks of the submissions, which name the dossiers by code.
            codes = select(Dossier.code).where(Dossier.reference.in_(references))
            await session.execute(delete(WebhookEvent).where(WebhookEvent.dossier_code.in_(codes)))
            await session.execute(delete(Dossier).where(Dossier.reference.in_(references)))
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.kind == EMAIL,
                    OutboxMessage.payload["to"].as_string() == applicant.email,
                )
            )
            await session.execute(delete(Account).where(Account.id == applicant.account_id))
            # The counters as they were: no code of these dossiers is left to collide with.
            await session.execute(
                delete(DossierCodeCounter).where(DossierCodeCounter.agency_id == agency_id)
            )
            for day, last in counters:
                session.add(DossierCodeCounter(agency_id=agency_id, day=day, last=last))


async def test_fifty_concurrent_submissions_get_fifty_codes(
    database: Database, settings: Settings, drafts: tuple[Applicant, list[str]]
) -> None:
    applicant, references = drafts
    start = asyncio.Event()

    async def submit(reference: str) -> str:
        await start.wait()
        async with database.unit_of_work() as session:
            done = await service.submit(session, applicant, reference, settings)
        assert done.code is not None
        return done.code

    tasks = [asyncio.create_task(submit(reference)) for reference in references]
    await asyncio.sleep(0)
    start.set()
    codes = await asyncio.gather(*tasks)

    assert len(set(codes)) == SUBMISSIONS
    days = {re.fullmatch(r"000\.01\.99\.H99-(\d{6})-\d{4}", code)[1] for code in codes}  # type: ignore[index]
    assert len(days) == 1 or len(days) == 2  # a run across local midnight splits the days
    for day in days:
        numbers = sorted(int(c[-4:]) for c in codes if f"-{day}-" in c)
        # No gap and no repeat: each commit took the next number.
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))

    async with database.unit_of_work() as session:
        stored = dict(
            (
                await session.execute(
                    select(Dossier.reference, Dossier.code).where(Dossier.reference.in_(references))
                )
            ).all()
        )
        statuses = set(
            await session.scalars(select(Dossier.status).where(Dossier.reference.in_(references)))
        )
        mails = list(
            await session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.kind == EMAIL,
                    OutboxMessage.payload["to"].as_string() == applicant.email,
                )
            )
        )
    assert sorted(stored.values()) == sorted(codes) and statuses == {1}
    # One acknowledgement per dossier, each with its own code.
    assert sorted(c for m in mails for c in codes if c in m["subject"]) == sorted(codes)
