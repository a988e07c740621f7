"""What applicants say of the service, and the checking of the electronic results it issues.

- Ratings: once the result was returned (status 10), the applicant rates the service once.
- Feedback (phản ánh) and petitions (kiến nghị) on a dossier or a procedure, routed to an
  agency, due within ``feedback_answer_days`` working days, answered once by its officials; the
  sender is e-mailed the answer through the outbox.
- Verification: anyone gives a PDF, or a dossier code, and learns whether its signatures are
  valid, who signed and when, whether it changed since, and which document of the portal it is.

Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.accounts import service as accounts
from app.accounts.schemas import ApiPrincipal, OfficialOut
from app.catalog import service as catalog
from app.config import Settings
from app.documents import service as documents
from app.documents.errors import InvalidPdf
from app.documents.schemas import SignatureCheck, SignatureReport
from app.dossiers import service as dossiers
from app.dossiers.errors import DossierNotFound
from app.dossiers.schemas import Applicant
from app.errors import InvalidPageCursor, NotFound, Problem
from app.feedback import repository
from app.feedback.errors import (
    AlreadyAnswered,
    AlreadyRated,
    FeedbackInvalid,
    FeedbackNotFound,
    NoAgency,
    NotReturnedYet,
    NotTheApplicant,
    TooManyVerifications,
    VerifyInvalid,
    VerifyTooLarge,
)
from app.feedback.repository import DossierFacts, FeedbackRow
from app.feedback.schemas import (
    KIND_LABELS,
    SATISFACTION_LABELS,
    AgencyBrief,
    AnswerIn,
    FeedbackIn,
    FeedbackOut,
    IssuedDocument,
    RatingIn,
    RatingOut,
    RatingStatus,
    ResultDocument,
    SignatureFacts,
    VerifyReport,
    VerifyVerdict,
)
from app.kit.clock import aware, utcnow
from app.kit.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from app.kit.text import contains_nul
from app.models.dossiers import Status
from app.models.feedback import Feedback, FeedbackKind, FeedbackState, Rating, Satisfaction
from app.models.processing import DocumentForm
from app.outbox import service as outbox
from app.outbox.mail import KIND as EMAIL
from app.outbox.mail import email_payload
from app.processing import calendar_service
from app.processing import service as processing
from app.storage import FileStorage

MIB = 1024 * 1024
PAGE_MAX = 100
_RESULT_STATUSES = frozenset({Status.result_ready, Status.returned})
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# --- Who acts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handler:
    """Who reads and answers an agency's feedback: one of its officials or its API key."""

    agency_id: int
    name: str
    account_id: int | None = None


def handler_for_official(official: OfficialOut) -> Handler:
    if official.disabled:
        raise NoAgency()
    return Handler(
        agency_id=official.agency_id, name=official.full_name, account_id=official.account_id
    )


def handler_for_key(principal: ApiPrincipal) -> Handler:
    if principal.agency_id is None:
        raise NoAgency()
    return Handler(agency_id=principal.agency_id, name=principal.key_name)


def _not_at_the_desk(applicant: Applicant, code: str) -> None:
    """The desk's officials neither rate their own service nor complain on someone's behalf."""
    if applicant.desk_agency_id is not None:
        raise NotTheApplicant(code)


async def _own_dossier(session: AsyncSession, applicant: Applicant, code: str) -> DossierFacts:
    """A submitted dossier the applicant may see (as the dossiers service decides)."""
    _not_at_the_desk(applicant, code)
    dossier = await dossiers.get_dossier(session, applicant, code)
    facts = await repository.dossier_by_code(session, dossier.code) if dossier.code else None
    if facts is None or facts.status is None:
        raise DossierNotFound(code)
    return facts


# --- Ratings -----------------------------------------------------------------------------------


def _rating_out(code: str, rating: Rating) -> RatingOut:
    score = Satisfaction(rating.score)
    label = SATISFACTION_LABELS[score]
    return RatingOut(
        dossier_code=code,
        score=score,
        label_vi=label[0],
        label_en=label[1],
        comment=rating.comment,
        created_at=aware(rating.created_at),
    )


async def rating_of(session: AsyncSession, applicant: Applicant, code: str) -> RatingOut | None:
    """The applicant's rating of their dossier, or None if not rated yet."""
    facts = await _own_dossier(session, applicant, code)
    rating = await repository.rating_of(session, facts.id)
    return _rating_out(facts.code, rating) if rating is not None else None


