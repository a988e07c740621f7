"""The applicant's answer to a supplement request: only the answers and file slots asked for
change, resubmission checks the whole dossier and resumes or restarts the clock (due times
checked against hand-computed working time), and the documents issued to the applicant."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.importing import import_catalog
from app.catalog.workflow import DEFAULT_WORKFLOW
from app.config import Settings
from app.documents.errors import DocumentNotFound
from app.dossiers import service, uploads
from app.dossiers.errors import (
    DossierInvalid,
    DossierNotFound,
    FileRefused,
    NotADraft,
    NotAwaitingSupplement,
)
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges, SupplementChanges
from app.kit.clock import aware
from app.models.dossiers import Delivery, Dossier, Status
from app.models.outbox import OutboxMessage
from app.models.processing import SupplementRequest
from app.outbox.mail import KIND as EMAIL
from app.processing import service as processing
from app.processing.rules import Action
from app.processing.schemas import Actor, SupplementItem
from app.storage import FileStorage
from tests.dossiers.conftest import AGENCY_A, PDF, RICH, chunks, make_citizen
from tests.fixtures.catalogs import small_catalog
from tests.fixtures.processing import Desk, act, file_dossier, make_official

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 (no public holiday) given in local time, in UTC as the portal's
    clock gives it."""
    return datetime(2026, 3, day, hour, minute, tzinfo=LOCAL).astimezone(UTC)


async def _ask(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    actor: Actor,
    code: str,
    *paths: str,
) -> None:
    items = [SupplementItem(path=path, reason=f"Cần sửa {path}") for path in paths]
    await act(session, settings, storage, actor, code, Action.request_supplement, items=items)


async def _add(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    applicant: Applicant,
    reference: str,
    slot: str,
    name: str = "giay-to.pdf",
) -> str:
    added = await service.add_file(
        session, storage, settings, applicant, reference, slot, name, chunks(PDF)
    )
    return added.id


async def _file_rich(
    session: AsyncSession, storage: FileStorage, settings: Settings, applicant: Applicant
) -> str:
    """The rich procedure filed at commune A with a declaration and two members with their
    certificates; its code."""
    draft = await service.start_draft(session, applicant, RICH, settings)
    await service.update_draft(
        session,
        applicant,
        draft.reference,
        DraftChanges(
            data={
                "full_name": "Nguyễn Văn An",
                "members": [{"member_name": "Lò Văn Páo"}, {"member_name": "Giàng Thị Mỷ"}],
            },
            agency=AGENCY_A,
            delivery=DeliveryIn(method=Delivery.online),
        ),
        settings,
    )
    for slot in ("declaration", "members[0].member_cert", "members[1].member_cert"):
        await _add(session, storage, settings, applicant, draft.reference, slot)
    submitted = await service.submit(session, applicant, draft.reference, settings)
    assert submitted.code is not None
    return submitted.code


@pytest.fixture
async def commune_a(db_session: AsyncSession, rich: str) -> Actor:
    """The desk of commune A, which receives the rich procedure."""
    return await make_official(db_session, "mot-cua@xa-a.example", AGENCY_A, ["receiver"])


@pytest.fixture
async def asked(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    citizen: Applicant,
    commune_a: Actor,
) -> str:
    """A rich dossier whose desk asks for the second member's name, the declaration and a
    paper outside the form; its code."""
    code = await _file_rich(db_session, storage, settings, citizen)
    await _ask(
        db_session,
        settings,
        storage,
        commune_a,
        code,
        "members[1].member_name",
        "declaration",
        "Bản sao sổ hộ khẩu",
    )
    return code


