"""The filing path through the service: draft, file, delivery, submission."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import DossierInvalid, FileRefused, NotADraft
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges, PostalAddress
from app.models.dossiers import Delivery
from app.storage import FileStorage
from tests.dossiers.conftest import PDF, PNG, chunks


async def test_draft_to_submission(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    assert draft.code is None and draft.status.code is None
    with pytest.raises(DossierInvalid) as refused:
        await service.submit(db_session, citizen, draft.reference, settings)
    locations = {p.location for p in refused.value.problems}
    assert {"data.full_name", "delivery.method"} <= locations

    await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(
            data={"full_name": "Nguyễn Văn An"},
            delivery=DeliveryIn(
                method=Delivery.post,
                address=PostalAddress(
                    recipient="Nguyễn Văn An",
                    phone="0912340001",
                    province="15",
                    commune="02647",
                    street="Số 1 đường Hoàng Liên",
                ),
            ),
        ),
        settings,
    )
    with pytest.raises(FileRefused):
        await service.add_file(
            db_session,
            storage,
            settings,
            citizen,
            draft.reference,
            "declaration",
            "a.pdf",
            chunks(PNG),
        )
    added = await service.add_file(
        db_session,
        storage,
        settings,
        citizen,
        draft.reference,
        "declaration",
        "../../tờ khai.pdf",
        chunks(PDF),
    )
    assert added.name == "tờ khai.pdf" and added.size == len(PDF)
    submitted = await service.submit(db_session, citizen, draft.reference, settings)
    assert submitted.status.code == 1
    assert submitted.code is not None and re.fullmatch(
        r"000\.01\.99\.H99-\d{6}-\d{4}", submitted.code
    )
    with pytest.raises(NotADraft):
        await service.submit(db_session, citizen, draft.reference, settings)
    found = await service.lookup(db_session, submitted.code, "0001", client="127.0.0.1")
    assert found is not None and found.status.code == 1
    assert await service.lookup(db_session, submitted.code, "9999", client="127.0.0.1") is None