async def rating_status(session: AsyncSession, applicant: Applicant, code: str) -> RatingStatus:
    """Whether the applicant may rate their dossier now, and the rating once given."""
    facts = await _own_dossier(session, applicant, code)
    rating = await repository.rating_of(session, facts.id)
    return RatingStatus(
        dossier_code=facts.code,
        ratable=rating is None and facts.status == Status.returned,
        rating=_rating_out(facts.code, rating) if rating is not None else None,
    )


async def rate(
    session: AsyncSession, applicant: Applicant, code: str, payload: RatingIn
) -> RatingOut:
    """Rate the service on a returned dossier, once: NotReturnedYet before status 10,
    AlreadyRated the second time (also when two ratings race)."""
    facts = await _own_dossier(session, applicant, code)
    if facts.status != Status.returned:
        raise NotReturnedYet(facts.code)
    if contains_nul(payload.comment):
        raise _nul("comment")
    if await repository.rating_of(session, facts.id) is not None:
        raise AlreadyRated(facts.code)
    rating = Rating(
        dossier_id=facts.id,
        account_id=applicant.account_id,
        score=int(payload.score),
        comment=payload.comment,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(rating)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyRated(facts.code) from exc
    return _rating_out(facts.code, rating)


def _nul(location: str) -> FeedbackInvalid:
    return FeedbackInvalid(
        [
            Problem(
                location,
                "Văn bản chứa ký tự điều khiển NUL, không lưu được.",
                "The text holds a NUL control character, which cannot be saved.",
            )
        ]
    )


# --- Feedback: sending ---------------------------------------------------------------------


def _overdue(feedback: Feedback, now: datetime) -> bool:
    return feedback.state == FeedbackState.open and aware(feedback.due_at) < now


def _feedback_out(row: FeedbackRow, now: datetime | None = None) -> FeedbackOut:
    feedback = row.feedback
    kind = FeedbackKind(feedback.kind)
    label = KIND_LABELS[kind]
    return FeedbackOut(
        reference=feedback.reference,
        kind=kind,
        kind_vi=label[0],
        kind_en=label[1],
        subject=feedback.subject,
        body=feedback.body,
        dossier_code=row.dossier_code,
        procedure_code=row.procedure_code,
        procedure_name=row.procedure_name,
        agency=AgencyBrief(code=row.agency_code, name=row.agency_name),
        sender_name=feedback.sender_name,
        created_at=aware(feedback.created_at),
        due_at=aware(feedback.due_at),
        state=FeedbackState(feedback.state),
        overdue=_overdue(feedback, now or utcnow()),
        answer=feedback.answer,
        answered_at=aware(feedback.answered_at) if feedback.answered_at else None,
        answered_by_name=feedback.answered_by_name,
    )


def _text_problems(payload: FeedbackIn) -> list[Problem]:
    problems: list[Problem] = []
    if not payload.subject:
        problems.append(Problem("subject", "Hãy nhập tiêu đề.", "Enter a subject."))
    if not payload.body:
        problems.append(
            Problem("body", "Hãy nhập nội dung phản ánh, kiến nghị.", "Enter what you have to say.")
        )
    for location, text in (("subject", payload.subject), ("body", payload.body)):
        if contains_nul(text):
            problems.extend(_nul(location).problems)
    if payload.dossier_code and payload.procedure_code:
        problems.append(
            Problem(
                "procedure_code",
                "Phản ánh về một hồ sơ hoặc về một thủ tục, không phải cả hai.",
                "Feedback is about a dossier or about a procedure, not both.",
            )
        )
    elif not payload.dossier_code and not payload.procedure_code:
        problems.append(
            Problem(
                "dossier_code",
                "Hãy cho biết hồ sơ hoặc thủ tục được phản ánh, kiến nghị.",
                "Name the dossier or the procedure the feedback is about.",
            )
        )
    return problems


async def _handling_agency(session: AsyncSession, facts: DossierFacts) -> int | None:
    """The agency handling the dossier now (its routing slip's latest step), else the one that
    received it."""
    slip = await processing.routing_slip(session, facts.id)
    if slip.steps:
        return slip.steps[-1].agency_id
    return facts.agency_id


async def _new_reference(session: AsyncSession, now: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    day = now.astimezone(ZoneInfo(zone)).strftime("%y%m%d")
    while True:
        tail = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        reference = f"PA-{day}-{tail}"
        if not await repository.reference_taken(session, reference):
            return reference


async def send(
    session: AsyncSession, settings: Settings, applicant: Applicant, payload: FeedbackIn
) -> FeedbackOut:
    """Send feedback on one of the applicant's dossiers, or on a procedure (to the agency the
    sender picks among its agencies, or its first), due in ``feedback_answer_days`` working
    days. Every problem of the form is listed at once."""
    problems = _text_problems(payload)
    dossier: DossierFacts | None = None
    procedure_id: int | None = None
    agency_id: int | None = None
    if payload.dossier_code and not payload.procedure_code:
        try:
            dossier = await _own_dossier(session, applicant, payload.dossier_code)
        except NotFound:
            problems.append(
                Problem(
                    "dossier_code",
                    "Không tìm thấy hồ sơ này trong các hồ sơ của bạn.",
                    "No such dossier among yours.",
                )
            )
        else:
            procedure_id = dossier.procedure_id
            agency_id = await _handling_agency(session, dossier)
    elif payload.procedure_code and not payload.dossier_code:
        try:
            target = await catalog.filing_target(session, payload.procedure_code)
        except NotFound:
            problems.append(
                Problem("procedure_code", "Không tìm thấy thủ tục này.", "No such procedure.")
            )
        else:
            procedure_id = target.procedure_id
            chosen = [
                a
                for a in target.agencies
                if not payload.agency_code or a.code == payload.agency_code
            ]
            if chosen:
                agency_id = chosen[0].id
            else:
                problems.append(
                    Problem(
                        "agency_code",
                        "Hãy chọn một trong các cơ quan giải quyết thủ tục này.",
                        "Choose one of the agencies that handle this procedure.",
                    )
                )
    if agency_id is None and not problems:
        problems.append(
            Problem(
                "agency_code",
                "Chưa có cơ quan nào nhận phản ánh về việc này.",
                "No agency takes feedback on this yet.",
            )
        )
    if problems:
        raise FeedbackInvalid(problems)
    assert agency_id is not None
    now = utcnow()
    calendar = await calendar_service.working_calendar(session, settings)
    due_at = calendar.add_days(calendar.clock_start(now), settings.feedback_answer_days)
    feedback = Feedback(
        reference=await _new_reference(session, now, settings.time_zone),
        kind=payload.kind.value,
        dossier_id=dossier.id if dossier else None,
        procedure_id=procedure_id,
        agency_id=agency_id,
        account_id=applicant.account_id,
        enterprise_id=applicant.enterprise_id,
        sender_name=applicant.name[:255],
        sender_email=applicant.email,
        subject=payload.subject,
        body=payload.body,
        created_at=now,
        due_at=due_at,
        state=FeedbackState.open.value,
    )
    session.add(feedback)
    await session.flush()
    row = await repository.feedback_by_reference(session, feedback.reference)
    assert row is not None
    return _feedback_out(row, now)


def _page_limit(limit: int) -> int:
    return max(1, min(limit, PAGE_MAX))


async def sent(
    session: AsyncSession, applicant: Applicant, *, cursor: str | None = None, limit: int = 20
) -> Page[FeedbackOut]:
    """What the applicant sent (an enterprise's key: what the enterprise sent), newest first."""
    limit = _page_limit(limit)
    before: int | None = None
    if cursor:
        try:
            (before_id,) = decode_cursor(cursor, (int,))
        except InvalidCursor as exc:
            raise InvalidPageCursor() from exc
        before = int(before_id)
    rows = await repository.sent_by(
        session,
        applicant.account_id,
        applicant.enterprise_id,
        before_id=before,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    now = utcnow()
    return Page(
        items=[_feedback_out(r, now) for r in rows],
        next_cursor=encode_cursor((rows[-1].feedback.id,)) if more else None,
    )


async def _sent_row(session: AsyncSession, applicant: Applicant, reference: str) -> FeedbackRow:
    row = await repository.feedback_by_reference(session, reference)
    if row is None:
        raise FeedbackNotFound(reference)
    feedback = row.feedback
    if applicant.account_id is not None:
        mine = feedback.account_id == applicant.account_id
    else:
        mine = feedback.enterprise_id == applicant.enterprise_id
    if not mine:
        raise FeedbackNotFound(reference)
    return row


async def get_sent(session: AsyncSession, applicant: Applicant, reference: str) -> FeedbackOut:
    """One feedback the applicant sent, with its answer once there is one."""
    return _feedback_out(await _sent_row(session, applicant, reference))


# --- Feedback: the agency's side ----------------------------------------------------------------


async def inbox(
    session: AsyncSession,
    handler: Handler,
    *,
    state: FeedbackState = FeedbackState.open,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[FeedbackOut]:
    """The agency's feedback in a state, the soonest due first; each says if it is overdue."""
    limit = _page_limit(limit)
    after: tuple[datetime, int] | None = None
    if cursor:
        try:
            due_at, feedback_id = decode_cursor(cursor, (str, int))
            after = (datetime.fromisoformat(str(due_at)), int(feedback_id))
        except (InvalidCursor, ValueError) as exc:
            raise InvalidPageCursor() from exc
    rows = await repository.for_agency(
        session, handler.agency_id, state=state.value, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    now = utcnow()
    last = rows[-1].feedback if rows else None
    return Page(
        items=[_feedback_out(r, now) for r in rows],
        next_cursor=(
            encode_cursor((last.due_at.isoformat(), last.id)) if more and last is not None else None
        ),
    )


async def _received_row(session: AsyncSession, handler: Handler, reference: str) -> FeedbackRow:
    row = await repository.feedback_by_reference(session, reference)
    if row is None or row.feedback.agency_id != handler.agency_id:
        raise FeedbackNotFound(reference)
    return row


async def get_received(session: AsyncSession, handler: Handler, reference: str) -> FeedbackOut:
    """One feedback sent to the handler's agency."""
    return _feedback_out(await _received_row(session, handler, reference))


def _answer_mail(settings: Settings, out: FeedbackOut) -> tuple[str, str]:
    link = f"{settings.base_url.rstrip('/')}/phan-anh/{out.reference}"
    subject = f"Trả lời phản ánh, kiến nghị {out.reference} / Answer to your feedback"
    body = (
        f"Kính gửi {out.sender_name},\n\n"
        f"{out.agency.name} đã trả lời {out.kind_vi.lower()} “{out.subject}” của bạn:\n\n"
        f"{out.answer}\n\n"
        f"Xem tại / Read it at: {link}\n"
    )
    return subject, body


async def answer(
    session: AsyncSession,
    settings: Settings,
    handler: Handler,
    reference: str,
    payload: AnswerIn,
) -> FeedbackOut:
    """Answer feedback sent to the handler's agency, once; the sender is e-mailed the answer."""
    row = await _received_row(session, handler, reference)
    feedback = row.feedback
    if not payload.answer:
        raise FeedbackInvalid([Problem("answer", "Hãy nhập câu trả lời.", "Enter the answer.")])
    if contains_nul(payload.answer):
        raise _nul("answer")
    if feedback.state != FeedbackState.open:
        raise AlreadyAnswered(reference)
    now = utcnow()
    feedback.state = FeedbackState.answered.value
    feedback.answer = payload.answer
    feedback.answered_at = now
    feedback.answered_by_id = handler.account_id
    feedback.answered_by_name = handler.name[:255]
    try:
        await session.flush()
    except StaleDataError as exc:
        # Another official answered between our read and our write.
        raise AlreadyAnswered(reference) from exc
    out = _feedback_out(row, now)
    if feedback.sender_email:
        subject, body = _answer_mail(settings, out)
        await outbox.enqueue(session, EMAIL, email_payload(feedback.sender_email, subject, body))
    return out


# --- Verification ---------------------------------------------------------------------------


async def admit_verification(session: AsyncSession, settings: Settings, client: str) -> None:
    """Count one verification from the client address; TooManyVerifications past the limit.
    The caller commits the count even when its answer is a refusal."""
    wait = await accounts.limit_rate(session, f"verify:ip:{client}", settings.verify_rate_limit)
    if wait is not None:
        raise TooManyVerifications(wait)


_VERDICTS: dict[str, tuple[str, str]] = {
    "valid": (
        "Chữ ký số hợp lệ: văn bản không bị thay đổi kể từ khi ký.",
        "The digital signature is valid: the document has not changed since it was signed.",
    ),
    "changed": (
        "Văn bản đã bị thay đổi sau khi ký, hoặc chữ ký số không khớp với nội dung.",
        "The document was changed after it was signed, or its signature does not match it.",
    ),
    "untrusted": (
        "Chữ ký không do cơ quan nào của cổng ký: không xác nhận được người ký.",
        "The signature was not made by an agency of the portal: the signer cannot be confirmed.",
    ),
    "unsigned": ("Văn bản không có chữ ký số.", "The document has no digital signature."),
}


def verdict(report: SignatureReport) -> VerifyVerdict:
    """One word for a person: valid, changed, untrusted or unsigned."""
    checks = report.signatures
    if not checks:
        code = "unsigned"
    elif any(not c.intact or not c.valid for c in checks) or checks[-1].changed_after_signing:
        code = "changed"
    elif any(not c.trusted for c in checks):
        code = "untrusted"
    elif all(c.bottom_line for c in checks):
        code = "valid"
    else:
        code = "changed"
    label = _VERDICTS[code]
    return VerifyVerdict(code=code, label_vi=label[0], label_en=label[1])


def _facts(check: SignatureCheck) -> SignatureFacts:
    return SignatureFacts(
        signer=check.signer_common_name,
        organisation=check.signer_organisation,
        signed_at=aware(check.signed_at) if check.signed_at else None,
        valid=check.valid,
        trusted=check.trusted,
        intact=check.intact,
        changed_after_signing=check.changed_after_signing,
        good=check.bottom_line and not check.changed_after_signing,
    )


def _agency(facts: DossierFacts) -> AgencyBrief | None:
    if facts.agency_code is None or facts.agency_name is None:
        return None
    return AgencyBrief(code=facts.agency_code, name=facts.agency_name)


async def _issued(session: AsyncSession, sha256: str) -> IssuedDocument | None:
    """The document the portal issued with exactly this content, if any."""
    found = await documents.documents_with_digest(session, sha256)
    if not found:
        return None
    document = found[0]
    facts = (await repository.dossiers_by_id(session, [document.dossier_id])).get(
        document.dossier_id
    )
    if facts is None:
        return None
    return IssuedDocument(
        dossier_code=facts.code,
        form=document.form,
        issued_at=aware(document.created_at),
        agency=_agency(facts),
        procedure_name=facts.procedure_name,
        signed=document.signed,
    )


def _not_a_pdf() -> VerifyInvalid:
    return VerifyInvalid(
        "file",
        "Tệp không phải là tệp PDF hợp lệ: hãy chọn tệp PDF kết quả điện tử.",
        "The file is not a valid PDF: choose the PDF of the electronic result.",
    )


async def read_pdf(chunks: AsyncIterable[bytes], limit_mb: int) -> bytes:
    """The uploaded file, read as it arrives and refused as soon as it passes the limit, so
    at most ``limit_mb`` MiB are ever held."""
    limit = limit_mb * MIB
    data = bytearray()
    async for chunk in chunks:
        if len(data) + len(chunk) > limit:
            raise VerifyTooLarge(limit_mb)
        data.extend(chunk)
    if not data:
        raise VerifyInvalid("file", "Tệp trống.", "The file is empty.")
    return bytes(data)


async def verify_pdf(session: AsyncSession, pdf: bytes) -> VerifyReport:
    """Check the PDF's signatures against the portal's trust roots, and find the document the
    portal issued with the same bytes."""
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise _not_a_pdf()
    try:
        report = await documents.verify_pdf(session, pdf)
    except InvalidPdf as exc:
        raise _not_a_pdf() from exc
    sha256 = hashlib.sha256(pdf).hexdigest()
    return VerifyReport(
        verdict=verdict(report),
        sha256=sha256,
        size=len(pdf),
        signatures=[_facts(c) for c in report.signatures],
        issued=await _issued(session, sha256),
        dossier_code=None,
        results=[],
    )


class NoElectronicResult(NotFound):
    """The same answer for a code that does not exist and one without a result yet: the page
    is public and tells nothing of a dossier but its result's signatures."""

    code = "no_electronic_result"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Không có kết quả điện tử nào của hồ sơ {code}.",
            message_en=f"Dossier {code} has no electronic result.",
        )


async def verify_dossier(session: AsyncSession, storage: FileStorage, code: str) -> VerifyReport:
    """The result documents of a dossier with its result ready or returned, each with what its
    signatures say; never the applicant's details."""
    code = code.strip().upper()
    facts = await repository.dossier_by_code(session, code)
    if facts is None or facts.status not in _RESULT_STATUSES:
        raise NoElectronicResult(code)
    results: list[ResultDocument] = []
    for document in await documents.documents_of(session, facts.id):
        if document.form is not DocumentForm.result:
            continue
        _out, stream = await documents.open_document(session, storage, document.reference)
        content = bytearray()
        async for chunk in stream:
            content.extend(chunk)
        try:
            report = await documents.verify_pdf(session, bytes(content))
        except InvalidPdf:
            report = SignatureReport(signatures=[])
        results.append(
            ResultDocument(
                dossier_code=facts.code,
                form=document.form,
                issued_at=aware(document.created_at),
                agency=_agency(facts),
                procedure_name=facts.procedure_name,
                signed=document.signed,
                sha256=hashlib.sha256(content).hexdigest(),
                signatures=[_facts(c) for c in report.signatures],
                verdict=verdict(report),
            )
        )
    if not results:
        raise NoElectronicResult(code)
    return VerifyReport(
        verdict=None,
        sha256=None,
        size=None,
        signatures=[],
        issued=None,
        dossier_code=facts.code,
        results=results,
    )
