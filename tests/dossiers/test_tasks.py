"""The worker's clean-up jobs: expired drafts, stray files, and housekeeping as a whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import repository, service, tasks
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.kit.clock import utcnow
from app.models.accounts import SignInAttempt
from app.models.dossiers import Delivery, Dossier, DossierFile, Upload
from app.storage import FileStorage, NotFound, new_key
from app.worker import runner
from tests.dossiers.conftest import PDF, chunks, keys
from tests.outbox.helpers import same_session


async def _draft_with_file(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    procedure: str,
) -> tuple[str, str]:
    """A draft with one file; its reference and the file's storage key."""
    draft = await service.start_draft(session, applicant, procedure, settings)
    before = await keys(storage)
    await service.add_file(
        session, storage, settings, applicant, draft.reference, "declaration", "a.pdf", chunks(PDF)
    )
    (key,) = await keys(storage) - before
    return draft.reference, key


async def _expire(session: AsyncSession, reference: str, at: datetime) -> None:
    await session.execute(
        update(Dossier).where(Dossier.reference == reference).values(draft_expires_at=at)
    )


async def _exists(session: AsyncSession, reference: str) -> bool:
    return (
        await session.scalar(select(Dossier.id).where(Dossier.reference == reference))
    ) is not None


async def test_expired_drafts_go_with_their_files(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    now = utcnow()
    expired, expired_key = await _draft_with_file(db_session, settings, storage, citizen, filing)
    await _expire(db_session, expired, now - timedelta(seconds=1))
    fresh, fresh_key = await _draft_with_file(db_session, settings, storage, citizen, filing)
    await _expire(db_session, fresh, now + timedelta(minutes=1))
    # A submitted dossier is never expired, whatever its old draft date says.
    submitted, submitted_key = await _draft_with_file(
        db_session, settings, storage, citizen, filing
    )
    await service.update_draft(
        db_session,
        citizen,
        submitted,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    await service.submit(db_session, citizen, submitted, settings)
    await _expire(db_session, submitted, now - timedelta(days=400))

    assert await tasks.expire_drafts(same_session(db_session), storage, now=now) >= 1
    assert not await _exists(db_session, expired)
    assert not await storage.exists(expired_key)
    assert (
        await db_session.scalar(
            select(DossierFile.id).where(DossierFile.storage_key == expired_key)
        )
    ) is None
    for reference, key in ((fresh, fresh_key), (submitted, submitted_key)):
        assert await _exists(db_session, reference)
        assert await storage.exists(key)
    # Once the fresh one's date passes, it goes too.
    later = now + timedelta(minutes=2)
    assert await tasks.expire_drafts(same_session(db_session), storage, now=later) >= 1
    assert not await _exists(db_session, fresh) and not await storage.exists(fresh_key)
    assert await _exists(db_session, submitted) and await storage.exists(submitted_key)


async def test_many_expired_drafts_go_batch_after_batch(
    db_session: AsyncSession,
    settings: Settings,
    filing: str,
    citizen: Applicant,
    storage: FileStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    references = [
        (await service.start_draft(db_session, citizen, filing, settings)).reference
        for _ in range(7)
    ]
    past = utcnow() - timedelta(days=1)
    for reference in references:
        await _expire(db_session, reference, past)
    monkeypatch.setattr(tasks, "BATCH", 3)
    assert await tasks.expire_drafts(same_session(db_session), storage) >= 7
    for reference in references:
        assert not await _exists(db_session, reference)


async def test_stray_files_are_deleted_once_old_enough(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    now = utcnow()
    old = now - timedelta(days=2)
    stray_old = tasks.file_key(old)
    stray_young = tasks.file_key(now - timedelta(minutes=10))
    for key in (stray_old, stray_young):
        await storage.write(key, chunks(PDF))
    # An old object a file row still names is kept, however old.
    reference, _ = await _draft_with_file(db_session, settings, storage, citizen, filing)
    referenced_old = tasks.file_key(old)
    await storage.write(referenced_old, chunks(PDF))
    dossier_id = await db_session.scalar(select(Dossier.id).where(Dossier.reference == reference))
    db_session.add(
        DossierFile(
            reference="stray-test-ref",
            dossier_id=dossier_id,
            slot="declaration",
            storage_key=referenced_old,
            display_name="a.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            created_at=old,
        )
    )
    await db_session.flush()
    # Keys of another form are never touched (they may be another job's).
    other = "files/not-a-dated-key"
    await storage.write(other, chunks(b"x"))

    deleted = await tasks.delete_stray_files(same_session(db_session), storage)
    assert deleted >= 1
    assert not await storage.exists(stray_old)
    for key in (stray_young, referenced_old, other):
        assert await storage.exists(key), key

    # With no grace, the young stray goes as well; referenced ones still stay.
    await tasks.delete_stray_files(same_session(db_session), storage, grace=timedelta(0))
    assert not await storage.exists(stray_young)
    assert await storage.exists(referenced_old)
    files = await db_session.scalars(select(DossierFile.storage_key))
    named = set(files)
    assert all(key in named for key in await keys(storage) if tasks.stored_at(key) is not None)
    for key in (referenced_old, other):
        await storage.delete(key)


def test_keys_tell_their_age() -> None:
    at = datetime(2025, 11, 23, 16, 59, 30, tzinfo=UTC)
    key = tasks.file_key(at)
    assert key.startswith("files/20251123165930/") and len(key.split("/")[2]) == 43
    assert tasks.stored_at(key) == at
    for other in ("files/x", "files/2025/x", "files/2025112316593a/x", "files/a/b/c"):
        assert tasks.stored_at(other) is None


async def test_housekeeping_runs_every_job(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    expired, expired_key = await _draft_with_file(db_session, settings, storage, citizen, filing)
    await _expire(db_session, expired, utcnow() - timedelta(seconds=1))
    stray = tasks.file_key(utcnow() - timedelta(days=2))
    await storage.write(stray, chunks(PDF))
    db_session.add(
        SignInAttempt(key="lookup:ip:old", at=utcnow() - timedelta(days=2), success=False)
    )
    await db_session.flush()

    report = await runner.housekeeping(same_session(db_session), storage, settings)
    assert report.drafts >= 1 and report.stray_files >= 1
    assert not await _exists(db_session, expired)
    assert not await storage.exists(expired_key) and not await storage.exists(stray)
    assert (
        await db_session.scalar(
            select(SignInAttempt.id).where(SignInAttempt.key == "lookup:ip:old")
        )
    ) is None


async def _unfinished_upload(session: AsyncSession, storage: FileStorage, reference: str) -> str:
    """A resumable upload begun into the draft and never finished; its partial's key."""
    dossier_id = await session.scalar(select(Dossier.id).where(Dossier.reference == reference))
    assert dossier_id is not None
    key = tasks.file_key()
    await storage.create_partial(key)
    await storage.append(key, 0, chunks(PDF[:1000]))
    session.add(
        Upload(
            id=new_key(),
            dossier_id=dossier_id,
            slot="declaration",
            display_name="big.pdf",
            storage_key=key,
            length=10 * len(PDF),
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    await session.flush()
    return key


async def _partial_exists(storage: FileStorage, key: str) -> bool:
    try:
        await storage.partial_size(key)
    except NotFound:
        return False
    return True


async def test_an_expired_draft_takes_its_unfinished_uploads_along(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
) -> None:
    reference, key = await _draft_with_file(db_session, settings, storage, citizen, filing)
    partial = await _unfinished_upload(db_session, storage, reference)
    await _expire(db_session, reference, utcnow() - timedelta(seconds=1))
    assert await tasks.expire_drafts(same_session(db_session), storage) >= 1
    assert not await _exists(db_session, reference)
    assert not await storage.exists(key)
    assert not await _partial_exists(storage, partial)


async def test_a_deleted_draft_takes_its_unfinished_uploads_along(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
    tmp_path: Path,
) -> None:
    reference, key = await _draft_with_file(db_session, settings, storage, citizen, filing)
    partial = await _unfinished_upload(db_session, storage, reference)
    await service.delete_draft(db_session, citizen, reference)
    assert await _partial_exists(storage, partial)
    mail_elsewhere = settings.model_copy(update={"mail_dir": str(tmp_path)})
    report = await runner.drain(same_session(db_session), mail_elsewhere, storage=storage)
    assert report.failed == 0 and report.retried == 0
    assert not await storage.exists(key)
    assert not await _partial_exists(storage, partial)


async def test_a_draft_submitted_while_it_expires_is_kept(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    filing: str,
    citizen: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job read the draft as expired; the applicant submitted it before the job deleted it."""
    reference, key = await _draft_with_file(db_session, settings, storage, citizen, filing)
    await service.update_draft(
        db_session,
        citizen,
        reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    await _expire(db_session, reference, utcnow() - timedelta(seconds=1))
    read_expired = repository.expired_drafts

    async def submitted_meanwhile(
        session: AsyncSession, now: datetime, limit: int
    ) -> list[Dossier]:
        drafts = await read_expired(session, now, limit)
        assert reference in {d.reference for d in drafts}
        await service.submit(session, citizen, reference, settings)
        return drafts

    monkeypatch.setattr(repository, "expired_drafts", submitted_meanwhile)
    await tasks.expire_drafts(same_session(db_session), storage)
    monkeypatch.undo()
    kept = await service.get_dossier(db_session, citizen, reference)
    assert kept.status.code == 1 and len(kept.files) == 1
    assert await storage.exists(key)
