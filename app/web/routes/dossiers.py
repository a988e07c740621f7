"""One's dossiers: the list, a dossier's page, its files and the documents issued on it, the
acknowledgement, withdrawal; and the public lookup of a dossier's status by its code.

A failed lookup is rendered, not raised: the request's unit of work then commits the attempt
that throttling counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.dossiers import service
from app.dossiers.errors import CannotWithdraw, LookupFailed, TooManyLookups
from app.dossiers.schemas import Applicant, DossierOut
from app.errors import InvalidInput, Problem
from app.feedback import service as feedback
from app.kit.downloads import attachment_headers, closing
from app.models.dossiers import FINAL_STATUSES, Channel, Status
from app.payments import service as payments
from app.web import urls
from app.web.draftforms import delivery_view
from app.web.formview import ErrorLink, build_answers
from app.web.routes.deps import (
    ApplicantDep,
    PagesDep,
    Session,
    SettingsDep,
    StorageDep,
    read_form,
)
from app.web.templating import Pages

router = APIRouter()

MAX_DRAFTS_LISTED = 100
# A dossier with a result, or stopped, withdrawn or refused, can no longer be withdrawn.
CANNOT_WITHDRAW = frozenset(int(s) for s in FINAL_STATUSES)


# ----------------------------------------------------------------------------- my dossiers


@router.get(urls.MY_DOSSIERS, response_class=HTMLResponse)
async def my_dossiers(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
    cursor: Annotated[str, Query(alias="sau", max_length=1000)] = "",
    deleted: Annotated[int, Query(alias="da-xoa", ge=0, le=1)] = 0,
) -> HTMLResponse:
    """One's drafts, to go on with or delete, and one's dossiers, newest first."""
    drafts = await service.list_dossiers(session, applicant, drafts=True, limit=MAX_DRAFTS_LISTED)
    dossiers = await service.list_dossiers(
        session, applicant, drafts=False, cursor=cursor or None, limit=settings.page_size
    )
    return pages.render(
        request,
        "pages/my_dossiers.html",
        {
            "drafts": drafts.items,
            "dossiers": dossiers.items,
            "is_first_page": not cursor,
            "next_url": (
                f"{urls.MY_DOSSIERS}?sau={quote(dossiers.next_cursor)}"
                if dossiers.next_cursor
                else ""
            ),
            "deleted": bool(deleted),
        },
    )


# ----------------------------------------------------------------------------- files


def _attachment(
    stream: AsyncIterator[bytes], name: str, content_type: str, size: int
) -> StreamingResponse:
    return StreamingResponse(
        closing(stream), media_type=content_type, headers=attachment_headers(name, size)
    )


@router.get("/ho-so/tep/{file_id}")
async def download(
    file_id: str, session: Session, storage: StorageDep, applicant: ApplicantDep
) -> StreamingResponse:
    """A file of one of one's drafts or dossiers, as an attachment."""
    file, stream = await service.open_file(session, storage, applicant, file_id)
    return _attachment(stream, file.name, file.content_type, file.size)


@router.get("/ho-so/{code}/van-ban/{reference}")
async def download_document(
    code: str, reference: str, session: Session, storage: StorageDep, applicant: ApplicantDep
) -> StreamingResponse:
    """A document issued to the applicant on their dossier (a form or the signed result)."""
    document, stream = await service.open_document(session, storage, applicant, code, reference)
    return _attachment(stream, f"{code}-{document.form}.pdf", "application/pdf", document.size)


# ----------------------------------------------------------------------------- one dossier


async def _dossier(session: Session, applicant: Applicant, code: str) -> DossierOut | Response:
    """A submitted dossier of the applicant; a draft's pages instead, if it is a draft."""
    dossier = await service.get_dossier(session, applicant, code)
    if dossier.code is None:
        return RedirectResponse(urls.draft(dossier.reference), status_code=303)
    return dossier


