"""Ratings and feedback on the pages: the applicant rates a returned dossier and sends feedback
(phản ánh) or petitions (kiến nghị) on a dossier or a procedure, and reads the answers; the
officials of the agency read their inbox, the soonest due first, and answer.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.catalog import service as catalog
from app.dossiers import service as dossiers
from app.errors import InvalidInput, NotFound, Problem
from app.feedback import service
from app.feedback.errors import AlreadyAnswered, AlreadyRated, NotReturnedYet
from app.feedback.schemas import AnswerIn, FeedbackIn, RatingIn
from app.models.feedback import FeedbackKind, FeedbackState, Satisfaction
from app.web.routes.deps import (
    ApplicantDep,
    OfficialDep,
    PagesDep,
    Session,
    SettingsDep,
    field_errors,
    read_form,
)

router = APIRouter()

MY_FEEDBACK = "/phan-anh-cua-toi"
SEND = "/phan-anh/gui"
INBOX = "/can-bo/phan-anh"
CODE = r"^[0-9A-Za-z.-]+$"
REFERENCE = r"^[0-9A-Za-z-]+$"
DossierCode = Annotated[str, Path(max_length=64, pattern=CODE)]
Reference = Annotated[str, Path(max_length=32, pattern=REFERENCE)]
MAX_TEXT = 64 * 1024


def rating_url(code: str) -> str:
    return f"/ho-so/{quote(code)}/danh-gia"


def feedback_url(reference: str) -> str:
    return f"/phan-anh/{quote(reference)}"


def answer_url(reference: str) -> str:
    return f"{INBOX}/{quote(reference)}"


# ----------------------------------------------------------------------------- rating


@router.get("/ho-so/{code}/danh-gia", response_class=HTMLResponse)
async def rating_form(
    request: Request, code: DossierCode, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> HTMLResponse:
    """The rating of a returned dossier: the form, or the rating given."""
    dossier = await dossiers.get_dossier(session, applicant, code)
    rating = await service.rating_of(session, applicant, code)
    return pages.render(
        request,
        "pages/rating.html",
        {"dossier": dossier, "rating": rating, "values": {}, "errors": {}, "error_links": []},
    )


@router.post("/ho-so/{code}/danh-gia", response_class=HTMLResponse)
async def rate(
    request: Request, code: DossierCode, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Rate the service once; the dossier's page then shows the rating."""
    dossier = await dossiers.get_dossier(session, applicant, code)
    data = await read_form(request, max_part_size=MAX_TEXT)
    values = {"score": data.get("score", ""), "comment": data.get("comment", "")}
    problems: list[Problem] = []
    score = values["score"]
    if score not in {str(int(s)) for s in Satisfaction}:
        problems.append(
            Problem("score", "Hãy chọn mức độ hài lòng.", "Choose how satisfied you are.")
        )
    elif len(values["comment"]) > 2000:
        problems.append(
            Problem("comment", "Ý kiến dài quá 2000 ký tự.", "The comment is over 2000 characters.")
        )
    refused = ""
    if not problems:
        try:
            await service.rate(
                session,
                applicant,
                code,
                RatingIn(score=Satisfaction(int(score)), comment=values["comment"]),
            )
        except (AlreadyRated, NotReturnedYet) as exc:
            refused = exc.message_en if pages.locale(request) == "en" else exc.message
        except InvalidInput as exc:
            problems.extend(exc.problems)
        else:
            return RedirectResponse(f"/ho-so/{quote(code)}?da-danh-gia=1#danh-gia", 303)
    errors, links = field_errors(pages, request, problems, ["score", "comment"])
    return pages.render(
        request,
        "pages/rating.html",
        {
            "dossier": dossier,
            "rating": await service.rating_of(session, applicant, code),
            "values": values,
            "errors": errors,
            "error_links": links,
            "refused": refused,
        },
        status_code=409 if refused else 422,
    )


# ----------------------------------------------------------------------------- sending


