"""Submission: every problem at once, the delivery rules, the code and the acknowledgement."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers import service
from app.dossiers.errors import DossierInvalid
from app.dossiers.schemas import Applicant, DeliveryIn, DraftChanges, PostalAddress
from app.models.dossiers import Delivery
from app.models.outbox import OutboxMessage
from app.outbox.mail import KIND as EMAIL
from app.storage import FileStorage
from tests.dossiers.conftest import (
    AGENCY_A,
    AGENCY_B,
    PARTIAL,
    PDF,
    POSTAL_ADDRESS,
    chunks,
    make_enterprise,
)

POST = DeliveryIn(method=Delivery.post, address=POSTAL_ADDRESS)


async def _ready(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    procedure: str,
    agency: str | None = AGENCY_A,
    delivery: DeliveryIn | None = None,
) -> str:
    """A draft of ``procedure`` with every answer and file, ready to submit."""
    draft = await service.start_draft(session, applicant, procedure, settings)
    await service.update_draft(
        session,
        applicant,
        draft.reference,
        DraftChanges(
            data={"full_name": "Nguyễn Văn An"},
            agency=agency,
            delivery=delivery or DeliveryIn(method=Delivery.counter),
        ),
        settings,
    )
    if procedure != PARTIAL:
        await service.add_file(
            session,
            storage,
            settings,
            applicant,
            draft.reference,
            "declaration",
            "a.pdf",
            chunks(PDF),
        )
    return draft.reference


async def test_every_problem_is_listed_with_its_place(
    db_session: AsyncSession, settings: Settings, rich: str, citizen: Applicant
) -> None:
    draft = await service.start_draft(db_session, citizen, rich, settings)
    await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(data={"full_name": "", "members": [{"member_name": "Cường"}]}),
        settings,
    )
    with pytest.raises(DossierInvalid) as refused:
        await service.submit(db_session, citizen, draft.reference, settings)
    error = refused.value
    assert error.status == 422 and error.code == "dossier_invalid"
    assert [p.location for p in error.problems] == [
        "data.full_name",
        "data.declaration",
        "data.members[0].member_cert",
        "agency",
        "delivery.method",
    ]
    assert all(p.message and p.message_en for p in error.problems)
    # Nothing changed: still a draft, no code was used up.
    again = await service.get_dossier(db_session, citizen, draft.reference)
    assert again.status.code is None and again.code is None


async def test_online_result_only_for_full_online_procedures(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    partial = await service.start_draft(db_session, citizen, PARTIAL, settings)
    with pytest.raises(DossierInvalid) as refused:
        await service.update_draft(
            db_session,
            citizen,
            partial.reference,
            DraftChanges(delivery=DeliveryIn(method=Delivery.online)),
            settings,
        )
    assert [p.location for p in refused.value.problems] == ["delivery.method"]
    assert "no result online" in refused.value.message_en
    # A full online procedure returns results online.
    reference = await _ready(
        db_session, settings, storage, citizen, rich, delivery=DeliveryIn(method=Delivery.online)
    )
    done = await service.submit(db_session, citizen, reference, settings)
    assert done.delivery is Delivery.online and done.delivery_address is None


async def test_post_only_where_allowed_and_to_a_valid_address(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    partial = await service.start_draft(db_session, citizen, PARTIAL, settings)
    with pytest.raises(DossierInvalid) as refused:
        await service.update_draft(
            db_session, citizen, partial.reference, DraftChanges(delivery=POST), settings
        )
    assert "does not return results by post" in refused.value.message_en

    draft = await service.start_draft(db_session, citizen, rich, settings)
    for address, wrong in [
        (None, {"recipient", "phone", "address"}),
        (PostalAddress(), {"recipient", "phone", "address"}),
        (POSTAL_ADDRESS.model_copy(update={"street": ""}), {"address.street"}),
        (
            POSTAL_ADDRESS.model_copy(update={"phone": "12345", "commune": "99999"}),
            {"phone", "address.commune"},
        ),
        # A commune of another province.
        (POSTAL_ADDRESS.model_copy(update={"province": "01"}), {"address.commune"}),
    ]:
        with pytest.raises(DossierInvalid) as refused:
            await service.update_draft(
                db_session,
                citizen,
                draft.reference,
                DraftChanges(delivery=DeliveryIn(method=Delivery.post, address=address)),
                settings,
            )
        found = {p.location.removeprefix("delivery.address.") for p in refused.value.problems}
        assert wrong <= found, (address, found)
        assert all(p.location.startswith("delivery.address.") for p in refused.value.problems)

    posted = await service.update_draft(
        db_session,
        citizen,
        draft.reference,
        DraftChanges(
            delivery=DeliveryIn(
                method=Delivery.post,
                address=POSTAL_ADDRESS.model_copy(update={"phone": "+84 912 340 001"}),
            )
        ),
        settings,
    )
    assert posted.delivery_address is not None
    # Kept cleaned: the phone as digits.
    assert posted.delivery_address.phone == "0912340001"
    assert posted.delivery_address.recipient == "Nguyễn Văn An"


def _code_pattern(agency: str, day: str) -> str:
    return re.escape(agency) + "-" + day + r"-(\d{4})"


async def test_codes_count_per_agency_per_local_day(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 23:59 on 23 November 2025 in Hà Nội is 16:59 UTC; a minute later it is the 24th there.
    evening = datetime(2025, 11, 23, 16, 59, tzinfo=UTC)
    moments = iter(
        [
            (evening, AGENCY_A, "251123", 1),
            (evening + timedelta(seconds=30), AGENCY_A, "251123", 2),
            (evening + timedelta(seconds=40), AGENCY_B, "251123", 1),
            (evening + timedelta(minutes=1), AGENCY_A, "251124", 1),
            (evening + timedelta(minutes=2), AGENCY_B, "251124", 1),
            (evening + timedelta(minutes=3), AGENCY_A, "251124", 2),
        ]
    )
    for at, agency, day, number in moments:
        reference = await _ready(db_session, settings, storage, citizen, rich, agency=agency)
        monkeypatch.setattr(service, "utcnow", lambda at=at: at)
        done = await service.submit(db_session, citizen, reference, settings)
        monkeypatch.undo()
        assert done.code == f"{agency}-{day}-{number:04d}"
        assert done.submitted_at is not None
        assert done.submitted_at.replace(tzinfo=UTC) == at
        assert done.agency is not None and done.agency.code == agency


async def test_the_acknowledgement_is_queued_with_the_code(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
    citizen: Applicant,
) -> None:
    reference = await _ready(db_session, settings, storage, citizen, rich, delivery=POST)
    done = await service.submit(db_session, citizen, reference, settings)
    assert done.code is not None and re.fullmatch(_code_pattern(AGENCY_A, r"\d{6}"), done.code)
    assert done.status.code == 1 and done.status.label_vi == "Mới đăng ký"
    assert done.channel == 2 and done.draft_expires_at is None
    assert [e.kind for e in done.events] == ["created", "submitted"]
    assert done.events[-1].status is not None and done.events[-1].status.code == 1
    assert done.data["declaration"][0]["content_type"] == "application/pdf"
    mails = (
        await db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == EMAIL).order_by(OutboxMessage.id)
        )
    ).all()
    mail = mails[-1].payload
    assert mail["to"] == "an1@example.com"
    assert done.code in mail["subject"]
    assert f"Mã hồ sơ: {done.code}" in mail["body"]
    assert f"Dossier code: {done.code}" in mail["body"]
    assert f"http://testserver/ho-so/{done.code}" in mail["body"]
    assert "Thủ tục nhiều tệp thử nghiệm" in mail["body"]


async def test_an_enterprise_files_under_its_tax_code(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    rich: str,
) -> None:
    owner = await make_enterprise(db_session, 1)
    assert owner.enterprise_id is not None and owner.type == 2
    reference = await _ready(db_session, settings, storage, owner, rich)
    done = await service.submit(db_session, owner, reference, settings)
    assert done.applicant_type == 2 and done.applicant_id_number == "0100109106"
    assert done.applicant_name == "Công ty TNHH Thử nghiệm 1"
    # Through its software (an API key), with no e-mail: no acknowledgement is queued.
    software = await service.applicant_for_enterprise(db_session, "0100109106")
    count = len((await db_session.scalars(select(OutboxMessage.id))).all())
    reference = await _ready(db_session, settings, storage, software, rich)
    await service.submit(db_session, software, reference, settings)
    assert len((await db_session.scalars(select(OutboxMessage.id))).all()) == count
