"""Errors the portal raises on purpose: each carries an HTTP-like status and a stable code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One located problem inside a larger input (a field, a line of a catalog file)."""

    location: str
    message: str
    message_en: str = ""


class PortalError(Exception):
    """Base of every expected error; the faces render it (problem+json or an error page)."""

    status: int = 400
    code: str = "bad_request"
    title_vi: str = "Yêu cầu không hợp lệ"
    title_en: str = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        message_en: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.problems = problems or []
        # Protocol headers the HTTP face adds to the response (such as WWW-Authenticate).
        self.headers: dict[str, str] = {}


class NotFound(PortalError):
    status = 404
    code = "not_found"
    title_vi = "Không tìm thấy"
    title_en = "Not found"


class InvalidInput(PortalError):
    status = 422
    code = "invalid_input"
    title_vi = "Dữ liệu không hợp lệ"
    title_en = "Invalid input"


class InvalidPageCursor(InvalidInput):
    """A page cursor the list never gave: cut, altered, or another list's."""

    def __init__(self) -> None:
        message = "Con trỏ trang không hợp lệ: hãy bắt đầu lại từ trang đầu."
        message_en = "Invalid page cursor: start again from the first page."
        super().__init__(
            message,
            message_en=message_en,
            problems=[Problem("query.cursor", message, message_en)],
        )


class Conflict(PortalError):
    status = 409
    code = "conflict"
    title_vi = "Xung đột dữ liệu"
    title_en = "Conflict"


class ChangedMeanwhile(Conflict):
    code = "changed_meanwhile"

    def __init__(self) -> None:
        super().__init__(
            "Dữ liệu vừa được thay đổi bởi một yêu cầu khác. Vui lòng tải lại và thử lại.",
            message_en="The data was changed by another request meanwhile. Reload and try again.",
        )


@dataclass
class ProblemList:
    """Collects problems so a whole input is checked before anything is refused."""

    items: list[Problem] = field(default_factory=list)

    def add(self, location: str, message: str, message_en: str = "") -> None:
        self.items.append(Problem(location, message, message_en))

    def __bool__(self) -> bool:
        return bool(self.items)
