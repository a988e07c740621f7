"""The errors of accounts, each with a stable code and messages in Vietnamese and English."""

from __future__ import annotations

from datetime import datetime

from app.errors import Conflict, InvalidInput, PortalError, Problem


class SignUpInvalid(InvalidInput):
    """Some fields of a sign-up form are wrong; ``problems`` name them."""


class AlreadyRegistered(Conflict):
    code = "already_registered"


class SignInFailed(PortalError):
    status = 401
    code = "sign_in_failed"
    title_vi = "Đăng nhập không thành công"
    title_en = "Sign-in failed"

    def __init__(self) -> None:
        # The same words for an unknown email and a wrong password: no one learns who has an
        # account here.
        super().__init__(
            "Địa chỉ thư điện tử hoặc mật khẩu không đúng.",
            message_en="The email address or the password is not correct.",
            problems=[
                Problem(
                    "email",
                    "Địa chỉ thư điện tử hoặc mật khẩu không đúng",
                    "The email address or the password is not correct",
                )
            ],
        )


class TooManyAttempts(PortalError):
    status = 429
    code = "too_many_attempts"
    title_vi = "Quá nhiều lần thử"
    title_en = "Too many attempts"

    def __init__(self, retry_at: datetime, retry_after_seconds: int) -> None:
        self.retry_at = retry_at
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, -(-retry_after_seconds // 60))
        super().__init__(
            f"Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
            message_en=(
                "There have been too many failed sign-in attempts. "
                f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
            ),
            problems=[
                Problem(
                    "email",
                    f"Đăng nhập sai quá nhiều lần; vui lòng thử lại sau {minutes} phút",
                    f"Too many failed attempts; try again in {minutes} "
                    f"minute{'s' if minutes != 1 else ''}",
                )
            ],
        )