async def test_the_request_says_what_is_asked_each_with_its_field(
    db_session: AsyncSession, citizen: Applicant, asked: str
) -> None:
    found = await service.supplement_of(db_session, citizen, asked)
    assert found.code == asked and found.requested_by.startswith("Cán bộ")
    assert [(i.path, i.kind, i.label_vi, i.label_en) for i in found.items] == [
        (
            "members[1].member_name",
            "answer",
            "Họ tên (Thành viên, mục 2)",
            "Name (Members, entry 2)",
        ),
        ("declaration", "file", "Tờ khai", "Tờ khai"),
        ("Bản sao sổ hộ khẩu", "other", "Bản sao sổ hộ khẩu", "Bản sao sổ hộ khẩu"),
    ]
    assert found.items[0].reason == "Cần sửa members[1].member_name"
    # Someone else's dossier is not found at all.
    with pytest.raises(DossierNotFound):
        await service.supplement_of(db_session, await make_citizen(db_session, 2), asked)


async def test_only_the_asked_answers_change(
    db_session: AsyncSession, citizen: Applicant, asked: str
) -> None:
    members = [{"member_name": "Lò Văn Páo"}, {"member_name": "Giàng Thị Mỷ Dung"}]
    changed = await service.update_supplement(
        db_session, citizen, asked, SupplementChanges(data={"members": members})
    )
    assert [m["member_name"] for m in changed.data["members"]] == [
        "Lò Văn Páo",
        "Giàng Thị Mỷ Dung",
    ]
    # The other member and the applicant's name were not asked for: refused field by field,
    # and nothing of the change is kept.
    with pytest.raises(DossierInvalid) as refused:
        await service.update_supplement(
            db_session,
            citizen,
            asked,
            SupplementChanges(
                data={
                    "full_name": "Nguyễn Văn Bình",
                    "members": [{"member_name": "Lò Văn Pao"}, {"member_name": "Giàng Thị Mỷ"}],
                }
            ),
        )
    assert refused.value.status == 422
    assert [p.location for p in refused.value.problems] == [
        "data.full_name",
        "data.members[0].member_name",
    ]
    assert refused.value.problems[0].message.startswith("Mục này không được yêu cầu bổ sung")
    assert refused.value.problems[0].message_en.startswith("This was not asked for")
    kept = await service.get_dossier(db_session, citizen, asked)
    assert kept.data["full_name"] == "Nguyễn Văn An"
    assert [m["member_name"] for m in kept.data["members"]] == ["Lò Văn Páo", "Giàng Thị Mỷ Dung"]
    # Removing an answer that was not asked for is a change too; an unknown key as well.
    for data in ({"full_name": None}, {"nickname": "An"}):
        with pytest.raises(DossierInvalid):
            await service.update_supplement(
                db_session, citizen, asked, SupplementChanges(data=data)
            )


async def test_files_change_only_in_the_asked_slots(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    citizen: Applicant,
    asked: str,
) -> None:
    dossier = await service.get_dossier(db_session, citizen, asked)
    by_slot = {f.slot: f.id for f in dossier.files}
    with pytest.raises(FileRefused) as refused:
        await _add(db_session, storage, settings, citizen, asked, "annex")
    assert refused.value.problems[0].location == "annex"
    with pytest.raises(FileRefused):
        await service.remove_file(db_session, citizen, asked, by_slot["members[0].member_cert"])
    with pytest.raises(FileRefused):
        await service.check_upload(db_session, citizen, settings, asked, "photos", 1000)
    # The declaration is asked for: replaced, by the dossier's code or its reference.
    await service.remove_file(db_session, citizen, asked, by_slot["declaration"])
    await service.check_upload(db_session, citizen, settings, asked, "declaration", 1000)
    await _add(db_session, storage, settings, citizen, dossier.reference, "declaration", "moi.pdf")
    after = await service.get_dossier(db_session, citizen, asked)
    assert sorted((f.slot, f.name) for f in after.files) == [
        ("declaration", "moi.pdf"),
        ("members[0].member_cert", "giay-to.pdf"),
        ("members[1].member_cert", "giay-to.pdf"),
    ]
    assert after.draft_expires_at is None


