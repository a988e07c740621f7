"""The document store: filled on filing and on the result, kept once per store, reused in a
new dossier through the slot's own checks, private to its owner, deleted without touching the
dossier."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers.errors import FileRefused, FileTooLarge
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.models.dossiers import Channel, Delivery, Dossier, DossierFile, FileOrigin
from app.models.outbox import OutboxMessage
from app.models.store import StoredDocument, StoredKind
from app.processing.rules import Action
from app.processing.schemas import SupplementItem
from app.storage import FileStorage
from app.store import service as store
from app.store.errors import StoredDocumentNotFound
from tests.dossiers.conftest import (
    JPEG,
    PDF,
    TAX_CODES,
    add_staff,
    chunks,
    make_citizen,
    make_enterprise,
    stored_bytes,
)
from tests.fixtures.catalogs import PROCEDURE
from tests.fixtures.processing import Desk, act, file_dossier
from tests.store.conftest import add, file_rich, new_draft, read_all

OTHER_PDF = PDF.replace(b"0" * 100, b"1" * 100, 1)


async def _stored(session: AsyncSession, applicant: Applicant) -> list[store.StoredDocumentOut]:
    return (await store.list_documents(session, applicant)).items


async def test_filing_keeps_each_file_in_the_store_once(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    citizen = await make_citizen(db_session, 31)
    first = await file_rich(db_session, settings, storage, citizen)
    [kept] = await _stored(db_session, citizen)
    assert kept.kind is StoredKind.upload
    assert (kept.label, kept.slot, kept.name) == ("Tờ khai", "declaration", "tờ khai.pdf")
    assert kept.dossier_code == first.code and kept.size == len(PDF)
    # It is the dossier's own object, not a copy.
    dossier = await dossiers.get_dossier(db_session, citizen, first.code)
    row = await db_session.scalar(
        select(StoredDocument).where(StoredDocument.reference == kept.reference)
    )
    file = await db_session.scalar(
        select(DossierFile).where(DossierFile.reference == dossier.files[0].id)
    )
    assert row is not None and file is not None and row.storage_key == file.storage_key
    assert dossier.files[0].origin is FileOrigin.upload

    # The same bytes filed again are not kept twice; other bytes are.
    await file_rich(db_session, settings, storage, citizen, name="ban khac.pdf")
    assert len(await _stored(db_session, citizen)) == 1
    await file_rich(db_session, settings, storage, citizen, OTHER_PDF)
    assert len(await _stored(db_session, citizen)) == 2


async def test_a_draft_keeps_nothing_and_another_applicant_sees_nothing(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    citizen, other = await make_citizen(db_session, 32), await make_citizen(db_session, 33)
    draft = await new_draft(db_session, settings, citizen)
    await add(db_session, storage, settings, citizen, draft, "declaration", "a.pdf", PDF)
    assert await _stored(db_session, citizen) == []
    await file_rich(db_session, settings, storage, citizen)
    [kept] = await _stored(db_session, citizen)
    assert await _stored(db_session, other) == []
    with pytest.raises(StoredDocumentNotFound):
        await store.get_document(db_session, other, kept.reference)
    with pytest.raises(StoredDocumentNotFound):
        await store.open_document(db_session, storage, other, kept.reference)
    with pytest.raises(StoredDocumentNotFound):
        await store.delete_document(db_session, other, kept.reference)


async def test_a_stored_document_fills_a_slot_through_the_slots_own_checks(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    citizen = await make_citizen(db_session, 34)
    await file_rich(db_session, settings, storage, citizen)
    [kept] = await _stored(db_session, citizen)
    draft = await new_draft(db_session, settings, citizen)

    # The image slot refuses a PDF, from the store as from an upload; it is not offered.
    assert await dossiers.slot_choices(db_session, citizen, settings, draft, "photos") == []
    with pytest.raises(FileRefused):
        await dossiers.add_stored_file(
            db_session, storage, settings, citizen, draft, "photos", kept.reference
        )
    # A slot of the same kind offers it first, and takes it.
    offered = await dossiers.slot_choices(db_session, citizen, settings, draft, "declaration")
    assert [d.reference for d in offered] == [kept.reference]
    added = await dossiers.add_stored_file(
        db_session, storage, settings, citizen, draft, "declaration", kept.reference
    )
    assert added.origin is FileOrigin.reuse and added.sha256 == kept.sha256
    assert added.name == kept.name and added.content_type == "application/pdf"
    row = await db_session.scalar(select(DossierFile).where(DossierFile.reference == added.id))
    source = await db_session.scalar(
        select(StoredDocument).where(StoredDocument.reference == kept.reference)
    )
    assert row is not None and source is not None
    assert row.stored_document_id == source.id and row.origin == FileOrigin.reuse
    # A copy of its own, with the same bytes.
    assert row.storage_key != source.storage_key
    assert await stored_bytes(storage, row.storage_key) == PDF
    _file, stream = await dossiers.open_file(db_session, storage, citizen, added.id)
    async with stream:
        assert await read_all(stream) == PDF
    # The slot is now full (one file): the store cannot overfill it either.
    with pytest.raises(FileRefused):
        await dossiers.add_stored_file(
            db_session, storage, settings, citizen, draft, "declaration", kept.reference
        )
    # Filed, the reused file is not kept a second time.
    await dossiers.update_draft(
        db_session,
        citizen,
        draft,
        DraftChanges(
            data={"full_name": "An"},
            agency="000.02.99.H99",
            delivery=DeliveryIn(method=Delivery.online),
        ),
        settings,
    )
    await dossiers.submit(db_session, citizen, draft, settings)
    assert len(await _stored(db_session, citizen)) == 1


async def test_a_slot_too_small_for_the_document_refuses_it(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    citizen = await make_citizen(db_session, 35)
    big = PDF + b"0" * 60_000
    await file_rich(db_session, settings, storage, citizen, big)
    [kept] = await _stored(db_session, citizen)
    draft = await new_draft(db_session, settings, citizen)
    # The annex takes PDFs of at most 50 KiB.
    assert await dossiers.slot_choices(db_session, citizen, settings, draft, "annex") == []
    with pytest.raises(FileTooLarge):
        await dossiers.add_stored_file(
            db_session, storage, settings, citizen, draft, "annex", kept.reference
        )
    assert (await dossiers.get_dossier(db_session, citizen, draft)).files == []


async def test_another_applicants_document_cannot_be_reused(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    owner, other = await make_citizen(db_session, 36), await make_citizen(db_session, 37)
    await file_rich(db_session, settings, storage, owner)
    [kept] = await _stored(db_session, owner)
    draft = await new_draft(db_session, settings, other)
    with pytest.raises(StoredDocumentNotFound):
        await dossiers.add_stored_file(
            db_session, storage, settings, other, draft, "declaration", kept.reference
        )
    assert (await dossiers.get_dossier(db_session, other, draft)).files == []


async def test_deleting_from_the_store_leaves_the_dossier_whole(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    citizen = await make_citizen(db_session, 38)
    filed = await file_rich(db_session, settings, storage, citizen)
    [kept] = await _stored(db_session, citizen)
    await store.delete_document(db_session, citizen, kept.reference)
    assert await _stored(db_session, citizen) == []
    with pytest.raises(StoredDocumentNotFound):
        await store.get_document(db_session, citizen, kept.reference)
    row = await db_session.scalar(
        select(StoredDocument).where(StoredDocument.reference == kept.reference)
    )
    assert row is not None and row.deleted_at is not None
    dossier = await dossiers.get_dossier(db_session, citizen, filed.code)
    _file, stream = await dossiers.open_file(db_session, storage, citizen, dossier.files[0].id)
    async with stream:
        assert await read_all(stream) == PDF
    # The store no longer holds the object: the clean-up would leave it to the dossier alone.
    assert not await store.holds(db_session, row.storage_key)
    # Filed again, the same bytes come back to the store.
    await file_rich(db_session, settings, storage, citizen)
    assert len(await _stored(db_session, citizen)) == 1


async def test_enterprise_members_share_the_enterprises_store(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    owner = await make_enterprise(db_session, 1)
    staff = await add_staff(db_session, TAX_CODES[1], 39)
    await file_rich(db_session, settings, storage, staff)
    [kept] = await _stored(db_session, owner)
    assert [d.reference for d in await _stored(db_session, staff)] == [kept.reference]
    # The enterprise's software (an API key) sees it too; the staff member's own citizen store
    # is not where it went.
    software = await dossiers.applicant_for_enterprise(db_session, TAX_CODES[1])
    assert [d.reference for d in await _stored(db_session, software)] == [kept.reference]
    draft = await new_draft(db_session, settings, owner)
    added = await dossiers.add_stored_file(
        db_session, storage, settings, owner, draft, "declaration", kept.reference
    )
    assert added.origin is FileOrigin.reuse
    other = await make_enterprise(db_session, 2)
    assert await _stored(db_session, other) == []


async def test_images_are_offered_to_image_slots(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, rich: str
) -> None:
    citizen = await make_citizen(db_session, 40)
    filed_draft = await new_draft(db_session, settings, citizen)
    await add(db_session, storage, settings, citizen, filed_draft, "photos", "anh.jpg", JPEG)
    await add(db_session, storage, settings, citizen, filed_draft, "declaration", "a.pdf", PDF)
    await dossiers.update_draft(
        db_session,
        citizen,
        filed_draft,
        DraftChanges(
            data={"full_name": "An"},
            agency="000.02.99.H99",
            delivery=DeliveryIn(method=Delivery.online),
        ),
        settings,
    )
    await dossiers.submit(db_session, citizen, filed_draft, settings)
    assert {d.label for d in await _stored(db_session, citizen)} == {"Tờ khai", "Ảnh"}
    draft = await new_draft(db_session, settings, citizen)
    offered = await dossiers.slot_choices(db_session, citizen, settings, draft, "photos")
    assert [d.name for d in offered] == ["anh.jpg"]
    # A member's certificate (a PDF slot inside a group) is offered every PDF, none first.
    offered = await dossiers.slot_choices(
        db_session, citizen, settings, draft, "members[0].member_cert"
    )
    assert [d.name for d in offered] == ["a.pdf"]


async def test_the_signed_result_joins_the_store_once_it_is_given(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant, storage=storage)
    assert [d.kind for d in await _stored(db_session, applicant)] == [StoredKind.upload]
    for role, action in (
        ("receiver", Action.receive),
        ("specialist", Action.forward),
        ("leader", Action.approve),
        ("leader", Action.sign),
    ):
        await act(db_session, settings, storage, desk[role], code, action)
    # Signed but not yet ready: kept, not yet shown.
    assert [d.kind for d in await _stored(db_session, applicant)] == [StoredKind.upload]
    await act(db_session, settings, storage, desk["clerk"], code, Action.result_ready)
    result, upload = await _stored(db_session, applicant)
    assert result.kind is StoredKind.result and upload.kind is StoredKind.upload
    assert result.dossier_code == code and result.name == f"{code}-result.pdf"
    assert result.content_type == "application/pdf"
    [issued] = [
        d for d in await dossiers.documents_of(db_session, applicant, code) if d.form == "result"
    ]
    assert result.sha256 != upload.sha256 and result.size == issued.size
    _document, stream = await store.open_document(db_session, storage, applicant, result.reference)
    async with stream:
        content = await read_all(stream)
    _issued, original = await dossiers.open_document(
        db_session, storage, applicant, code, issued.reference
    )
    async with original:
        assert content == await read_all(original)
    assert content.startswith(b"%PDF-")


async def test_a_result_received_at_the_counter_is_not_shown(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant, Delivery.counter)
    for role, action in (
        ("receiver", Action.receive),
        ("specialist", Action.forward),
        ("leader", Action.approve),
        ("leader", Action.sign),
        ("clerk", Action.result_ready),
    ):
        await act(db_session, settings, storage, desk[role], code, action)
    assert await _stored(db_session, applicant) == []


async def test_a_file_replaced_in_a_supplement_stays_in_the_store(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant, storage=storage)
    await act(
        db_session,
        settings,
        storage,
        desk["receiver"],
        code,
        Action.request_supplement,
        items=[SupplementItem(path="declaration", reason="Thiếu chữ ký")],
    )
    dossier = await dossiers.get_dossier(db_session, applicant, code)
    [kept] = await _stored(db_session, applicant)
    old_key = await db_session.scalar(
        select(DossierFile.storage_key).where(DossierFile.reference == dossier.files[0].id)
    )
    assert old_key is not None
    await dossiers.remove_file(db_session, applicant, code, dossier.files[0].id)
    # The store still holds the object: it is not deleted with the dossier's file.
    deletions = await db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == dossiers.FILE_DELETE)
    )
    assert all(m.payload.get("key") != old_key for m in deletions)
    assert await store.holds(db_session, old_key)
    _document, stream = await store.open_document(db_session, storage, applicant, kept.reference)
    async with stream:
        assert await read_all(stream) == PDF
    await add(db_session, storage, settings, applicant, code, "declaration", "moi.pdf", OTHER_PDF)
    await dossiers.resubmit(db_session, applicant, code, settings)
    assert {d.name for d in await _stored(db_session, applicant)} == {"tờ khai.pdf", "moi.pdf"}


async def test_files_the_desk_scans_are_marked_scanned(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, desk: Desk
) -> None:
    official = await officials.official_of(db_session, desk["receiver"].account_id)
    assert official is not None
    draft = await dossiers.start_desk_draft(
        db_session,
        settings,
        official,
        PROCEDURE,
        Channel.counter,
        {
            "applicant_type": "1",
            "name": "Lê Văn Cường",
            "id_number": "001099012345",
            "phone": "0912345678",
        },
    )
    receiver = dossiers.desk_applicant(official)
    # A desk has no store of its own: nothing is offered, nothing kept when it is received.
    assert (
        await dossiers.slot_choices(db_session, receiver, settings, draft.reference, "declaration")
        == []
    )
    added = await dossiers.add_file(
        db_session,
        storage,
        settings,
        receiver,
        draft.reference,
        "declaration",
        "a.pdf",
        chunks(PDF),
    )
    assert added.origin is FileOrigin.scan
    await dossiers.update_draft(
        db_session,
        receiver,
        draft.reference,
        DraftChanges(
            data={"full_name": "Lê Văn Cường"}, delivery=DeliveryIn(method=Delivery.counter)
        ),
        settings,
    )
    received = await dossiers.submit_at_desk(
        db_session, storage, settings, official, draft.reference
    )
    assert received.code is not None and received.files[0].origin is FileOrigin.scan
    kept = await db_session.scalar(
        select(StoredDocument)
        .where(StoredDocument.storage_key.is_not(None))
        .where(
            StoredDocument.dossier_id
            == select(Dossier.id).where(Dossier.code == received.code).scalar_subquery()
        )
    )
    assert kept is None
