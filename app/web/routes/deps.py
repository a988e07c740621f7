"""What every page handler may ask for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import AccountOut
from app.config import Settings
from app.db import request_session
from app.web.security import session_token
from app.web.templating import Pages

Session = Annotated[AsyncSession, Depends(request_session, scope="function")]


def get_pages(request: Request) -> Pages:
    """The page renderer installed on the application."""
    pages: Pages = request.app.state.pages
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def load_account(request: Request, session: Session) -> AccountOut | None:
    """The signed-in account, kept on request.state for the layout's header links."""
    settings: Settings = request.app.state.settings
    account = await accounts.current_account(session, session_token(request, settings))
    request.state.account = account
    return account


CurrentAccount = Annotated[AccountOut | None, Depends(load_account)]