async def _about(
    session: Session, applicant: ApplicantDep, dossier_code: str, procedure_code: str
) -> dict[str, Any]:
    """What the feedback is about, for the form's heading and choices."""
    if dossier_code:
        dossier = await dossiers.get_dossier(session, applicant, dossier_code)
        if dossier.code is None:
            raise NotFound("Không tìm thấy hồ sơ.", message_en="No such dossier.")
        return {"dossier": dossier, "procedure": None, "agencies": []}
    if procedure_code:
        procedure = await catalog.get_procedure(session, procedure_code)
        return {"dossier": None, "procedure": procedure, "agencies": procedure.agencies}
    raise NotFound(
        "Hãy gửi phản ánh, kiến nghị từ trang của hồ sơ hoặc của thủ tục.",
        message_en="Send feedback from the page of a dossier or of a procedure.",
    )


def _send_context(
    about: dict[str, Any], values: dict[str, str], errors: dict[str, list[str]], links: Any
) -> dict[str, Any]:
    return {
        **about,
        "values": values,
        "errors": errors,
        "error_links": links,
        "kinds": [k.value for k in FeedbackKind],
    }


@router.get(SEND, response_class=HTMLResponse)
async def send_form(
    request: Request,
    session: Session,
    pages: PagesDep,
    applicant: ApplicantDep,
    dossier_code: Annotated[str, Query(alias="ho-so", max_length=64)] = "",
    procedure_code: Annotated[str, Query(alias="thu-tuc", max_length=40)] = "",
) -> HTMLResponse:
    """The form of feedback on a dossier (``?ho-so=``) or on a procedure (``?thu-tuc=``)."""
    about = await _about(session, applicant, dossier_code.strip(), procedure_code.strip())
    values = {"kind": "", "subject": "", "body": "", "agency_code": ""}
    return pages.render(request, "pages/feedback_new.html", _send_context(about, values, {}, []))


@router.post(SEND, response_class=HTMLResponse)
async def send(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
) -> Response:
    """Send the feedback; its page then says by when the agency answers."""
    data = await read_form(request, max_part_size=MAX_TEXT)
    values = {
        k: data.get(k, "").strip()
        for k in ("kind", "subject", "body", "agency_code", "dossier_code", "procedure_code")
    }
    about = await _about(session, applicant, values["dossier_code"], values["procedure_code"])
    problems: list[Problem] = []
    if values["kind"] not in {k.value for k in FeedbackKind}:
        problems.append(
            Problem(
                "kind",
                "Hãy chọn phản ánh hay kiến nghị.",
                "Choose whether it is a report or a petition.",
            )
        )
    for name, limit in (("subject", 255), ("body", 5000)):
        if len(values[name]) > limit:
            problems.append(
                Problem(
                    name,
                    f"Nội dung dài quá {limit} ký tự.",
                    f"The text is over {limit} characters.",
                )
            )
    if not problems:
        payload = FeedbackIn(
            kind=FeedbackKind(values["kind"]),
            subject=values["subject"],
            body=values["body"],
            dossier_code=values["dossier_code"] or None,
            procedure_code=None if values["dossier_code"] else values["procedure_code"] or None,
            agency_code=values["agency_code"] or None,
        )
        try:
            sent = await service.send(session, settings, applicant, payload)
        except InvalidInput as exc:
            problems.extend(exc.problems)
        else:
            return RedirectResponse(f"{feedback_url(sent.reference)}?da-gui=1", status_code=303)
    errors, links = field_errors(
        pages, request, problems, ["kind", "subject", "body", "agency_code", "dossier_code"]
    )
    return pages.render(
        request,
        "pages/feedback_new.html",
        _send_context(about, values, errors, links),
        status_code=422,
    )


@router.get(MY_FEEDBACK, response_class=HTMLResponse)
async def my_feedback(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
    cursor: Annotated[str, Query(alias="sau", max_length=1000)] = "",
) -> HTMLResponse:
    """The feedback one sent, newest first, with the agencies' answers."""
    page = await service.sent(session, applicant, cursor=cursor or None, limit=settings.page_size)
    return pages.render(
        request,
        "pages/feedback_mine.html",
        {
            "items": page.items,
            "next_url": f"{MY_FEEDBACK}?sau={quote(page.next_cursor)}" if page.next_cursor else "",
        },
    )


