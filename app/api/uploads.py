"""Resumable uploads with the tus 1.0.0 protocol (core, creation, termination, expiration).

    OPTIONS /api/v1/uploads            what the server supports
    POST    /api/v1/uploads            create: Upload-Length, Upload-Metadata (dossier, slot,
                                       filename, each base64) → 201, Location
    HEAD    /api/v1/uploads/{id}       Upload-Offset: how much has arrived
    PATCH   /api/v1/uploads/{id}       append at Upload-Offset; the last byte attaches the file
                                       to the draft and answers Upload-File-Id
    DELETE  /api/v1/uploads/{id}       terminate

Callers: enterprise software with an API key (scope ``dossiers:submit``), or the pages' own
JavaScript with the browser's signed session cookie.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from app.accounts import api_keys
from app.accounts import service as accounts
from app.accounts.errors import Unauthorized
from app.api import problems
from app.api.auth import FORBIDDEN, UNAUTHORIZED, Session, admit_key, bearer
from app.config import Settings
from app.dossiers import service as dossiers
from app.dossiers import uploads
from app.dossiers.schemas import Applicant, UploadOut
from app.errors import PortalError, Problem
from app.kit.signing import SESSION_COOKIE, unsign
from app.storage import FileStorage

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_OCTET_STREAM = "application/offset+octet-stream"
MIB = 1024 * 1024
_MAX_DIGITS = 18


# --- Errors of the protocol ------------------------------------------------------------------


class TusVersionUnsupported(PortalError):
    status = 412
    code = "tus_version_unsupported"
    title_vi = "Phiên bản tus không được hỗ trợ"
    title_en = "Unsupported tus version"

    def __init__(self) -> None:
        super().__init__(
            f"Cần tiêu đề Tus-Resumable: {TUS_VERSION} (phiên bản tus duy nhất được hỗ trợ).",
            message_en=f"The header Tus-Resumable: {TUS_VERSION} is required (the only tus"
            " version supported).",
        )
        self.headers["Tus-Version"] = TUS_VERSION


class TusHeaderInvalid(PortalError):
    status = 400
    code = "tus_header_invalid"
    title_vi = "Tiêu đề tus không hợp lệ"
    title_en = "Invalid tus header"

    def __init__(self, header: str, message: str, message_en: str) -> None:
        super().__init__(
            message, message_en=message_en, problems=[Problem(header, message, message_en)]
        )


class NotOffsetOctetStream(PortalError):
    status = 415
    code = "unsupported_media_type"
    title_vi = "Kiểu nội dung không được hỗ trợ"
    title_en = "Unsupported media type"

    def __init__(self) -> None:
        super().__init__(
            f"Dữ liệu tải lên phải có Content-Type: {OFFSET_OCTET_STREAM}.",
            message_en=f"Upload data must be sent as Content-Type: {OFFSET_OCTET_STREAM}.",
        )


class UploadInterrupted(PortalError):
    code = "upload_interrupted"

    def __init__(self) -> None:
        # Nobody reads it (the client has gone); it spares the log a server error.
        super().__init__(
            "Kết nối bị ngắt giữa chừng: hãy hỏi lại vị trí (HEAD) rồi gửi tiếp.",
            message_en="The connection dropped: ask for the offset (HEAD) and resume.",
        )


class NotSignedIn(Unauthorized):
    def __init__(self) -> None:
        super().__init__()
        self.message = (
            "Cần đăng nhập, hoặc một khoá API hợp lệ trong tiêu đề Authorization: Bearer <khoá>."
        )
        self.message_en = "Sign in, or send a valid API key as Authorization: Bearer <key>."


# --- Every response carries Tus-Resumable ----------------------------------------------------


TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}


class TusRoute(APIRoute):
    """Adds ``Tus-Resumable`` to each answer, errors included.

    Errors are re-raised (with the headers attached) rather than answered here, so the
    request's unit of work still sees them and rolls back.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except PortalError as exc:
                exc.headers.update(TUS_HEADERS)
                raise
            except HTTPException as exc:
                exc.headers = {**(exc.headers or {}), **TUS_HEADERS}
                raise
            except ClientDisconnect as exc:
                interrupted = UploadInterrupted()
                interrupted.headers.update(TUS_HEADERS)
                raise interrupted from exc
            response.headers.update(TUS_HEADERS)
            return response

        return tus_handler


