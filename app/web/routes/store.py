"""The applicant's document store (kho dữ liệu): the list of what they filed and what was
issued to them, downloads, deletion; and, from a draft's file slot, the page to fill it with
one of those documents instead of another upload. No JavaScript: a link and a form a choice."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.dossiers import service as dossiers
from app.dossiers.errors import FileRefused, FileTooLarge
from app.dossiers.schemas import Applicant, DossierOut
from app.errors import Problem
from app.models.dossiers import Channel
from app.responses import streamed
from app.store import service
from app.web import urls
from app.web.formview import ErrorLink, field_id
from app.web.routes.deps import (
    ApplicantDep,
    PagesDep,
    Session,
    SettingsDep,
    StorageDep,
    page_not_found,
    read_form,
)
from app.web.templating import Pages

router = APIRouter()

Slot = Annotated[str, Query(alias="muc", max_length=200)]
Page = Annotated[int, Query(alias="trang", ge=1, le=100)]


def _download_url(reference: str) -> str:
    return f"{urls.STORE}/{quote(reference)}/tai-ve"


def _delete_url(reference: str) -> str:
    return f"{urls.STORE}/{quote(reference)}/xoa"


# ----------------------------------------------------------------------------- the store


@router.get(urls.STORE, response_class=HTMLResponse)
async def store_page(
    request: Request,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
    cursor: Annotated[str, Query(alias="sau", max_length=1000)] = "",
    deleted: Annotated[int, Query(alias="da-xoa", ge=0, le=1)] = 0,
) -> HTMLResponse:
    """The applicant's stored documents, newest first, to download or delete."""
    page = await service.list_documents(
        session, applicant, cursor=cursor or None, limit=settings.page_size
    )
    return pages.render(
        request,
        "pages/store.html",
        {
            "documents": page.items,
            "is_first_page": not cursor,
            "next_url": f"{urls.STORE}?sau={quote(page.next_cursor)}" if page.next_cursor else "",
            "deleted": bool(deleted),
            "download_url": _download_url,
            "delete_url": _delete_url,
            "desk": applicant.desk_agency_id is not None,
        },
    )


@router.get(urls.STORE + "/{reference}/tai-ve")
async def download(
    reference: str, session: Session, storage: StorageDep, applicant: ApplicantDep
) -> StreamingResponse:
    """A document of one's store, as an attachment."""
    document, stream = await service.open_document(session, storage, applicant, reference)
    return streamed(stream, document.content_type, document.name, document.size)


@router.post(urls.STORE + "/{reference}/xoa")
async def delete(reference: str, session: Session, applicant: ApplicantDep) -> Response:
    """Take a document out of one's store (the dossier keeps its file), back to the list."""
    await service.delete_document(session, applicant, reference)
    return RedirectResponse(f"{urls.STORE}?da-xoa=1", status_code=303)


# ----------------------------------------------------------------------------- choosing


async def _online_draft(session: Session, applicant: Applicant, reference: str) -> DossierOut:
    """The applicant's own draft filed online; the 404 page for a desk's draft (the desk has
    no store) or anything else."""
    draft = await dossiers.get_dossier(session, applicant, reference)
    if draft.code is not None or draft.channel != Channel.online:
        raise page_not_found()
    return draft


async def _render_choices(
    request: Request,
    session: Session,
    pages: Pages,
    settings: SettingsDep,
    applicant: Applicant,
    draft: DossierOut,
    slot: str,
    page: int,
    problems: list[Problem] | None = None,
) -> HTMLResponse:
    target = await dossiers.form_of(session, draft)
    field = dossiers.slot_field(target.definition, slot)
    if field is None:
        raise page_not_found()
    english = pages.locale(request) == "en"
    label = field.label.get("en") if english else field.label.vi
    choices = []
    refusal: str = ""
    try:
        choices = await dossiers.slot_choices(session, applicant, settings, draft.reference, slot)
    except (FileRefused, FileTooLarge) as exc:
        # A full slot: say why nothing can be chosen.
        refusal = (exc.message_en if english and exc.message_en else exc.message) or ""
    anchor = field_id(slot)
    links = [
        ErrorLink(
            href="#choices",
            message=(p.message_en if english and p.message_en else p.message) or "",
        )
        for p in problems or []
    ]
    return pages.render(
        request,
        "pages/store_choose.html",
        {
            "draft": draft,
            "slot": slot,
            "page": page,
            "label": label,
            "choices": choices,
            "refusal": refusal,
            "error_links": links,
            "back_url": f"{urls.draft(draft.reference, page)}#{anchor}",
            "form_url": f"/ho-so/nhap/{quote(draft.reference)}/kho-du-lieu",
            "download_url": _download_url,
        },
        status_code=422 if problems else 200,
    )


@router.get("/ho-so/nhap/{reference}/kho-du-lieu", response_class=HTMLResponse)
async def choose_page(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
    slot: Slot,
    page: Page = 1,
) -> Response:
    """The documents of one's store a file slot of the draft could take, each with a button
    that puts it in the slot."""
    draft = await _online_draft(session, applicant, reference)
    return await _render_choices(request, session, pages, settings, applicant, draft, slot, page)


@router.post("/ho-so/nhap/{reference}/kho-du-lieu", response_class=HTMLResponse)
async def choose(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    storage: StorageDep,
    applicant: ApplicantDep,
) -> Response:
    """Put the chosen document in the slot and go back to the draft's page; or the choices
    again with the reason it was refused."""
    draft = await _online_draft(session, applicant, reference)
    posted = await read_form(request)
    slot = posted.get("muc", "")[:200]
    chosen = posted.get("tai-lieu", "")[:64]
    number = posted.get("trang", "1")
    page = int(number) if number.isdigit() and 1 <= int(number) <= 100 else 1
    try:
        await dossiers.add_stored_file(
            session, storage, settings, applicant, reference, slot, chosen
        )
    except (FileRefused, FileTooLarge) as exc:
        return await _render_choices(
            request, session, pages, settings, applicant, draft, slot, page, list(exc.problems)
        )
    return RedirectResponse(f"{urls.draft(reference, page)}#{field_id(slot)}", status_code=303)
