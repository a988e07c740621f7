"""The applicant's answer to a supplement request: the answers and file slots the agency asked
for, on one page with the draft pages' widgets, and "resubmit".

Only what was asked is drawn; the dossiers service refuses any other change whatever is
posted. As on a draft's pages, each post keeps the answers as they are, right or wrong, and
files go straight to storage as they arrive; resubmitting checks the whole dossier again.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.catalog.schemas import FilingTarget
from app.dossiers import service
from app.dossiers.errors import DossierInvalid, FileNotFound, NotAwaitingSupplement
from app.dossiers.schemas import Applicant, DossierOut, SupplementAsked, SupplementChanges
from app.forms import FieldError, FileField, FormDefinition, GroupField, visible_fields
from app.web import urls
from app.web.draftforms import asked_definition
from app.web.formview import ErrorLink, FormState, FormView, build_form_view
from app.web.routes.deps import (
    ApplicantDep,
    PagesDep,
    Session,
    SettingsDep,
    StorageDep,
)
from app.web.routes.filing import (
    REMOVE_FILE,
    change_groups,
    files_by_slot,
    problem_errors,
    read_section_post,
)
from app.web.templating import Pages

router = APIRouter()

Saved = Annotated[int, Query(alias="luu", ge=0, le=1)]
RESUBMIT = "resubmit"
SAVE = "save"


async def _asked(
    session: Session, applicant: Applicant, code: str
) -> tuple[DossierOut, SupplementAsked, FilingTarget] | Response:
    """The dossier, what its supplement asks and its form; the dossier's own page when it is
    not waiting for a supplement (any more)."""
    dossier = await service.get_dossier(session, applicant, code)
    if dossier.code is None:
        return RedirectResponse(urls.draft(dossier.reference), status_code=303)
    try:
        asked = await service.supplement_of(session, applicant, dossier.code)
    except NotAwaitingSupplement:
        return RedirectResponse(urls.dossier(dossier.code), status_code=303)
    return dossier, asked, await service.form_of(session, dossier)


def _view(
    locale: str,
    dossier: DossierOut,
    asked: SupplementAsked,
    target: FilingTarget,
    state: FormState | None = None,
    errors: Sequence[FieldError] = (),
) -> tuple[FormView, FormDefinition | None]:
    """The widgets of what is asked, with the dossier's answers and files (or what was posted)."""
    definition = target.definition
    part = asked_definition(definition, [item.path for item in asked.items if item.kind != "other"])
    if part is None:
        # Nothing of the form is asked (only things outside it): "resubmit" alone.
        return FormView([], [ErrorLink("", e.message(locale)) for e in errors]), None
    view = build_form_view(
        part,
        state or FormState.from_data(definition, dossier.data),
        errors,
        locale,
        files=files_by_slot(dossier),
        shown=visible_fields(definition, service.answers_with_files(dossier, definition)),
    )
    return view, part


def _render(
    request: Request,
    pages: Pages,
    dossier: DossierOut,
    asked: SupplementAsked,
    target: FilingTarget,
    *,
    state: FormState | None = None,
    errors: Sequence[FieldError] = (),
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    view, part = _view(pages.locale(request), dossier, asked, target, state, errors)
    assert dossier.code is not None
    return pages.render(
        request,
        "pages/supplement.html",
        {
            "dossier": dossier,
            "asked": asked,
            "sections": view.sections,
            "error_links": view.error_links,
            "form_url": urls.supplement(dossier.code),
            "saved": saved,
            "has_files": part is not None
            and any(isinstance(f, FileField | GroupField) for f in part.fields),
        },
        status_code=status_code,
    )


@router.get("/ho-so/{code}/bo-sung", response_class=HTMLResponse)
async def supplement_page(
    request: Request,
    code: str,
    session: Session,
    pages: PagesDep,
    applicant: ApplicantDep,
    saved: Saved = 0,
) -> Response:
    """What the agency asks to complete or correct, ready to be changed, and "resubmit"."""
    found = await _asked(session, applicant, code)
    if isinstance(found, Response):
        return found
    dossier, asked, target = found
    return _render(request, pages, dossier, asked, target, saved=bool(saved))


@router.post("/ho-so/{code}/bo-sung", response_class=HTMLResponse)
async def save_supplement(
    request: Request,
    code: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    storage: StorageDep,
    applicant: ApplicantDep,
) -> Response:
    """Keep the answers and files posted; then resubmit, or the page again (with its errors)."""
    found = await _asked(session, applicant, code)
    if isinstance(found, Response):
        return found
    dossier, asked, target = found
    assert dossier.code is not None
    code = dossier.code
    view, part = _view(pages.locale(request), dossier, asked, target)
    slots = {f.key for f in part.fields if isinstance(f, FileField | GroupField)} if part else set()
    state, refused = await read_section_post(
        request, session, storage, settings, applicant, dossier.reference, slots
    )
    if state.action.startswith(REMOVE_FILE):
        # Already gone after a second press of the button: nothing more to do.
        with suppress(FileNotFound):
            await service.remove_file(
                session, applicant, dossier.reference, state.action.removeprefix(REMOVE_FILE)
            )
    redraw = part is not None and change_groups(part, state)
    errors = problem_errors(refused)
    if part is not None:
        changes = SupplementChanges(data=view.answers(state.data(part)))
        try:
            dossier = await service.update_supplement(session, applicant, code, changes)
        except DossierInvalid as exc:
            errors += problem_errors(exc.problems, "data.")
    if redraw or errors:
        dossier = await service.get_dossier(session, applicant, code)
        return _render(
            request,
            pages,
            dossier,
            asked,
            target,
            state=state,
            errors=errors,
            status_code=422 if errors else 200,
        )
    if state.action != RESUBMIT:
        saved = "?luu=1" if state.action == SAVE else ""
        return RedirectResponse(f"{urls.supplement(code)}{saved}", status_code=303)
    try:
        await service.resubmit(session, applicant, code, settings)
    except DossierInvalid as exc:
        dossier = await service.get_dossier(session, applicant, code)
        return _render(
            request,
            pages,
            dossier,
            asked,
            target,
            errors=problem_errors(exc.problems, "data."),
            status_code=422,
        )
    return RedirectResponse(f"{urls.dossier(code)}?da-bo-sung=1", status_code=303)
