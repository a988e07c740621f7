"""Indexes the statistics read through (Decision 766 indicators), kept beside the tables they
serve so the statistics can change them without touching each aggregate's file.

Measured with bench/stats.py on a million dossiers: a report reads the dossiers received and
those finished in a period each through one index range holding every column it counts
(PostgreSQL reads only the index), and the facts other tables hold (paid online, digitised,
signed result) through partial indexes of just those rows, already in dossier order.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from app.models.dossiers import Dossier, DossierFile
from app.models.payments import Payment
from app.models.processing import DossierDocument

Index(
    "ix_dossiers_stats_received",
    Dossier.received_at,
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
    postgresql_where=text("received_at IS NOT NULL"),
    sqlite_where=text("received_at IS NOT NULL"),
)
Index(
    "ix_dossiers_stats_finished",
    Dossier.finished_at,
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
    postgresql_where=text("finished_at IS NOT NULL"),
    sqlite_where=text("finished_at IS NOT NULL"),
)
Index(
    "ix_dossier_files_digitised",
    DossierFile.dossier_id,
    postgresql_where=text("origin IN ('scan', 'reuse')"),
    sqlite_where=text("origin IN ('scan', 'reuse')"),
)
Index(
    "ix_dossier_documents_signed_result",
    DossierDocument.dossier_id,
    postgresql_where=text("form = 'result' AND signed"),
    sqlite_where=text("form = 'result' AND signed"),
)
Index(
    "ix_payments_paid_online",
    Payment.dossier_id,
    postgresql_where=text("state IN ('paid', 'refunded', 'partially_refunded')"),
    sqlite_where=text("state IN ('paid', 'refunded', 'partially_refunded')"),
)
