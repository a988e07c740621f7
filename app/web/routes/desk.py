"""The one-stop desk files dossiers for the people who come to the counter (channel 1) and
records those that came by post (channel 3).

The receiver chooses the procedure and enters the applicant's identity here; the dossier is
then filled in on the same draft pages as online filing (a desk's draft is seen by the
receivers of its agency only), received at once when it is filed, and its receipt printed from
the page that follows. Only receivers see these pages; everyone else gets the 404 page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.schemas import OfficialOut
from app.catalog import service as catalog
from app.catalog.schemas import ProcedureFilter, ProcedureSummary
from app.dossiers import service
from app.dossiers.errors import DossierInvalid
from app.errors import Problem
from app.models.accounts import OfficialRole
from app.models.dossiers import Channel
from app.models.processing import DocumentForm
from app.web import urls
from app.web.draftforms import desk_start_definition
from app.web.formview import FormState, build_form_view
from app.web.routes.deps import (
    PagesDep,
    Session,
    SettingsDep,
    page_not_found,
    read_form,
    require_roles,
)
from app.web.routes.filing import problem_errors
from app.web.templating import Pages

router = APIRouter()

Receiver = Annotated[OfficialOut, Depends(require_roles(OfficialRole.receiver.value))]
Deleted = Annotated[int, Query(alias="da-xoa", ge=0, le=1)]
CHANNELS = {urls.DESK_COUNTER: Channel.counter, urls.DESK_POST: Channel.post}


async def _procedures(session: Session, official: OfficialOut) -> list[ProcedureSummary]:
    """Every published procedure the official's agency receives, by name."""
    wanted = ProcedureFilter(agency=official.agency_code)
    found: list[ProcedureSummary] = []
    cursor: str | None = None
    while True:
        page = await catalog.search_procedures(
            session, wanted, cursor=cursor, limit=catalog.MAX_PAGE_SIZE
        )
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def _render_start(
    request: Request,
    session: Session,
    pages: Pages,
    official: OfficialOut,
    channel: Channel,
    state: FormState,
    problems: Sequence[Problem] = (),
    *,
    deleted: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    definition = desk_start_definition(
        await _procedures(session, official), service.DESK_APPLICANT_FORM
    )
    view = build_form_view(definition, state, problem_errors(problems), pages.locale(request))
    return pages.render(
        request,
        "pages/desk_start.html",
        {
            "official": official,
            "channel": channel,
            "sections": view.sections,
            "error_links": view.error_links,
            "form_url": urls.desk_start(channel),
            "other_url": urls.desk_start(
                Channel.counter if channel == Channel.post else Channel.post
            ),
            "drafts": await service.desk_drafts(session, official, channel),
            "deleted": deleted,
        },
        status_code=status_code,
    )


def _channel(request: Request) -> Channel:
    return CHANNELS[request.url.path]


@router.get(urls.DESK_COUNTER, response_class=HTMLResponse)
@router.get(urls.DESK_POST, response_class=HTMLResponse)
async def start_page(
    request: Request,
    session: Session,
    pages: PagesDep,
    official: Receiver,
    deleted: Deleted = 0,
) -> HTMLResponse:
    """The procedure and the applicant to start a dossier with, and the desk's drafts."""
    return await _render_start(
        request, session, pages, official, _channel(request), FormState(), deleted=bool(deleted)
    )


@router.post(urls.DESK_COUNTER, response_class=HTMLResponse)
@router.post(urls.DESK_POST, response_class=HTMLResponse)
async def start(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    official: Receiver,
) -> Response:
    """Start the draft and open its first page; or this page again with its errors."""
    channel = _channel(request)
    state = FormState.from_pairs((await read_form(request)).items())
    try:
        draft = await service.start_desk_draft(
            session,
            settings,
            official,
            state.value("procedure"),
            channel,
            state.data(service.DESK_APPLICANT_FORM),
        )
    except DossierInvalid as exc:
        return await _render_start(
            request, session, pages, official, channel, state, exc.problems, status_code=422
        )
    return RedirectResponse(urls.draft(draft.reference), status_code=303)


@router.get("/can-bo/da-tiep-nhan/{code}", response_class=HTMLResponse)
async def received(
    request: Request, code: str, session: Session, pages: PagesDep, official: Receiver
) -> HTMLResponse:
    """The dossier the official has just received: its code, appointment and receipt."""
    desk = service.desk_applicant(official)
    dossier = await service.get_dossier(session, desk, code)
    if dossier.code is None:
        raise page_not_found()
    documents = await service.documents_of(session, desk, code)
    return pages.render(
        request,
        "pages/desk_received.html",
        {
            "dossier": dossier,
            "receipt": next((d for d in documents if d.form == DocumentForm.receipt), None),
            "work_url": urls.work_dossier(code),
            "counter_url": urls.DESK_COUNTER,
            "post_url": urls.DESK_POST,
        },
    )
