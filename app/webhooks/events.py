"""The catalogue of callback event types, and the event type each dossier action publishes."""

from __future__ import annotations

from dataclasses import dataclass

from app.models.dossiers import EventKind


@dataclass(frozen=True)
class EventType:
    """One event type a subscription may ask for, described in Vietnamese and English."""

    name: str
    description_vi: str
    description_en: str


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("dossier.submitted", "Hồ sơ được nộp", "A dossier was submitted"),
    EventType("dossier.received", "Hồ sơ được tiếp nhận", "The agency received the dossier"),
    EventType("dossier.refused", "Hồ sơ không được tiếp nhận", "The agency refused to receive it"),
    EventType(
        "dossier.supplement_requested",
        "Cơ quan yêu cầu bổ sung hồ sơ",
        "The agency asked for a supplement",
    ),
    EventType(
        "dossier.resubmitted", "Hồ sơ được nộp lại sau bổ sung", "Resubmitted with a supplement"
    ),
    EventType(
        "dossier.step_completed",
        "Một bước xử lý được nhận hoặc ký (data.action: taken, signed)",
        "A processing step was taken or signed (data.action: taken, signed)",
    ),
    EventType(
        "dossier.forwarded",
        "Hồ sơ được chuyển, phân công hoặc trả lại bước trước (data.action: forwarded,"
        " assigned, sent_back)",
        "The dossier was forwarded, assigned or sent back (data.action: forwarded, assigned,"
        " sent_back)",
    ),
    EventType("dossier.approved", "Hồ sơ được phê duyệt", "The dossier was approved"),
    EventType("dossier.denied", "Hồ sơ bị từ chối giải quyết", "The dossier was denied"),
    EventType("dossier.result_ready", "Đã có kết quả", "The result is ready"),
    EventType("dossier.returned", "Đã trả kết quả", "The result was returned"),
    EventType("dossier.withdrawn", "Người nộp rút hồ sơ", "The applicant withdrew the dossier"),
    EventType("dossier.stopped", "Dừng xử lý hồ sơ", "Processing was stopped"),
    EventType("dossier.overdue", "Hồ sơ quá hạn", "The dossier is overdue"),
    EventType(
        "dossier.apology_issued",
        "Cơ quan gửi thư xin lỗi và hẹn lại ngày trả",
        "The agency apologised and set a new due date",
    ),
    EventType(
        "dossier.payment_required",
        "Hồ sơ chờ thực hiện nghĩa vụ tài chính (nộp phí, lệ phí)",
        "The dossier waits for its fees to be paid",
    ),
    EventType("payment.succeeded", "Thanh toán thành công", "A payment succeeded"),
    EventType("payment.failed", "Thanh toán không thành công", "A payment failed"),
    EventType("payment.refunded", "Đã hoàn tiền", "A payment was refunded"),
)
EVENT_TYPE_NAMES = frozenset(t.name for t in EVENT_TYPES)

# Several internal actions are one public event; data.action names the action itself.
_PUBLIC_KIND = {
    EventKind.assigned: "forwarded",
    EventKind.sent_back: "forwarded",
    EventKind.taken: "step_completed",
    EventKind.signed: "step_completed",
}


_PAYMENT_TYPE = {
    EventKind.paid: "payment.succeeded",
    EventKind.payment_failed: "payment.failed",
    EventKind.refunded: "payment.refunded",
}


def event_type_of(kind: EventKind) -> str:
    """The public event type a dossier action publishes (``dossier.forwarded`` for assigned)."""
    return _PAYMENT_TYPE.get(kind) or f"dossier.{_PUBLIC_KIND.get(kind, kind.value)}"
