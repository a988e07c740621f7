"""Errors of ratings, feedback and verification, each with a stable code and messages in
Vietnamese and English."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound, PortalError, Problem


class NotReturnedYet(Conflict):
    """A dossier is rated once its result was returned (status 10), not before."""

    code = "not_returned_yet"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Hồ sơ {code} chưa được trả kết quả: chỉ đánh giá được sau khi nhận kết quả.",
            message_en=f"Dossier {code} has not had its result returned yet: it can be rated"
            " only once the result was returned.",
        )


class AlreadyRated(Conflict):
    code = "already_rated"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Hồ sơ {code} đã được đánh giá: mỗi hồ sơ chỉ đánh giá một lần.",
            message_en=f"Dossier {code} has been rated already: a dossier is rated once.",
        )


class NotTheApplicant(NotFound):
    """The one-stop desk does not rate its own service, nor complain about it on someone's
    behalf: only the applicant does."""

    code = "dossier_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"Không tìm thấy hồ sơ {code}.", message_en=f"No dossier {code}.")


class FeedbackInvalid(InvalidInput):
    """What was sent is wrong; every problem is listed by field."""

    code = "feedback_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "Phản ánh, kiến nghị chưa đúng: hãy sửa các mục được nêu.",
            message_en="The feedback is not right: correct the items listed.",
            problems=problems,
        )


class FeedbackNotFound(NotFound):
    code = "feedback_not_found"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"Không tìm thấy phản ánh, kiến nghị {reference}.",
            message_en=f"No feedback {reference}.",
        )


class AlreadyAnswered(Conflict):
    code = "already_answered"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"Phản ánh, kiến nghị {reference} đã được trả lời.",
            message_en=f"Feedback {reference} has been answered already.",
        )


class NoAgency(PortalError):
    """The caller is not an official or an agency's key: there is no inbox to show."""

    status = 403
    code = "no_agency"
    title_vi = "Không được phép"
    title_en = "Forbidden"

    def __init__(self) -> None:
        super().__init__(
            "Chỉ cán bộ hoặc khóa API của cơ quan mới xem và trả lời phản ánh, kiến nghị.",
            message_en="Only officials and agency keys see and answer feedback.",
        )


class VerifyInvalid(InvalidInput):
    """Nothing to verify, or something that is not a PDF or a dossier code."""

    code = "verify_invalid"

    def __init__(self, location: str, message: str, message_en: str) -> None:
        super().__init__(
            message, message_en=message_en, problems=[Problem(location, message, message_en)]
        )


class VerifyTooLarge(PortalError):
    status = 413
    code = "file_too_large"
    title_vi = "Tệp quá lớn"
    title_en = "File too large"

    def __init__(self, limit_mb: int) -> None:
        message = f"Tệp lớn hơn {limit_mb} MB: không xác minh được."
        message_en = f"The file is larger than {limit_mb} MB: it cannot be verified."
        super().__init__(
            message, message_en=message_en, problems=[Problem("file", message, message_en)]
        )


class TooManyVerifications(PortalError):
    status = 429
    code = "too_many_verifications"
    title_vi = "Xác minh quá nhiều lần"
    title_en = "Too many verifications"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Bạn đã xác minh quá nhiều lần. Vui lòng thử lại sau ít phút.",
            message_en="Too many verifications. Please try again in a few minutes.",
        )
        self.headers["Retry-After"] = str(retry_after)
