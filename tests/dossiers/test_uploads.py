"""Resumable uploads through the service, without HTTP: slices kept from a broken request,
the finished file attached, refusals, termination, expiry and the row lock."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import make_url, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.config import Settings
from app.db import Database
from app.dossiers import repository, service, uploads
from app.dossiers.errors import FileRefused, FileTooLarge
from app.dossiers.schemas import Applicant, UploadOut
from app.dossiers.uploads import UploadNotFound, UploadOffsetMismatch, UploadTooLong
from app.kit.clock import utcnow
from app.models.dossiers import Upload
from app.storage import FileStorage
from app.storage import NotFound as NotStored
from tests.api.tus_helpers import make_citizen as make_live_citizen
from tests.dossiers.conftest import PDF, PNG, chunks, make_citizen

SLOT = "declaration"


async def start(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    procedure: str,
    length: int,
) -> UploadOut:
    draft = await service.start_draft(session, applicant, procedure, settings)
    return await uploads.create_upload(
        session,
        storage,
        settings,
        applicant,
        dossier_reference=draft.reference,
        slot=SLOT,
        filename="tờ khai.pdf",
        length=length,
        metadata_header="slot ZGVjbGFyYXRpb24=",
    )


async def broken(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    """A request body whose connection drops after ``data``."""
    async for chunk in chunks(data, size):
        yield chunk
    raise ConnectionResetError("the client went away")


async def test_a_broken_request_keeps_its_whole_slices(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    filing: str,
    citizen: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uploads, "SLICE_SIZE", 10_000)
    upload = await start(db_session, storage, settings, citizen, filing, len(PDF))
    with pytest.raises(ConnectionResetError):
        await uploads.append(
            db_session, storage, settings, citizen, upload.id, offset=0, chunks=broken(PDF[:15_000])
        )
    found, offset = await uploads.get_upload(db_session, storage, citizen, upload.id)
    assert offset == 10_000 and found.file_id is None
    assert found.expires_at - found.created_at == timedelta(hours=settings.upload_hours)

    with pytest.raises(UploadOffsetMismatch):
        await uploads.append(
            db_session, storage, settings, citizen, upload.id, offset=0, chunks=chunks(PDF)
        )
    done = await uploads.append(
        db_session,
        storage,
        settings,
        citizen,
        upload.id,
        offset=10_000,
        chunks=chunks(PDF[10_000:]),
    )
    assert done.refused is None and done.offset == len(PDF) and done.upload.file_id is not None
    draft = await service.get_dossier(db_session, citizen, upload.dossier_reference)
    [file] = draft.files
    assert (file.id, file.name, file.sha256) == (
        done.upload.file_id,
        "tờ khai.pdf",
        hashlib.sha256(PDF).hexdigest(),
    )

    # Whole: HEAD tells the file; an empty PATCH at the end is answered alike, bytes are not.
    found, offset = await uploads.get_upload(db_session, storage, citizen, upload.id)
    assert (offset, found.file_id) == (len(PDF), file.id)
    again = await uploads.append(
        db_session, storage, settings, citizen, upload.id, offset=len(PDF), chunks=chunks(b"")
    )
    assert (again.offset, again.upload.file_id) == (len(PDF), file.id)
    with pytest.raises(UploadTooLong):
        await uploads.append(
            db_session, storage, settings, citizen, upload.id, offset=len(PDF), chunks=chunks(b"x")
        )
    # Terminating it leaves the file in the draft.
    await uploads.terminate(db_session, storage, citizen, upload.id)
    with pytest.raises(UploadNotFound):
        await uploads.get_upload(db_session, storage, citizen, upload.id)
    draft = await service.get_dossier(db_session, citizen, upload.dossier_reference)
    assert [f.id for f in draft.files] == [file.id]


async def test_more_bytes_than_declared_are_refused(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    filing: str,
    citizen: Applicant,
) -> None:
    upload = await start(db_session, storage, settings, citizen, filing, 1000)
    with pytest.raises(UploadTooLong):
        await uploads.append(
            db_session, storage, settings, citizen, upload.id, offset=0, chunks=chunks(PDF[:1001])
        )
    assert (await uploads.get_upload(db_session, storage, citizen, upload.id))[1] == 0


async def test_creation_checks_the_draft_slot_and_length(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    filing: str,
    citizen: Applicant,
) -> None:
    with pytest.raises(FileTooLarge):
        await start(
            db_session, storage, settings, citizen, filing, settings.max_file_mb * 2**20 + 1
        )
    with pytest.raises(FileRefused):
        await start(db_session, storage, settings, citizen, filing, 0)


async def test_a_refused_file_drops_the_upload_and_its_bytes(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    filing: str,
    citizen: Applicant,
) -> None:
    upload = await start(db_session, storage, settings, citizen, filing, len(PNG))
    result = await uploads.append(
        db_session, storage, settings, citizen, upload.id, offset=0, chunks=chunks(PNG)
    )
    assert isinstance(result.refused, FileRefused)
    assert await repository.upload_by_id(db_session, upload.id) is None
    assert not await storage.exists(upload.storage_key)
    with pytest.raises(NotStored):
        await storage.partial_size(upload.storage_key)


async def test_only_the_owner_sees_an_unexpired_upload(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    filing: str,
    citizen: Applicant,
) -> None:
    upload = await start(db_session, storage, settings, citizen, filing, len(PDF))
    stranger = await make_citizen(db_session, 2)
    for attempt in (
        uploads.get_upload(db_session, storage, stranger, upload.id),
        uploads.append(
            db_session, storage, settings, stranger, upload.id, offset=0, chunks=chunks(PDF)
        ),
        uploads.terminate(db_session, storage, stranger, upload.id),
    ):
        with pytest.raises(UploadNotFound):
            await attempt
    await db_session.execute(
        update(Upload).where(Upload.id == upload.id).values(expires_at=utcnow() - timedelta(1))
    )
    with pytest.raises(UploadNotFound):
        await uploads.get_upload(db_session, storage, citizen, upload.id)
    await storage.discard_partial(upload.storage_key)


async def test_appends_wait_for_the_row_lock_on_postgresql(
    database: Database, settings: Settings, storage: FileStorage
) -> None:
    """Two processes: the second one's locked read waits until the first commits."""
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has no row locks (its one writer serialises; see app.dossiers.uploads)")
    caller = await make_live_citizen(database, settings)
    async with database.unit_of_work() as session:
        dossier = await repository.by_reference(session, caller.draft)
        assert dossier is not None
        assert dossier.account_id is not None
        account = await accounts.get_account(session, dossier.account_id)
        applicant = await service.applicant_for_account(session, account)
        upload = await uploads.create_upload(
            session,
            storage,
            settings,
            applicant,
            dossier_reference=caller.draft,
            slot="birth_notice_file",
            filename="a.pdf",
            length=10,
            metadata_header="",
        )
    first_has_it = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with database.unit_of_work() as session:
            assert await repository.owned_upload(
                session, upload.id, applicant.account_id, applicant.enterprise_id, lock=True
            )
            first_has_it.set()
            await release.wait()

    async def second() -> None:
        async with database.unit_of_work() as session:
            await repository.owned_upload(
                session, upload.id, applicant.account_id, applicant.enterprise_id, lock=True
            )

    holder = asyncio.create_task(first())
    await first_has_it.wait()
    waiter = asyncio.create_task(second())
    await asyncio.sleep(0.5)
    assert not waiter.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter), 10)
    async with database.unit_of_work() as session:
        await uploads.terminate(session, storage, applicant, upload.id)
