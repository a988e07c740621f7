"""Audit trail append-only

No foreign key that would rewrite its rows, and on PostgreSQL a trigger refusing UPDATE,
DELETE and TRUNCATE.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 02:49:45.306102
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_records_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_records is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'The audit trail can only be added to.';
END
$$;
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_records_dossier_id_dossiers"), type_="foreignkey"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records"
            " FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_records_no_truncate ON audit_records")
        op.execute("DROP TRIGGER audit_records_append_only ON audit_records")
        op.execute("DROP FUNCTION audit_records_append_only()")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_records_dossier_id_dossiers"),
            "dossiers",
            ["dossier_id"],
            ["id"],
            ondelete="SET NULL",
        )
