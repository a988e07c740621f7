"""The trail of one dossier, for the pages that show who read or changed it."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.catalog.importing import import_catalog
from app.config import Settings
from app.dossiers import service as dossiers
from app.models.dossiers import Dossier
from tests.dossiers.conftest import make_citizen
from tests.fixtures.catalogs import PROCEDURE, small_catalog


async def _dossier_ids(session: AsyncSession, settings: Settings, count: int) -> list[int]:
    await import_catalog(session, small_catalog())
    applicant = await make_citizen(session, 9301)
    found = []
    for _ in range(count):
        draft = await dossiers.start_draft(session, applicant, PROCEDURE, settings)
        found.append(
            await session.scalar(select(Dossier.id).where(Dossier.reference == draft.reference))
        )
    return [i for i in found if i is not None]


async def test_the_trail_of_a_dossier_is_paged_newest_first(
    db_session: AsyncSession, settings: Settings
) -> None:
    mine, other = await _dossier_ids(db_session, settings, 2)
    for n in range(5):
        await audit.record(
            db_session,
            actor=f"account:{n}",
            actor_name=f"Cán bộ {n}",
            action="dossier.read",
            ip="203.0.113.7",
            dossier_id=mine,
            dossier_code="H99.01-261124-0001",
            detail={"lần": n},
        )
        await audit.record(
            db_session, actor="worker", actor_name="", action="dossier.read", dossier_id=other
        )
    first = await audit.trail_of_dossier(db_session, mine, 2)
    second = await audit.trail_of_dossier(db_session, mine, 2, first[-1].id)
    third = await audit.trail_of_dossier(db_session, mine, 2, second[-1].id)
    pages = [first, second, third]
    assert [len(p) for p in pages] == [2, 2, 1]
    trail = [row for page in pages for row in page]
    assert [row.detail["lần"] for row in trail] == [4, 3, 2, 1, 0]
    assert {row.dossier_id for row in trail} == {mine}
    assert trail[0].actor == "account:4" and trail[0].actor_name == "Cán bộ 4"
    assert trail[0].ip == "203.0.113.7" and trail[0].dossier_code == "H99.01-261124-0001"
    assert trail[0].at.tzinfo is not None and trail[0].at.utcoffset() == UTC.utcoffset(None)
    assert await audit.trail_of_dossier(db_session, mine, 2, trail[-1].id) == []


async def test_page_sizes_are_kept_within_bounds(
    db_session: AsyncSession, settings: Settings
) -> None:
    (dossier_id,) = await _dossier_ids(db_session, settings, 1)
    for _ in range(audit.MAX_PAGE_SIZE + 1):
        await audit.record(
            db_session, actor="worker", actor_name="", action="dossier.read", dossier_id=dossier_id
        )
    assert len(await audit.trail_of_dossier(db_session, dossier_id, 0)) == 1
    assert len(await audit.trail_of_dossier(db_session, dossier_id, 10_000)) == audit.MAX_PAGE_SIZE