router = APIRouter(prefix="/uploads", tags=["uploads"], route_class=TusRoute)

# Documented beside the Bearer key; read below by hand (a missing cookie is not an error when
# a key is given, and the cookie's value is signed).
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="SessionCookie",
    description="The pages' signed session cookie (for their own JavaScript uploads).",
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _storage(request: Request) -> FileStorage:
    storage: FileStorage = request.app.state.storage
    return storage


def _require_tus_version(request: Request) -> None:
    """412 unless the request speaks tus 1.0.0.

    Requiring the header is also what keeps cookie-authenticated uploads safe from cross-site
    request forgery: a form on another site cannot set a custom header, and script on another
    site can only do so after a CORS preflight, which this server never grants (no CORS), on
    top of the cookie being SameSite=Lax. Hence 412 when it is missing, not only when wrong.
    """
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise TusVersionUnsupported()


async def tus_applicant(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    _cookie: Annotated[str | None, Depends(session_cookie)],
) -> Applicant:
    """Who uploads: the enterprise of an API key with ``dossiers:submit`` (counted against
    the key's requests a minute, as on every keyed operation), or the signed-in account of the
    browser's session cookie. Checks the tus version first."""
    _require_tus_version(request)
    if credentials is not None:
        principal = await admit_key(request, session, credentials.credentials)
        api_keys.require_scopes(principal, api_keys.SCOPE_SUBMIT)
        return await dossiers.applicant_for_enterprise(session, api_keys.enterprise_of(principal))
    if "authorization" in request.headers:
        # Not a Bearer key: refused as a bad key, not passed over for the cookie.
        raise Unauthorized()
    settings = _settings(request)
    token = unsign(settings.secret_key, "session", request.cookies.get(SESSION_COOKIE))
    account = await accounts.current_account(session, token)
    if account is None:
        raise NotSignedIn()
    return await dossiers.applicant_for_account(session, account)


TusApplicant = Annotated[Applicant, Depends(tus_applicant)]


# --- Headers ---------------------------------------------------------------------------------


def http_date(moment: datetime) -> str:
    """RFC 9110 IMF-fixdate, as Upload-Expires wants it."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _count(request: Request, header: str, *, minimum: int) -> int:
    value = request.headers.get(header)
    if value is None:
        raise TusHeaderInvalid(
            header, f"Thiếu tiêu đề {header}.", f"The header {header} is missing."
        )
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_DIGITS:
        raise TusHeaderInvalid(
            header,
            f"Tiêu đề {header} phải là một số nguyên không âm.",
            f"The header {header} must be a non-negative integer.",
        )
    number = int(value)
    if number < minimum:
        raise TusHeaderInvalid(
            header,
            f"Tiêu đề {header} phải từ {minimum} trở lên.",
            f"The header {header} must be at least {minimum}.",
        )
    return number


def parse_metadata(header: str) -> dict[str, str]:
    """The pairs of Upload-Metadata: ``key base64value`` separated by commas (value optional)."""
    pairs: dict[str, str] = {}
    for item in header.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, encoded = item.partition(" ")
        encoded = encoded.strip()
        try:
            value = base64.b64decode(encoded, validate=True).decode() if encoded else ""
        except (binascii.Error, UnicodeDecodeError):
            raise TusHeaderInvalid(
                "Upload-Metadata",
                f"Giá trị của “{key[:40]}” trong Upload-Metadata không phải base64 của"
                " văn bản UTF-8.",
                f"The value of “{key[:40]}” in Upload-Metadata is not base64 of UTF-8 text.",
            ) from None
        if key in pairs:
            raise TusHeaderInvalid(
                "Upload-Metadata",
                f"Khoá “{key[:40]}” lặp lại trong Upload-Metadata.",
                f"The key “{key[:40]}” appears twice in Upload-Metadata.",
            )
        pairs[key] = value
    return pairs


def _upload_headers(upload: UploadOut) -> dict[str, str]:
    """What identifies an upload's state besides its offset: the file it became, or when the
    unfinished upload expires (a finished one does not)."""
    if upload.file_id is not None:
        return {"Upload-File-Id": upload.file_id}
    return {"Upload-Expires": http_date(upload.expires_at)}


# --- OpenAPI ---------------------------------------------------------------------------------


def _header(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": schema,
        "description": description,
    }


_TUS_RESUMABLE = _header(
    "Tus-Resumable",
    {"type": "string", "enum": [TUS_VERSION]},
    "The tus version the client speaks; required (412 otherwise).",
)


def _response_header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


_RESUMABLE_HEADER = {"Tus-Resumable": _response_header("Always 1.0.0")}
_EXPIRES = _response_header("When an unfinished upload expires (RFC 9110 date)")
_FILE_ID = _response_header("The dossier file the finished upload became")
_OFFSET = _response_header("Bytes received so far", {"type": "integer", "minimum": 0})
Responses = dict[int | str, dict[str, Any]]
_AUTH_ERRORS: Responses = (
    UNAUTHORIZED
    | Responses(
        {
            401: {
                **UNAUTHORIZED[401],
                "description": "Not signed in, and no usable API key: missing, malformed,"
                " unknown, revoked or expired (code api_key_expired for an expired one)"
                " (application/problem+json)",
            },
            412: {
                "description": "Tus-Resumable missing or not 1.0.0",
                "headers": {"Tus-Version": _response_header("The tus versions supported")},
            },
        }
    )
    | FORBIDDEN
)
_NOT_FOUND: Responses = {
    404: {"description": "No such upload: unknown, expired, terminated or someone else's"},
}


# --- Endpoints -------------------------------------------------------------------------------


@router.options(
    "",
    status_code=204,
    response_class=Response,
    responses={
        204: {
            "description": "The protocol's version, extensions and largest upload",
            "headers": {
                **_RESUMABLE_HEADER,
                "Tus-Version": _response_header("1.0.0"),
                "Tus-Extension": _response_header(TUS_EXTENSIONS),
                "Tus-Max-Size": _response_header(
                    "The largest upload in bytes", {"type": "integer"}
                ),
            },
        }
    },
)
async def tus_capabilities(request: Request) -> Response:
    """What this tus server supports (no authentication needed)."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(_settings(request).max_file_mb * MIB),
        },
    )


