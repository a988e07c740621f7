"""Every query of dossiers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.catalog import Procedure
from app.models.dossiers import (
    Channel,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierFile,
    Upload,
)


def _full(statement: Select[Dossier]) -> Select[Dossier]:
    return statement.options(
        selectinload(Dossier.files),
        selectinload(Dossier.events),
        selectinload(Dossier.procedure),
        selectinload(Dossier.procedure_version),
        selectinload(Dossier.agency),
    ).execution_options(populate_existing=True)


async def by_reference(session: AsyncSession, reference: str) -> Dossier | None:
    found: Dossier | None = await session.scalar(
        _full(select(Dossier).where(Dossier.reference == reference))
    )
    return found


async def version_id_of(session: AsyncSession, reference: str) -> int | None:
    """The procedure version a dossier was filed against, without loading the dossier again."""
    found: int | None = await session.scalar(
        select(Dossier.procedure_version_id).where(Dossier.reference == reference)
    )
    return found


async def by_code(session: AsyncSession, code: str) -> Dossier | None:
    found: Dossier | None = await session.scalar(_full(select(Dossier).where(Dossier.code == code)))
    return found


async def by_id(session: AsyncSession, dossier_id: int) -> Dossier | None:
    found: Dossier | None = await session.scalar(
        _full(select(Dossier).where(Dossier.id == dossier_id))
    )
    return found


def _owned_by(account_id: int | None, enterprise_id: int | None) -> ColumnElement[bool]:
    """The applicant's own filings: those of a desk are for someone else."""
    online = Dossier.channel == Channel.online
    if enterprise_id is not None:
        return and_(online, Dossier.enterprise_id == enterprise_id)
    return and_(online, Dossier.enterprise_id.is_(None), Dossier.account_id == account_id)


def _desk_sees(account_id: int | None, desk_agency_id: int) -> ColumnElement[bool]:
    """The SQL form of what a desk sees (service._may_see): its agency's desk drafts, and the
    dossiers the receiver filed there."""
    return and_(
        Dossier.channel != Channel.online,
        Dossier.agency_id == desk_agency_id,
        or_(Dossier.status.is_(None), Dossier.account_id == account_id),
    )


async def desk_drafts(
    session: AsyncSession, agency_id: int, channel: int, limit: int
) -> list[Dossier]:
    """The drafts a desk has started for people at the counter or by post, newest first."""
    statement = (
        select(Dossier)
        .where(
            Dossier.agency_id == agency_id,
            Dossier.channel == channel,
            Dossier.status.is_(None),
        )
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(_full(statement))).all())


async def find_draft(
    session: AsyncSession, account_id: int | None, enterprise_id: int | None, version_id: int
) -> Dossier | None:
    statement = (
        select(Dossier)
        .where(
            _owned_by(account_id, enterprise_id),
            Dossier.account_id == account_id,
            Dossier.procedure_version_id == version_id,
            Dossier.status.is_(None),
        )
        .order_by(Dossier.id.desc())
        .limit(1)
    )
    found: Dossier | None = await session.scalar(_full(statement))
    return found


