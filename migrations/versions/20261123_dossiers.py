"""dossiers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:30:33.839326
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column(
            "response_body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "response_headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("client", "route", "key", name=op.f("uq_idempotency_records_client")),
    )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_records_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "dossier_code_counters",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=6), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_dossier_code_counters_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", "day", name=op.f("pk_dossier_code_counters")),
    )
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("procedure_version_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("applicant_type", sa.Integer(), nullable=False),
        sa.Column("applicant_id_number", sa.String(length=20), nullable=False),
        sa.Column("applicant_name", sa.String(length=255), nullable=False),
        sa.Column("applicant_phone", sa.String(length=20), nullable=False),
        sa.Column("applicant_email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("delivery", sa.String(length=16), nullable=True),
        sa.Column(
            "delivery_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draft_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dossiers_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_dossiers_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_dossiers_enterprise_id_enterprises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedures.id"], name=op.f("fk_dossiers_procedure_id_procedures")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_version_id"],
            ["procedure_versions.id"],
            name=op.f("fk_dossiers_procedure_version_id_procedure_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("code", name=op.f("uq_dossiers_code")),
        sa.UniqueConstraint("reference", name=op.f("uq_dossiers_reference")),
    )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossiers_account_id_created_at", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dossiers_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index("ix_dossiers_draft_expires_at", ["draft_expires_at"], unique=False)
        batch_op.create_index(
            "ix_dossiers_enterprise_id_created_at", ["enterprise_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dossiers_procedure_id"), ["procedure_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dossiers_status"), ["status"], unique=False)

    op.create_table(
        "dossier_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dossier_events_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_events_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_events")),
    )
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_events_dossier_id"), ["dossier_id"], unique=False
        )

    op.create_table(
        "dossier_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_files_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_files")),
        sa.UniqueConstraint("reference", name=op.f("uq_dossier_files_reference")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_dossier_files_storage_key")),
    )
    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_files_dossier_id"), ["dossier_id"], unique=False
        )

    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("metadata_header", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_uploads_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["dossier_files.id"],
            name=op.f("fk_uploads_file_id_dossier_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_uploads_storage_key")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_expires_at"))
        batch_op.drop_index(batch_op.f("ix_uploads_dossier_id"))

    op.drop_table("uploads")
    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_files_dossier_id"))

    op.drop_table("dossier_files")
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_events_dossier_id"))

    op.drop_table("dossier_events")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossiers_status"))
        batch_op.drop_index(batch_op.f("ix_dossiers_procedure_id"))
        batch_op.drop_index("ix_dossiers_enterprise_id_created_at")
        batch_op.drop_index("ix_dossiers_draft_expires_at")
        batch_op.drop_index(batch_op.f("ix_dossiers_agency_id"))
        batch_op.drop_index("ix_dossiers_account_id_created_at")

    op.drop_table("dossiers")
    op.drop_table("dossier_code_counters")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_expires_at"))

    op.drop_table("idempotency_records")
