"""Webhook events

The events callbacks are made of, written in the transaction of the change they tell.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 03:12:35.123860
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("dossier_code", sa.String(length=40), nullable=True),
        sa.Column("procedure_code", sa.String(length=20), nullable=True),
        sa.Column("agency_code", sa.String(length=20), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("reference", name=op.f("uq_webhook_events_reference")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_events_dossier_code_id", ["dossier_code", "id"], unique=False
        )
        batch_op.create_index("ix_webhook_events_occurred_at", ["occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_occurred_at")
        batch_op.drop_index("ix_webhook_events_dossier_code_id")

    op.drop_table("webhook_events")
