"""Filing a dossier: start, the draft page by page, the agency, the delivery, check and submit.

Everything works without JavaScript. A draft is filled in one form section per page; each post
saves that page's answers as they are, right or wrong, so nothing typed is lost, and only
"continue" asks for them to be right. A page with file slots posts multipart/form-data, read
part by part as it arrives: each file goes straight to storage through the dossiers service,
never to a temporary file. With JavaScript, files go up at once by the resumable upload API.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.schemas import OfficialOut
from app.catalog import service as catalog
from app.catalog.schemas import FilingTarget
from app.dossiers import service
from app.dossiers.errors import DossierInvalid, FileNotFound, FileRefused, FileTooLarge
from app.dossiers.schemas import (
    Applicant,
    DeliveryIn,
    DossierOut,
    DraftChanges,
    PostalAddress,
)
from app.errors import Problem
from app.forms import (
    FieldError,
    FileField,
    FormDefinition,
    GroupField,
    Section,
    validate,
    visible_fields,
)
from app.kit.multipart import MultipartReader
from app.models.dossiers import Channel, Delivery
from app.payments.fees import assess
from app.web import urls
from app.web.draftforms import (
    agency_definition,
    delivery_definition,
    delivery_view,
    offered_deliveries,
)
from app.web.formview import (
    ErrorLink,
    FileInfo,
    FormState,
    build_answers,
    build_form_view,
    field_id,
    root_key,
)
from app.web.routes.deps import (
    ApplicantDep,
    PagesDep,
    Session,
    SettingsDep,
    StorageDep,
    load_official,
    read_form,
)
from app.web.templating import Pages

router = APIRouter()

PageNumber = Annotated[int, Query(alias="trang", ge=1, le=100)]
Saved = Annotated[int, Query(alias="luu", ge=0, le=1)]
CONTINUE = "continue"
SAVE = "save"
REMOVE_FILE = "remove-file:"


# ----------------------------------------------------------------------------- the steps


def _at_desk(draft: DossierOut) -> bool:
    """Whether the one-stop desk fills the draft, for someone at the counter or by post."""
    return draft.channel != Channel.online


def steps(draft: DossierOut, target: FilingTarget) -> list[str]:
    """The pages of a draft in order: each form section, the agency (only when the applicant
    has a choice: a desk receives for its own agency), the delivery, the check."""
    reference = draft.reference
    found = [urls.draft(reference, n) for n in range(1, len(target.definition.sections) + 1)]
    if len(target.agencies) > 1 and not _at_desk(draft):
        found.append(urls.agency(reference))
    return [*found, urls.delivery(reference), urls.check(reference)]


def _step_context(draft: DossierOut, target: FilingTarget, url: str) -> dict[str, Any]:
    all_steps = steps(draft, target)
    index = all_steps.index(url)
    start = (
        urls.desk_start(draft.channel) if _at_desk(draft) else urls.procedure(target.procedure_code)
    )
    return {
        "draft": draft,
        "desk": _at_desk(draft),
        "procedure_name": target.procedure_name,
        "step_number": index + 1,
        "step_count": len(all_steps),
        "back_url": all_steps[index - 1] if index else start,
        "next_url": all_steps[min(index + 1, len(all_steps) - 1)],
    }


async def _draft(
    session: Session, applicant: Applicant, reference: str
) -> tuple[DossierOut, FilingTarget] | RedirectResponse:
    """The draft and its procedure version; a submitted dossier's page instead, if it is one."""
    draft = await service.get_dossier(session, applicant, reference)
    if draft.code is not None:
        return RedirectResponse(urls.dossier(draft.code), status_code=303)
    return draft, await service.form_of(session, draft)


def problem_errors(problems: Sequence[Problem], prefix: str = "") -> list[FieldError]:
    """Problems of a service error as errors of the page's fields (``prefix`` taken off)."""
    return [
        FieldError(p.location.removeprefix(prefix), "problem", p.message, p.message_en or "")
        for p in problems
    ]


# ----------------------------------------------------------------------------- start


