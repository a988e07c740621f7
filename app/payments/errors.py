"""Errors of payments, each with its status and stable code."""

from __future__ import annotations

from app.errors import Conflict, InvalidInput, NotFound, PortalError, Problem


class PaymentsOff(Conflict):
    """No gateway is configured (production without MOTCUA_PAYMENT_GATEWAY)."""

    code = "payments_off"

    def __init__(self) -> None:
        super().__init__(
            "Cổng chưa nhận thanh toán trực tuyến: hãy nộp phí tại Bộ phận Một cửa.",
            message_en="The portal does not take payments online yet: pay at the one-stop desk.",
        )


class GatewayUnavailable(PortalError):
    """The gateway did not answer, or not in a way that could be read."""

    status = 502
    code = "gateway_unavailable"
    title_vi = "Cổng thanh toán không phản hồi"
    title_en = "Payment gateway unavailable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Cổng thanh toán chưa phản hồi. Hãy thử lại sau ít phút.",
            message_en="The payment gateway did not answer. Try again in a few minutes.",
        )
        self.detail = detail


class NothingToPay(Conflict):
    code = "nothing_to_pay"

    def __init__(self) -> None:
        super().__init__(
            "Hồ sơ không có khoản phí, lệ phí nào cần nộp trực tuyến lúc này.",
            message_en="The dossier has no fees to pay online now.",
        )


class PaymentNotFound(NotFound):
    code = "payment_not_found"

    def __init__(self) -> None:
        super().__init__("Không tìm thấy giao dịch thanh toán này.", message_en="No such payment.")


class CannotRefund(Conflict):
    code = "cannot_refund"

    def __init__(self) -> None:
        super().__init__(
            "Chỉ hoàn tiền được cho giao dịch đã thanh toán và còn số tiền chưa hoàn.",
            message_en="Only a paid payment with an amount not yet refunded can be refunded.",
        )


class RefundInvalid(InvalidInput):
    code = "refund_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "Yêu cầu hoàn tiền chưa đúng: hãy sửa các mục được nêu.",
            message_en="The refund is not right: correct the items listed.",
            problems=problems,
        )


class RefundRefused(PortalError):
    """The gateway refused the refund (its answer code is kept on the refund)."""

    status = 502
    code = "refund_refused"
    title_vi = "Cổng thanh toán từ chối hoàn tiền"
    title_en = "Refund refused by the gateway"

    def __init__(self, response_code: str) -> None:
        super().__init__(
            f"Cổng thanh toán từ chối yêu cầu hoàn tiền (mã {response_code}).",
            message_en=f"The payment gateway refused the refund (code {response_code}).",
        )


class ReportNotFound(NotFound):
    code = "report_not_found"

    def __init__(self) -> None:
        super().__init__(
            "Không tìm thấy báo cáo đối soát này.", message_en="No such reconciliation report."
        )


class ReceiptNotReady(NotFound):
    code = "receipt_not_ready"

    def __init__(self) -> None:
        super().__init__(
            "Giao dịch này chưa có biên lai điện tử (chưa thanh toán xong).",
            message_en="This payment has no electronic receipt (it is not paid).",
        )
