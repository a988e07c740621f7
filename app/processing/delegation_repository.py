"""Every query of delegations (ủy quyền) but the one routing asks (repository.active_delegation)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Row, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models.accounts import Unit
from app.models.catalog import Agency, Delegation, Procedure, procedure_agencies

_From = aliased(Agency, name="from_agency")
_To = aliased(Agency, name="to_agency")
# A delegation and the codes and names of its agencies, procedure and unit (see _described).
Described = Row[Delegation, str, str, str, str, str, str, str, str]


async def lock_agency(session: AsyncSession, agency_id: int) -> Agency | None:
    """The delegating agency, its row locked until the end of the transaction on PostgreSQL:
    two administrators creating delegations at once check for overlaps one after the other.
    (SQLite has a single writer and needs no lock.)"""
    found: Agency | None = await session.scalar(
        select(Agency).where(Agency.id == agency_id).with_for_update()
    )
    return found


async def procedure_by_code(session: AsyncSession, code: str) -> Procedure | None:
    found: Procedure | None = await session.scalar(select(Procedure).where(Procedure.code == code))
    return found


async def handles(session: AsyncSession, agency_id: int, procedure_id: int) -> bool:
    """Whether the agency is one of those that handle the procedure."""
    found = await session.scalar(
        select(procedure_agencies.c.agency_id).where(
            procedure_agencies.c.agency_id == agency_id,
            procedure_agencies.c.procedure_id == procedure_id,
        )
    )
    return found is not None


async def procedures_of_agency(session: AsyncSession, agency_id: int) -> list[Procedure]:
    """The procedures the agency handles, published or not, by code."""
    rows = await session.scalars(
        select(Procedure)
        .join(procedure_agencies, procedure_agencies.c.procedure_id == Procedure.id)
        .where(procedure_agencies.c.agency_id == agency_id)
        .order_by(Procedure.code)
    )
    return list(rows)


async def overlapping(
    session: AsyncSession,
    agency_id: int,
    procedure_id: int | None,
    starts_on: date,
    ends_on: date,
) -> Delegation | None:
    """A delegation of the agency, not revoked, for the same procedure (None: for all the
    agency's procedures) whose period shares a day with the one given."""
    same_procedure = (
        Delegation.procedure_id.is_(None)
        if procedure_id is None
        else Delegation.procedure_id == procedure_id
    )
    found: Delegation | None = await session.scalar(
        select(Delegation)
        .where(
            Delegation.from_agency_id == agency_id,
            same_procedure,
            Delegation.revoked_at.is_(None),
            Delegation.starts_on <= ends_on,
            Delegation.ends_on >= starts_on,
        )
        .order_by(Delegation.starts_on, Delegation.id)
        .limit(1)
    )
    return found


def _described() -> Select[Delegation, str, str, str, str, str, str, str, str]:
    """Delegations with what the pages show of them: the agencies, procedure and unit."""
    return (
        select(
            Delegation,
            _From.code.label("from_agency_code"),
            _From.name.label("from_agency_name"),
            Procedure.code.label("procedure_code"),
            Procedure.name.label("procedure_name"),
            _To.code.label("to_agency_code"),
            _To.name.label("to_agency_name"),
            Unit.code.label("to_unit_code"),
            Unit.name.label("to_unit_name"),
        )
        .join(_From, _From.id == Delegation.from_agency_id)
        .join(_To, _To.id == Delegation.to_agency_id)
        .outerjoin(Procedure, Procedure.id == Delegation.procedure_id)
        .outerjoin(Unit, Unit.id == Delegation.to_unit_id)
        # Revoked rows are read afresh, not taken from the session as they were.
        .execution_options(populate_existing=True)
    )


async def described(session: AsyncSession, delegation_id: int) -> Described | None:
    return (await session.execute(_described().where(Delegation.id == delegation_id))).first()


async def described_of_agency(session: AsyncSession, agency_id: int) -> list[Described]:
    """The agency's delegations, the latest period first."""
    rows = await session.execute(
        _described()
        .where(Delegation.from_agency_id == agency_id)
        .order_by(Delegation.starts_on.desc(), Delegation.id.desc())
    )
    return list(rows.all())


async def revoke(session: AsyncSession, agency_id: int, delegation_id: int, now: datetime) -> bool:
    """Revoke the agency's delegation; False if it has no such delegation not yet revoked.
    One statement, so two administrators revoking it at once revoke it once."""
    result = await session.execute(
        update(Delegation)
        .where(
            Delegation.id == delegation_id,
            Delegation.from_agency_id == agency_id,
            Delegation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
