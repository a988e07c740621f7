"""The errors of idempotency keys: stable codes, messages in Vietnamese and English."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, PortalError, Problem

HEADER = "Idempotency-Key"


class IdempotencyKeyInvalid(PortalError):
    status = 400
    code = "idempotency_key_invalid"

    def __init__(self, max_length: int) -> None:
        message = f"Idempotency-Key phải có từ 1 đến {max_length} ký tự in được (ASCII)."
        message_en = f"Idempotency-Key must be 1 to {max_length} printable ASCII characters."
        super().__init__(
            message, message_en=message_en, problems=[Problem(HEADER, message, message_en)]
        )


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        message = (
            "Idempotency-Key này đã được dùng cho một yêu cầu khác:"
            " hãy dùng một khoá mới cho mỗi yêu cầu mới."
        )
        message_en = (
            "This Idempotency-Key was used for another request: use a new key for each new request."
        )
        super().__init__(
            message, message_en=message_en, problems=[Problem(HEADER, message, message_en)]
        )


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"

    def __init__(self) -> None:
        super().__init__(
            "Một yêu cầu khác với cùng Idempotency-Key đang được xử lý. Vui lòng thử lại sau"
            " giây lát.",
            message_en="Another request with the same Idempotency-Key is being processed."
            " Please retry shortly.",
        )
        self.headers["Retry-After"] = "1"
