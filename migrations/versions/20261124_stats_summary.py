"""Statistics summary of the months that have ended

The Decision 766 indicators of the months that have ended, kept by month, agency, procedure and
channel for each cohort (received, finished) and rebuilt by the worker when a rating, feedback
or payment of one of their dossiers comes after; when each month was built; the dossiers not
finished yet by reception time (their "in processing" and "overdue now" are always read live);
payments by creation time (to find the months a payment changed). The indexes of the received
and finished cohorts hold the dossier's id too (a period of days reads the other tables' facts
dossier by dossier without reading the dossiers).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 09:25:44.319182
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

RECEIVED = [
    "agency_id",
    "procedure_id",
    "channel",
    "status",
    "finished_at",
    "due_at",
    "paused_at",
    "supplement_count",
]
FINISHED = [
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
]


def _cohort_indexes(extra: list[str]) -> None:
    """The indexes of the received and finished cohorts (migration 0013), with ``extra``."""
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_stats_received")
        batch_op.drop_index("ix_dossiers_stats_finished")
        batch_op.create_index(
            "ix_dossiers_stats_received",
            ["received_at"],
            unique=False,
            postgresql_include=RECEIVED + extra,
            postgresql_where=sa.text("received_at IS NOT NULL"),
            sqlite_where=sa.text("received_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_dossiers_stats_finished",
            ["finished_at"],
            unique=False,
            postgresql_include=FINISHED + extra,
            postgresql_where=sa.text("finished_at IS NOT NULL"),
            sqlite_where=sa.text("finished_at IS NOT NULL"),
        )


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _cohort_indexes(["id"])
    op.create_table(
        "stats_month_builds",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_stats_month_builds")),
    )
    op.create_table(
        "stats_month_counts",
        sa.Column("cohort", sa.String(length=8), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("procedure_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("paid_online", sa.Integer(), nullable=False),
        sa.Column("digitised", sa.Integer(), nullable=False),
        sa.Column("complained", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("early", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("electronic_results", sa.Integer(), nullable=False),
        sa.Column("very_satisfied", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("not_satisfied", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "cohort",
            "month",
            "agency_id",
            "procedure_id",
            "channel",
            name=op.f("pk_stats_month_counts"),
        ),
    )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossiers_stats_open",
            ["received_at"],
            unique=False,
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
            postgresql_where=sa.text("finished_at IS NULL"),
            sqlite_where=sa.text("finished_at IS NULL"),
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_created_at")

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_dossiers_stats_open",
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
            postgresql_where=sa.text("finished_at IS NULL"),
            sqlite_where=sa.text("finished_at IS NULL"),
        )

    op.drop_table("stats_month_counts")
    op.drop_table("stats_month_builds")
    _cohort_indexes([])