@router.post(
    "",
    status_code=201,
    response_class=Response,
    responses=Responses(
        {
            201: {
                "description": "Created; PATCH the bytes to the Location",
                "headers": {
                    **_RESUMABLE_HEADER,
                    "Location": _response_header("The upload's URL"),
                    "Upload-Expires": _EXPIRES,
                },
            },
            400: {"description": "Upload-Length or Upload-Metadata missing or malformed"},
            404: {"description": "No such draft of the caller's"},
            409: {"description": "The dossier has been submitted"},
            413: {"description": "Upload-Length is over the slot's or the dossier's limit"},
            422: {"description": "No such file slot, or the slot is full"},
        }
    )
    | _AUTH_ERRORS,
    openapi_extra={
        "parameters": [
            _TUS_RESUMABLE,
            _header(
                "Upload-Length",
                {"type": "integer", "minimum": 1},
                "The size of the whole file in bytes.",
            ),
            _header(
                "Upload-Metadata",
                {"type": "string"},
                "Comma-separated `key base64(value)` pairs: `dossier` (the draft's reference),"
                " `slot` (the file field, such as `id_card` or `children[0].birth_certificate`)"
                " and `filename`.",
            ),
        ]
    },
)
async def start_upload(request: Request, applicant: TusApplicant, session: Session) -> Response:
    """Start a resumable upload into a file slot of one of your drafts (tus creation)."""
    length = _count(request, "Upload-Length", minimum=0)
    if "upload-defer-length" in request.headers:
        raise TusHeaderInvalid(
            "Upload-Defer-Length",
            "Cần biết trước độ dài tệp (Upload-Length).",
            "The length must be known in advance (Upload-Length).",
        )
    header = request.headers.get("upload-metadata", "")
    metadata = parse_metadata(header)
    missing = [key for key in ("dossier", "slot") if not metadata.get(key)]
    if missing:
        names = ", ".join(missing)
        raise TusHeaderInvalid(
            "Upload-Metadata",
            f"Upload-Metadata thiếu: {names}.",
            f"Upload-Metadata lacks: {names}.",
        )
    upload = await uploads.create_upload(
        session,
        _storage(request),
        _settings(request),
        applicant,
        dossier_reference=metadata["dossier"],
        slot=metadata["slot"],
        filename=metadata.get("filename") or metadata.get("name") or "",
        length=length,
        metadata_header=header.strip(),
    )
    return Response(
        status_code=201,
        headers={
            "Location": str(request.url_for("tus_head", upload_id=upload.id)),
            "Upload-Expires": http_date(upload.expires_at),
        },
    )


