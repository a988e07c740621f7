"""Every query of the synchronisation with the national portal."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.accounts import Account, Official, Unit
from app.models.catalog import Agency, Procedure
from app.models.dossiers import Dossier
from app.models.processing import DocumentForm, DossierDocument, DossierStep, SupplementRequest
from app.models.webhooks import PayloadFormat, WebhookEvent, WebhookSubscription


async def dossier_by_code(session: AsyncSession, code: str) -> Dossier | None:
    """The dossier with its procedure and field, receiving agency and files."""
    found: Dossier | None = await session.scalar(
        select(Dossier)
        .where(Dossier.code == code)
        .options(
            selectinload(Dossier.procedure).selectinload(Procedure.field),
            selectinload(Dossier.agency),
            selectinload(Dossier.files),
        )
        # The record is read again for each event: never an identity-map copy older than the row.
        .execution_options(populate_existing=True)
    )
    return found


async def steps_of(session: AsyncSession, dossier_id: int) -> list[DossierStep]:
    rows = await session.scalars(
        select(DossierStep).where(DossierStep.dossier_id == dossier_id).order_by(DossierStep.id)
    )
    return list(rows)


async def supplements_of(session: AsyncSession, dossier_id: int) -> list[SupplementRequest]:
    rows = await session.scalars(
        select(SupplementRequest)
        .where(SupplementRequest.dossier_id == dossier_id)
        .order_by(SupplementRequest.id)
    )
    return list(rows)


async def results_of(session: AsyncSession, dossier_id: int) -> list[DossierDocument]:
    """The documents of the result (the signed decision or certificate), oldest first."""
    rows = await session.scalars(
        select(DossierDocument)
        .where(
            DossierDocument.dossier_id == dossier_id,
            DossierDocument.form == DocumentForm.result.value,
        )
        .order_by(DossierDocument.id)
    )
    return list(rows)


async def agency_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Agency.id, Agency.name).where(Agency.id.in_(sorted(set(ids))))
    )
    return {row.id: row.name for row in rows}


async def unit_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(sorted(set(ids)))))
    return {row.id: row.name for row in rows}


async def official_titles(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The full name and title of each account, by account id (title empty for non-officials)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Account.id, Account.full_name, Official.title)
        .outerjoin(Official, Official.account_id == Account.id)
        .where(Account.id.in_(sorted(set(ids))))
    )
    return {row.id: (row.full_name, row.title or "") for row in rows}


async def told_before(session: AsyncSession, dossier_code: str, event_id: int) -> bool:
    """Whether an earlier event of the dossier exists (the portal then knows the dossier)."""
    found = await session.scalar(
        select(
            exists().where(WebhookEvent.dossier_code == dossier_code, WebhookEvent.id < event_id)
        )
    )
    return bool(found)


async def national_subscriptions(session: AsyncSession) -> list[WebhookSubscription]:
    """The portal's own national-portal subscriptions (no owner, not deleted), oldest first."""
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(
            WebhookSubscription.payload_format == PayloadFormat.national_portal.value,
            WebhookSubscription.enterprise_id.is_(None),
            WebhookSubscription.agency_id.is_(None),
            WebhookSubscription.deleted_at.is_(None),
        )
        .order_by(WebhookSubscription.id)
    )
    return list(rows)


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()