async def list_owned(
    session: AsyncSession,
    account_id: int | None,
    enterprise_id: int | None,
    *,
    drafts: bool | None,
    status: int | None,
    procedure_code: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Dossier]:
    """Newest first, keyset-paged on (created_at, id)."""
    statement = select(Dossier).where(_owned_by(account_id, enterprise_id))
    if drafts is True:
        statement = statement.where(Dossier.status.is_(None))
    elif drafts is False:
        statement = statement.where(Dossier.status.is_not(None))
    if status is not None:
        statement = statement.where(Dossier.status == status)
    if procedure_code:
        statement = statement.join(Dossier.procedure).where(Procedure.code == procedure_code)
    if after is not None:
        created_at, dossier_id = after
        statement = statement.where(
            or_(
                Dossier.created_at < created_at,
                and_(Dossier.created_at == created_at, Dossier.id < dossier_id),
            )
        )
    statement = (
        statement.options(selectinload(Dossier.procedure), selectinload(Dossier.agency))
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def next_sequence(session: AsyncSession, agency_id: int, day: str) -> int:
    """Take the next number of the agency's day atomically: concurrent callers wait on the row
    (PostgreSQL) or on the database's one writer (SQLite), and never get the same number."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(DossierCodeCounter)
        .values(agency_id=agency_id, day=day, last=1)
        .on_conflict_do_update(
            index_elements=["agency_id", "day"], set_={"last": DossierCodeCounter.last + 1}
        )
        .returning(DossierCodeCounter.last)
    )
    number: int = (await session.execute(statement)).scalar_one()
    return number


async def add_event(session: AsyncSession, event: DossierEvent) -> None:
    session.add(event)


async def slot_file_count(session: AsyncSession, dossier_id: int, slot: str) -> int:
    count: int = (
        await session.scalar(
            select(func.count()).where(
                DossierFile.dossier_id == dossier_id, DossierFile.slot == slot
            )
        )
        or 0
    )
    return count


async def total_file_size(session: AsyncSession, dossier_id: int) -> int:
    total: int = (
        await session.scalar(
            select(func.coalesce(func.sum(DossierFile.size), 0)).where(
                DossierFile.dossier_id == dossier_id
            )
        )
        or 0
    )
    return total


async def file_by_reference(session: AsyncSession, reference: str) -> DossierFile | None:
    found: DossierFile | None = await session.scalar(
        select(DossierFile)
        .where(DossierFile.reference == reference)
        .options(selectinload(DossierFile.dossier))
    )
    return found


async def delete_file(session: AsyncSession, file: DossierFile) -> None:
    await session.delete(file)


async def expired_drafts(session: AsyncSession, now: datetime, limit: int) -> list[Dossier]:
    statement = (
        select(Dossier)
        .where(Dossier.status.is_(None), Dossier.draft_expires_at < now)
        .options(selectinload(Dossier.files))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def delete_dossier(session: AsyncSession, dossier: Dossier) -> None:
    await session.execute(delete(Upload).where(Upload.dossier_id == dossier.id))
    await session.execute(delete(DossierFile).where(DossierFile.dossier_id == dossier.id))
    await session.execute(delete(DossierEvent).where(DossierEvent.dossier_id == dossier.id))
    await session.execute(delete(Dossier).where(Dossier.id == dossier.id))


async def delete_expired_draft(session: AsyncSession, dossier_id: int, now: datetime) -> bool:
    """Delete the dossier if it is still an expired draft when the delete runs (it may have been
    submitted or changed since it was read); its files, events and uploads go by cascade."""
    result = await session.execute(
        delete(Dossier)
        .where(Dossier.id == dossier_id, Dossier.status.is_(None), Dossier.draft_expires_at < now)
        # The rows are judged by the database, not against the objects loaded in the session.
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these storage keys a file or an upload still refers to."""
    if not keys:
        return set()
    files = await session.scalars(
        select(DossierFile.storage_key).where(DossierFile.storage_key.in_(keys))
    )
    uploads = await session.scalars(select(Upload.storage_key).where(Upload.storage_key.in_(keys)))
    return set(files) | set(uploads)


async def unfinished_upload_keys(session: AsyncSession, dossier_ids: Sequence[int]) -> list[str]:
    """The partial objects of the resumable uploads into these dossiers never finished."""
    if not dossier_ids:
        return []
    keys = await session.scalars(
        select(Upload.storage_key).where(
            Upload.dossier_id.in_(dossier_ids), Upload.file_id.is_(None)
        )
    )
    return list(keys)


async def upload_by_id(session: AsyncSession, upload_id: str) -> Upload | None:
    found: Upload | None = await session.get(Upload, upload_id, populate_existing=True)
    return found


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)


async def expired_uploads(session: AsyncSession, now: datetime, limit: int) -> list[Upload]:
    """Unfinished uploads past their expiry, locked; on PostgreSQL one a PATCH is appending to
    right now (its row is locked) is skipped, and taken by a later run."""
    statement = (
        select(Upload)
        .where(Upload.expires_at < now, Upload.file_id.is_(None))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(statement)).all())


async def delete_upload(session: AsyncSession, upload: Upload) -> None:
    await session.execute(delete(Upload).where(Upload.id == upload.id))


async def owned_upload(
    session: AsyncSession,
    upload_id: str,
    account_id: int | None,
    enterprise_id: int | None,
    *,
    desk_agency_id: int | None = None,
    lock: bool = False,
) -> tuple[Upload, Dossier, str | None] | None:
    """An upload, its dossier and its finished file's reference, if the applicant may see the
    dossier. With ``lock``, the upload row stays locked (``SELECT … FOR UPDATE``) until the
    transaction ends, so concurrent appends wait for each other; SQLite ignores it."""
    # The SQL form of service._may_see: an enterprise's dossiers, the account's own ones, and
    # what a desk sees.
    visible: list[ColumnElement[bool]] = []
    if enterprise_id is not None:
        visible.append(
            and_(Dossier.channel == Channel.online, Dossier.enterprise_id == enterprise_id)
        )
    if account_id is not None:
        visible.append(_owned_by(account_id, None))
    if desk_agency_id is not None:
        visible.append(_desk_sees(account_id, desk_agency_id))
    if not visible:
        return None
    statement = (
        select(Upload, Dossier, DossierFile.reference)
        .join(Dossier, Dossier.id == Upload.dossier_id)
        .outerjoin(DossierFile, DossierFile.id == Upload.file_id)
        .where(Upload.id == upload_id, or_(*visible))
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(of=Upload)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        return None
    upload, dossier, file_reference = row
    return upload, dossier, file_reference
