"""Files of a draft: limits per slot and per dossier, counts, slot paths, removal, reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import FileNotFound, FileRefused, FileTooLarge, NotADraft
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.models.dossiers import Delivery
from app.storage import FileStorage
from app.worker import runner
from tests.dossiers.conftest import PDF, PNG, chunks, keys
from tests.outbox.helpers import same_session

MIB = 1024 * 1024
# The annex slot takes at most 0.05 MiB.
ANNEX_LIMIT = int(0.05 * MIB)


def pdf_of(size: int) -> bytes:
    return PDF[:60] + b"0" * (size - 60)


async def _add(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    reference: str,
    slot: str,
    content: bytes = PDF,
    name: str = "tep.pdf",
) -> str:
    added = await service.add_file(
        session, storage, settings, applicant, reference, slot, name, chunks(content, 64 * 1024)
    )
    return added.id


async def test_a_file_over_the_limits_is_refused_and_not_kept(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    small = settings.model_copy(update={"max_file_mb": 1, "max_dossier_mb": 2})
    draft = await service.start_draft(db_session, citizen, rich, small)
    before = await keys(storage)

    # Over the portal's limit per file.
    with pytest.raises(FileTooLarge) as refused:
        await _add(
            db_session, storage, small, citizen, draft.reference, "declaration", pdf_of(MIB + 1)
        )
    assert refused.value.status == 413
    assert refused.value.problems[0].location == "declaration"
    assert "1 MB" in refused.value.message_en
    # Exactly at the limit is fine.
    await _add(db_session, storage, small, citizen, draft.reference, "declaration", pdf_of(MIB))

    # Over the slot's own limit (50 KiB), below the portal's.
    with pytest.raises(FileTooLarge):
        await _add(
            db_session, storage, small, citizen, draft.reference, "annex", pdf_of(ANNEX_LIMIT + 1)
        )
    await _add(db_session, storage, small, citizen, draft.reference, "annex", pdf_of(ANNEX_LIMIT))

    # Over what is left of the dossier's 2 MiB.
    await _add(
        db_session,
        storage,
        small,
        citizen,
        draft.reference,
        "members[0].member_cert",
        pdf_of(MIB - ANNEX_LIMIT - 100),
    )
    with pytest.raises(FileTooLarge):
        await _add(
            db_session,
            storage,
            small,
            citizen,
            draft.reference,
            "members[1].member_cert",
            pdf_of(101),
        )
    await _add(
        db_session, storage, small, citizen, draft.reference, "members[1].member_cert", pdf_of(100)
    )

    files = (await service.get_dossier(db_session, citizen, draft.reference)).files
    assert sum(f.size for f in files) == 2 * MIB
    assert len(await keys(storage) - before) == len(files) == 4


async def test_a_slot_takes_at_most_its_count_of_files(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    first = await _add(
        db_session, storage, settings, citizen, draft.reference, "photos", PNG, "a.png"
    )
    await _add(db_session, storage, settings, citizen, draft.reference, "photos", PNG, "b.png")
    before = await keys(storage)
    with pytest.raises(FileRefused) as refused:
        await _add(db_session, storage, settings, citizen, draft.reference, "photos", PNG, "c.png")
    assert "at most 2 files" in refused.value.message_en
    assert await keys(storage) == before
    # Removing one makes room again.
    await service.remove_file(db_session, citizen, draft.reference, first)
    await _add(db_session, storage, settings, citizen, draft.reference, "photos", PNG, "c.png")
    names = [
        f.name for f in (await service.get_dossier(db_session, citizen, draft.reference)).files
    ]
    assert names == ["b.png", "c.png"]


@pytest.mark.parametrize(
    "slot",
    [
        "nope",
        "full_name",  # a field, but not a file
        "members",  # the group itself
        "members[0].member_name",  # a field of the group, not a file
        "members[3].member_cert",  # past the group's max_items (3)
        "members[0].nope",
        "full_name[0].member_cert",  # not a group
        "members[-1].member_cert",
        "members[0]",
        "",
    ],
)
async def test_an_unknown_slot_is_refused(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
    slot: str,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    before = await keys(storage)
    with pytest.raises(FileRefused) as refused:
        await _add(db_session, storage, settings, citizen, draft.reference, slot)
    assert refused.value.problems[0].location == (slot or "slot")
    assert "no file slot" in refused.value.message_en
    with pytest.raises(FileRefused):
        await service.check_upload(db_session, citizen, settings, draft.reference, slot, 100)
    assert await keys(storage) == before


async def test_files_inside_a_repeating_group(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(
            data={
                "full_name": "Nguyễn Văn An",
                "members": [{"member_name": "Lê Văn Cường"}, {"member_name": "Phạm Thị Dung"}],
            },
            delivery=DeliveryIn(method=Delivery.online),
            agency="000.02.99.H99",
        ),
        settings,
    )
    await _add(db_session, storage, settings, citizen, draft.reference, "declaration")
    await _add(db_session, storage, settings, citizen, draft.reference, "members[0].member_cert")
    problems = await service.check_draft(db_session, citizen, draft.reference)
    assert [p.path for p in problems] == ["members[1].member_cert"]

    second = await _add(
        db_session, storage, settings, citizen, draft.reference, "members[1].member_cert"
    )
    assert await service.check_draft(db_session, citizen, draft.reference) == []
    submitted = await service.submit(db_session, citizen, draft.reference, settings)
    members = submitted.data["members"]
    assert [m["member_name"] for m in members] == ["Lê Văn Cường", "Phạm Thị Dung"]
    assert members[1]["member_cert"] == [
        {"id": second, "name": "tep.pdf", "size": len(PDF), "content_type": "application/pdf"}
    ]
    assert {f.slot for f in submitted.files} == {
        "declaration",
        "members[0].member_cert",
        "members[1].member_cert",
    }


async def test_a_file_in_a_group_item_with_no_answers_is_reported_there(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    await _add(db_session, storage, settings, citizen, draft.reference, "members[2].member_cert")
    problems = {p.path for p in await service.check_draft(db_session, citizen, draft.reference)}
    assert "members[2].member_name" in problems
    assert "members[0].member_name" not in problems


async def test_removed_files_leave_storage_once_the_outbox_is_delivered(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
    tmp_path: Path,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    before = await keys(storage)
    file_id = await _add(db_session, storage, settings, citizen, draft.reference, "declaration")
    (key,) = await keys(storage) - before
    with pytest.raises(FileNotFound):
        await service.remove_file(db_session, citizen, draft.reference, "nope")
    await service.remove_file(db_session, citizen, draft.reference, file_id)
    assert (await service.get_dossier(db_session, citizen, draft.reference)).files == []
    with pytest.raises(FileNotFound):
        await service.open_file(db_session, storage, citizen, file_id)
    # Still stored until the removal has committed and the worker delivers the deletion.
    assert await storage.exists(key)
    mail_elsewhere = settings.model_copy(update={"mail_dir": str(tmp_path)})
    await runner.drain(same_session(db_session), mail_elsewhere, storage=storage)
    assert not await storage.exists(key)


async def test_open_file_gives_the_bytes_stored(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    content = pdf_of(300_000)
    file_id = await _add(
        db_session, storage, settings, citizen, draft.reference, "declaration", content
    )
    meta, stream = await service.open_file(db_session, storage, citizen, file_id)
    assert b"".join([chunk async for chunk in stream]) == content
    assert meta.size == len(content) and meta.name == "tep.pdf"
    with pytest.raises(FileNotFound):
        await service.open_file(db_session, storage, citizen, "nope")


async def test_files_cannot_be_added_or_removed_once_submitted(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    file_id = await _add(db_session, storage, settings, citizen, draft.reference, "declaration")
    await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    await service.submit(db_session, citizen, draft.reference, settings)
    before = await keys(storage)
    with pytest.raises(NotADraft):
        await _add(db_session, storage, settings, citizen, draft.reference, "declaration")
    with pytest.raises(NotADraft):
        await service.remove_file(db_session, citizen, draft.reference, file_id)
    with pytest.raises(NotADraft):
        await service.check_upload(db_session, citizen, settings, draft.reference, "declaration", 1)
    assert await keys(storage) == before
