"""Every query of ratings, feedback and the dossier facts they need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalog import Agency, Procedure
from app.models.dossiers import Dossier
from app.models.feedback import Feedback, Rating


@dataclass(frozen=True)
class DossierFacts:
    """What ratings, feedback and verification need of a dossier: never the applicant."""

    id: int
    code: str
    status: int | None
    agency_id: int | None
    agency_code: str | None
    agency_name: str | None
    procedure_id: int
    procedure_code: str
    procedure_name: str
    enterprise_id: int | None


@dataclass(frozen=True)
class FeedbackRow:
    feedback: Feedback
    agency_code: str
    agency_name: str
    procedure_code: str | None
    procedure_name: str | None
    dossier_code: str | None


_FactsRow = tuple[
    int, str | None, int | None, int | None, str | None, str | None, int, str, str, int | None
]


def _facts() -> Select[
    int, str | None, int | None, int | None, str, str, int, str, str, int | None
]:
    return (
        select(
            Dossier.id,
            Dossier.code,
            Dossier.status,
            Dossier.agency_id,
            Agency.code,
            Agency.name,
            Procedure.id,
            Procedure.code,
            Procedure.name,
            Dossier.enterprise_id,
        )
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .outerjoin(Agency, Agency.id == Dossier.agency_id)
    )


def _facts_of(row: _FactsRow) -> DossierFacts:
    return DossierFacts(
        id=row[0],
        code=row[1] or "",
        status=row[2],
        agency_id=row[3],
        agency_code=row[4],
        agency_name=row[5],
        procedure_id=row[6],
        procedure_code=row[7],
        procedure_name=row[8],
        enterprise_id=row[9],
    )


async def dossier_by_code(session: AsyncSession, code: str) -> DossierFacts | None:
    row = (await session.execute(_facts().where(Dossier.code == code))).first()
    return _facts_of(row) if row is not None else None


async def dossiers_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, DossierFacts]:
    if not ids:
        return {}
    rows = await session.execute(_facts().where(Dossier.id.in_(set(ids))))
    facts = [_facts_of(row) for row in rows]
    return {f.id: f for f in facts}


async def agency_by_id(session: AsyncSession, agency_id: int) -> Agency | None:
    found: Agency | None = await session.get(Agency, agency_id)
    return found


# --- Ratings ----------------------------------------------------------------------------------


async def rating_of(session: AsyncSession, dossier_id: int) -> Rating | None:
    found: Rating | None = await session.scalar(
        select(Rating).where(Rating.dossier_id == dossier_id)
    )
    return found


async def ratings_of(session: AsyncSession, dossier_ids: Sequence[int]) -> dict[int, Rating]:
    if not dossier_ids:
        return {}
    found = await session.scalars(select(Rating).where(Rating.dossier_id.in_(set(dossier_ids))))
    return {r.dossier_id: r for r in found}


# --- Feedback ---------------------------------------------------------------------------------


def _feedback() -> Select[Feedback, str, str, str, str, str | None]:
    return (
        select(Feedback, Agency.code, Agency.name, Procedure.code, Procedure.name, Dossier.code)
        .join(Agency, Agency.id == Feedback.agency_id)
        .outerjoin(Procedure, Procedure.id == Feedback.procedure_id)
        .outerjoin(Dossier, Dossier.id == Feedback.dossier_id)
    )


async def _rows(
    session: AsyncSession, statement: Select[Feedback, str, str, str, str, str | None]
) -> list[FeedbackRow]:
    return [
        FeedbackRow(
            feedback=feedback,
            agency_code=agency_code,
            agency_name=agency_name,
            procedure_code=procedure_code,
            procedure_name=procedure_name,
            dossier_code=dossier_code,
        )
        for (
            feedback,
            agency_code,
            agency_name,
            procedure_code,
            procedure_name,
            dossier_code,
        ) in await session.execute(statement)
    ]


async def feedback_by_reference(session: AsyncSession, reference: str) -> FeedbackRow | None:
    found = await _rows(session, _feedback().where(Feedback.reference == reference))
    return found[0] if found else None


async def reference_taken(session: AsyncSession, reference: str) -> bool:
    found = await session.scalar(select(Feedback.id).where(Feedback.reference == reference))
    return found is not None


async def sent_by(
    session: AsyncSession,
    account_id: int | None,
    enterprise_id: int | None,
    *,
    before_id: int | None,
    limit: int,
) -> list[FeedbackRow]:
    """Newest first: the account's own, or what the enterprise sent."""
    statement = _feedback()
    if account_id is not None:
        statement = statement.where(Feedback.account_id == account_id)
    elif enterprise_id is not None:
        statement = statement.where(Feedback.enterprise_id == enterprise_id)
    else:
        return []
    if before_id is not None:
        statement = statement.where(Feedback.id < before_id)
    statement = statement.order_by(Feedback.id.desc()).limit(limit)
    return await _rows(session, statement)


async def for_agency(
    session: AsyncSession,
    agency_id: int,
    *,
    state: str,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[FeedbackRow]:
    """The agency's feedback in a state, the soonest due first (keyset-paged on due_at, id)."""
    statement = _feedback().where(Feedback.agency_id == agency_id, Feedback.state == state)
    if after is not None:
        due_at, feedback_id = after
        statement = statement.where(
            or_(
                Feedback.due_at > due_at,
                and_(Feedback.due_at == due_at, Feedback.id > feedback_id),
            )
        )
    statement = statement.order_by(Feedback.due_at, Feedback.id).limit(limit)
    return await _rows(session, statement)