async def test_a_resumable_upload_goes_only_into_an_asked_slot(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    citizen: Applicant,
    asked: str,
) -> None:
    reference = (await service.get_dossier(db_session, citizen, asked)).reference
    common = {"dossier_reference": reference, "length": len(PDF), "metadata_header": ""}
    with pytest.raises(FileRefused):
        await uploads.create_upload(
            db_session, storage, settings, citizen, slot="annex", filename="a.pdf", **common
        )
    dossier = await service.get_dossier(db_session, citizen, asked)
    await service.remove_file(
        db_session, citizen, asked, next(f.id for f in dossier.files if f.slot == "declaration")
    )
    upload = await uploads.create_upload(
        db_session, storage, settings, citizen, slot="declaration", filename="b.pdf", **common
    )
    done = await uploads.append(
        db_session, storage, settings, citizen, upload.id, offset=0, chunks=chunks(PDF)
    )
    assert done.refused is None and done.upload.file_id is not None


async def test_nothing_changes_unless_a_supplement_is_awaited(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    citizen: Applicant,
    commune_a: Actor,
) -> None:
    code = await _file_rich(db_session, storage, settings, citizen)
    with pytest.raises(NotAwaitingSupplement) as refused:
        await service.update_supplement(
            db_session, citizen, code, SupplementChanges(data={"full_name": "B"})
        )
    assert refused.value.status == 409
    with pytest.raises(NotAwaitingSupplement):
        await service.supplement_of(db_session, citizen, code)
    with pytest.raises(NotAwaitingSupplement):
        await service.resubmit(db_session, citizen, code, settings)
    with pytest.raises(NotADraft):
        await _add(db_session, storage, settings, citizen, code, "declaration")


async def test_resubmission_checks_the_whole_dossier_then_hands_it_back(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    citizen: Applicant,
    commune_a: Actor,
    asked: str,
) -> None:
    dossier = await service.get_dossier(db_session, citizen, asked)
    declaration = next(f.id for f in dossier.files if f.slot == "declaration")
    await service.remove_file(db_session, citizen, asked, declaration)
    with pytest.raises(DossierInvalid) as refused:
        await service.resubmit(db_session, citizen, asked, settings)
    assert [p.location for p in refused.value.problems] == ["data.declaration"]
    await _add(db_session, storage, settings, citizen, asked, "declaration")
    done = await service.resubmit(db_session, citizen, asked, settings)
    # Asked at reception: back to the desk, which has not started the clock yet.
    assert done.status.code == Status.registered
    assert [e.kind for e in done.events][-2:] == ["supplement_requested", "resubmitted"]
    assert done.data["declaration"][0]["name"] == "giay-to.pdf"
    mails = list(
        await db_session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == EMAIL))
    )
    assert any(m["subject"].startswith(f"Đã nhận hồ sơ bổ sung {asked}") for m in mails)
    with pytest.raises(NotAwaitingSupplement):
        await service.resubmit(db_session, citizen, asked, settings)
    # The desk sees it to receive again.
    work = await processing.work_on(db_session, commune_a, asked)
    assert work.supplements[0].resubmitted_at is not None


