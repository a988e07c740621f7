"""The public page that verifies an electronic result: upload its PDF, or give the dossier code,
and see whether the signature holds, who signed it and when, and whether it changed since.

Errors are rendered, not raised: the request's unit of work then commits the verification
that throttling counts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.errors import PortalError, Problem
from app.feedback import service
from app.feedback.errors import VerifyInvalid, VerifyTooLarge
from app.feedback.schemas import VerifyReport
from app.kit.multipart import MultipartReader
from app.web.routes.deps import PagesDep, Session, SettingsDep, field_errors
from app.web.templating import Pages

router = APIRouter()

VERIFY = "/xac-minh"
MIB = 1024 * 1024
MAX_CODE = 64


def _render(
    request: Request,
    pages: Pages,
    *,
    code: str = "",
    report: VerifyReport | None = None,
    problems: list[Problem] | None = None,
    message: str = "",
    max_mb: int,
    status_code: int = 200,
) -> HTMLResponse:
    errors, links = field_errors(pages, request, problems or [], ["file", "dossier_code"])
    context: dict[str, Any] = {
        "code": code,
        "report": report,
        "errors": errors,
        "error_links": links,
        "message": message,
        "max_mb": max_mb,
    }
    return pages.render(request, "pages/verify.html", context, status_code=status_code)


@router.get(VERIFY, response_class=HTMLResponse)
async def verify_form(request: Request, pages: PagesDep, settings: SettingsDep) -> HTMLResponse:
    """Choose the PDF of a result, or type its dossier code."""
    return _render(request, pages, max_mb=settings.verify_max_mb)


async def _read(request: Request, session: Session, max_mb: int) -> tuple[str, VerifyReport]:
    reader = MultipartReader(request.headers.get("content-type", ""), request.stream())
    code = ""
    report: VerifyReport | None = None
    async for part in reader:
        if part.filename is None:
            if part.name == "dossier_code":
                code = (await part.text(limit=1024)).strip()[:MAX_CODE]
            continue
        if part.name != "file" or report is not None:
            continue
        if not part.filename:
            # A file input left empty still sends its part, with no name and no bytes.
            await part.skip()
            continue
        pdf = await service.read_pdf(part.chunks(), max_mb)
        report = await service.verify_pdf(session, pdf)
    if report is None and code:
        report = await service.verify_dossier(session, request.app.state.storage, code)
    if report is None:
        raise VerifyInvalid(
            "file",
            "Hãy chọn tệp PDF của kết quả, hoặc nhập mã hồ sơ.",
            "Choose the PDF of the result, or enter the dossier code.",
        )
    return code, report


@router.post(VERIFY, response_class=HTMLResponse)
async def verify(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep
) -> HTMLResponse:
    """What the signatures of the PDF, or of the dossier's results, say."""
    client = request.client.host if request.client else ""
    english = pages.locale(request) == "en"
    max_mb = settings.verify_max_mb
    try:
        await service.admit_verification(session, settings, client)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > (max_mb + 1) * MIB:
            raise VerifyTooLarge(max_mb)
        code, report = await _read(request, session, max_mb)
    except PortalError as exc:
        page = _render(
            request,
            pages,
            problems=exc.problems,
            message="" if exc.problems else (exc.message_en if english else exc.message),
            max_mb=max_mb,
            status_code=exc.status,
        )
        page.headers.update(exc.headers)
        return page
    return _render(request, pages, code=code, report=report, max_mb=max_mb)
