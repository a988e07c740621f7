"""Who sees a dossier: its citizen, or every staff member and API key of its enterprise."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import DossierNotFound, FileNotFound
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.models.dossiers import ApplicantType, Delivery
from app.storage import FileStorage
from tests.dossiers.conftest import (
    PDF,
    TAX_CODES,
    add_staff,
    chunks,
    keys,
    make_citizen,
    make_enterprise,
)


async def _draft_with_file(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    procedure: str,
) -> tuple[str, str]:
    draft = await service.start_draft(session, applicant, procedure, settings)
    added = await service.add_file(
        session, storage, settings, applicant, draft.reference, "declaration", "a.pdf", chunks(PDF)
    )
    return draft.reference, added.id


async def _refused_everything(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    stranger: Applicant,
    reference: str,
    file_id: str,
) -> None:
    before = await keys(storage)
    with pytest.raises(DossierNotFound):
        await service.get_dossier(session, stranger, reference)
    with pytest.raises(DossierNotFound):
        await service.update_draft(
            session, stranger, reference, DraftChanges(data={"full_name": "X"}), settings
        )
    with pytest.raises(DossierNotFound):
        await service.check_draft(session, stranger, reference)
    with pytest.raises(DossierNotFound):
        await service.add_file(
            session, storage, settings, stranger, reference, "declaration", "a.pdf", chunks(PDF)
        )
    with pytest.raises(DossierNotFound):
        await service.check_upload(session, stranger, settings, reference, "declaration", 10)
    with pytest.raises(DossierNotFound):
        await service.remove_file(session, stranger, reference, file_id)
    with pytest.raises(DossierNotFound):
        await service.submit(session, stranger, reference, settings)
    with pytest.raises(DossierNotFound):
        await service.delete_draft(session, stranger, reference)
    with pytest.raises(FileNotFound):
        await service.open_file(session, storage, stranger, file_id)
    assert (await service.list_dossiers(session, stranger)).items == []
    assert await keys(storage) == before


async def test_another_citizen_sees_nothing(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    reference, file_id = await _draft_with_file(db_session, settings, storage, citizen, filing)
    stranger = await make_citizen(db_session, 2)
    enterprise = await make_enterprise(db_session, 1)
    software = await service.applicant_for_enterprise(db_session, TAX_CODES[1])
    for other in (stranger, enterprise, software):
        await _refused_everything(db_session, settings, storage, other, reference, file_id)
    # The same answer for the dossier once it has a code.
    await service.update_draft(
        db_session,
        citizen,
        reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    code = (await service.submit(db_session, citizen, reference, settings)).code
    assert code is not None
    for other in (stranger, enterprise):
        with pytest.raises(DossierNotFound):
            await service.get_dossier(db_session, other, code)
        with pytest.raises(DossierNotFound):
            await service.withdraw(db_session, other, code, "Không phải của tôi")
    # The owner still has it all.
    assert (await service.get_dossier(db_session, citizen, code)).files[0].id == file_id


async def test_another_enterprise_sees_nothing(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
) -> None:
    owner = await make_enterprise(db_session, 1)
    reference, file_id = await _draft_with_file(db_session, settings, storage, owner, filing)
    rival = await make_enterprise(db_session, 2)
    rival_software = await service.applicant_for_enterprise(db_session, TAX_CODES[2])
    # The owner's account acting for itself, not for the enterprise, does not see it either.
    citizen_self = Applicant(
        account_id=owner.account_id,
        enterprise_id=None,
        type=ApplicantType.citizen,
        id_number="",
        name="",
    )
    for other in (rival, rival_software, citizen_self):
        await _refused_everything(db_session, settings, storage, other, reference, file_id)


async def test_staff_of_one_enterprise_share_its_dossiers(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
) -> None:
    owner = await make_enterprise(db_session, 1)
    reference, file_id = await _draft_with_file(db_session, settings, storage, owner, filing)
    colleague = await add_staff(db_session, TAX_CODES[1], 5)
    assert colleague.enterprise_id == owner.enterprise_id
    assert colleague.account_id != owner.account_id
    software = await service.applicant_for_enterprise(db_session, TAX_CODES[1])

    seen = await service.get_dossier(db_session, colleague, reference)
    assert seen.applicant_name == "Công ty TNHH Thử nghiệm 1"
    assert [d.reference for d in (await service.list_dossiers(db_session, colleague)).items] == [
        reference
    ]
    assert [d.reference for d in (await service.list_dossiers(db_session, software)).items] == [
        reference
    ]
    meta, stream = await service.open_file(db_session, storage, software, file_id)
    assert b"".join([chunk async for chunk in stream]) == PDF and meta.id == file_id
    # A colleague may complete and submit it.
    await service.update_draft(
        db_session,
        colleague,
        reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    done = await service.submit(db_session, colleague, reference, settings)
    assert done.code is not None
    assert (await service.get_dossier(db_session, owner, done.code)).status.code == 1
    # Resuming gives each staff member their own draft, not a colleague's.
    mine = await service.start_draft(db_session, owner, filing, settings, resume=True)
    theirs = await service.start_draft(db_session, colleague, filing, settings, resume=True)
    assert mine.reference != theirs.reference
    # A citizen never sees it.
    with pytest.raises(DossierNotFound):
        await service.get_dossier(db_session, await make_citizen(db_session, 6), done.code)
