"""What every page handler may ask for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from app.accounts import service as accounts
from app.accounts.schemas import AccountOut
from app.config import Settings
from app.db import request_session
from app.dossiers import service as dossiers
from app.dossiers.schemas import Applicant
from app.errors import InvalidInput
from app.storage import FileStorage
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


async def read_form(
    request: Request, max_fields: int = MAX_FIELDS, max_part_size: int = MAX_PART_SIZE
) -> dict[str, str]:
    """The fields of a posted form without files (the last value of a repeated name)."""
    try:
        async with request.form(
            max_files=0, max_fields=max_fields, max_part_size=max_part_size
        ) as form:
            return {k: v for k, v in form.items() if isinstance(v, str)}
    except ClientDisconnect:
        raise
    except Exception as exc:
        raise InvalidInput(
            "Không đọc được dữ liệu biểu mẫu gửi lên.",
            message_en="The form data could not be read.",
        ) from exc
