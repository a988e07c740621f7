"""The statistics' periodic job: the summary of the months that have ended, built for each
month missing it and built again for each month a rating, feedback or payment has changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.stats import service

log = logging.getLogger(__name__)

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def refresh_summary(
    unit_of_work: UnitOfWork,
    settings: Settings,
    *,
    back: int = service.SUMMARY_MONTHS,
    every: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Build the summary of the ``back`` months before this one that need it (``every``: all
    of them), each month in its own transaction; the months built, oldest first."""
    if every:
        months = service.closed_months(settings, back, now)
    else:
        async with unit_of_work() as session:
            months = await service.stale_months(session, settings, back, now)
    built: list[str] = []
    for month in months:
        async with unit_of_work() as session:
            # Another worker building the month now: left to it.
            if await service.claim_month(session, month):
                await service.build_month(session, settings, month, now)
                built.append(month)
    if built:
        log.info("statistics summary built for %s", ", ".join(built))
    return built
