"""Synchronisation with the national public-services portal (Cổng Dịch vụ công quốc gia): each
change of a dossier is sent as a ``DongBoHoSoMC`` record of the dossier in its current state.

The record follows the data the portal asks of the provinces' one-stop systems (Circular
04/2025/TT-VPCP) with the field names of the portal's integration service ``DongBoHoSoMC``, as
public integrations send them (OpenCPS ``DVCQGIntegrationActionImpl``; TD.DichVuCongApi
``SyncDataToDVCQG``): a body ``{"service": "DongBoHoSoMC", "isUpdating": …, "data": [record]}``,
codes and flags as strings, times as ``yyyyMMddHHmmss`` in Vietnam's time, an empty string for
a time that has not come. The routing slip goes with the record as ``QuaTrinhXuLy``, one entry
per step in the fields of the portal's progress records (``CapNhatTienDoHoSoMC``).
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import service as catalog
from app.catalog.schemas import FilingTarget
from app.config import Settings
from app.documents import service as documents
from app.documents.schemas import DocumentOut
from app.errors import NotFound
from app.forms import FileField
from app.kit.clock import aware, utcnow
from app.kit.sealing import seal
from app.models.dossiers import Delivery, Dossier, Status
from app.models.processing import DocumentForm, SupplementRequest
from app.models.webhooks import PayloadFormat, WebhookEvent, WebhookSubscription
from app.payments import service as payments
from app.payments.fees import assess
from app.processing import service as processing
from app.processing.service import RoutingSlip
from app.webhooks import repository, service
from app.webhooks.signing import new_secret

SERVICE = "DongBoHoSoMC"
# The portal reads every time in Vietnam's zone, whatever zone this portal runs in.
PORTAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PORTAL_TIME = "%Y%m%d%H%M%S"
CONTENT_TYPE = "application/json; charset=utf-8"
# HinhThuc: how the result reaches the applicant, 1 by public post, 0 otherwise.
BY_POST, NOT_BY_POST = "1", "0"
# The status a dossier took when a step ended with this result; the open step carries the
# dossier's present status, and a hand-over inside processing leaves it in processing.
STEP_STATUS = {
    "received": Status.received,
    "refused": Status.not_accepted,
    "withdrawn": Status.withdrawn,
    "stopped": Status.stopped,
    "returned": Status.returned,
}
_INDEX = re.compile(r"\[\d+\]")
DESCRIPTION = "Cổng Dịch vụ công quốc gia (DongBoHoSoMC)"


def portal_time(moment: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam's time; empty when the moment has not come."""
    return aware(moment).astimezone(PORTAL_ZONE).strftime(PORTAL_TIME) if moment else ""


def _flag(value: bool) -> str:
    return "1" if value else "0"


# The links open the portal's own download pages: the applicant who follows one from the
# national portal signs in here and gets the file, and no one else does (the API's routes would
# need a key the national portal does not hold).


def file_url(settings: Settings, reference: str) -> str:
    """Where the applicant downloads a file of their dossier."""
    return f"{settings.base_url.rstrip('/')}/ho-so/tep/{reference}"


def document_url(settings: Settings, code: str, reference: str) -> str:
    """Where the applicant downloads a document issued on their dossier."""
    return f"{settings.base_url.rstrip('/')}/ho-so/{code}/van-ban/{reference}"


def _document_codes(target: FilingTarget) -> dict[str, str]:
    """The required document (thành phần hồ sơ) of each file field, by its path pattern."""
    return {
        path: field.document
        for path, field in target.definition.walk()
        if isinstance(field, FileField) and field.document
    }


def _fees(dossier: Dossier) -> list[dict[str, str]]:
    # The fees of this dossier as its answers count them: code, name and amount in VND (an
    # exempt fee is 0).
    return [
        {"MaPhiLePhi": line.code or "", "TenPhiLePhi": line.name, "Gia": str(line.amount)}
        for line in assess(dossier.procedure.fees, dossier.data).lines
    ]


def _supplement(request: SupplementRequest) -> dict[str, str]:
    asked = [f"{item.get('path') or item.get('slot')}: {item['reason']}" for item in request.items]
    return {
        "HoSoBoSungId": str(request.id),
        "NguoiYeuCauBoSung": request.requested_by,
        "NoiDungBoSung": "\n".join([request.note, *asked] if request.note else asked),
        "NgayBoSung": portal_time(request.requested_at),
        "NgayTiepNhanBoSung": portal_time(request.resubmitted_at),
        "TrangThaiBoSung": _flag(request.resubmitted_at is not None),
        "NgayHenTraTruoc": portal_time(request.due_before),
        "NgayHenTraMoi": portal_time(request.due_after),
    }


def _steps(dossier: Dossier, slip: RoutingSlip, names: list[str]) -> list[dict[str, str]]:
    assert dossier.status is not None
    records = []
    for step in slip.steps:
        person = slip.people.get(step.assignee_id) if step.assignee_id else None
        name, title = person or ("", "")
        status = (
            STEP_STATUS.get(step.result or "", Status.processing)
            if step.id != dossier.step_id and step.finished_at is not None
            else Status(dossier.status)
        )
        content = names[step.position] if step.position < len(names) else step.code
        records.append(
            {
                "MaHoSo": dossier.code or "",
                "NguoiXuLy": step.received_by or name,
                "ChucDanh": title,
                "ThoiDiemXuLy": portal_time(
                    step.finished_at or step.received_at or step.handed_over_at
                ),
                "PhongBanXuLy": (
                    slip.units[step.unit_id].name
                    if step.unit_id
                    else slip.agencies[step.agency_id].name
                ),
                "NoiDungXuLy": f"{content}: {step.note}" if step.note else content,
                "TrangThai": str(status.value),
                "NgayBatDau": portal_time(step.handed_over_at),
                "NgayKetThucTheoQuyDinh": portal_time(step.due_at),
            }
        )
    return records


