"""Ratings and feedback on the real database: who may rate and when, once; feedback routed to
the agency, due in working days, answered once with the sender e-mailed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import officials
from app.catalog import service as catalog
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.errors import NotFound
from app.feedback import service
from app.feedback.errors import (
    AlreadyAnswered,
    AlreadyRated,
    FeedbackInvalid,
    FeedbackNotFound,
    NotReturnedYet,
)
from app.feedback.schemas import AnswerIn, FeedbackIn, RatingIn
from app.kit.clock import aware
from app.models.feedback import Feedback, FeedbackKind, FeedbackState, Rating, Satisfaction
from app.models.outbox import OutboxMessage
from app.processing import calendar_service
from app.storage import FileStorage
from tests.dossiers.conftest import make_citizen
from tests.feedback.conftest import signed_result
from tests.fixtures.catalogs import CHILD_AGENCY, PROCEDURE
from tests.fixtures.processing import Desk, file_dossier

pytestmark = pytest.mark.usefixtures("desk")


async def test_the_applicant_rates_a_returned_dossier_once(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await signed_result(db_session, settings, storage, desk, applicant)
    assert await service.rating_of(db_session, applicant, code) is None
    rating = await service.rate(
        db_session, applicant, code, RatingIn(score=Satisfaction.satisfied, comment="  Nhanh  ")
    )
    assert rating.score == Satisfaction.satisfied and rating.label_vi == "Hài lòng"
    assert rating.comment == "Nhanh"
    status = await service.rating_status(db_session, applicant, code)
    assert status.rating is not None and status.rating.score == 2 and not status.ratable
    with pytest.raises(AlreadyRated):
        await service.rate(db_session, applicant, code, RatingIn(score=Satisfaction.not_satisfied))
    stored = list(await db_session.scalars(select(Rating)))
    assert [(r.score, r.comment) for r in stored if r.account_id == applicant.account_id] == [
        (2, "Nhanh")
    ]


async def test_a_dossier_is_rated_only_once_returned_and_only_by_its_applicant(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await signed_result(db_session, settings, storage, desk, applicant, returned=False)
    with pytest.raises(NotReturnedYet) as refused:
        await service.rate(db_session, applicant, code, RatingIn(score=Satisfaction.very_satisfied))
    assert refused.value.status == 409
    other = await make_citizen(db_session, 8)
    with pytest.raises(NotFound):
        await service.rate(db_session, other, code, RatingIn(score=Satisfaction.very_satisfied))
    with pytest.raises(NotFound):
        await service.rating_of(db_session, other, code)


async def test_feedback_on_a_dossier_goes_to_the_agency_due_in_working_days(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    sent = await service.send(
        db_session,
        settings,
        applicant,
        FeedbackIn(
            kind=FeedbackKind.report,
            subject="Chưa được tiếp nhận",
            body="Hồ sơ nộp đã lâu mà chưa được tiếp nhận.",
            dossier_code=code,
        ),
    )
    assert sent.reference.startswith("PA-") and sent.state == FeedbackState.open
    assert sent.agency.code == CHILD_AGENCY and sent.dossier_code == code
    assert sent.procedure_code == PROCEDURE and not sent.overdue
    calendar = await calendar_service.working_calendar(db_session, settings)
    expected = calendar.add_days(calendar.clock_start(sent.created_at), 10)
    assert sent.due_at == expected
    # Ten working days are at least two calendar weeks.
    assert sent.due_at - sent.created_at >= timedelta(days=13)
    row = await db_session.scalar(select(Feedback).where(Feedback.reference == sent.reference))
    assert row is not None and row.kind == "report" and row.account_id == applicant.account_id

    mine = await service.sent(db_session, applicant)
    assert [f.reference for f in mine.items] == [sent.reference]
    other = await make_citizen(db_session, 9)
    with pytest.raises(FeedbackNotFound):
        await service.get_sent(db_session, other, sent.reference)


async def test_the_setting_counts_the_days(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    shorter = settings.model_copy(update={"feedback_answer_days": 1})
    sent = await service.send(
        db_session,
        shorter,
        applicant,
        FeedbackIn(
            kind="petition", subject="Đề nghị", body="Rút gọn giấy tờ", procedure_code=PROCEDURE
        ),
    )
    calendar = await calendar_service.working_calendar(db_session, settings)
    assert sent.due_at == calendar.add_days(calendar.clock_start(sent.created_at), 1)
    assert sent.kind == FeedbackKind.petition and sent.dossier_code is None


async def test_feedback_on_a_procedure_goes_to_the_agency_picked_among_its_own(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    sent = await service.send(
        db_session,
        settings,
        applicant,
        FeedbackIn(
            kind="petition",
            subject="Giảm thời hạn",
            body="Đề nghị rút ngắn thời hạn giải quyết.",
            procedure_code=PROCEDURE,
            agency_code=CHILD_AGENCY,
        ),
    )
    assert sent.agency.code == CHILD_AGENCY and sent.procedure_name
    target = await catalog.filing_target(db_session, PROCEDURE)
    assert sent.agency.code == target.agencies[0].code


async def test_wrong_feedback_lists_every_problem_and_saves_nothing(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    before = len(list(await db_session.scalars(select(Feedback.id))))
    with pytest.raises(FeedbackInvalid) as wrong:
        await service.send(
            db_session,
            settings,
            applicant,
            FeedbackIn(
                kind="report",
                subject=" ",
                body="",
                procedure_code=PROCEDURE,
                agency_code="000.00.00.H01",
            ),
        )
    assert {p.location for p in wrong.value.problems} == {"subject", "body", "agency_code"}
    with pytest.raises(FeedbackInvalid) as wrong:
        await service.send(
            db_session,
            settings,
            applicant,
            FeedbackIn(
                kind="report", subject="A", body="B", dossier_code="000.01.99.H99-990101-0001"
            ),
        )
    assert [p.location for p in wrong.value.problems] == ["dossier_code"]
    with pytest.raises(FeedbackInvalid) as wrong:
        await service.send(
            db_session, settings, applicant, FeedbackIn(kind="report", subject="A", body="B")
        )
    assert [p.location for p in wrong.value.problems] == ["dossier_code"]
    with pytest.raises(FeedbackInvalid) as wrong:
        await service.send(
            db_session,
            settings,
            applicant,
            FeedbackIn(kind="report", subject="A", body="B\x00", procedure_code="0.000000"),
        )
    assert {p.location for p in wrong.value.problems} == {"body", "procedure_code"}
    assert len(list(await db_session.scalars(select(Feedback.id)))) == before


async def test_the_agency_answers_once_and_the_sender_is_emailed(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    sent = await service.send(
        db_session,
        settings,
        applicant,
        FeedbackIn(
            kind="report", subject="Thái độ", body="Cán bộ trả lời chậm.", dossier_code=code
        ),
    )
    official = await officials.official_of(db_session, desk["leader"].account_id or 0)
    assert official is not None
    handler = service.handler_for_official(official)
    inbox = await service.inbox(db_session, handler)
    assert sent.reference in [f.reference for f in inbox.items]

    outsider = await officials.official_of(db_session, desk.outsider.account_id or 0)
    assert outsider is not None
    with pytest.raises(FeedbackNotFound):
        await service.get_received(
            db_session, service.handler_for_official(outsider), sent.reference
        )
    with pytest.raises(FeedbackInvalid):
        await service.answer(db_session, settings, handler, sent.reference, AnswerIn(answer=" "))

    answered = await service.answer(
        db_session, settings, handler, sent.reference, AnswerIn(answer="Đã nhắc nhở cán bộ.")
    )
    assert (
        answered.state == FeedbackState.answered and answered.answered_by_name == official.full_name
    )
    with pytest.raises(AlreadyAnswered):
        await service.answer(
            db_session, settings, handler, sent.reference, AnswerIn(answer="Lần 2")
        )
    seen = await service.get_sent(db_session, applicant, sent.reference)
    assert seen.answer == "Đã nhắc nhở cán bộ." and seen.answered_at is not None
    mails = list(
        await db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    )
    to_sender = [m for m in mails if sent.reference in m.payload.get("subject", "")]
    assert len(to_sender) == 1 and to_sender[0].payload["to"] == applicant.email
    assert "Đã nhắc nhở cán bộ." in to_sender[0].payload["body"]
    assert sent.reference not in [
        f.reference for f in (await service.inbox(db_session, handler)).items
    ]
    done = await service.inbox(db_session, handler, state=FeedbackState.answered)
    assert sent.reference in [f.reference for f in done.items]


async def test_the_inbox_is_ordered_by_due_date_and_marks_overdue(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    references = []
    for n in range(3):
        sent = await service.send(
            db_session,
            settings,
            applicant,
            FeedbackIn(
                kind="petition", subject=f"Kiến nghị {n}", body="Nội dung", procedure_code=PROCEDURE
            ),
        )
        references.append(sent.reference)
    first = await db_session.scalar(select(Feedback).where(Feedback.reference == references[2]))
    assert first is not None
    first.due_at = datetime(2020, 1, 2, 3, 0, tzinfo=UTC)
    await db_session.flush()
    official = await officials.official_of(db_session, desk["receiver"].account_id or 0)
    assert official is not None
    handler = service.handler_for_official(official)
    page = await service.inbox(db_session, handler, limit=2)
    assert page.items[0].reference == references[2] and page.items[0].overdue
    assert aware(page.items[0].due_at) < page.items[1].due_at
    assert not page.items[1].overdue and page.next_cursor is not None
    rest = await service.inbox(db_session, handler, cursor=page.next_cursor, limit=2)
    seen = [f.reference for f in page.items + rest.items]
    assert set(references) <= set(seen) and len(seen) == len(set(seen))