@router.head(
    "/{upload_id}",
    name="tus_head",
    response_class=Response,
    responses=Responses(
        {
            200: {
                "description": "The upload's offset and length (no body)",
                "headers": {
                    **_RESUMABLE_HEADER,
                    "Upload-Offset": _OFFSET,
                    "Upload-Length": _response_header("The whole size", {"type": "integer"}),
                    "Upload-Metadata": _response_header("As given at creation"),
                    "Upload-Expires": _EXPIRES,
                    "Upload-File-Id": _FILE_ID,
                    "Cache-Control": _response_header("no-store"),
                },
            }
        }
    )
    | _NOT_FOUND
    | _AUTH_ERRORS,
    openapi_extra={"parameters": [_TUS_RESUMABLE]},
)
async def upload_offset(
    request: Request, upload_id: str, applicant: TusApplicant, session: Session
) -> Response:
    """How many bytes of the upload have arrived (where to resume)."""
    upload, offset = await uploads.get_upload(session, _storage(request), applicant, upload_id)
    headers = {
        "Upload-Offset": str(offset),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
        **_upload_headers(upload),
    }
    if upload.metadata_header:
        headers["Upload-Metadata"] = upload.metadata_header
    return Response(status_code=200, headers=headers)


@router.patch(
    "/{upload_id}",
    status_code=204,
    response_class=Response,
    responses=Responses(
        {
            204: {
                "description": "Appended; the new offset. When it completes the upload, the file"
                " has passed the checks and joined the draft: Upload-File-Id names it",
                "headers": {
                    **_RESUMABLE_HEADER,
                    "Upload-Offset": _OFFSET,
                    "Upload-Expires": _EXPIRES,
                    "Upload-File-Id": _FILE_ID,
                },
            },
            400: {"description": "Upload-Offset missing or malformed"},
            409: {
                "description": "Upload-Offset is not where the upload stands, or the dossier has"
                " been submitted"
            },
            413: {"description": "More bytes than Upload-Length, or the dossier's room is used up"},
            415: {"description": f"Content-Type is not {OFFSET_OCTET_STREAM}"},
            422: {"description": "The finished file was refused (type, content, malware)"},
            503: {"description": "The finished file could not be scanned for malware yet"},
        }
    )
    | _NOT_FOUND
    | _AUTH_ERRORS,
    openapi_extra={
        "parameters": [
            _TUS_RESUMABLE,
            _header(
                "Upload-Offset",
                {"type": "integer", "minimum": 0},
                "Where these bytes start: the offset HEAD gave.",
            ),
        ],
        "requestBody": {
            "required": True,
            "content": {OFFSET_OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
async def append_to_upload(
    request: Request, upload_id: str, applicant: TusApplicant, session: Session
) -> Response:
    """Append bytes at Upload-Offset; the last byte makes the file part of the draft.

    A finished file refused by the checks (type, malware) is answered with its error, and the
    upload is gone: start again with a right file.
    """
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != OFFSET_OCTET_STREAM:
        raise NotOffsetOctetStream()
    offset = _count(request, "Upload-Offset", minimum=0)
    result = await uploads.append(
        session,
        _storage(request),
        _settings(request),
        applicant,
        upload_id,
        offset=offset,
        chunks=request.stream(),
    )
    if result.refused is not None:
        # Answered, not raised: the upload's removal must be committed with the answer.
        return problems.portal_error(request, result.refused)
    return Response(
        status_code=204,
        headers={"Upload-Offset": str(result.offset), **_upload_headers(result.upload)},
    )


@router.delete(
    "/{upload_id}",
    status_code=204,
    response_class=Response,
    responses=Responses({204: {"description": "Terminated", "headers": _RESUMABLE_HEADER}})
    | _NOT_FOUND
    | _AUTH_ERRORS,
    openapi_extra={"parameters": [_TUS_RESUMABLE]},
)
async def terminate_upload(
    request: Request, upload_id: str, applicant: TusApplicant, session: Session
) -> Response:
    """Terminate an upload and drop what was received. A finished upload's file stays in the
    draft (remove it as a dossier file); the upload itself is gone all the same."""
    await uploads.terminate(session, _storage(request), applicant, upload_id)
    return Response(status_code=204)
