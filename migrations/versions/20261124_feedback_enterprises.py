"""Feedback of enterprises, issued documents by digest

Feedback remembers the enterprise that sent it (through its staff or an API key), so the
enterprise sees what it sent on a procedure too; filled for earlier feedback from its dossier.
Issued documents are indexed by their SHA-256, which verifying an uploaded PDF looks up.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 09:00:52.468550
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_documents_sha256"), ["sha256"], unique=False)

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_feedback_enterprise_id_created_at", ["enterprise_id", "created_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_enterprise_id_enterprises"),
            "enterprises",
            ["enterprise_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.execute(
        "UPDATE feedback SET enterprise_id = "
        "(SELECT dossiers.enterprise_id FROM dossiers WHERE dossiers.id = feedback.dossier_id) "
        "WHERE dossier_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_feedback_enterprise_id_enterprises"), type_="foreignkey"
        )
        batch_op.drop_index("ix_feedback_enterprise_id_created_at")
        batch_op.drop_column("enterprise_id")

    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_documents_sha256"))
