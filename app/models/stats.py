"""Indexes the statistics read through (Decision 766 indicators), kept beside the tables they
serve so the statistics can change them without touching each aggregate's file.

Measured with bench/stats.py on a million dossiers: a report reads the dossiers received and
those finished in a period each through one index range holding every column it counts
(PostgreSQL reads only the index), and the facts other tables hold (paid online, digitised,
signed result) through partial indexes of just those rows, already in dossier order.

The indexes of the two cohorts hold the dossier's id too, so that a period of days reads the
other tables' facts without reading the dossiers themselves. The months that have ended are
read from a summary (``stats_month_counts``), built by the
statistics service with the very queries of a live report, and the dossiers not finished yet
(whose "in processing" and "overdue now" change with time) through a partial index of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.dossiers import Dossier, DossierFile
from app.models.payments import Payment
from app.models.processing import DossierDocument

Index(
    "ix_dossiers_stats_received",
    Dossier.received_at,
    postgresql_include=[
        "agency_id",
        "procedure_id",
        "channel",
        "status",
        "finished_at",
        "due_at",
        "paused_at",
        "supplement_count",
        "id",
    ],
    postgresql_where=text("received_at IS NOT NULL"),
    sqlite_where=text("received_at IS NOT NULL"),
)
Index(
    "ix_dossiers_stats_finished",
    Dossier.finished_at,
    postgresql_include=[
        "received_at",
        "agency_id",
        "procedure_id",
        "channel",
        "status",
        "due_at",
        "original_due_at",
        "apology_at",
        "supplement_count",
        "clock_started_at",
        "delivery",
        "id",
    ],
    postgresql_where=text("finished_at IS NOT NULL"),
    sqlite_where=text("finished_at IS NOT NULL"),
)
Index(
    "ix_dossier_files_digitised",
    DossierFile.dossier_id,
    postgresql_where=text("origin IN ('scan', 'reuse')"),
    sqlite_where=text("origin IN ('scan', 'reuse')"),
)
Index(
    "ix_dossier_documents_signed_result",
    DossierDocument.dossier_id,
    postgresql_where=text("form = 'result' AND signed"),
    sqlite_where=text("form = 'result' AND signed"),
)
Index(
    "ix_payments_paid_online",
    Payment.dossier_id,
    postgresql_where=text("state IN ('paid', 'refunded', 'partially_refunded')"),
    sqlite_where=text("state IN ('paid', 'refunded', 'partially_refunded')"),
)
Index(
    "ix_dossiers_stats_open",
    Dossier.received_at,
    postgresql_include=[
        "agency_id",
        "procedure_id",
        "channel",
        "status",
        "due_at",
        "paused_at",
        "supplement_count",
        "finished_at",
    ],
    postgresql_where=text("finished_at IS NULL"),
    sqlite_where=text("finished_at IS NULL"),
)
# What a payment made since a month's summary was built changes (see ``stats_month_builds``).
Index("ix_payments_created_at", Payment.created_at)


class StatsMonthCount(Base):
    """The counts of one cohort of one month (local time, YYYY-MM) for one agency, procedure
    and channel, as a live report counts them: ``received``… for the dossiers received in the
    month, ``finished``… for those finished in it, with ``timed`` of them having a clock and
    ``working_days`` the working days they took in all. "In processing" and "overdue now" are
    never kept: they change with time."""

    __tablename__ = "stats_month_counts"

    cohort: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    procedure_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    channel: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    received: Mapped[int] = mapped_column(default=0)
    online: Mapped[int] = mapped_column(default=0)
    paid_online: Mapped[int] = mapped_column(default=0)
    digitised: Mapped[int] = mapped_column(default=0)
    complained: Mapped[int] = mapped_column(default=0)
    finished: Mapped[int] = mapped_column(default=0)
    early: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    results: Mapped[int] = mapped_column(default=0)
    electronic_results: Mapped[int] = mapped_column(default=0)
    very_satisfied: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    not_satisfied: Mapped[int] = mapped_column(default=0)
    timed: Mapped[int] = mapped_column(default=0)
    working_days: Mapped[int] = mapped_column(default=0)


class StatsMonthBuild(Base):
    """When a month's summary was last built: a rating, complaint or payment of one of its
    dossiers made since then has the month built again."""

    __tablename__ = "stats_month_builds"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    built_at: Mapped[datetime]
