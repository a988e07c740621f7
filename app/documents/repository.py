"""Every query of documents and signing keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalog import Agency
from app.models.processing import DossierDocument, SigningKey


async def documents_of(session: AsyncSession, dossier_id: int) -> list[DossierDocument]:
    found = await session.scalars(
        select(DossierDocument)
        .where(DossierDocument.dossier_id == dossier_id)
        .order_by(DossierDocument.id)
    )
    return list(found)


async def document_by_reference(session: AsyncSession, reference: str) -> DossierDocument | None:
    found: DossierDocument | None = await session.scalar(
        select(DossierDocument).where(DossierDocument.reference == reference)
    )
    return found


async def documents_with_digest(session: AsyncSession, sha256: str) -> list[DossierDocument]:
    """The documents whose content has this SHA-256 (hex), oldest first."""
    found = await session.scalars(
        select(DossierDocument)
        .where(DossierDocument.sha256 == sha256)
        .order_by(DossierDocument.id)
        .limit(10)
    )
    return list(found)


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these storage keys a document still refers to."""
    if not keys:
        return set()
    found = await session.scalars(
        select(DossierDocument.storage_key).where(DossierDocument.storage_key.in_(keys))
    )
    return set(found)


async def signing_key(session: AsyncSession, agency_id: int) -> SigningKey | None:
    found: SigningKey | None = await session.get(SigningKey, agency_id)
    return found


async def agencies_without_key(session: AsyncSession) -> list[tuple[int, str]]:
    """(id, name) of every agency that has no signing key, in id order."""
    rows = await session.execute(
        select(Agency.id, Agency.name)
        .outerjoin(SigningKey, SigningKey.agency_id == Agency.id)
        .where(SigningKey.agency_id.is_(None))
        .order_by(Agency.id)
    )
    return [(agency_id, name) for agency_id, name in rows]


async def chains(session: AsyncSession) -> list[str]:
    """The distinct issuing chains (PEM) of the stored keys."""
    found = await session.scalars(select(SigningKey.chain_pem).distinct())
    return list(found)
