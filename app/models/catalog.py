"""The procedure catalog: agencies, fields, procedures and their immutable versions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from app.kit.clock import utcnow
from app.models.base import Base, Timestamped

SEARCH_WORD_LENGTH = 64


class AgencyLevel(StrEnum):
    ministry = "ministry"
    province = "province"
    # Abolished on 1 July 2025; kept so catalogs and dossiers from before stay readable.
    district = "district"
    commune = "commune"


class OnlineLevel(StrEnum):
    full = "full"
    partial = "partial"


class Agency(Timestamped, Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(50))

    parent: Mapped[Agency | None] = relationship(remote_side=[id], lazy="raise")


class Field(Timestamped, Base):
    """A field of administrative procedures (lĩnh vực), such as civil status or construction."""

    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))


procedure_agencies = Table(
    "procedure_agencies",
    Base.metadata,
    Column(
        "procedure_id", Integer, ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("agency_id", Integer, ForeignKey("agencies.id"), primary_key=True, index=True),
)


class Procedure(Timestamped, Base):
    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    # Space-separated agency levels, so one LIKE filters them on every database.
    levels: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    applicants: Mapped[str] = mapped_column(Text, default="")
    legal_days: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    committed_days: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    fees: Mapped[list[Any]] = mapped_column(default=list)
    # A PaymentStage when the fees are paid online (status 6 until paid); None: at the counter.
    payment_stage: Mapped[str | None] = mapped_column(String(24))
    result: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[list[Any]] = mapped_column(default=list)
    online_level: Mapped[str] = mapped_column(String(16))
    postal_allowed: Mapped[bool] = mapped_column(default=False)
    published: Mapped[bool] = mapped_column(default=False, index=True)
    # Folded copies (see app.kit.text.fold) padded with spaces: the name ranks matches with a
    # LIKE; the search text is what ProcedureSearchWord indexes, kept to tell when it changed.
    name_folded: Mapped[str] = mapped_column(Text, index=True)
    search_text: Mapped[str] = mapped_column(Text)

    field: Mapped[Field] = relationship(lazy="raise")
    agencies: Mapped[list[Agency]] = relationship(
        secondary=procedure_agencies, lazy="raise", order_by=Agency.code
    )

    @property
    def level_list(self) -> list[str]:
        return self.levels.split()


# Byte order on PostgreSQL, so a word-prefix search is an index range scan as on SQLite.
SearchWord = String(SEARCH_WORD_LENGTH).with_variant(
    String(SEARCH_WORD_LENGTH, collation="C"), "postgresql"
)


class ProcedureSearchWord(Base):
    """One folded word of a procedure's search text: the index behind catalog search."""

    __tablename__ = "procedure_search_words"

    word: Mapped[str] = mapped_column(SearchWord, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProcedureVersion(Base):
    """What a procedure asked for at one time: documents and form. Never changed once written."""

    __tablename__ = "procedure_versions"
    __table_args__ = (UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id", ondelete="CASCADE"))
    number: Mapped[int]
    documents: Mapped[list[Any]]
    form: Mapped[dict[str, Any]]
    # Steps, roles, agencies and shares of the time limit (app.processing.workflow); empty
    # means the default workflow.
    workflow: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delegation(Base):
    """An agency hands the decision on a procedure (or all its procedures) to another agency or
    unit for a period (ủy quyền); routing sends the decision steps there while it lasts."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    # None: every procedure of the agency.
    procedure_id: Mapped[int | None] = mapped_column(
        ForeignKey("procedures.id", ondelete="CASCADE")
    )
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    # Local dates, both included.
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ImmutableVersionError(RuntimeError):
    """A procedure version was changed after it was written."""


@event.listens_for(ProcedureVersion, "before_update")
def _refuse_version_changes(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    raise ImmutableVersionError(
        f"procedure version {target.id} is immutable; publish a new version instead"
    )
