"""Every query of the document store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dossiers import Delivery, Dossier, Status
from app.models.processing import DossierDocument
from app.models.store import StoredDocument, StoredKind
from app.store.schemas import Owner

Row = tuple[StoredDocument, str | None]

# A result is the applicant's once the dossier's page gives it to them (the dossiers service's
# rule for the result document): ready or returned, to be received online. Signed earlier, it
# waits in the store unseen, so that nothing (a fee due before the result) is skipped.
_RESULT_GIVEN = (Status.result_ready, Status.returned)


def _owned(owner: Owner) -> ColumnElement[bool]:
    if owner.enterprise_id is not None:
        return StoredDocument.enterprise_id == owner.enterprise_id
    return and_(
        StoredDocument.account_id == owner.account_id, StoredDocument.enterprise_id.is_(None)
    )


def _live(owner: Owner) -> ColumnElement[bool]:
    return and_(_owned(owner), StoredDocument.deleted_at.is_(None))


def _shown(owner: Owner) -> Select[StoredDocument, str | None]:
    """The owner's documents as the store shows them, each with its dossier's code."""
    return (
        select(StoredDocument, Dossier.code)
        .outerjoin(Dossier, Dossier.id == StoredDocument.dossier_id)
        .where(
            _live(owner),
            or_(
                StoredDocument.kind != StoredKind.result.value,
                and_(
                    Dossier.status.in_([int(s) for s in _RESULT_GIVEN]),
                    Dossier.delivery == Delivery.online.value,
                ),
            ),
        )
    )


def add(session: AsyncSession, document: StoredDocument) -> None:
    session.add(document)


async def live_with_sha256(
    session: AsyncSession, owner: Owner, sha256: str
) -> StoredDocument | None:
    """The owner's document holding these bytes, if any (the store keeps them once)."""
    found: StoredDocument | None = await session.scalar(
        select(StoredDocument)
        .where(_live(owner), StoredDocument.sha256 == sha256)
        .order_by(StoredDocument.id)
        .limit(1)
    )
    return found


async def document_key(session: AsyncSession, reference: str) -> str | None:
    """The storage key of a document issued on a dossier, which its store entry points at."""
    found: str | None = await session.scalar(
        select(DossierDocument.storage_key).where(DossierDocument.reference == reference)
    )
    return found


async def live_result_of(
    session: AsyncSession, owner: Owner, dossier_id: int
) -> StoredDocument | None:
    """The result of a dossier the owner's store holds, if any."""
    found: StoredDocument | None = await session.scalar(
        select(StoredDocument)
        .where(
            _live(owner),
            StoredDocument.dossier_id == dossier_id,
            StoredDocument.kind == StoredKind.result.value,
        )
        .order_by(StoredDocument.id.desc())
        .limit(1)
    )
    return found


async def page(
    session: AsyncSession,
    owner: Owner,
    *,
    kind: StoredKind | None,
    before_id: int | None,
    limit: int,
) -> list[Row]:
    """The owner's documents, newest first, from below ``before_id``."""
    statement = _shown(owner)
    if kind is not None:
        statement = statement.where(StoredDocument.kind == kind.value)
    if before_id is not None:
        statement = statement.where(StoredDocument.id < before_id)
    rows = await session.execute(statement.order_by(StoredDocument.id.desc()).limit(limit))
    return [(document, code) for document, code in rows]


async def shown_by_reference(session: AsyncSession, owner: Owner, reference: str) -> Row | None:
    rows = await session.execute(_shown(owner).where(StoredDocument.reference == reference))
    found = rows.first()
    return (found[0], found[1]) if found is not None else None


async def by_reference(
    session: AsyncSession, owner: Owner, reference: str
) -> StoredDocument | None:
    """The owner's live document, shown or not yet (a result not yet given)."""
    found: StoredDocument | None = await session.scalar(
        select(StoredDocument).where(_live(owner), StoredDocument.reference == reference)
    )
    return found


async def candidates(session: AsyncSession, owner: Owner, limit: int) -> list[Row]:
    """The owner's shown documents, newest first, for a slot to choose from."""
    rows = await session.execute(_shown(owner).order_by(StoredDocument.id.desc()).limit(limit))
    return [(document, code) for document, code in rows]


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these storage keys a document still in a store refers to."""
    if not keys:
        return set()
    found = await session.scalars(
        select(StoredDocument.storage_key).where(
            StoredDocument.storage_key.in_(keys), StoredDocument.deleted_at.is_(None)
        )
    )
    return set(found)
