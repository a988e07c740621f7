"""The errors of documents and signing, each with a stable code and messages in Vietnamese and
English."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound, PortalError


class DocumentNotFound(NotFound):
    code = "document_not_found"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"Không tìm thấy văn bản {reference}.", message_en=f"No document {reference}."
        )


class NoSigningKey(Conflict):
    code = "no_signing_key"

    def __init__(self) -> None:
        super().__init__(
            "Cơ quan chưa có chứng thư số để ký văn bản.",
            message_en="The agency has no signing certificate.",
        )


class SigningKeyUnreadable(PortalError):
    """The stored key cannot be decrypted: the portal's secret key changed since it was made."""

    status = 500
    code = "signing_key_unreadable"
    title_vi = "Lỗi cấu hình ký số"
    title_en = "Signing is misconfigured"

    def __init__(self) -> None:
        super().__init__(
            "Không giải mã được khóa ký số của cơ quan: khóa bí mật của cổng đã thay đổi"
            " kể từ khi tạo khóa ký số.",
            message_en="The agency's signing key cannot be decrypted: the portal's secret key"
            " has changed since the signing key was made.",
        )


class InvalidPdf(InvalidInput):
    code = "invalid_pdf"

    def __init__(self) -> None:
        super().__init__(
            "Tệp không phải là tệp PDF hợp lệ.", message_en="The file is not a valid PDF."
        )
