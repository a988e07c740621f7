"""Signing up, in and out, and the account page.

A failed sign-in is rendered, not raised: the request's unit of work then commits the attempt
row that throttling counts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import service as accounts
from app.accounts.errors import (
    PasswordInvalid,
    ResetLinkInvalid,
    SignInFailed,
    SignUpInvalid,
    TooManyAttempts,
)
from app.accounts.schemas import CitizenSignUp, EnterpriseSignUp, SignedIn
from app.config import Settings
from app.errors import Problem
from app.web.routes.deps import (
    CurrentAccount,
    PagesDep,
    Session,
    SettingsDep,
    SignInRequired,
    field_errors,
    read_form,
)
from app.web.security import SESSION_COOKIE, delete_cookie, session_token, set_cookie, sign
from app.web.templating import Pages

router = APIRouter()

ACCOUNT_URL = "/tai-khoan"
SIGN_UP_KINDS = {"cong-dan": "citizen", "doanh-nghiep": "enterprise"}
CITIZEN_FIELDS = ("full_name", "email", "phone", "citizen_id", "password", "password_confirm")
ENTERPRISE_FIELDS = ("tax_code", "enterprise_name", "enterprise_address", *CITIZEN_FIELDS)


def _safe_next(value: str | None) -> str:
    """Only a path of this portal: never another site (an open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ACCOUNT_URL


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _signed_in(response: Response, settings: Settings, signed: SignedIn) -> Response:
    set_cookie(
        response,
        settings,
        SESSION_COOKIE,
        sign(settings.secret_key, "session", signed.token),
        settings.session_days * 24 * 3600,
    )
    return response


async def _forget_old_session(request: Request, session: Session, settings: Settings) -> None:
    """A sign-in always starts a new session: the one this browser had (if any) ends."""
    old = session_token(request, settings)
    if old:
        await accounts.sign_out(session, old)


# ----------------------------------------------------------------------------- sign up


@router.get("/dang-ky", response_class=HTMLResponse)
async def sign_up_choice(request: Request, pages: PagesDep) -> HTMLResponse:
    """Choose the kind of account: a citizen's or an enterprise's."""
    return pages.render(request, "pages/sign_up.html")


def _render_sign_up(
    request: Request,
    pages: Pages,
    kind: str,
    values: dict[str, str],
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    order = ENTERPRISE_FIELDS if kind == "enterprise" else CITIZEN_FIELDS
    errors, links = field_errors(pages, request, problems, order)
    return pages.render(
        request,
        "pages/sign_up_form.html",
        {
            "kind": kind,
            "action": request.url.path,
            "values": {k: v for k, v in values.items() if not k.startswith("password")},
            "errors": errors,
            "error_links": links,
        },
        status_code=status_code,
    )


@router.get("/dang-ky/{kind}", response_class=HTMLResponse)
async def sign_up_form(request: Request, kind: str, pages: PagesDep) -> Response:
    """The sign-up form of a citizen or of an enterprise."""
    if kind not in SIGN_UP_KINDS:
        return RedirectResponse("/dang-ky", status_code=303)
    return _render_sign_up(request, pages, SIGN_UP_KINDS[kind], {}, [])


@router.post("/dang-ky/{kind}", response_class=HTMLResponse)
async def sign_up(
    request: Request, kind: str, session: Session, pages: PagesDep, settings: SettingsDep
) -> Response:
    """Create the account, sign it in and show it; or the form again with its errors."""
    if kind not in SIGN_UP_KINDS:
        return RedirectResponse("/dang-ky", status_code=303)
    data = await read_form(request)
    which = SIGN_UP_KINDS[kind]
    try:
        if which == "citizen":
            account = await accounts.sign_up_citizen(
                session, CitizenSignUp(**{k: data.get(k, "") for k in CITIZEN_FIELDS})
            )
        else:
            account = await accounts.sign_up_enterprise(
                session, EnterpriseSignUp(**{k: data.get(k, "") for k in ENTERPRISE_FIELDS})
            )
    except SignUpInvalid as exc:
        return _render_sign_up(request, pages, which, data, exc.problems, status_code=422)
    await _forget_old_session(request, session, settings)
    signed = await accounts.start_session(
        session,
        account.id,
        ip=_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        session_days=settings.session_days,
    )
    return _signed_in(RedirectResponse(ACCOUNT_URL, status_code=303), settings, signed)


# ----------------------------------------------------------------------------- sign in / out


def _render_sign_in(
    request: Request,
    pages: Pages,
    email: str,
    next_url: str,
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    errors, links = field_errors(pages, request, problems, ("email", "password"))
    return pages.render(
        request,
        "pages/sign_in.html",
        {
            "values": {"email": email},
            "next_url": next_url,
            "errors": errors,
            "error_links": links,
        },
        status_code=status_code,
    )


@router.get("/dang-nhap", response_class=HTMLResponse)
async def sign_in_form(
    request: Request, pages: PagesDep, account: CurrentAccount, next: str = ""
) -> Response:
    """The sign-in form."""
    if account is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _render_sign_in(request, pages, "", _safe_next(next), [])


@router.post("/dang-nhap", response_class=HTMLResponse)
async def sign_in(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep
) -> Response:
    """Check the email and password and start a new session; refused when throttled."""
    data = await read_form(request)
    email = data.get("email", "").strip()
    next_url = _safe_next(data.get("next"))
    problems: list[Problem] = []
    if not email:
        problems.append(
            Problem("email", "Vui lòng nhập địa chỉ thư điện tử", "Enter your email address")
        )
    if not data.get("password"):
        problems.append(Problem("password", "Vui lòng nhập mật khẩu", "Enter your password"))
    if problems:
        return _render_sign_in(request, pages, email, next_url, problems, status_code=422)
    try:
        signed = await accounts.sign_in(
            session,
            email,
            data.get("password", ""),
            ip=_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            session_days=settings.session_days,
        )
    except TooManyAttempts as exc:
        page = _render_sign_in(request, pages, email, next_url, exc.problems, status_code=429)
        page.headers["Retry-After"] = str(exc.retry_after_seconds)
        return page
    except SignInFailed as exc:
        # Returned, not raised: the attempt row must be committed for throttling.
        return _render_sign_in(request, pages, email, next_url, exc.problems, status_code=400)
    await _forget_old_session(request, session, settings)
    return _signed_in(RedirectResponse(next_url, status_code=303), settings, signed)


@router.post("/dang-xuat")
async def sign_out(request: Request, session: Session, settings: SettingsDep) -> Response:
    """End this browser's session and go back to the home page."""
    token = session_token(request, settings)
    if token:
        await accounts.sign_out(session, token)
    response = RedirectResponse("/", status_code=303)
    delete_cookie(response, settings, SESSION_COOKIE)
    return response


# ----------------------------------------------------------------------------- account


@router.get("/tai-khoan", response_class=HTMLResponse)
async def my_account(request: Request, pages: PagesDep, account: CurrentAccount) -> Response:
    """The signed-in account and, for enterprise staff, their enterprise."""
    if account is None:
        raise SignInRequired(ACCOUNT_URL)
    context: dict[str, Any] = {"account": account}
    return pages.render(request, "pages/account.html", context)


# ----------------------------------------------------------------------------- password reset

FORGOT_URL = "/quen-mat-khau"


def _render_forgot(
    request: Request,
    pages: Pages,
    email: str,
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    errors, links = field_errors(pages, request, problems, ("email",))
    return pages.render(
        request,
        "pages/forgot_password.html",
        {"values": {"email": email}, "errors": errors, "error_links": links},
        status_code=status_code,
    )


@router.get(FORGOT_URL, response_class=HTMLResponse)
async def forgot_password_form(request: Request, pages: PagesDep) -> HTMLResponse:
    """Ask for the e-mail address of the account whose password is forgotten."""
    return _render_forgot(request, pages, "", [])


@router.post(FORGOT_URL, response_class=HTMLResponse)
async def forgot_password(
    request: Request, session: Session, pages: PagesDep, settings: SettingsDep
) -> HTMLResponse:
    """E-mail a reset link if the account exists; the answer is the same either way."""
    data = await read_form(request)
    email = data.get("email", "").strip()
    if not email:
        problem = Problem("email", "Vui lòng nhập địa chỉ thư điện tử", "Enter your email address")
        return _render_forgot(request, pages, email, [problem], status_code=422)
    try:
        await accounts.request_password_reset(
            session, email, base_url=settings.base_url, ip=_ip(request)
        )
    except TooManyAttempts as exc:
        page = _render_forgot(request, pages, email, exc.problems, status_code=429)
        page.headers["Retry-After"] = str(exc.retry_after_seconds)
        return page
    return pages.render(request, "pages/forgot_password_sent.html", {"email": email})


def _no_referrer(response: Response) -> Response:
    # The token is in the address: it must not leak to another site through the Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _render_reset(
    request: Request,
    pages: Pages,
    problems: list[Problem],
    invalid: ResetLinkInvalid | None = None,
    status_code: int = 200,
) -> Response:
    errors, links = field_errors(pages, request, problems, ("password", "password_confirm"))
    english = pages.locale(request) == "en"
    return _no_referrer(
        pages.render(
            request,
            "pages/reset_password.html",
            {
                "action": request.url.path,
                "invalid": (invalid.message_en if english else invalid.message) if invalid else "",
                "values": {},
                "errors": errors,
                "error_links": links,
            },
            status_code=status_code,
        )
    )


@router.get("/dat-lai-mat-khau/{token}", response_class=HTMLResponse)
async def reset_password_form(
    request: Request, token: str, session: Session, pages: PagesDep
) -> Response:
    """The form to set a new password, or why the link no longer works."""
    try:
        await accounts.check_reset_token(session, token)
    except ResetLinkInvalid as exc:
        return _render_reset(request, pages, [], exc, status_code=exc.status)
    return _render_reset(request, pages, [])


@router.post("/dat-lai-mat-khau/{token}", response_class=HTMLResponse)
async def reset_password(
    request: Request, token: str, session: Session, pages: PagesDep, settings: SettingsDep
) -> Response:
    """Set the new password, end every session of the account and sign this browser in."""
    data = await read_form(request)
    try:
        signed = await accounts.reset_password(
            session,
            token,
            data.get("password", ""),
            data.get("password_confirm", ""),
            ip=_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            session_days=settings.session_days,
        )
    except ResetLinkInvalid as exc:
        return _render_reset(request, pages, [], exc, status_code=exc.status)
    except PasswordInvalid as exc:
        return _render_reset(request, pages, exc.problems, status_code=422)
    await _forget_old_session(request, session, settings)
    response = _signed_in(RedirectResponse(ACCOUNT_URL, status_code=303), settings, signed)
    return _no_referrer(response)
