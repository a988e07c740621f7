"""catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-23 21:54:18.724872
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agencies.id"], name=op.f("fk_agencies_parent_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencies_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fields")),
        sa.UniqueConstraint("code", name=op.f("uq_fields_code")),
    )
    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("levels", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("applicants", sa.Text(), nullable=False),
        sa.Column("legal_days", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("committed_days", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column(
            "fees",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column(
            "legal_basis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("online_level", sa.String(length=16), nullable=False),
        sa.Column("postal_allowed", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"], ["fields.id"], name=op.f("fk_procedures_field_id_fields")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
        sa.UniqueConstraint("code", name=op.f("uq_procedures_code")),
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedures_field_id"), ["field_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_procedures_name_folded"), ["name_folded"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_procedures_published"), ["published"], unique=False)

    op.create_table(
        "procedure_agencies",
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_procedure_agencies_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_procedure_agencies_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("procedure_id", "agency_id", name=op.f("pk_procedure_agencies")),
    )
    with op.batch_alter_table("procedure_agencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_agencies_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "procedure_search_words",
        sa.Column(
            "word",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_procedure_search_words_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("word", "procedure_id", name=op.f("pk_procedure_search_words")),
    )
    with op.batch_alter_table("procedure_search_words", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_search_words_procedure_id"), ["procedure_id"], unique=False
        )

    op.create_table(
        "procedure_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "documents",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "form",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_procedure_versions_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_versions")),
        sa.UniqueConstraint(
            "procedure_id", "number", name=op.f("uq_procedure_versions_procedure_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("procedure_versions")
    with op.batch_alter_table("procedure_search_words", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_search_words_procedure_id"))

    op.drop_table("procedure_search_words")
    with op.batch_alter_table("procedure_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_agencies_agency_id"))

    op.drop_table("procedure_agencies")
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedures_published"))
        batch_op.drop_index(batch_op.f("ix_procedures_name_folded"))
        batch_op.drop_index(batch_op.f("ix_procedures_field_id"))

    op.drop_table("procedures")
    op.drop_table("fields")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencies_parent_id"))

    op.drop_table("agencies")
