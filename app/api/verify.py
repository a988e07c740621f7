"""Public verification of the electronic results the portal issues: a PDF uploaded, or a
dossier code, and what the signatures say.

No key is needed (anyone holding a result may check it); each client address is held to
``verify_rate_limit`` verifications in 15 minutes. An upload is read as it arrives and refused
once it passes ``verify_max_mb``; at most that much is held in memory.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.api import problems
from app.api.auth import Session
from app.config import Settings
from app.errors import PortalError
from app.feedback import service
from app.feedback.errors import VerifyInvalid, VerifyTooLarge
from app.feedback.schemas import VerifyCode, VerifyReport
from app.kit.multipart import MultipartReader

router = APIRouter()

TAGS: list[str | Enum] = ["verification"]
MIB = 1024 * 1024
MAX_JSON = 4 * 1024

BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A PDF in the `file` part of a multipart/form-data body, or a JSON"
        " object naming a dossier code.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["dossier_code"],
                    "properties": {"dossier_code": {"type": "string", "maxLength": 64}},
                }
            },
        },
    }
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _missing_file() -> VerifyInvalid:
    return VerifyInvalid(
        "file",
        "Hãy gửi tệp PDF trong phần “file” của dữ liệu multipart/form-data.",
        "Send the PDF in the “file” part of the multipart/form-data body.",
    )


async def _from_json(request: Request, session: Session) -> VerifyReport:
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_JSON:
            raise VerifyInvalid("body", "Dữ liệu quá dài.", "The body is too long.")
    try:
        body = VerifyCode.model_validate(json.loads(raw or b"null"))
    except (ValueError, ValidationError) as exc:
        raise VerifyInvalid(
            "dossier_code",
            'Hãy gửi {"dossier_code": "<mã hồ sơ>"}.',
            'Send {"dossier_code": "<dossier code>"}.',
        ) from exc
    if "\x00" in body.dossier_code:
        raise VerifyInvalid("dossier_code", "Mã hồ sơ không hợp lệ.", "Invalid dossier code.")
    return await service.verify_dossier(session, request.app.state.storage, body.dossier_code)


async def _from_upload(request: Request, session: Session, settings: Settings) -> VerifyReport:
    reader = MultipartReader(request.headers.get("content-type", ""), request.stream())
    report: VerifyReport | None = None
    async for part in reader:
        if part.name != "file" or part.filename is None or report is not None:
            continue
        pdf = await service.read_pdf(part.chunks(), settings.verify_max_mb)
        report = await service.verify_pdf(session, pdf)
    if report is None:
        raise _missing_file()
    return report


@router.post(
    "/verify",
    response_model=VerifyReport,
    tags=TAGS,
    openapi_extra=BODY,
    responses={
        404: {
            "description": "For a dossier code: it has no electronic result (the same"
            " answer whether the code exists or not)"
        },
        413: {"description": "The PDF is larger than the portal reads"},
        422: {
            "description": "No file, a file that is not a PDF, an empty one, or a JSON body"
            " without a dossier code; `errors` locates the problem"
        },
        429: {
            "description": "Too many verifications from this address",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
    },
)
async def verify(request: Request, session: Session) -> Response:
    """Public: whether a PDF's digital signatures are valid, who signed it and when, whether
    it changed since, and which document of the portal it is (by its SHA-256); or, for a
    dossier code, its result documents and what their signatures say. Never the applicant's
    details."""
    settings = _settings(request)
    client = request.client.host if request.client else ""
    try:
        await service.admit_verification(session, settings, client)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > (settings.verify_max_mb + 1) * MIB:
            raise VerifyTooLarge(settings.verify_max_mb)
        if kind == "application/json":
            report = await _from_json(request, session)
        elif kind == "multipart/form-data":
            report = await _from_upload(request, session, settings)
        else:
            raise VerifyInvalid(
                "body",
                "Hãy gửi tệp PDF (multipart/form-data) hoặc mã hồ sơ (application/json).",
                "Send a PDF (multipart/form-data) or a dossier code (application/json).",
            )
    except PortalError as exc:
        # Answered, not raised: the verification just counted is committed with it.
        return problems.portal_error(request, exc)
    return JSONResponse(report.model_dump(mode="json"))
