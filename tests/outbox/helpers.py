"""A unit of work over the test's rolled-back session, for draining inside one test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession


def same_session(session: AsyncSession) -> Callable[[], AbstractAsyncContextManager[AsyncSession]]:
    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[AsyncSession]:
        yield session
        await session.flush()

    return unit_of_work