def _results(
    settings: Settings, dossier: Dossier, issued: list[DocumentOut]
) -> list[dict[str, str]]:
    # Only the result (the signed decision or certificate), not the receipts and slips.
    code = dossier.code or ""
    return [
        {
            "TenGiayTo": dossier.procedure.result or dossier.procedure.name,
            "GiayToId": document.reference,
            "DuongDanTepTinKetQua": document_url(settings, code, document.reference),
        }
        for document in issued
        if document.form == DocumentForm.result
    ]


async def record_of(session: AsyncSession, code: str, settings: Settings) -> dict[str, Any]:
    """The dossier's ``DongBoHoSoMC`` record in its present state; NotFound for no dossier."""
    dossier = await processing.dossier_by_code(session, code)
    if dossier is None or dossier.status is None:
        raise NotFound("Không tìm thấy hồ sơ.", message_en="No such dossier.")
    target = await catalog.filing_target_of_version(session, dossier.procedure_version_id)
    slots = _document_codes(target)
    status = Status(dossier.status)
    method = dossier.return_method or dossier.delivery
    return {
        "MaHoSo": code,
        "MaTTHC": dossier.procedure.code,
        "TenTTHC": dossier.procedure.name,
        "MaLinhVuc": target.field.code,
        "TenLinhVuc": target.field.name,
        "KenhThucHien": str(dossier.channel),
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": str(dossier.applicant_type),
        "SoGiayToChuHoSo": dossier.applicant_id_number,
        "Email": dossier.applicant_email,
        "SoDienThoai": dossier.applicant_phone,
        "TrichYeuHoSo": dossier.procedure.name,
        "DonViXuLy": dossier.agency.name if dossier.agency else "",
        "NgayNopHoSo": portal_time(dossier.submitted_at),
        "NgayTiepNhan": portal_time(dossier.received_at),
        "NgayHenTra": portal_time(dossier.due_at),
        "NgayKetThucXuLy": portal_time(dossier.finished_at),
        "NgayTra": portal_time(dossier.returned_at),
        "NgayTuChoi": portal_time(dossier.finished_at if status == Status.not_accepted else None),
        "TrangThaiHoSo": str(status.value),
        "HinhThuc": BY_POST if method == Delivery.post else NOT_BY_POST,
        # Fees paid through the portal's payment gateway.
        "DuocThanhToanTrucTuyen": _flag(await payments.paid_online(session, dossier.id)),
        "DanhSachLePhi": _fees(dossier),
        "TaiLieuNop": [
            {
                "TepDinhKemId": file.reference,
                "TenTepDinhKem": file.display_name,
                "MaThanhPhanHoSo": slots.get(_INDEX.sub("[]", file.slot), ""),
                "DuongDanTaiTepTin": file_url(settings, file.reference),
            }
            for file in dossier.files
        ],
        "DanhSachGiayToKetQua": _results(
            settings, dossier, await documents.documents_of(session, dossier.id)
        ),
        "DanhSachHoSoBoSung": [
            _supplement(r) for r in await processing.supplements_of(session, dossier.id)
        ],
        "QuaTrinhXuLy": _steps(
            dossier,
            await processing.routing_slip(session, dossier.id),
            [step.name for step in target.workflow.steps],
        ),
    }


async def record_body(
    session: AsyncSession, event: WebhookEvent, settings: Settings
) -> tuple[bytes, dict[str, str]]:
    """The HTTP body (UTF-8 JSON) sent to the national portal for an event of a dossier, and
    the headers it needs besides (its bearer token, when set)."""
    if event.dossier_code is None:
        raise NotFound("Sự kiện không thuộc hồ sơ nào.", message_en="The event has no dossier.")
    body = {
        "service": SERVICE,
        # The portal creates the dossier's record on the first event and updates it after.
        "isUpdating": await repository.told_before(session, event.dossier_code, event.id),
        "data": [await record_of(session, event.dossier_code, settings)],
    }
    headers = {"Content-Type": CONTENT_TYPE}
    if settings.national_portal_token:
        headers["Authorization"] = f"Bearer {settings.national_portal_token}"
    return json.dumps(body, ensure_ascii=False).encode("utf-8"), headers


async def sync_subscription(session: AsyncSession, settings: Settings) -> None:
    """Make the portal's own national-portal subscription match the settings: one enabled
    subscription to ``national_portal_url`` when it is set (created with a sealed secret),
    none enabled when it is unset."""
    now = utcnow()
    sinks = await repository.national_subscriptions(session)
    url = settings.national_portal_url.strip()
    if url and not sinks:
        await repository.add_subscription(
            session,
            WebhookSubscription(
                reference=service.SUBSCRIPTION_MARK + secrets.token_urlsafe(12),
                url=url,
                description=DESCRIPTION,
                payload_format=PayloadFormat.national_portal.value,
                secret_sealed=seal(settings.secret_key, new_secret()),
                enabled=True,
                created_at=now,
                updated_at=now,
            ),
        )
        return
    for position, sink in enumerate(sinks):
        wanted = bool(url) and position == 0
        reason = service.DUPLICATE if url else service.NOT_CONFIGURED
        changed = service.enable(sink) if wanted else service.disable(sink, reason, now)
        if wanted and sink.url != url:
            sink.url = url
            changed = True
        if changed:
            service.mark_changed(sink)
    await session.flush()