@router.get("/ho-so/{code}/da-nop", response_class=HTMLResponse)
async def submitted(
    request: Request, code: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """The acknowledgement: the dossier's code, its status and what happens next."""
    dossier = await _dossier(session, applicant, code)
    if isinstance(dossier, Response):
        return dossier
    return pages.render(request, "pages/submitted.html", {"dossier": dossier})


async def _render_dossier(
    request: Request,
    session: Session,
    pages: Pages,
    applicant: Applicant,
    dossier: DossierOut,
    *,
    reason: str = "",
    errors: Sequence[Problem] = (),
    refused: str = "",
    resubmitted: bool = False,
    rated: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    locale = pages.locale(request)
    target = await service.form_of(session, dossier)
    english = locale == "en"
    messages = [p.message_en if english and p.message_en else p.message for p in errors]
    code = dossier.code or ""
    can_rate = dossier.status.code == Status.returned and applicant.desk_agency_id is None
    awaiting = dossier.status.code == Status.supplement_requested
    context: dict[str, Any] = {
        "dossier": dossier,
        "sections": build_answers(target.definition, dossier.data, locale),
        "delivery": delivery_view(dossier),
        "supplement": await service.supplement_of(session, applicant, code) if awaiting else None,
        "supplement_url": urls.supplement(code),
        "resubmitted": resubmitted,
        "documents": await service.documents_of(session, applicant, code),
        # Withdrawing is the applicant's own act: a dossier filed at the desk is not the desk's.
        "can_withdraw": dossier.status.code not in CANNOT_WITHDRAW
        and dossier.channel == Channel.online,
        "withdraw_url": urls.withdraw(code),
        "reason": reason,
        "reason_errors": messages,
        "error_links": [ErrorLink("#f-reason", m) for m in messages],
        "refused": refused,
        # The fees paid online: what is owed, the payments and their receipts, the button.
        "fees": await payments.fees_of(session, applicant, code, pages.settings) if code else None,
        "pay_url": f"{urls.dossier(code)}/thanh-toan",
        # Once the result is returned the applicant rates the service (the desk does not).
        "can_rate": can_rate,
        "rating": await feedback.rating_of(session, applicant, code) if can_rate else None,
        "rated": rated,
    }
    return pages.render(request, "pages/dossier.html", context, status_code=status_code)


@router.get("/ho-so/{code}", response_class=HTMLResponse)
async def dossier_page(
    request: Request,
    code: str,
    session: Session,
    pages: PagesDep,
    applicant: ApplicantDep,
    resubmitted: Annotated[int, Query(alias="da-bo-sung", ge=0, le=1)] = 0,
    rated: Annotated[int, Query(alias="da-danh-gia", ge=0, le=1)] = 0,
) -> Response:
    """A dossier: status, what a supplement asks for, answers, files, delivery, the documents
    issued and what has happened to it."""
    dossier = await _dossier(session, applicant, code)
    if isinstance(dossier, Response):
        return dossier
    return await _render_dossier(
        request,
        session,
        pages,
        applicant,
        dossier,
        resubmitted=bool(resubmitted),
        rated=bool(rated),
    )


@router.post("/ho-so/{code}/rut", response_class=HTMLResponse)
async def withdraw(
    request: Request, code: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Withdraw the dossier, giving the reason; or the page saying why it cannot be."""
    dossier = await _dossier(session, applicant, code)
    if isinstance(dossier, Response):
        return dossier
    reason = (await read_form(request, max_part_size=64 * 1024)).get("reason", "")
    try:
        await service.withdraw(session, applicant, code, reason)
    except CannotWithdraw as exc:
        message = exc.message_en if pages.locale(request) == "en" else exc.message
        return await _render_dossier(
            request, session, pages, applicant, dossier, refused=message, status_code=exc.status
        )
    except InvalidInput as exc:
        return await _render_dossier(
            request,
            session,
            pages,
            applicant,
            dossier,
            reason=reason,
            errors=exc.problems,
            status_code=422,
        )
    return RedirectResponse(urls.dossier(code), status_code=303)


# ----------------------------------------------------------------------------- public lookup


def _render_lookup(
    request: Request,
    pages: Pages,
    values: dict[str, str],
    problems: Sequence[Problem] = (),
    *,
    result: Any = None,
    message: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    english = pages.locale(request) == "en"
    errors: dict[str, list[str]] = {}
    links: list[ErrorLink] = []
    for problem in problems:
        text = problem.message_en if english and problem.message_en else problem.message
        errors.setdefault(problem.location, []).append(text)
        links.append(ErrorLink(f"#f-{problem.location}", text))
    return pages.render(
        request,
        "pages/lookup.html",
        {
            "values": values,
            "errors": errors,
            "error_links": links,
            "result": result,
            "message": message,
        },
        status_code=status_code,
    )


@router.get(urls.LOOKUP, response_class=HTMLResponse)
async def lookup_form(
    request: Request,
    pages: PagesDep,
    code: Annotated[str, Query(alias="ma", max_length=64)] = "",
) -> HTMLResponse:
    """Look up a dossier's status by its code and the last 4 digits of a phone or ID; the QR
    code printed on the dossier's documents opens it with the code filled in (``?ma=``)."""
    return _render_lookup(request, pages, {"code": code.strip()} if code.strip() else {})


@router.post(urls.LOOKUP, response_class=HTMLResponse)
async def lookup(request: Request, session: Session, pages: PagesDep) -> HTMLResponse:
    """The status, current step and appointment of a dossier; never personal data."""
    data = await read_form(request)
    values = {"code": data.get("code", "").strip(), "verifier": data.get("verifier", "").strip()}
    problems: list[Problem] = []
    if not values["code"]:
        problems.append(Problem("code", "Hãy nhập mã hồ sơ", "Enter the dossier code"))
    if not values["verifier"]:
        problems.append(
            Problem(
                "verifier",
                "Hãy nhập 4 số cuối của số điện thoại hoặc số giấy tờ tùy thân",
                "Enter the last 4 digits of the phone number or of the ID number",
            )
        )
    if problems:
        return _render_lookup(request, pages, values, problems, status_code=422)
    english = pages.locale(request) == "en"
    client = request.client.host if request.client else ""
    try:
        found = await service.lookup(session, values["code"], values["verifier"], client=client)
    except TooManyLookups as exc:
        page = _render_lookup(
            request,
            pages,
            values,
            message=exc.message_en if english else exc.message,
            status_code=exc.status,
        )
        page.headers.update(exc.headers)
        return page
    if found is None:
        # Returned, not raised: the attempt must be committed for throttling.
        failed = LookupFailed()
        message = failed.message_en if english else failed.message
        return _render_lookup(request, pages, values, message=message, status_code=failed.status)
    return _render_lookup(request, pages, values, result=found)
