"""NUL characters, which PostgreSQL cannot store, get a clear refusal instead of a crash."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import DossierInvalid
from app.dossiers.schemas import Applicant, DraftChanges


async def test_an_answer_with_nul_is_refused(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    with pytest.raises(DossierInvalid) as refused:
        await service.update_draft(
            db_session,
            citizen,
            draft.reference,
            DraftChanges(data={"full_name": "A\x00B"}),
            settings,
        )
    assert "NUL" in refused.value.message_en


async def test_a_lookup_with_nul_finds_nothing(db_session: AsyncSession) -> None:
    found = await service.lookup(
        db_session, "000.00.00.H39-261124-0001\x00", "12\x0034", client="192.0.2.77"
    )
    assert found is None
