"""The one-stop desk files dossiers for walk-in applicants (channel 1) and records those that
came by post (channel 3): the applicant's identity checked field by field, the draft seen by
the agency's receivers only, reception at once with its receipt, the clock from reception."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.schemas import OfficialOut
from app.config import Settings
from app.dossiers import service, uploads
from app.dossiers.errors import DossierInvalid, DossierNotFound, NotAtTheDesk
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges
from app.kit.clock import aware
from app.models.dossiers import ApplicantType, Channel, Delivery, Dossier, Status
from app.models.outbox import OutboxMessage
from app.outbox.mail import KIND as EMAIL
from app.processing import service as processing
from app.storage import FileStorage
from tests.dossiers.conftest import PDF, chunks
from tests.fixtures.catalogs import CHILD_AGENCY, PROCEDURE
from tests.fixtures.processing import Desk, make_official

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
WALK_IN = {
    "applicant_type": "1",
    "name": "Lò Thị Mai",
    "id_number": "010190012345",
    "phone": "0912 000 111",
    "email": "mai@example.vn",
}


async def _official(session: AsyncSession, desk: Desk, role: str) -> OfficialOut:
    account_id = desk[role].account_id
    assert account_id is not None
    found = await officials.official_of(session, account_id)
    assert found is not None
    return found


async def _start(
    session: AsyncSession,
    settings: Settings,
    official: OfficialOut,
    channel: Channel = Channel.counter,
    **identity: str,
) -> str:
    draft = await service.start_desk_draft(
        session, settings, official, PROCEDURE, channel, {**WALK_IN, **identity}
    )
    return draft.reference


async def _fill(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    desk: Applicant,
    reference: str,
) -> None:
    """The answers typed from the papers, the declaration scanned, the result at the counter."""
    await service.update_draft(
        session,
        desk,
        reference,
        DraftChanges(
            data={"full_name": "Lò Thị Mai"}, delivery=DeliveryIn(method=Delivery.counter)
        ),
        settings,
    )
    await service.add_file(
        session, storage, settings, desk, reference, "declaration", "to-khai.pdf", chunks(PDF)
    )


async def test_a_walk_in_dossier_is_filed_and_received_at_once(
    db_session: AsyncSession, storage: FileStorage, settings: Settings, desk: Desk
) -> None:
    receiver = await _official(db_session, desk, "receiver")
    reference = await _start(db_session, settings, receiver)
    at_desk = service.desk_applicant(receiver)
    draft = await service.get_dossier(db_session, at_desk, reference)
    assert draft.channel == Channel.counter and draft.status.code is None
    assert (draft.applicant_name, draft.applicant_id_number, draft.applicant_phone) == (
        "Lò Thị Mai",
        "010190012345",
        "0912000111",
    )
    assert draft.applicant_type == ApplicantType.citizen and draft.agency is not None
    assert draft.agency.code == CHILD_AGENCY
    await _fill(db_session, storage, settings, at_desk, reference)
    done = await service.submit_at_desk(db_session, storage, settings, receiver, reference)

    assert done.code is not None and re.fullmatch(
        rf"{re.escape(CHILD_AGENCY)}-\d{{6}}-\d{{4}}", done.code
    )
    assert done.channel == Channel.counter and done.status.code == Status.received
    assert done.appointment_at is not None
    assert [e.kind for e in done.events] == ["created", "submitted", "received"]
    assert done.events[1].note == "Tiếp nhận trực tiếp tại bộ phận một cửa"
    assert [d.form for d in await service.documents_of(db_session, at_desk, done.code)] == ["01"]
    # The routing slip's first row: received at the desk by this official.
    work = await processing.work_on(db_session, desk["leader"], done.code)
    assert work.routing_slip[0].result == "received"
    assert work.routing_slip[0].received_by == receiver.full_name
    mails = await db_session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.kind == EMAIL)
    )
    assert any(m["to"] == "mai@example.vn" and "tiếp nhận" in m["subject"] for m in mails)


async def test_the_applicants_identity_is_checked_field_by_field(
    db_session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    receiver = await _official(db_session, desk, "receiver")
    cases: list[tuple[dict[str, str], dict[str, str]]] = [
        ({"id_number": "01019001234"}, {"id_number": "12 chữ số"}),
        ({"id_number": "999190012345"}, {"id_number": "mã tỉnh"}),
        ({"applicant_type": "2", "id_number": "0100109107"}, {"id_number": "chữ số kiểm tra"}),
        ({"applicant_type": "2", "id_number": "12345"}, {"id_number": "10 chữ số"}),
        (
            {"name": "", "phone": "12345", "email": "khong-phai-thu"},
            {"name": "", "phone": "", "email": ""},
        ),
        ({"applicant_type": ""}, {"applicant_type": ""}),
    ]
    for identity, expected in cases:
        with pytest.raises(DossierInvalid) as refused:
            await _start(db_session, settings, receiver, **identity)
        found = {p.location: p.message for p in refused.value.problems}
        assert set(found) == set(expected), (identity, found)
        for location, words in expected.items():
            assert words in found[location], found
            problem = next(p for p in refused.value.problems if p.location == location)
            assert problem.message_en, problem
    with pytest.raises(DossierInvalid) as refused:
        await _start(db_session, settings, receiver, name="Lò\x00Mai")
    assert [p.location for p in refused.value.problems] == ["name"]
    # An enterprise with a branch's tax code.
    reference = await _start(
        db_session, settings, receiver, applicant_type="2", id_number="0100109106 - 001", email=""
    )
    draft = await service.get_dossier(db_session, service.desk_applicant(receiver), reference)
    assert draft.applicant_type == ApplicantType.enterprise
    assert draft.applicant_id_number == "0100109106-001" and draft.applicant_email == ""


async def test_only_a_procedure_the_agency_receives_is_started(
    db_session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    receiver = await _official(db_session, desk, "receiver")
    for code in ("", "9.999999"):
        with pytest.raises(DossierInvalid) as refused:
            await service.start_desk_draft(
                db_session, settings, receiver, code, Channel.counter, WALK_IN
            )
        assert [p.location for p in refused.value.problems] == ["procedure"]
    # The province's desk does not receive the commune's procedure.
    province = await make_official(db_session, "mc@province.example", "000.00.99.H99", ["receiver"])
    assert province.account_id is not None
    other = await officials.official_of(db_session, province.account_id)
    assert other is not None
    with pytest.raises(DossierInvalid) as refused:
        await _start(db_session, settings, other)
    assert refused.value.problems[0].message == "Cơ quan của bạn không tiếp nhận thủ tục này"
    with pytest.raises(NotAtTheDesk):
        await _start(db_session, settings, await _official(db_session, desk, "specialist"))


async def test_only_the_agencys_receivers_see_a_desk_draft(
    db_session: AsyncSession, storage: FileStorage, settings: Settings, desk: Desk
) -> None:
    receiver = await _official(db_session, desk, "receiver")
    reference = await _start(db_session, settings, receiver)
    # Another receiver of the agency goes on with it.
    colleague_actor = await make_official(
        db_session, "mc2@commune.example", CHILD_AGENCY, ["receiver"]
    )
    assert colleague_actor.account_id is not None
    colleague = await officials.official_of(db_session, colleague_actor.account_id)
    assert colleague is not None
    await _fill(db_session, storage, settings, service.desk_applicant(colleague), reference)
    # Through their accounts, as the pages and the uploads find them.
    for role in ("specialist", "leader"):
        account_id = desk[role].account_id
        assert account_id is not None
        applicant = await service.applicant_for_account(
            db_session, await accounts.get_account(db_session, account_id)
        )
        assert applicant.desk_agency_id is None
        with pytest.raises(DossierNotFound):
            await service.get_dossier(db_session, applicant, reference)
    outsider_id = desk.outsider.account_id
    assert outsider_id is not None
    outsider = await service.applicant_for_account(
        db_session, await accounts.get_account(db_session, outsider_id)
    )
    assert outsider.desk_agency_id is not None, "a receiver, of another agency"
    with pytest.raises(DossierNotFound):
        await service.get_dossier(db_session, outsider, reference)
    with pytest.raises(DossierNotFound):
        await uploads.create_upload(
            db_session,
            storage,
            settings,
            outsider,
            dossier_reference=reference,
            slot="declaration",
            filename="a.pdf",
            length=100,
            metadata_header="",
        )
    # The colleague scans a paper again, by the resumable upload API.
    by_colleague = service.desk_applicant(colleague)
    draft = await service.get_dossier(db_session, by_colleague, reference)
    await service.remove_file(db_session, by_colleague, reference, draft.files[0].id)
    upload = await uploads.create_upload(
        db_session,
        storage,
        settings,
        by_colleague,
        dossier_reference=reference,
        slot="declaration",
        filename="ban-quet.pdf",
        length=len(PDF),
        metadata_header="",
    )
    scanned = await uploads.append(
        db_session, storage, settings, by_colleague, upload.id, offset=0, chunks=chunks(PDF)
    )
    assert scanned.refused is None and scanned.upload.file_id is not None
    with pytest.raises(uploads.UploadNotFound):
        await uploads.get_upload(db_session, storage, outsider, upload.id)
    # Not the receiver's own filing: no list of theirs shows it.
    at_desk = service.desk_applicant(receiver)
    assert (await service.list_dossiers(db_session, at_desk)).items == []
    assert [
        d.reference for d in await service.desk_drafts(db_session, receiver, Channel.counter)
    ] == [reference]
    assert await service.desk_drafts(db_session, receiver, Channel.post) == []
    # Once received, the one who received it keeps it to print the receipt; the others use the
    # officials' pages.
    done = await service.submit_at_desk(db_session, storage, settings, colleague, reference)
    assert done.code is not None
    await service.documents_of(db_session, service.desk_applicant(colleague), done.code)
    with pytest.raises(DossierNotFound):
        await service.get_dossier(db_session, at_desk, done.code)


async def test_a_desk_draft_keeps_its_agency_and_is_never_filed_online(
    db_session: AsyncSession, storage: FileStorage, settings: Settings, desk: Desk
) -> None:
    receiver = await _official(db_session, desk, "receiver")
    at_desk = service.desk_applicant(receiver)
    reference = await _start(db_session, settings, receiver)
    with pytest.raises(DossierInvalid) as refused:
        await service.update_draft(
            db_session, at_desk, reference, DraftChanges(agency=CHILD_AGENCY), settings
        )
    assert refused.value.problems[0].location == "agency"
    await _fill(db_session, storage, settings, at_desk, reference)
    with pytest.raises(DossierNotFound):
        await service.submit(db_session, at_desk, reference, settings)
    await service.update_draft(
        db_session, at_desk, reference, DraftChanges(data={"full_name": None}), settings
    )
    with pytest.raises(DossierInvalid) as incomplete:
        await service.submit_at_desk(db_session, storage, settings, receiver, reference)
    assert [p.location for p in incomplete.value.problems] == ["data.full_name"]


def _local(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=LOCAL).astimezone(UTC)


async def test_a_letter_is_received_with_its_postmark_and_the_clock_starts_then(
    db_session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The desk opens the letter on Monday 2 March 2026 at 09:00; it was posted on Thursday.
    monkeypatch.setattr(service, "utcnow", lambda: _local(2, 9))
    monkeypatch.setattr(processing, "utcnow", lambda: _local(2, 9))
    receiver = await _official(db_session, desk, "receiver")
    at_desk = service.desk_applicant(receiver)
    reference = await _start(db_session, settings, receiver, Channel.post, email="")
    await _fill(db_session, storage, settings, at_desk, reference)
    problems: dict[str, Any] = {}
    for postmark in ("", "03/03/2026", "26/02/2025", "khong-phai-ngay"):
        with pytest.raises(DossierInvalid) as refused:
            await service.submit_at_desk(
                db_session, storage, settings, receiver, reference, postmark
            )
        problems[postmark] = [(p.location, p.message) for p in refused.value.problems]
    assert all(
        [location for location, _ in found] == ["postal_date"] for found in problems.values()
    )
    assert "sau ngày 02/03/2026" in problems["03/03/2026"][0][1]
    assert "trước ngày 02/03/2025" in problems["26/02/2025"][0][1]

    done = await service.submit_at_desk(
        db_session, storage, settings, receiver, reference, "26/02/2026"
    )
    assert done.code is not None and done.code.split("-")[1] == "260302"
    assert done.channel == Channel.post and done.status.code == Status.received
    note = "Nhận qua bưu chính; ngày gửi theo dấu bưu điện: 26/02/2026"
    assert done.events[1].note == note
    dossier = await db_session.scalar(select(Dossier).where(Dossier.code == done.code))
    assert dossier is not None and dossier.clock_started_at is not None and dossier.due_at
    # From Monday 09:00, 3 working days (24 h): Mon 6 h, Tue 8 h, Wed 8 h, Thu 2 h.
    assert aware(dossier.clock_started_at) == _local(2, 9)
    assert aware(dossier.due_at) == _local(5, 9)
    work = await processing.work_on(db_session, desk["leader"], done.code)
    assert work.routing_slip[0].note == note
    assert work.received_at is not None and work.received_at.date() > date(2026, 2, 26)
    assert work.received_at - _local(2, 9) < timedelta(seconds=1)
