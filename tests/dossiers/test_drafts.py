"""Drafts: started, resumed, changed, checked, listed and deleted with their files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import DossierInvalid, DossierNotFound, NotADraft
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.dossiers.service import FILE_DELETE
from app.kit.clock import utcnow
from app.models.dossiers import Delivery
from app.models.outbox import OutboxMessage
from app.storage import FileStorage
from app.worker import runner
from tests.dossiers.conftest import (
    AGENCY_A,
    AGENCY_B,
    PDF,
    POSTAL_ADDRESS,
    chunks,
    keys,
    make_citizen,
)
from tests.fixtures.catalogs import CHILD_AGENCY
from tests.outbox.helpers import same_session


def _aware(moment):  # type: ignore[no-untyped-def]
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


async def test_a_new_draft(
    db_session: AsyncSession, settings: Settings, filing: str, rich: str, citizen: Applicant
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    assert draft.code is None and draft.status.code is None
    assert draft.status.label_en == "Draft" and draft.submitted_at is None
    assert draft.data == {} and draft.files == [] and draft.delivery is None
    assert [e.kind for e in draft.events] == ["created"]
    assert draft.applicant_name == "Nguyễn Văn An" and draft.applicant_type == 1
    assert draft.applicant_id_number == "001000000001"
    assert draft.draft_expires_at is not None
    expected = utcnow() + timedelta(days=settings.draft_days)
    assert abs(_aware(draft.draft_expires_at) - expected) < timedelta(minutes=1)
    # The only agency of the procedure is chosen; with two the applicant chooses.
    assert draft.agency is not None and draft.agency.code == CHILD_AGENCY
    assert (await service.start_draft(db_session, citizen, rich, settings)).agency is None


async def test_resume_gives_the_same_draft(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    first = await service.start_draft(db_session, citizen, filing, settings, resume=True)
    again = await service.start_draft(db_session, citizen, filing, settings, resume=True)
    assert again.reference == first.reference
    # Without resume, a new one; resume then gives the newest.
    other = await service.start_draft(db_session, citizen, filing, settings)
    assert other.reference != first.reference
    newest = await service.start_draft(db_session, citizen, filing, settings, resume=True)
    assert newest.reference == other.reference
    # Another citizen never resumes someone else's draft.
    stranger = await make_citizen(db_session, 2)
    theirs = await service.start_draft(db_session, stranger, filing, settings, resume=True)
    assert theirs.reference not in (first.reference, other.reference)
    # A submitted dossier is not resumed.
    await service.delete_draft(db_session, citizen, first.reference)
    await service.update_draft(
        db_session,
        citizen,
        other.reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    await service.submit(db_session, citizen, other.reference, settings)
    fresh = await service.start_draft(db_session, citizen, filing, settings, resume=True)
    assert fresh.reference not in (first.reference, other.reference)


async def test_update_merges_answers_and_null_removes_one(
    db_session: AsyncSession, settings: Settings, rich: str, citizen: Applicant
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    ref = draft.reference
    await service.update_draft(
        db_session,
        citizen,
        ref,
        DraftChanges(data={"full_name": "Nguyễn Văn An", "note": 12, "members": []}),
        settings,
    )
    changed = await service.update_draft(
        db_session,
        citizen,
        ref,
        # Wrong answers are kept as typed; files are never answers.
        DraftChanges(
            data={"note": None, "missing": None, "extra": "x" * 3, "declaration": [{"id": "f"}]}
        ),
        settings,
    )
    assert changed.data == {"full_name": "Nguyễn Văn An", "members": [], "extra": "xxx"}
    # An empty change changes nothing but the expiry.
    same = await service.update_draft(db_session, citizen, ref, DraftChanges(), settings)
    assert same.data == changed.data
    assert _aware(same.draft_expires_at) >= _aware(changed.draft_expires_at)  # type: ignore[arg-type]

    chosen = await service.update_draft(
        db_session, citizen, ref, DraftChanges(agency=AGENCY_B), settings
    )
    assert chosen.agency is not None and chosen.agency.code == AGENCY_B
    with pytest.raises(DossierInvalid) as refused:
        await service.update_draft(
            db_session, citizen, ref, DraftChanges(agency=CHILD_AGENCY), settings
        )
    assert [p.location for p in refused.value.problems] == ["agency"]
    assert (await service.get_dossier(db_session, citizen, ref)).agency.code == AGENCY_B  # type: ignore[union-attr]

    posted = await service.update_draft(
        db_session,
        citizen,
        ref,
        DraftChanges(delivery=DeliveryIn(method=Delivery.post, address=POSTAL_ADDRESS)),
        settings,
    )
    assert posted.delivery is Delivery.post
    assert posted.delivery_address is not None
    assert posted.delivery_address.commune == "02647"
    counter = await service.update_draft(
        db_session,
        citizen,
        ref,
        DraftChanges(delivery=DeliveryIn(method=Delivery.counter, address=POSTAL_ADDRESS)),
        settings,
    )
    assert counter.delivery is Delivery.counter and counter.delivery_address is None


async def test_files_cannot_be_given_as_answers_inside_a_group(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    """A file entry typed into the answers is not a file: only attached files count."""
    draft = await service.start_draft(db_session, citizen, rich, settings)
    forged = [{"id": "forged", "name": "x.pdf", "size": 10, "content_type": "application/pdf"}]
    await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(
            data={
                "full_name": "An",
                "declaration": forged,
                "members": [{"member_name": "Cường", "member_cert": forged}],
            },
            agency=AGENCY_A,
            delivery=DeliveryIn(method=Delivery.counter),
        ),
        settings,
    )
    await service.add_file(
        db_session, storage, settings, citizen, draft.reference, "declaration", "a.pdf", chunks(PDF)
    )
    problems = await service.check_draft(db_session, citizen, draft.reference)
    assert [p.path for p in problems] == ["members[0].member_cert"]
    with pytest.raises(DossierInvalid) as refused:
        await service.submit(db_session, citizen, draft.reference, settings)
    assert [p.location for p in refused.value.problems] == ["data.members[0].member_cert"]


async def test_check_draft_lists_what_is_missing(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    problems = await service.check_draft(db_session, citizen, draft.reference)
    assert {(p.path, p.code) for p in problems} == {
        ("full_name", "required"),
        ("declaration", "required"),
    }
    assert all(p.message_vi and p.message_en for p in problems)
    await service.update_draft(
        db_session, citizen, draft.reference, DraftChanges(data={"full_name": "An"}), settings
    )
    await service.add_file(
        db_session, storage, settings, citizen, draft.reference, "declaration", "a.pdf", chunks(PDF)
    )
    assert await service.check_draft(db_session, citizen, draft.reference) == []


async def test_delete_draft_queues_its_files_for_deletion(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
    tmp_path: Path,
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    before = await keys(storage)
    for slot in ("declaration", "annex", "members[0].member_cert"):
        await service.add_file(
            db_session, storage, settings, citizen, draft.reference, slot, "a.pdf", chunks(PDF)
        )
    stored = await keys(storage) - before
    assert len(stored) == 3
    await service.delete_draft(db_session, citizen, draft.reference)
    with pytest.raises(DossierNotFound):
        await service.get_dossier(db_session, citizen, draft.reference)
    queued = (
        await db_session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == FILE_DELETE, OutboxMessage.done_at.is_(None)
            )
        )
    ).all()
    assert {m.payload["key"] for m in queued} >= stored
    # Nothing leaves storage before the deletion commits: the worker deletes them after.
    assert await keys(storage) >= stored
    report = await runner.drain(
        same_session(db_session),
        settings.model_copy(update={"mail_dir": str(tmp_path)}),
        storage=storage,
    )
    assert report.delivered >= 3 and report.failed == 0
    assert not (await keys(storage)) & stored


async def test_only_drafts_are_changed_or_deleted(
    db_session: AsyncSession, settings: Settings, filing: str, citizen: Applicant
) -> None:
    draft = await service.start_draft(db_session, citizen, filing, settings)
    await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    done = await service.submit(db_session, citizen, draft.reference, settings)
    assert done.code is not None
    for reference in (draft.reference, done.code):
        with pytest.raises(NotADraft):
            await service.update_draft(
                db_session, citizen, reference, DraftChanges(data={"full_name": "B"}), settings
            )
        with pytest.raises(NotADraft):
            await service.delete_draft(db_session, citizen, reference)
        with pytest.raises(NotADraft):
            await service.check_draft(db_session, citizen, reference)
    # By reference or by code, the same dossier.
    by_code = await service.get_dossier(db_session, citizen, done.code)
    assert by_code.reference == draft.reference


async def test_list_drafts_and_dossiers(
    db_session: AsyncSession, settings: Settings, filing: str, rich: str, citizen: Applicant
) -> None:
    made = [
        (await service.start_draft(db_session, citizen, code, settings)).reference
        for code in (filing, rich, filing, rich, filing)
    ]
    await service.update_draft(
        db_session,
        citizen,
        made[0],
        DraftChanges(data={"full_name": "An"}, delivery=DeliveryIn(method=Delivery.counter)),
        settings,
    )
    await service.submit(db_session, citizen, made[0], settings)

    seen: list[str] = []
    cursor = None
    while True:
        page = await service.list_dossiers(db_session, citizen, cursor=cursor, limit=2)
        seen += [d.reference for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(made))
    drafts = await service.list_dossiers(db_session, citizen, drafts=True)
    assert [d.reference for d in drafts.items] == list(reversed(made[1:]))
    submitted = await service.list_dossiers(db_session, citizen, drafts=False)
    assert [d.reference for d in submitted.items] == [made[0]]
    assert submitted.items[0].status.code == 1
    by_status = await service.list_dossiers(db_session, citizen, status=1)
    assert [d.reference for d in by_status.items] == [made[0]]
    by_procedure = await service.list_dossiers(db_session, citizen, procedure_code=rich)
    assert [d.reference for d in by_procedure.items] == [made[3], made[1]]
    stranger = await make_citizen(db_session, 3)
    assert (await service.list_dossiers(db_session, stranger)).items == []


async def test_unknown_procedure_or_reference(
    db_session: AsyncSession, settings: Settings, citizen: Applicant
) -> None:
    with pytest.raises(DossierNotFound):
        await service.get_dossier(db_session, citizen, "no-such-reference")
    with pytest.raises(DossierNotFound):
        await service.get_dossier(db_session, citizen, "000.00.00.H26-251123-0042")
    with pytest.raises(Exception) as missing:
        await service.start_draft(db_session, citizen, "0.000000", settings)
    assert getattr(missing.value, "status", None) == 404
