"""Processing: officials and units, workflows, routing slip, calendar, documents, audit

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 02:36:01.213887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seeded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_signing_keys_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_units_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("agency_id", "code", name=op.f("uq_units_agency_id")),
    )
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("to_agency_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_agency_id"],
            ["agencies.id"],
            name=op.f("fk_delegations_from_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_delegations_procedure_id_procedures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_agency_id"],
            ["agencies.id"],
            name=op.f("fk_delegations_to_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"],
            ["units.id"],
            name=op.f("fk_delegations_to_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delegations_from_agency_id"), ["from_agency_id"], unique=False
        )

    op.create_table(
        "officials",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_officials_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_officials_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_officials_unit_id_units"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_officials")),
    )
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officials_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_officials_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("actor_name", sa.String(length=255), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("dossier_code", sa.String(length=40), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_audit_records_dossier_id_dossiers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_records_hash")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index("ix_audit_records_dossier_id_id", ["dossier_id", "id"], unique=False)

    op.create_table(
        "dossier_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=8), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_documents_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_documents")),
        sa.UniqueConstraint("reference", name=op.f("uq_dossier_documents_reference")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_dossier_documents_storage_key")),
    )
    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_documents_dossier_id"), ["dossier_id"], unique=False
        )

    op.create_table(
        "dossier_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("handed_over_by", sa.String(length=255), nullable=False),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=24), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_dossier_steps_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["accounts.id"],
            name=op.f("fk_dossier_steps_assignee_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_steps_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_dossier_steps_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_steps")),
    )
    with op.batch_alter_table("dossier_steps", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_steps_dossier_id_id", ["dossier_id", "id"], unique=False)

    op.create_table(
        "supplement_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("due_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resubmitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_supplement_requests_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplement_requests")),
    )
    with op.batch_alter_table("supplement_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplement_requests_dossier_id"), ["dossier_id"], unique=False
        )

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch_op.alter_column("enterprise_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_api_keys_agency_id"), ["agency_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_agency_id_agencies"),
            "agencies",
            ["agency_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("clock_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("original_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("supplement_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("apology_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("apology_late", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("deadline_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("step_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("handling_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("handling_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("return_method", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("postal_tracking", sa.String(length=50), nullable=True))
        batch_op.create_index(
            "ix_dossiers_queue_agency",
            ["handling_agency_id", "status", "due_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_dossiers_queue_assignee", ["assignee_id", "status", "due_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_dossiers_queue_unit", ["handling_unit_id", "status", "due_at", "id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dossiers_assignee_id_accounts"),
            "accounts",
            ["assignee_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dossiers_handling_agency_id_agencies"),
            "agencies",
            ["handling_agency_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dossiers_step_id_dossier_steps"),
            "dossier_steps",
            ["step_id"],
            ["id"],
            ondelete="SET NULL",
            use_alter=True,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dossiers_handling_unit_id_units"), "units", ["handling_unit_id"], ["id"]
        )

    with op.batch_alter_table("procedure_versions", schema=None) as batch_op:
        # Versions written before workflows existed follow the default workflow.
        batch_op.add_column(
            sa.Column(
                "workflow",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("procedure_versions", schema=None) as batch_op:
        batch_op.drop_column("workflow")

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dossiers_handling_unit_id_units"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_dossiers_step_id_dossier_steps"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_dossiers_handling_agency_id_agencies"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_dossiers_assignee_id_accounts"), type_="foreignkey")
        batch_op.drop_index("ix_dossiers_queue_unit")
        batch_op.drop_index("ix_dossiers_queue_assignee")
        batch_op.drop_index("ix_dossiers_queue_agency")
        batch_op.drop_column("postal_tracking")
        batch_op.drop_column("return_method")
        batch_op.drop_column("decision")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("handling_unit_id")
        batch_op.drop_column("handling_agency_id")
        batch_op.drop_column("step_id")
        batch_op.drop_column("deadline_state")
        batch_op.drop_column("apology_late")
        batch_op.drop_column("apology_at")
        batch_op.drop_column("supplement_count")
        batch_op.drop_column("returned_at")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("original_due_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("clock_started_at")
        batch_op.drop_column("received_at")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_keys_agency_id_agencies"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_api_keys_agency_id"))
        batch_op.alter_column("enterprise_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("agency_id")

    with op.batch_alter_table("supplement_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplement_requests_dossier_id"))

    op.drop_table("supplement_requests")
    with op.batch_alter_table("dossier_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_steps_dossier_id_id")

    op.drop_table("dossier_steps")
    with op.batch_alter_table("dossier_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_documents_dossier_id"))

    op.drop_table("dossier_documents")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_records_dossier_id_id")

    op.drop_table("audit_records")
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officials_unit_id"))
        batch_op.drop_index(batch_op.f("ix_officials_agency_id"))

    op.drop_table("officials")
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delegations_from_agency_id"))

    op.drop_table("delegations")
    op.drop_table("units")
    op.drop_table("signing_keys")
    op.drop_table("calendar_years")
    op.drop_table("calendar_days")
