"""The errors of the document store, each with a stable code and messages in Vietnamese and
English."""

from __future__ import annotations

from app.errors import NotFound


class StoredDocumentNotFound(NotFound):
    code = "stored_document_not_found"

    def __init__(self, reference: str) -> None:
        # The same answer for a document that does not exist, was deleted, or is another's.
        super().__init__(
            f"Không tìm thấy tài liệu {reference} trong kho dữ liệu của bạn.",
            message_en=f"No document {reference} in your document store.",
        )
