"""Fees paid online, ratings and feedback, the applicants' document store

Payments of dossiers with the gateway's notices, refunds and daily reconciliation reports, and
the books of the embedded sandbox gateway; the procedure's payment stage; ratings of returned
dossiers and feedback routed to agencies; the applicants' stored documents, and where each
dossier file came from (uploaded, digitised at the desk, reused from the store).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 08:28:33.677735
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("portal_count", sa.Integer(), nullable=False),
        sa.Column("portal_amount", sa.BigInteger(), nullable=False),
        sa.Column("gateway_count", sa.Integer(), nullable=False),
        sa.Column("gateway_amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "mismatches",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_reports")),
        sa.UniqueConstraint("day", "gateway", name=op.f("uq_reconciliation_reports_day")),
    )
    op.create_table(
        "sandbox_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant", sa.String(length=32), nullable=False),
        sa.Column("txn_ref", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("order_info", sa.String(length=255), nullable=False),
        sa.Column("return_url", sa.String(length=2000), nullable=False),
        sa.Column("locale", sa.String(length=2), nullable=False),
        sa.Column("bank_code", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("transaction_no", sa.String(length=32), nullable=True),
        sa.Column("response_code", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("create_date", sa.String(length=14), nullable=False),
        sa.Column("pay_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ipn_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_transactions")),
        sa.UniqueConstraint("merchant", "txn_ref", name=op.f("uq_sandbox_transactions_merchant")),
        sa.UniqueConstraint("transaction_no", name=op.f("uq_sandbox_transactions_transaction_no")),
    )
    op.create_table(
        "dossier_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dossier_ratings_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_ratings_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_ratings")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_dossier_ratings_dossier_id")),
    )
    with op.batch_alter_table("dossier_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_ratings_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("sender_name", sa.String(length=255), nullable=False),
        sa.Column("sender_email", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_name", sa.String(length=255), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_feedback_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_feedback_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["accounts.id"],
            name=op.f("fk_feedback_answered_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_feedback_dossier_id_dossiers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedures.id"], name=op.f("fk_feedback_procedure_id_procedures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("reference", name=op.f("uq_feedback_reference")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_account_id_created_at", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_agency_id_state_due_at", ["agency_id", "state", "due_at"], unique=False
        )
        batch_op.create_index("ix_feedback_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_dossier_id"), ["dossier_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("order_info", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_transaction_no", sa.String(length=64), nullable=True),
        sa.Column("bank_code", sa.String(length=32), nullable=True),
        sa.Column("response_code", sa.String(length=8), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("receipt_document_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_payments_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_payments_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_payments_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_document_id"],
            ["dossier_documents.id"],
            name=op.f("fk_payments_receipt_document_id_dossier_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index("ix_payments_paid_at", ["paid_at"], unique=False)
        batch_op.create_index(
            "ix_payments_state_next_check_at", ["state", "next_check_at"], unique=False
        )

    op.create_table(
        "stored_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("slot", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("dossier_file_id", sa.Integer(), nullable=True),
        sa.Column("dossier_document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_stored_documents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_document_id"],
            ["dossier_documents.id"],
            name=op.f("fk_stored_documents_dossier_document_id_dossier_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_file_id"],
            ["dossier_files.id"],
            name=op.f("fk_stored_documents_dossier_file_id_dossier_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_stored_documents_dossier_id_dossiers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_stored_documents_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_documents")),
        sa.UniqueConstraint("reference", name=op.f("uq_stored_documents_reference")),
    )
    with op.batch_alter_table("stored_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stored_documents_account_id_created_at", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stored_documents_dossier_id"), ["dossier_id"], unique=False
        )
        batch_op.create_index(
            "ix_stored_documents_enterprise_id_created_at",
            ["enterprise_id", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_stored_documents_sha256", ["sha256"], unique=False)

    op.create_table(
        "payment_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_notices_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notices")),
    )
    with op.batch_alter_table("payment_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_notices_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "payment_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_transaction_no", sa.String(length=64), nullable=True),
        sa.Column("response_code", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refunds")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_refunds_reference")),
    )
    with op.batch_alter_table("payment_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_refunds_payment_id"), ["payment_id"], unique=False
        )

    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="upload", nullable=False)
        )
        batch_op.add_column(sa.Column("stored_document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_dossier_files_stored_document_id_stored_documents"),
            "stored_documents",
            ["stored_document_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_stage", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_column("payment_stage")

    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dossier_files_stored_document_id_stored_documents"), type_="foreignkey"
        )
        batch_op.drop_column("stored_document_id")
        batch_op.drop_column("origin")

    with op.batch_alter_table("payment_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_refunds_payment_id"))

    op.drop_table("payment_refunds")
    with op.batch_alter_table("payment_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notices_payment_id"))

    op.drop_table("payment_notices")
    with op.batch_alter_table("stored_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_stored_documents_sha256")
        batch_op.drop_index("ix_stored_documents_enterprise_id_created_at")
        batch_op.drop_index(batch_op.f("ix_stored_documents_dossier_id"))
        batch_op.drop_index("ix_stored_documents_account_id_created_at")

    op.drop_table("stored_documents")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_state_next_check_at")
        batch_op.drop_index("ix_payments_paid_at")
        batch_op.drop_index(batch_op.f("ix_payments_dossier_id"))
        batch_op.drop_index(batch_op.f("ix_payments_agency_id"))

    op.drop_table("payments")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_dossier_id"))
        batch_op.drop_index("ix_feedback_created_at")
        batch_op.drop_index("ix_feedback_agency_id_state_due_at")
        batch_op.drop_index("ix_feedback_account_id_created_at")

    op.drop_table("feedback")
    with op.batch_alter_table("dossier_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_ratings_created_at"))

    op.drop_table("dossier_ratings")
    op.drop_table("sandbox_transactions")
    op.drop_table("reconciliation_reports")
