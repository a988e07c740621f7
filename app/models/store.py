"""The applicant's document store (kho dữ liệu): every file they submitted and every result
issued to them, which a new dossier can reuse instead of an upload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.clock import utcnow
from app.models.base import Base


class StoredKind(StrEnum):
    upload = "upload"
    result = "result"


class StoredDocument(Base):
    """One document of an account's (or an enterprise's) store. It points at the object of the
    dossier file or issued document it came from, which the dossier keeps as long as the law
    asks; deleting it from the store only takes it out of the store."""

    __tablename__ = "stored_documents"
    __table_args__ = (
        Index("ix_stored_documents_account_id_created_at", "account_id", "created_at"),
        Index("ix_stored_documents_enterprise_id_created_at", "enterprise_id", "created_at"),
        Index("ix_stored_documents_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    # The slot or document it filled, so a new dossier can offer it for the same kind of slot.
    label: Mapped[str] = mapped_column(String(255), default="")
    slot: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="SET NULL"), index=True
    )
    dossier_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier_files.id", ondelete="SET NULL")
    )
    dossier_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier_documents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
