"""Filled-in data for every form, with Vietnamese text in every field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.documents.schemas import (
    AgencyPart,
    ApologyData,
    ApplicantPart,
    FormData,
    ReceiptData,
    ReceivedDocument,
    RefusalData,
    RegisterData,
    RegisterRow,
    RoutingRow,
    RoutingSlipData,
    StopNoticeData,
    StopReason,
    SupplementItem,
    SupplementRequestData,
)
from app.models.dossiers import Delivery
from app.models.processing import StepOutcome

CODE = "000.00.41.H39-251123-0042"
LOOKUP = f"http://127.0.0.1:8000/ho-so/{CODE}"
# 14:05 on 23/11/2025 in Vietnam.
RECEIVED = datetime(2025, 11, 23, 7, 5, tzinfo=UTC)
AGENCY = AgencyPart(code="000.00.41.H39", name="UBND phường Lào Cai")
APPLICANT = ApplicantPart(
    name="Nguyễn Thị Hồng Nhung",
    id_number="001190012345",
    address="Số 12 đường Hoàng Liên, phường Cốc Lếu, tỉnh Lào Cai",
    phone="0912345678",
    email="nhung.nguyen@example.vn",
    representative="Trần Văn Đức (ủy quyền)",
)
PROCEDURE = "Đăng ký khai sinh cho trẻ em sinh ra ở Việt Nam"
COMMON = {
    "agency": AGENCY,
    "number": "123/GTN-UBND",
    "place": "Lào Cai",
    "issued_at": RECEIVED,
    "lookup_url": LOOKUP,
}


def receipt() -> ReceiptData:
    return ReceiptData(
        **COMMON,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure=PROCEDURE,
        documents=[
            ReceivedDocument(name="Tờ khai đăng ký khai sinh", kind="original", count=1),
            ReceivedDocument(name="Giấy chứng sinh", kind="certified_copy", count=2),
            ReceivedDocument(name="Văn bản ủy quyền", kind="copy", count=1),
        ],
        sets=1,
        processing_days=Decimal("2.5"),
        received_at=RECEIVED,
        return_at=RECEIVED + timedelta(days=3, hours=2),
        collect_at="Bộ phận Một cửa UBND phường Lào Cai, số 1 đường Trần Hưng Đạo",
        register_number="Quyển số 05, số thứ tự 0042",
        official="Lê Thị Thu Hương",
    )


def supplement() -> SupplementRequestData:
    return SupplementRequestData(
        **COMMON,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure=PROCEDURE,
        items=[
            SupplementItem(item="Giấy chứng sinh", reason="Bản sao chưa được chứng thực"),
            SupplementItem(item="Tờ khai đăng ký khai sinh", reason="Thiếu chữ ký người đi khai"),
        ],
        official="Phạm Quốc Việt",
        official_phone="02143840123",
    )


def refusal() -> RefusalData:
    return RefusalData(
        **COMMON,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure=PROCEDURE,
        reasons=[
            "Trẻ em đã được đăng ký khai sinh tại UBND xã Bát Xát",
            "Yêu cầu không thuộc thẩm quyền giải quyết của cơ quan",
        ],
        official="Lê Thị Thu Hương",
    )


def apology() -> ApologyData:
    return ApologyData(
        **COMMON,
        addressee="Nguyễn Thị Hồng Nhung",
        received_at=RECEIVED,
        procedure=PROCEDURE,
        dossier_code=CODE,
        original_return_at=RECEIVED + timedelta(days=3),
        reason="Cần xác minh thông tin khai sinh tại Sở Tư pháp tỉnh Lào Cai",
        new_return_at=RECEIVED + timedelta(days=6),
        head="Hoàng Minh Tuấn",
        head_title="Chủ tịch UBND phường",
    )


def stop_notice() -> StopNoticeData:
    return StopNoticeData(
        **COMMON,
        dossier_code=CODE,
        applicant=APPLICANT,
        procedure=PROCEDURE,
        reason_kind=StopReason.withdrawal,
        reason="Người nộp đề nghị rút hồ sơ để bổ sung giấy tờ",
        stopped_at=RECEIVED + timedelta(days=1),
        official="Phạm Quốc Việt",
    )


def routing_slip() -> RoutingSlipData:
    return RoutingSlipData(
        **COMMON,
        dossier_code=CODE,
        lead_agency="UBND phường Lào Cai",
        coordinating_agencies=["Công an tỉnh Lào Cai", "Sở Tư pháp tỉnh Lào Cai"],
        received_at=RECEIVED,
        due_at=RECEIVED + timedelta(days=3),
        rows=[
            RoutingRow(
                unit="Bộ phận Một cửa",
                handed_over_at=RECEIVED,
                received_at=RECEIVED + timedelta(minutes=30),
                giver="Lê Thị Thu Hương",
                receiver="Đỗ Văn Khải",
                outcome=StepOutcome.early,
                note="Chuyển xử lý ngay",
            ),
            RoutingRow(
                unit="Phòng Văn hóa - Xã hội",
                handed_over_at=RECEIVED + timedelta(hours=5),
                received_at=RECEIVED + timedelta(hours=6),
                giver="Đỗ Văn Khải",
                receiver="Hoàng Minh Tuấn",
                outcome=StepOutcome.on_time,
                note="=SUM(1+1) thẩm định xong",
            ),
            RoutingRow(
                unit="Lãnh đạo UBND phường",
                handed_over_at=RECEIVED + timedelta(days=4),
                giver="Hoàng Minh Tuấn",
                outcome=StepOutcome.late,
            ),
        ],
    )


def register() -> RegisterData:
    return RegisterData(
        **COMMON,
        period="Tháng 11/2025",
        rows=[
            RegisterRow(
                number=1,
                dossier_code=CODE,
                procedure=PROCEDURE,
                applicant="Nguyễn Thị Hồng Nhung",
                contact="Phường Cốc Lếu; 0912345678",
                lead_agency="UBND phường Lào Cai",
                received_at=RECEIVED,
                due_at=RECEIVED + timedelta(days=3),
                returned_at=RECEIVED + timedelta(days=2),
                delivery=Delivery.post,
                note="Trả sớm",
            ),
            RegisterRow(
                number=2,
                dossier_code="000.00.41.H39-251123-0043",
                procedure="Cấp bản sao trích lục hộ tịch",
                applicant="Vũ Đình Lộc",
                contact="Xã Bát Xát; 0987654321",
                lead_agency="UBND phường Lào Cai",
                received_at=RECEIVED + timedelta(hours=1),
                due_at=RECEIVED + timedelta(days=1),
                delivery=Delivery.online,
            ),
        ],
    )


def every_form() -> list[FormData]:
    return [
        receipt(),
        supplement(),
        refusal(),
        apology(),
        stop_notice(),
        routing_slip(),
        register(),
    ]
