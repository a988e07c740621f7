"""Statistics indexes

Indexes the Decision 766 indicators read through, measured with bench/stats.py on a million
dossiers: the dossiers received and those finished in a period, each range covering every
column a report counts; partial indexes of the dossiers paid online, digitised, and with a
signed result.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 08:44:11.824715
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossier_documents_signed_result",
            ["dossier_id"],
            unique=False,
            postgresql_where=sa.text("form = 'result' AND signed"),
            sqlite_where=sa.text("form = 'result' AND signed"),
        )

    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossier_files_digitised",
            ["dossier_id"],
            unique=False,
            postgresql_where=sa.text("origin IN ('scan', 'reuse')"),
            sqlite_where=sa.text("origin IN ('scan', 'reuse')"),
        )

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossiers_stats_finished",
            ["finished_at"],
            unique=False,
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
            ],
            postgresql_where=sa.text("finished_at IS NOT NULL"),
            sqlite_where=sa.text("finished_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_dossiers_stats_received",
            ["received_at"],
            unique=False,
            postgresql_include=[
                "agency_id",
                "procedure_id",
                "channel",
                "status",
                "finished_at",
                "due_at",
                "paused_at",
                "supplement_count",
            ],
            postgresql_where=sa.text("received_at IS NOT NULL"),
            sqlite_where=sa.text("received_at IS NOT NULL"),
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_paid_online",
            ["dossier_id"],
            unique=False,
            postgresql_where=sa.text("state IN ('paid', 'refunded', 'partially_refunded')"),
            sqlite_where=sa.text("state IN ('paid', 'refunded', 'partially_refunded')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_payments_paid_online",
            postgresql_where=sa.text("state IN ('paid', 'refunded', 'partially_refunded')"),
            sqlite_where=sa.text("state IN ('paid', 'refunded', 'partially_refunded')"),
        )

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_dossiers_stats_received",
            postgresql_include=[
                "agency_id",
                "procedure_id",
                "channel",
                "status",
                "finished_at",
                "due_at",
                "paused_at",
                "supplement_count",
            ],
            postgresql_where=sa.text("received_at IS NOT NULL"),
            sqlite_where=sa.text("received_at IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_dossiers_stats_finished",
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
            ],
            postgresql_where=sa.text("finished_at IS NOT NULL"),
            sqlite_where=sa.text("finished_at IS NOT NULL"),
        )

    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_dossier_files_digitised",
            postgresql_where=sa.text("origin IN ('scan', 'reuse')"),
            sqlite_where=sa.text("origin IN ('scan', 'reuse')"),
        )

    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_dossier_documents_signed_result",
            postgresql_where=sa.text("form = 'result' AND signed"),
            sqlite_where=sa.text("form = 'result' AND signed"),
        )
