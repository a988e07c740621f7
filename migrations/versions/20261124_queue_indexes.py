"""Queue indexes

Partial indexes for the deadline queues, the dossiers waiting to be taken and those read by
arrival, measured with bench/queues.py on a million dossiers; the register by reception time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 04:37:48.948090
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossiers_queue_arrival",
            ["handling_agency_id", "status", "submitted_at", "id"],
            unique=False,
            postgresql_where=sa.text("status IN (1, 5)"),
            sqlite_where=sa.text("status IN (1, 5)"),
        )
        batch_op.create_index(
            "ix_dossiers_queue_deadline",
            ["handling_agency_id", "deadline_state", "due_at", "id"],
            unique=False,
            postgresql_include=["procedure_id", "status"],
            postgresql_where=sa.text("status IN (2, 4)"),
            sqlite_where=sa.text("status IN (2, 4)"),
        )
        batch_op.create_index(
            "ix_dossiers_queue_unheld",
            ["handling_agency_id", "due_at", "id"],
            unique=False,
            postgresql_include=["step_id", "procedure_id", "status"],
            postgresql_where=sa.text(
                "status IN (2, 4) AND assignee_id IS NULL AND handling_unit_id IS NULL"
            ),
            sqlite_where=sa.text(
                "status IN (2, 4) AND assignee_id IS NULL AND handling_unit_id IS NULL"
            ),
        )
        batch_op.create_index(
            "ix_dossiers_register", ["agency_id", "received_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_register")
        batch_op.drop_index(
            "ix_dossiers_queue_unheld",
            postgresql_include=["step_id", "procedure_id", "status"],
            postgresql_where=sa.text(
                "status IN (2, 4) AND assignee_id IS NULL AND handling_unit_id IS NULL"
            ),
            sqlite_where=sa.text(
                "status IN (2, 4) AND assignee_id IS NULL AND handling_unit_id IS NULL"
            ),
        )
        batch_op.drop_index(
            "ix_dossiers_queue_deadline",
            postgresql_include=["procedure_id", "status"],
            postgresql_where=sa.text("status IN (2, 4)"),
            sqlite_where=sa.text("status IN (2, 4)"),
        )
        batch_op.drop_index(
            "ix_dossiers_queue_arrival",
            postgresql_where=sa.text("status IN (1, 5)"),
            sqlite_where=sa.text("status IN (1, 5)"),
        )
