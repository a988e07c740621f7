"""What every page handler may ask for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import request_session
from app.web.templating import Pages

Session = Annotated[AsyncSession, Depends(request_session, scope="function")]


def get_pages(request: Request) -> Pages:
    """The page renderer installed on the application."""
    pages: Pages = request.app.state.pages
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]
