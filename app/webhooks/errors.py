"""Errors of callbacks, each with its status and stable code."""

from __future__ import annotations

from app.errors import InvalidInput, NotFound, PortalError, Problem


class SubscriptionInvalid(InvalidInput):
    """What a subscription was given is wrong; every problem is listed by field."""

    code = "subscription_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "Thông tin đăng ký nhận sự kiện chưa đúng: hãy sửa các mục được nêu.",
            message_en="The subscription's details are wrong: correct the items listed.",
            problems=problems,
        )


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"

    def __init__(self) -> None:
        super().__init__(
            "Không tìm thấy đăng ký nhận sự kiện này.",
            message_en="No such webhook subscription.",
        )


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"

    def __init__(self) -> None:
        super().__init__(
            "Không tìm thấy lần gửi sự kiện này.", message_en="No such webhook delivery."
        )


class VersionMismatch(PortalError):
    """If-Match named another version than the subscription's present one."""

    status = 412
    code = "precondition_failed"
    title_vi = "Điều kiện không thỏa mãn"
    title_en = "Precondition failed"

    def __init__(self) -> None:
        super().__init__(
            "Đăng ký đã được thay đổi kể từ lần bạn đọc. Hãy đọc lại rồi thử lại.",
            message_en="The subscription changed since you read it. Read it again and retry.",
        )


class NoOwner(PortalError):
    """The caller is neither an enterprise nor an agency."""

    status = 403
    code = "no_owner"
    title_vi = "Không được phép"
    title_en = "Forbidden"

    def __init__(self) -> None:
        super().__init__(
            "Chỉ doanh nghiệp hoặc cơ quan mới đăng ký nhận sự kiện.",
            message_en="Only an enterprise or an agency may subscribe to events.",
        )
