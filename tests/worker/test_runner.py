"""The worker loop stops when asked; `motcua worker --once` drains what is due and exits."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.worker.runner import run
from tests.outbox.helpers import same_session


async def test_run_stops_when_asked(db_session: AsyncSession, settings: Settings) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(
        run(same_session(db_session), settings, stop=stop, poll_seconds=0.01)
    )
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