@router.get("/phan-anh/{reference}", response_class=HTMLResponse)
async def my_feedback_one(
    request: Request,
    reference: Reference,
    session: Session,
    pages: PagesDep,
    applicant: ApplicantDep,
    sent: Annotated[int, Query(alias="da-gui", ge=0, le=1)] = 0,
) -> HTMLResponse:
    """One's feedback and, once given, the agency's answer."""
    feedback = await service.get_sent(session, applicant, reference)
    return pages.render(
        request, "pages/feedback_detail.html", {"feedback": feedback, "sent": bool(sent)}
    )


# ----------------------------------------------------------------------------- the agency


@router.get(INBOX, response_class=HTMLResponse)
async def inbox(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
    state: Annotated[str, Query(alias="trang-thai", pattern=r"^(|da-tra-loi)$")] = "",
    cursor: Annotated[str, Query(alias="sau", max_length=1000)] = "",
) -> HTMLResponse:
    """The agency's open feedback, the soonest due first and the overdue marked; or what it
    answered (``?trang-thai=da-tra-loi``)."""
    handler = service.handler_for_official(official)
    answered = state == "da-tra-loi"
    page = await service.inbox(
        session,
        handler,
        state=FeedbackState.answered if answered else FeedbackState.open,
        cursor=cursor or None,
        limit=settings.page_size,
    )
    base = f"{INBOX}?trang-thai=da-tra-loi&" if answered else f"{INBOX}?"
    return pages.render(
        request,
        "pages/feedback_inbox.html",
        {
            "items": page.items,
            "answered": answered,
            "agency_name": official.agency_name,
            "next_url": f"{base}sau={quote(page.next_cursor)}" if page.next_cursor else "",
        },
    )


def _answer_page(
    request: Request,
    pages: PagesDep,
    feedback: Any,
    *,
    answer: str = "",
    problems: list[Problem] | None = None,
    refused: str = "",
    done: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    errors, links = field_errors(pages, request, problems or [], ["answer"])
    return pages.render(
        request,
        "pages/feedback_answer.html",
        {
            "feedback": feedback,
            "answer": answer,
            "errors": errors,
            "error_links": links,
            "refused": refused,
            "done": done,
        },
        status_code=status_code,
    )


@router.get(f"{INBOX}/{{reference}}", response_class=HTMLResponse)
async def answer_form(
    request: Request,
    reference: Reference,
    session: Session,
    pages: PagesDep,
    official: OfficialDep,
    done: Annotated[int, Query(alias="da-tra-loi", ge=0, le=1)] = 0,
) -> HTMLResponse:
    """One feedback sent to the official's agency, with the form to answer it."""
    handler = service.handler_for_official(official)
    feedback = await service.get_received(session, handler, reference)
    return _answer_page(request, pages, feedback, done=bool(done))


@router.post(f"{INBOX}/{{reference}}", response_class=HTMLResponse)
async def answer(
    request: Request,
    reference: Reference,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: OfficialDep,
) -> Response:
    """Answer once; the sender is e-mailed the answer."""
    handler = service.handler_for_official(official)
    feedback = await service.get_received(session, handler, reference)
    text = (await read_form(request, max_part_size=MAX_TEXT)).get("answer", "").strip()
    if len(text) > 5000:
        problem = Problem(
            "answer", "Câu trả lời dài quá 5000 ký tự.", "The answer is over 5000 characters."
        )
        return _answer_page(
            request, pages, feedback, answer=text, problems=[problem], status_code=422
        )
    try:
        await service.answer(session, settings, handler, reference, AnswerIn(answer=text))
    except AlreadyAnswered as exc:
        refused = exc.message_en if pages.locale(request) == "en" else exc.message
        feedback = await service.get_received(session, handler, reference)
        return _answer_page(request, pages, feedback, refused=refused, status_code=409)
    except InvalidInput as exc:
        return _answer_page(
            request, pages, feedback, answer=text, problems=exc.problems, status_code=422
        )
    return RedirectResponse(f"{answer_url(reference)}?da-tra-loi=1", status_code=303)
