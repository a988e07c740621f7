"""A procedure's form: fill it in, add or remove group items, check the answers.

Everything works without JavaScript: the buttons that add an item, remove one or refresh a
commune list post the form and get it back drawn again with the values kept. Files are read
for their name, size and type only; nothing is stored until dossiers exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.requests import ClientDisconnect

from app.catalog import service
from app.catalog.schemas import ProcedureDetail
from app.errors import InvalidInput, PortalError
from app.forms import FieldError, FormDefinition, GroupField, validate
from app.web.formview import FormState, build_answers, build_form_view, upload_limits
from app.web.routes.deps import PagesDep, Session

router = APIRouter()

MAX_FIELDS = 3000
MAX_PART_SIZE = 64 * 1024


class PayloadTooLarge(PortalError):
    status = 413
    code = "payload_too_large"
    title_vi = "Dữ liệu gửi lên quá lớn"
    title_en = "Payload too large"


def form_url(code: str) -> str:
    """Where a procedure's form lives."""
    return f"/thu-tuc/{code}/nop-ho-so"


def _render_form(
    request: Request,
    pages: PagesDep,
    procedure: ProcedureDetail,
    definition: FormDefinition,
    state: FormState,
    errors: list[FieldError],
) -> HTMLResponse:
    locale = pages.locale(request)
    view = build_form_view(definition, state, errors, locale)
    return pages.render(
        request,
        "pages/form.html",
        {
            "procedure": procedure,
            "form_url": form_url(procedure.code),
            "view": view,
            "has_errors": bool(errors),
        },
    )


@router.get("/thu-tuc/{code}/nop-ho-so", response_class=HTMLResponse)
async def show_form(request: Request, code: str, session: Session, pages: PagesDep) -> HTMLResponse:
    """The blank form of a procedure."""
    procedure = await service.get_procedure(session, code)
    _, definition = await service.get_form_definition(session, code)
    return _render_form(request, pages, procedure, definition, FormState(), [])


def _group(definition: FormDefinition, key: str) -> GroupField | None:
    found = definition.field(key)
    return found if isinstance(found, GroupField) else None


@router.post("/thu-tuc/{code}/nop-ho-so", response_class=HTMLResponse)
async def post_form(request: Request, code: str, session: Session, pages: PagesDep) -> HTMLResponse:
    """Check the answers, or draw the form again after adding, removing or refreshing."""
    procedure = await service.get_procedure(session, code)
    _, definition = await service.get_form_definition(session, code)
    max_files, max_bytes = upload_limits(definition)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(
            "Tệp đính kèm quá lớn so với giới hạn của biểu mẫu.",
            message_en="The attached files are larger than the form allows.",
        )
    try:
        async with request.form(
            max_files=max_files, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE
        ) as form:
            state = FormState.from_form(form)
    except ClientDisconnect:
        raise
    except Exception as exc:
        # Starlette refuses too many parts or too long a value with a 400 of its own.
        raise InvalidInput(
            "Không đọc được dữ liệu biểu mẫu gửi lên (quá nhiều tệp hoặc nội dung quá dài).",
            message_en="The form data could not be read (too many files or too long a value).",
        ) from exc

    action, _, argument = state.action.partition(":")
    if action == "add":
        group = _group(definition, argument)
        if group is not None:
            state.add_item(group)
    elif action == "remove":
        key, _, index = argument.rpartition(":")
        group = _group(definition, key)
        if group is not None and index.isdigit():
            state.remove_item(group, int(index))
    elif action == "clear":
        state.clear_files(argument)
    elif action in ("", "check"):
        result = validate(definition, state.data(definition))
        if result.ok:
            locale = pages.locale(request)
            return pages.render(
                request,
                "pages/answers.html",
                {
                    "procedure": procedure,
                    "form_url": form_url(code),
                    "sections": build_answers(definition, result.cleaned, locale),
                    "hidden": state.hidden_inputs(),
                },
            )
        return _render_form(request, pages, procedure, definition, state, result.errors)
    return _render_form(request, pages, procedure, definition, state, [])
