"""Every query of webhooks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.webhooks import WebhookEvent


async def add_event(session: AsyncSession, event: WebhookEvent) -> None:
    session.add(event)
    await session.flush()