async def _clocked(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """A dossier received on Monday 2 March 2026 at 09:00, asked for a supplement by the
    specialist on Tuesday at 10:00, resubmitted on Thursday at 14:00; its code."""
    code = await file_dossier(session, settings, applicant)
    for moment, actor, action in (
        (_at(2, 9), desk["receiver"], Action.receive),
        (_at(3, 10), desk["specialist"], Action.request_supplement),
    ):
        monkeypatch.setattr(processing, "utcnow", lambda moment=moment: moment)
        if action is Action.request_supplement:
            await _ask(session, settings, storage, actor, code, "full_name")
        else:
            await act(session, settings, storage, actor, code, action)
    monkeypatch.setattr(processing, "utcnow", lambda: _at(5, 14))
    await service.update_supplement(
        session, applicant, code, SupplementChanges(data={"full_name": "Nguyễn Văn Ân"})
    )
    await service.resubmit(session, applicant, code, settings)
    return code


async def _due(session: AsyncSession, code: str) -> tuple[datetime, SupplementRequest]:
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    assert dossier is not None and dossier.due_at is not None
    request = await session.scalar(
        select(SupplementRequest).where(SupplementRequest.dossier_id == dossier.id)
    )
    assert request is not None
    return aware(dossier.due_at), request


async def test_the_clock_resumes_with_the_waiting_time_added(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = await _clocked(db_session, settings, storage, desk, applicant, monkeypatch)
    due, request = await _due(db_session, code)
    # Received Mon 09:00, 3 working days (24 h): Mon 6 h, Tue 8 h, Wed 8 h, Thu 2 h → Thu 09:00.
    # Waiting Tue 10:00 → Thu 14:00: Tue 5 h + Wed 8 h + Thu 5 h = 18 h. Thu 09:00 + 18 h:
    # Thu 6 h, Fri 8 h, Mon 4 h → Monday 9 March at 11:00.
    assert request.due_before is not None
    assert aware(request.due_before) == _at(5, 9)
    assert due == _at(9, 11)
    assert request.due_after is not None and aware(request.due_after) == due
    work = await processing.work_on(db_session, desk["specialist"], code)
    assert work.status.code == Status.received
    assert work.step is not None and work.step.kind == "appraise"


async def test_the_clock_restarts_where_the_procedure_says_so(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = small_catalog()
    catalog["procedures"][0]["workflow"] = {
        **DEFAULT_WORKFLOW.model_dump(mode="json"),
        "supplement_clock": "restart",
    }
    await import_catalog(db_session, catalog)
    code = await _clocked(db_session, settings, storage, desk, applicant, monkeypatch)
    due, _request = await _due(db_session, code)
    # Restarted Thu 14:00 for 24 h: Thu 3 h, Fri 8 h, Mon 8 h, Tue 5 h → Tuesday 10 March 14:00.
    assert due == _at(10, 14)


async def test_the_applicant_gets_the_documents_issued_to_them(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    assert await service.documents_of(db_session, applicant, code) == []
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    for actor, action in (
        (desk["specialist"], Action.forward),
        (desk["leader"], Action.approve),
        (desk["leader"], Action.sign),
    ):
        await act(db_session, settings, storage, actor, code, action)
    # The signed result exists but is not theirs before it is ready.
    assert [d.form for d in await service.documents_of(db_session, applicant, code)] == ["01"]
    work = await processing.work_on(db_session, desk["clerk"], code)
    result = next(d.reference for d in work.documents if d.form == "result")
    with pytest.raises(DocumentNotFound):
        await service.open_document(db_session, storage, applicant, code, result)
    await act(db_session, settings, storage, desk["clerk"], code, Action.result_ready)
    shown = await service.documents_of(db_session, applicant, code)
    assert [(d.form, d.signed) for d in shown] == [("01", False), ("result", True)]
    brief, stream = await service.open_document(db_session, storage, applicant, code, result)
    assert b"".join([chunk async for chunk in stream]).startswith(b"%PDF-")
    assert brief.size > 0
    # Nobody else's: another citizen, or another dossier's code with this reference.
    with pytest.raises(DossierNotFound):
        await service.documents_of(db_session, await make_citizen(db_session, 3), code)
    other = await file_dossier(db_session, settings, applicant)
    with pytest.raises(DocumentNotFound):
        await service.open_document(db_session, storage, applicant, other, result)


async def test_a_result_to_be_collected_is_not_offered_for_download(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant, Delivery.counter)
    for actor, action in (
        (desk["receiver"], Action.receive),
        (desk["specialist"], Action.forward),
        (desk["leader"], Action.approve),
        (desk["leader"], Action.sign),
        (desk["clerk"], Action.result_ready),
    ):
        await act(db_session, settings, storage, actor, code, action)
    assert [d.form for d in await service.documents_of(db_session, applicant, code)] == ["01"]