@router.get("/thu-tuc/{code}/nop-ho-so", response_class=HTMLResponse)
async def start(
    request: Request, code: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Go on with one's draft of the procedure, or the page to start one."""
    draft = await service.find_draft(session, applicant, code)
    if draft is not None:
        return RedirectResponse(urls.draft(draft.reference), status_code=303)
    procedure = await catalog.get_procedure(session, code)
    return pages.render(
        request,
        "pages/filing_start.html",
        {"procedure": procedure, "applicant": applicant, "action": urls.start(code)},
    )


@router.post("/thu-tuc/{code}/nop-ho-so")
async def start_draft(
    code: str, session: Session, settings: SettingsDep, applicant: ApplicantDep
) -> Response:
    """Start a draft (or go back to the one there is) and open its first page."""
    draft = await service.start_draft(session, applicant, code, settings, resume=True)
    return RedirectResponse(urls.draft(draft.reference), status_code=303)


# ----------------------------------------------------------------------------- form sections


def _section(target: FilingTarget, page: int) -> Section | None:
    sections = target.definition.sections
    return sections[page - 1] if page <= len(sections) else None


def files_by_slot(draft: DossierOut) -> dict[str, list[FileInfo]]:
    by_slot: dict[str, list[FileInfo]] = {}
    for f in draft.files:
        by_slot.setdefault(f.slot, []).append(FileInfo(f.id, f.name, f.size, f.content_type))
    return by_slot


def _render_section(
    request: Request,
    pages: Pages,
    draft: DossierOut,
    target: FilingTarget,
    page: int,
    errors: Sequence[FieldError] = (),
    *,
    saved: bool = False,
    state: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    definition = target.definition
    section = definition.sections[page - 1]
    locale = pages.locale(request)
    view = build_form_view(
        definition,
        state or FormState.from_data(definition, draft.data),
        errors,
        locale,
        section=section.key,
        files=files_by_slot(draft),
        shown=visible_fields(definition, service.answers_with_files(draft, definition)),
        # The desk files for other people: it has no store of its own to choose from.
        store_link=None
        if _at_desk(draft)
        else lambda slot: urls.store_choice(draft.reference, slot, page),
    )
    form_url = urls.draft(draft.reference, page)
    return pages.render(
        request,
        "pages/draft_section.html",
        {
            **_step_context(draft, target, form_url),
            "section": view.sections[0],
            "error_links": view.error_links,
            "form_url": form_url,
            "saved": saved,
            "has_files": any(isinstance(f, FileField) for f in section.fields),
        },
        status_code=status_code,
    )


@router.get("/ho-so/nhap/{reference}", response_class=HTMLResponse)
async def section_page(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    applicant: ApplicantDep,
    page: PageNumber = 1,
    saved: Saved = 0,
) -> Response:
    """One section of the draft's form, with the answers saved so far."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    if _section(target, page) is None:
        return RedirectResponse(urls.draft(reference), status_code=303)
    return _render_section(request, pages, draft, target, page, saved=bool(saved))


def _file_refusal(problems: Sequence[Problem], name: str) -> list[Problem]:
    """A refusal names the file it is about, so several files refused at once are told apart."""
    return [
        p
        if name in p.message
        else Problem(p.location, f"“{name}”: {p.message}", f"“{name}”: {p.message_en}")
        for p in problems
    ]


async def read_section_post(
    request: Request,
    session: Session,
    storage: StorageDep,
    settings: SettingsDep,
    applicant: Applicant,
    reference: str,
    slots: set[str],
) -> tuple[FormState, list[Problem]]:
    """The page's text fields, and each chosen file streamed into its slot as it arrives;
    what was refused of the files, as problems of their slots."""
    reader = MultipartReader(request.headers.get("content-type", ""), request.stream())
    pairs: list[tuple[str, str]] = []
    refused: list[Problem] = []
    async for part in reader:
        if part.filename is None:
            pairs.append((part.name, await part.text()))
        elif part.filename and root_key(part.name) in slots:
            try:
                await service.add_file(
                    session,
                    storage,
                    settings,
                    applicant,
                    reference,
                    part.name,
                    part.filename,
                    part.chunks(),
                )
            except (FileRefused, FileTooLarge) as exc:
                refused.extend(_file_refusal(exc.problems, part.filename))
    return FormState.from_pairs(pairs), refused


def change_groups(definition: FormDefinition, state: FormState) -> bool:
    """Add or remove a group item as the button pressed asks; whether it was such a button."""
    action, _, argument = state.action.partition(":")
    if action == "add":
        group = definition.field(argument)
        if isinstance(group, GroupField):
            state.add_item(group)
        return True
    if action == "remove":
        key, _, index = argument.rpartition(":")
        group = definition.field(key)
        if isinstance(group, GroupField) and index.isdigit():
            state.remove_item(group, int(index))
        return True
    return action == "refresh"


@router.post("/ho-so/nhap/{reference}", response_class=HTMLResponse)
async def save_section(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    storage: StorageDep,
    applicant: ApplicantDep,
    page: PageNumber = 1,
) -> Response:
    """Save the page's answers and files; then its errors, the next page, or the same page."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    definition = target.definition
    section = _section(target, page)
    if section is None:
        return RedirectResponse(urls.draft(reference), status_code=303)
    slots = {f.key for f in section.fields if isinstance(f, FileField | GroupField)}
    state, refused = await read_section_post(
        request, session, storage, settings, applicant, reference, slots
    )
    if state.action.startswith(REMOVE_FILE):
        # Already gone after a second press of the button: nothing more to do.
        with suppress(FileNotFound):
            await service.remove_file(
                session, applicant, reference, state.action.removeprefix(REMOVE_FILE)
            )
    redraw = change_groups(definition, state)
    shown_before = build_form_view(
        definition,
        FormState.from_data(definition, draft.data),
        [],
        pages.locale(request),
        section=section.key,
        shown=visible_fields(definition, service.answers_with_files(draft, definition)),
    )
    answers = shown_before.answers(state.data(definition))
    draft = await service.update_draft(
        session, applicant, reference, DraftChanges(data=answers), settings
    )
    errors = problem_errors(refused)
    if redraw:
        status = 422 if errors else 200
        return _render_section(request, pages, draft, target, page, errors, status_code=status)
    if state.action == CONTINUE or state.action == "":
        keys = {f.key for f in section.fields}
        checked = await service.check_draft(session, applicant, reference)
        errors += [e for e in checked if root_key(e.path) in keys]
    if errors:
        return _render_section(request, pages, draft, target, page, errors, status_code=422)
    url = urls.draft(reference, page)
    if state.action in (CONTINUE, ""):
        url = _step_context(draft, target, url)["next_url"]
    elif state.action == SAVE:
        url += "&luu=1"
    return RedirectResponse(url, status_code=303)


# ----------------------------------------------------------------------------- agency


def _render_choice(
    request: Request,
    pages: Pages,
    draft: DossierOut,
    target: FilingTarget,
    state: FormState,
    errors: Sequence[FieldError] = (),
    status_code: int = 200,
    *,
    step: Literal["agency", "delivery"],
) -> HTMLResponse:
    """The agency or the delivery page: a one-section form of its own over the draft."""
    if step == "agency":
        definition, url = agency_definition(target), urls.agency(draft.reference)
    else:
        definition, url = delivery_definition(target), urls.delivery(draft.reference)
    view = build_form_view(definition, state, errors, pages.locale(request))
    return pages.render(
        request,
        f"pages/draft_{step}.html",
        {
            **_step_context(draft, target, url),
            "section": view.sections[0],
            "error_links": view.error_links,
            "form_url": url,
        },
        status_code=status_code,
    )


@router.get("/ho-so/nhap/{reference}/co-quan", response_class=HTMLResponse)
async def agency_page(
    request: Request, reference: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Choose the agency that receives the dossier, when several handle the procedure."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    if len(target.agencies) < 2 or _at_desk(draft):
        return RedirectResponse(urls.delivery(reference), status_code=303)
    state = FormState(pairs=[("agency", draft.agency.code)] if draft.agency else [])
    return _render_choice(request, pages, draft, target, state, step="agency")


@router.post("/ho-so/nhap/{reference}/co-quan", response_class=HTMLResponse)
async def choose_agency(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
) -> Response:
    """Keep the agency chosen and go on to the delivery."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    code = (await read_form(request)).get("agency", "").strip()
    state = FormState(pairs=[("agency", code)])
    if not code:
        problem = Problem("agency", "Hãy chọn cơ quan tiếp nhận", "Choose the receiving agency")
        errors = problem_errors([problem])
        return _render_choice(
            request, pages, draft, target, state, errors, status_code=422, step="agency"
        )
    try:
        draft = await service.update_draft(
            session, applicant, reference, DraftChanges(agency=code), settings
        )
    except DossierInvalid as exc:
        errors = problem_errors(exc.problems)
        return _render_choice(
            request, pages, draft, target, state, errors, status_code=422, step="agency"
        )
    return RedirectResponse(urls.delivery(reference), status_code=303)


# ----------------------------------------------------------------------------- delivery


def _delivery_state(draft: DossierOut) -> FormState:
    address = draft.delivery_address or PostalAddress(
        recipient=draft.applicant_name, phone=draft.applicant_phone
    )
    pairs = [("delivery", draft.delivery.value)] if draft.delivery else []
    pairs += [
        ("recipient", address.recipient),
        ("phone", address.phone),
        ("address.province", address.province),
        ("address.commune", address.commune),
        ("address.street", address.street),
    ]
    return FormState(pairs=pairs)


@router.get("/ho-so/nhap/{reference}/nhan-ket-qua", response_class=HTMLResponse)
async def delivery_page(
    request: Request, reference: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Choose how to receive the result: online, at the counter or by post."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    return _render_choice(request, pages, draft, target, _delivery_state(draft), step="delivery")


@router.post("/ho-so/nhap/{reference}/nhan-ket-qua", response_class=HTMLResponse)
async def choose_delivery(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    applicant: ApplicantDep,
) -> Response:
    """Keep the delivery chosen and go on to check the answers; or the page with its errors."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    posted = await read_form(request)
    state = FormState.from_pairs(posted.items())
    if state.action.startswith("refresh:"):
        return _render_choice(request, pages, draft, target, state, step="delivery")
    method = state.value("delivery")
    if method not in {d.value for d in offered_deliveries(target)}:
        problem = Problem(
            "delivery", "Hãy chọn cách nhận kết quả", "Choose how to receive the result"
        )
        errors = problem_errors([problem])
        return _render_choice(
            request, pages, draft, target, state, errors, status_code=422, step="delivery"
        )
    address = None
    if method == Delivery.post.value:
        address = PostalAddress(
            recipient=state.value("recipient"),
            phone=state.value("phone"),
            province=state.value("address.province"),
            commune=state.value("address.commune"),
            street=state.value("address.street"),
        )
    try:
        await service.update_draft(
            session,
            applicant,
            reference,
            DraftChanges(delivery=DeliveryIn(method=Delivery(method), address=address)),
            settings,
        )
    except DossierInvalid as exc:
        errors = _delivery_errors(exc.problems)
        return _render_choice(
            request, pages, draft, target, state, errors, status_code=422, step="delivery"
        )
    return RedirectResponse(urls.check(reference), status_code=303)


def _delivery_errors(problems: Sequence[Problem]) -> list[FieldError]:
    """The service's ``delivery.method`` and ``delivery.address.phone`` are the page's
    ``delivery`` and ``phone``."""
    renamed = [
        Problem("delivery", p.message, p.message_en) if p.location == "delivery.method" else p
        for p in problems
    ]
    return problem_errors(renamed, "delivery.address.")


# ----------------------------------------------------------------------------- check and submit


def _problem_links(
    draft: DossierOut, target: FilingTarget, problems: Sequence[Problem], locale: str
) -> list[ErrorLink]:
    """Each problem of a refused submission, linked to the field on its page."""
    definition = target.definition
    answers = [p for p in problems if p.location.startswith("data.")]
    links: list[ErrorLink] = []
    for number, section in enumerate(definition.sections, start=1):
        keys = {f.key for f in section.fields}
        errors = problem_errors(
            [p for p in answers if root_key(p.location.removeprefix("data.")) in keys], "data."
        )
        if not errors:
            continue
        view = build_form_view(
            definition,
            FormState.from_data(definition, draft.data),
            errors,
            locale,
            section=section.key,
            files=files_by_slot(draft),
            shown=visible_fields(definition, service.answers_with_files(draft, definition)),
        )
        page = urls.draft(draft.reference, number)
        links += [ErrorLink(f"{page}{link.href}", link.message) for link in view.error_links]
    for problem in problems:
        message = problem.message_en if locale == "en" and problem.message_en else problem.message
        location = problem.location
        if location == "agency":
            links.append(ErrorLink(f"{urls.agency(draft.reference)}#f-agency", message))
        elif location.startswith("delivery.address."):
            anchor = field_id(location.removeprefix("delivery.address."))
            links.append(ErrorLink(f"{urls.delivery(draft.reference)}#{anchor}", message))
        elif location.startswith("delivery"):
            links.append(ErrorLink(f"{urls.delivery(draft.reference)}#f-delivery", message))
    return links


def _render_check(
    request: Request,
    pages: Pages,
    draft: DossierOut,
    target: FilingTarget,
    problems: Sequence[Problem] = (),
    status_code: int = 200,
    *,
    postal: FormState | None = None,
) -> HTMLResponse:
    locale = pages.locale(request)
    result = validate(target.definition, service.answers_with_files(draft, target.definition))
    url, agency = urls.check(draft.reference), urls.agency(draft.reference)
    links = _problem_links(draft, target, problems, locale)
    postmark = None
    if draft.channel == Channel.post:
        # A letter's postmark date, asked when the desk receives it.
        errors = problem_errors([p for p in problems if p.location == "postal_date"])
        view = build_form_view(service.POSTAL_FORM, postal or FormState(), errors, locale)
        postmark, links = view.sections[0], [*links, *view.error_links]
    return pages.render(
        request,
        "pages/draft_check.html",
        {
            **_step_context(draft, target, url),
            "sections": build_answers(target.definition, result.cleaned, locale, result.errors),
            "agency_url": agency if agency in steps(draft, target) else "",
            "delivery_url": urls.delivery(draft.reference),
            "delivery": delivery_view(draft),
            "postmark": postmark,
            "error_links": links,
            "form_url": url,
            "fees": assess(target.fees, result.cleaned) if target.payment else None,
            "payment": target.payment,
        },
        status_code=status_code,
    )


@router.get("/ho-so/nhap/{reference}/kiem-tra", response_class=HTMLResponse)
async def check_page(
    request: Request, reference: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Every answer, file, the agency and the delivery, to check before filing."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    return _render_check(request, pages, draft, target)


@router.post("/ho-so/nhap/{reference}/kiem-tra", response_class=HTMLResponse)
async def submit(
    request: Request,
    reference: str,
    session: Session,
    pages: PagesDep,
    settings: SettingsDep,
    storage: StorageDep,
    applicant: ApplicantDep,
    official: Annotated[OfficialOut | None, Depends(load_official)],
) -> Response:
    """File the dossier (the desk's: file and receive it); or the answers again with what
    still has to be put right."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, target = found
    if _at_desk(draft):
        # Only a receiver sees a desk's draft, so the official is there.
        assert official is not None
        postal = FormState.from_pairs((await read_form(request)).items())
        try:
            received = await service.submit_at_desk(
                session, storage, settings, official, reference, postal.value("postal_date")
            )
        except DossierInvalid as exc:
            return _render_check(
                request, pages, draft, target, exc.problems, status_code=422, postal=postal
            )
        assert received.code is not None
        return RedirectResponse(urls.desk_received(received.code), status_code=303)
    try:
        dossier = await service.submit(session, applicant, reference, settings)
    except DossierInvalid as exc:
        return _render_check(request, pages, draft, target, exc.problems, status_code=422)
    assert dossier.code is not None
    return RedirectResponse(urls.submitted(dossier.code), status_code=303)


# ----------------------------------------------------------------------------- delete


@router.get("/ho-so/nhap/{reference}/xoa", response_class=HTMLResponse)
async def delete_page(
    request: Request, reference: str, session: Session, pages: PagesDep, applicant: ApplicantDep
) -> Response:
    """Ask before a draft is deleted."""
    found = await _draft(session, applicant, reference)
    if isinstance(found, Response):
        return found
    draft, _ = found
    return pages.render(
        request,
        "pages/draft_delete.html",
        {"draft": draft, "form_url": urls.delete(reference)},
    )


@router.post("/ho-so/nhap/{reference}/xoa")
async def delete_draft(reference: str, session: Session, applicant: ApplicantDep) -> Response:
    """Delete the draft with its files, and go back to one's dossiers (or to the desk)."""
    draft = await service.get_dossier(session, applicant, reference)
    await service.delete_draft(session, applicant, reference)
    back = urls.desk_start(draft.channel) if _at_desk(draft) else urls.MY_DOSSIERS
    return RedirectResponse(f"{back}?da-xoa=1", status_code=303)
