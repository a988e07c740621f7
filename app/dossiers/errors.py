"""The errors of dossiers, each with a stable code and messages in Vietnamese and English."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound, PortalError, Problem


class DossierNotFound(NotFound):
    code = "dossier_not_found"

    def __init__(self, reference: str) -> None:
        # The same answer for a dossier that does not exist and one of someone else.
        super().__init__(
            f"Không tìm thấy hồ sơ {reference}.", message_en=f"No dossier {reference}."
        )


class FileNotFound(NotFound):
    code = "file_not_found"

    def __init__(self) -> None:
        super().__init__("Không tìm thấy tệp.", message_en="No such file.")


class NotADraft(Conflict):
    code = "dossier_submitted"

    def __init__(self, code: str | None) -> None:
        super().__init__(
            f"Hồ sơ {code} đã nộp: không thể sửa, thêm tệp hay nộp lại.",
            message_en=f"Dossier {code} has been submitted: it can no longer be changed.",
        )


class NotAtTheDesk(PortalError):
    status = 403
    code = "not_a_receiver"
    title_vi = "Không có quyền"
    title_en = "Not allowed"

    def __init__(self) -> None:
        super().__init__(
            "Chỉ cán bộ tiếp nhận của bộ phận một cửa mới nhập hồ sơ tại quầy.",
            message_en="Only the receivers of the one-stop desk file dossiers at the desk.",
        )


class NotAwaitingSupplement(Conflict):
    code = "no_supplement_requested"

    def __init__(self, code: str | None) -> None:
        super().__init__(
            f"Hồ sơ {code} không chờ bổ sung: không thể sửa hay nộp bổ sung.",
            message_en=f"Dossier {code} is not waiting for a supplement: it cannot be changed"
            " or resubmitted.",
        )


class DossierInvalid(InvalidInput):
    """The data, the files or the delivery choice are wrong; ``problems`` name each place."""

    code = "dossier_invalid"


class FileRefused(InvalidInput):
    code = "file_refused"

    def __init__(self, slot: str, message: str, message_en: str) -> None:
        super().__init__(
            message, message_en=message_en, problems=[Problem(slot, message, message_en)]
        )


class FileTooLarge(PortalError):
    status = 413
    code = "file_too_large"
    title_vi = "Tệp quá lớn"
    title_en = "File too large"

    def __init__(self, slot: str, limit: int) -> None:
        mib = f"{limit / 1024 / 1024:.0f}"
        message = f"Tệp vượt quá giới hạn {mib} MB cho phép."
        message_en = f"The file is larger than the {mib} MB allowed."
        super().__init__(
            message, message_en=message_en, problems=[Problem(slot, message, message_en)]
        )


class FileInfected(FileRefused):
    code = "file_infected"


class ScanUnavailable(PortalError):
    status = 503
    code = "virus_scan_unavailable"
    title_vi = "Chưa kiểm tra được tệp"
    title_en = "File check unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Chưa kiểm tra được virus cho tệp. Vui lòng thử lại sau ít phút.",
            message_en="The file could not be scanned for viruses. Please try again shortly.",
        )


class CannotWithdraw(Conflict):
    code = "cannot_withdraw"

    def __init__(self, code: str | None) -> None:
        super().__init__(
            f"Hồ sơ {code} đã có kết quả hoặc đã dừng: không thể rút.",
            message_en=f"Dossier {code} has a result or has stopped: it cannot be withdrawn.",
        )


class LookupFailed(NotFound):
    code = "lookup_failed"

    def __init__(self) -> None:
        # One answer whether the code or the verifier is wrong: the lookup reveals nothing.
        super().__init__(
            "Không tìm thấy hồ sơ với mã và 4 số cuối đã nhập.",
            message_en="No dossier matches this code and these last 4 digits.",
        )


class TooManyLookups(PortalError):
    status = 429
    code = "too_many_lookups"
    title_vi = "Tra cứu quá nhiều lần"
    title_en = "Too many lookups"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.",
            message_en="Too many lookups. Please try again in a few minutes.",
        )
        self.headers["Retry-After"] = str(retry_after)
