"""The errors of accounts, each with a stable code and messages in Vietnamese and English."""

from __future__ import annotations

from datetime import datetime

from app.accounts.schemas import RateWindow
from app.errors import Conflict, InvalidInput, NotFound, PortalError, Problem


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


class TooManyResetRequests(TooManyAttempts):
    code = "too_many_reset_requests"

    def __init__(self, retry_at: datetime, retry_after_seconds: int) -> None:
        super().__init__(retry_at, retry_after_seconds)
        minutes = max(1, -(-retry_after_seconds // 60))
        plural = "s" if minutes != 1 else ""
        self.message = (
            f"Đã có quá nhiều yêu cầu đặt lại mật khẩu. Vui lòng thử lại sau {minutes} phút."
        )
        self.message_en = (
            f"There have been too many password reset requests. "
            f"Please try again in {minutes} minute{plural}."
        )
        self.problems = [
            Problem(
                "email",
                f"Quá nhiều yêu cầu đặt lại mật khẩu; vui lòng thử lại sau {minutes} phút",
                f"Too many password reset requests; try again in {minutes} minute{plural}",
            )
        ]


class PasswordInvalid(InvalidInput):
    """The new password breaks the rules of sign-up; ``problems`` say how."""


class ResetLinkInvalid(PortalError):
    status = 410
    code = "reset_link_invalid"
    title_vi = "Liên kết không còn dùng được"
    title_en = "Link no longer valid"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        vi, en = {
            "used": (
                "Liên kết đặt lại mật khẩu này đã được dùng.",
                "This password reset link has already been used.",
            ),
            "expired": (
                "Liên kết đặt lại mật khẩu này đã hết hạn.",
                "This password reset link has expired.",
            ),
        }.get(
            reason,
            (
                "Liên kết đặt lại mật khẩu này không hợp lệ.",
                "This password reset link is not valid.",
            ),
        )
        super().__init__(
            f"{vi} Vui lòng yêu cầu một liên kết mới.",
            message_en=f"{en} Please ask for a new one.",
        )


class ApiKeyInvalid(InvalidInput):
    """The name or the scopes of a new API key are wrong; ``problems`` name them."""


class OfficialInvalid(InvalidInput):
    """Some fields of an official's form are wrong; ``problems`` name them."""


class UnitInvalid(InvalidInput):
    """The code or the name of a new unit is wrong; ``problems`` say how."""


class OfficialNotFound(NotFound):
    code = "official_not_found"

    def __init__(self) -> None:
        super().__init__("Không tìm thấy cán bộ này.", message_en="There is no such official.")


class AgencyNotFound(NotFound):
    code = "agency_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Không có cơ quan nào có mã {code!r}.",
            message_en=f"There is no agency with the code {code!r}.",
        )


class EnterpriseNotFound(NotFound):
    code = "enterprise_not_found"

    def __init__(self, tax_code: str) -> None:
        super().__init__(
            f"Không có doanh nghiệp nào có mã số thuế {tax_code!r}.",
            message_en=f"There is no enterprise with the tax code {tax_code!r}.",
        )


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"

    def __init__(self, prefix: str) -> None:
        super().__init__(
            f"Không có khoá API nào có tiền tố {prefix!r}.",
            message_en=f"There is no API key with the prefix {prefix!r}.",
        )


class Unauthorized(PortalError):
    """No usable API key: missing, malformed, unknown or revoked (one answer for all)."""

    status = 401
    code = "unauthorized"
    title_vi = "Chưa xác thực"
    title_en = "Unauthorized"

    def __init__(self) -> None:
        super().__init__(
            "Cần một khoá API hợp lệ trong tiêu đề Authorization: Bearer <khoá>.",
            message_en="A valid API key is needed in the header Authorization: Bearer <key>.",
        )
        self.headers = {"WWW-Authenticate": 'Bearer realm="motcua"'}


class ApiKeyExpired(Unauthorized):
    """A key whose expiry has passed: said apart from other refusals, since only the holder
    of the key, which matched, learns it, and the remedy (a new key) differs."""

    code = "api_key_expired"

    def __init__(self, expired_at: datetime) -> None:
        super().__init__()
        when = expired_at.strftime("%Y-%m-%d %H:%M UTC")
        self.expired_at = expired_at
        self.message = (
            f"Khoá API này đã hết hạn lúc {when}. Vui lòng dùng một khoá API mới do "
            "quản trị viên của bạn cấp."
        )
        self.message_en = (
            f"This API key expired at {when}. Use a new API key from your administrator."
        )
        # RFC 6750 §3.1: invalid_token covers an expired one.
        self.headers = {
            "WWW-Authenticate": 'Bearer realm="motcua", error="invalid_token", '
            'error_description="The API key expired"'
        }


class RateLimited(PortalError):
    """More requests with one key in a minute than its limit."""

    status = 429
    code = "rate_limited"
    title_vi = "Quá nhiều yêu cầu"
    title_en = "Too many requests"

    def __init__(self, window: RateWindow, now: datetime) -> None:
        seconds = window.seconds_left(now)
        super().__init__(
            f"Khoá API này đã dùng hết {window.limit} yêu cầu mỗi phút. "
            f"Vui lòng thử lại sau {seconds} giây.",
            message_en=f"This API key has used its {window.limit} requests a minute. "
            f"Try again in {seconds} second{'s' if seconds != 1 else ''}.",
        )
        self.window = window
        self.headers = {"Retry-After": str(seconds), **window.headers(now)}


class InsufficientScope(PortalError):
    status = 403
    code = "insufficient_scope"
    title_vi = "Không đủ quyền"
    title_en = "Insufficient scope"

    def __init__(self, missing: list[str]) -> None:
        needed = " ".join(missing)
        super().__init__(
            f"Khoá API này không có quyền {needed}.",
            message_en=f"This API key does not have the scope {needed}.",
        )
        # RFC 6750 §3.1: the scope the request needs, for the client to show.
        self.headers = {
            "WWW-Authenticate": f'Bearer realm="motcua", error="insufficient_scope", '
            f'scope="{needed}"'
        }


class EnterpriseKeyRequired(InsufficientScope):
    """An agency's key where only an enterprise's can act: what the one may do is never what
    the other may, so it is refused as a key without the needed scope."""

    def __init__(self) -> None:
        super().__init__([])
        self.message = (
            "Đây là khoá API của một cơ quan; chỉ khoá API của doanh nghiệp dùng được ở đây."
        )
        self.message_en = "This is an agency's API key; only an enterprise's API key works here."
        self.headers = {"WWW-Authenticate": 'Bearer realm="motcua", error="insufficient_scope"'}
