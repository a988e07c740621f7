"""What every page handler may ask for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from app.accounts import officials
from app.accounts import service as accounts
from app.accounts.schemas import AccountOut, OfficialOut
from app.config import Settings
from app.db import request_session
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.errors import InvalidInput, NotFound, Problem
from app.models.accounts import AccountKind
from app.storage import FileStorage
from app.web.formview import ErrorLink
from app.web.security import session_token
from app.web.templating import Pages

Session = Annotated[AsyncSession, Depends(request_session, scope="function")]
MAX_FIELDS = 30
MAX_PART_SIZE = 16 * 1024


def get_pages(request: Request) -> Pages:
    """The page renderer installed on the application."""
    pages: Pages = request.app.state.pages
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_storage(request: Request) -> FileStorage:
    storage: FileStorage = request.app.state.storage
    return storage


StorageDep = Annotated[FileStorage, Depends(get_storage)]


async def load_account(request: Request, session: Session) -> AccountOut | None:
    """The signed-in account, kept on request.state for the layout's header links."""
    settings: Settings = request.app.state.settings
    account = await accounts.current_account(session, session_token(request, settings))
    request.state.account = account
    return account


CurrentAccount = Annotated[AccountOut | None, Depends(load_account)]


async def load_official(
    request: Request, session: Session, account: CurrentAccount
) -> OfficialOut | None:
    """The signed-in official (even a disabled one), kept on request.state for the header's
    links; None for anyone else."""
    official = (
        await officials.official_of(session, account.id)
        if account is not None and account.kind == AccountKind.official
        else None
    )
    request.state.official = official
    return official


class SignInRequired(Exception):
    """The page is for signed-in people: the browser goes to sign in, then comes back."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


async def current_applicant(
    request: Request, session: Session, account: CurrentAccount
) -> Applicant:
    """Who files on these pages: the signed-in citizen, or the enterprise of its staff."""
    if account is None:
        query = request.url.query
        raise SignInRequired(request.url.path + (f"?{query}" if query else ""))
    return await dossiers.applicant_for_account(session, account)


ApplicantDep = Annotated[Applicant, Depends(current_applicant)]


def page_not_found() -> NotFound:
    """The 404 page of an address that does not exist: the officials' pages answer it to
    anyone who may not see them, so that no one learns what is there."""
    return NotFound("Không tìm thấy trang bạn yêu cầu.", message_en="Page not found.")


async def current_official(
    request: Request,
    account: CurrentAccount,
    official: Annotated[OfficialOut | None, Depends(load_official)],
) -> OfficialOut:
    """The signed-in official: sign in first when signed out; a 404 page for an account that
    is not an official, or is disabled."""
    if account is None:
        query = request.url.query
        raise SignInRequired(request.url.path + (f"?{query}" if query else ""))
    if official is None or official.disabled:
        raise page_not_found()
    return official


OfficialDep = Annotated[OfficialOut, Depends(current_official)]


def require_roles(*roles: str) -> Callable[[OfficialOut], Awaitable[OfficialOut]]:
    """A dependency giving the signed-in official if they hold one of the roles (OfficialRole
    values); a 404 page otherwise, as ``current_official`` answers."""

    async def official_with_role(official: OfficialDep) -> OfficialOut:
        if not official.holds(*roles):
            raise page_not_found()
        return official

    return official_with_role


async def read_form_lists(
    request: Request, max_fields: int = MAX_FIELDS, max_part_size: int = MAX_PART_SIZE
) -> dict[str, list[str]]:
    """The fields of a posted form without files, each with all its values (checkboxes)."""
    try:
        async with request.form(
            max_files=0, max_fields=max_fields, max_part_size=max_part_size
        ) as form:
            values: dict[str, list[str]] = {}
            for key, value in form.multi_items():
                if isinstance(value, str):
                    values.setdefault(key, []).append(value)
            return values
    except ClientDisconnect:
        raise
    except Exception as exc:
        raise InvalidInput(
            "Không đọc được dữ liệu biểu mẫu gửi lên.",
            message_en="The form data could not be read.",
        ) from exc


async def read_form(
    request: Request, max_fields: int = MAX_FIELDS, max_part_size: int = MAX_PART_SIZE
) -> dict[str, str]:
    """The fields of a posted form without files (the last value of a repeated name)."""
    lists = await read_form_lists(request, max_fields, max_part_size)
    return {key: values[-1] for key, values in lists.items()}


def field_errors(
    pages: Pages, request: Request, problems: Sequence[Problem], order: Sequence[str]
) -> tuple[dict[str, list[str]], list[ErrorLink]]:
    """The problems of a form in the reader's language: by field (for the messages beside
    each input, whose id is ``f-<field>``) and as the error summary's links, in the order of
    the fields on the page."""
    english = pages.locale(request) == "en"
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        message = problem.message_en if english and problem.message_en else problem.message
        by_field.setdefault(problem.location, []).append(message)
    position = {name: i for i, name in enumerate(order)}
    links = [
        ErrorLink(href=f"#f-{name}", message=message)
        for name in sorted(by_field, key=lambda n: position.get(n, len(order)))
        for message in by_field[name]
    ]
    return by_field, links
