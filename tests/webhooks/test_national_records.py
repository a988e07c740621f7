"""The DongBoHoSoMC records of a dossier at each point of its life, built as the delivery engine
builds them and checked field by field by the national receiver's check."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dossiers.schemas import Applicant
from app.kit.clock import aware
from app.models.catalog import Procedure
from app.models.dossiers import Delivery, Dossier
from app.models.processing import DossierDocument, SupplementRequest
from app.models.webhooks import WebhookEvent
from app.processing import service
from app.processing.rules import Action
from app.processing.schemas import SupplementItem
from app.storage import FileStorage
from app.webhooks import national
from tests.fixtures.catalogs import FIELD, PROCEDURE
from tests.fixtures.processing import Desk, act, file_dossier
from tests.webhooks.national_receiver import VIETNAM, problems_of

pytestmark = pytest.mark.usefixtures("desk")


def _vn(moment: datetime | None) -> str:
    """The expected portal time, computed apart from the code under test."""
    if moment is None:
        return ""
    return aware(moment).astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


async def _body(
    session: AsyncSession, settings: Settings, code: str, since: datetime
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The body built for the dossier's latest event, checked; its record and its headers."""
    event = await session.scalar(
        select(WebhookEvent)
        .where(WebhookEvent.dossier_code == code)
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )
    assert event is not None
    raw, headers = await national.record_body(session, event, settings)
    body = json.loads(raw.decode("utf-8"))
    assert problems_of(body, since) == []
    return body, body["data"][0], headers


async def _dossier(session: AsyncSession, code: str) -> Dossier:
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    assert dossier is not None
    await session.refresh(dossier)
    return dossier


async def test_the_records_follow_a_dossier_from_filing_to_its_returned_result(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    since = datetime.now(VIETNAM)
    code = await file_dossier(db_session, settings, applicant, storage=storage)

    # Filed, before any event: the record as it stands.
    record = await national.record_of(db_session, code, settings)
    assert (
        problems_of({"service": "DongBoHoSoMC", "isUpdating": False, "data": [record]}, since) == []
    )
    dossier = await _dossier(db_session, code)
    assert record["MaHoSo"] == code
    assert (record["MaTTHC"], record["MaLinhVuc"]) == (PROCEDURE, FIELD)
    assert record["TenTTHC"] == "Thủ tục cấp giấy xác nhận thử nghiệm"
    assert record["TenLinhVuc"] == "Lĩnh vực thử nghiệm"
    assert (record["KenhThucHien"], record["LoaiDoiTuong"]) == ("2", "1")
    assert record["ChuHoSo"] == dossier.applicant_name
    assert record["SoGiayToChuHoSo"] == dossier.applicant_id_number
    assert record["TrangThaiHoSo"] == "1"
    assert record["NgayNopHoSo"] == _vn(dossier.submitted_at)
    assert record["NgayTiepNhan"] == record["NgayHenTra"] == record["NgayTra"] == ""
    assert record["DuocThanhToanTrucTuyen"] == "0"
    assert record["DanhSachLePhi"] == [{"MaPhiLePhi": "", "TenPhiLePhi": "Lệ phí", "Gia": "50000"}]
    [file] = record["TaiLieuNop"]
    assert file["TenTepDinhKem"] == "tờ khai.pdf" and file["MaThanhPhanHoSo"] == "to_khai"
    assert file["DuongDanTaiTepTin"] == (f"http://testserver/ho-so/tep/{file['TepDinhKemId']}")
    [step] = record["QuaTrinhXuLy"]
    assert step["TrangThai"] == "1" and step["NgayBatDau"] == record["NgayNopHoSo"]

    # Received. The dossier's first event makes the portal create the record, later ones update it.
    await act(db_session, settings, storage, desk["receiver"], code, Action.receive)
    body, record, headers = await _body(db_session, settings, code, since)
    dossier = await _dossier(db_session, code)
    first = await db_session.scalar(
        select(WebhookEvent).where(WebhookEvent.dossier_code == code).order_by(WebhookEvent.id)
    )
    assert first is not None
    raw, _first_headers = await national.record_body(db_session, first, settings)
    assert json.loads(raw)["isUpdating"] is False
    assert headers == {"Content-Type": "application/json; charset=utf-8"}
    assert record["TrangThaiHoSo"] == "2"
    assert record["NgayTiepNhan"] == _vn(dossier.received_at)
    assert record["NgayHenTra"] == _vn(dossier.due_at) != ""
    received, appraisal = record["QuaTrinhXuLy"]
    assert received["TrangThai"] == "2" and received["NguoiXuLy"] == desk["receiver"].name
    assert appraisal["TrangThai"] == "2" and appraisal["NgayKetThucTheoQuyDinh"] != ""

    # The specialist asks for a supplement while appraising: the clock pauses.
    await act(db_session, settings, storage, desk["specialist"], code, Action.take)
    await act(
        db_session,
        settings,
        storage,
        desk["specialist"],
        code,
        Action.request_supplement,
        reason="Hồ sơ chưa đủ",
        items=[SupplementItem(path="full_name", reason="Họ tên không khớp CCCD")],
    )
    body, record, _headers = await _body(db_session, settings, code, since)
    assert body["isUpdating"] is True
    assert record["TrangThaiHoSo"] == "5"
    [asked] = record["DanhSachHoSoBoSung"]
    assert asked["TrangThaiBoSung"] == "0" and asked["NgayTiepNhanBoSung"] == ""
    assert asked["NguoiYeuCauBoSung"] == desk["specialist"].name
    assert "Họ tên không khớp CCCD" in asked["NoiDungBoSung"]
    assert asked["NgayHenTraTruoc"] == record["NgayHenTra"] and asked["NgayHenTraMoi"] == ""

    # The applicant completes it: processing resumes with the due time moved by the wait.
    dossier = await _dossier(db_session, code)
    await db_session.refresh(dossier, ["procedure", "procedure_version", "agency"])
    await service.resubmitted(db_session, settings, dossier)
    body, record, _headers = await _body(db_session, settings, code, since)
    # Of this dossier: other tests' committed dossiers may have requests of their own.
    request = await db_session.scalar(
        select(SupplementRequest).where(SupplementRequest.dossier_id == dossier.id)
    )
    assert request is not None
    assert record["TrangThaiHoSo"] == "4"
    [asked] = record["DanhSachHoSoBoSung"]
    assert asked["TrangThaiBoSung"] == "1"
    assert asked["NgayTiepNhanBoSung"] == _vn(request.resubmitted_at)
    assert asked["NgayHenTraMoi"] == _vn(request.due_after) == record["NgayHenTra"]

    # Appraised, approved and signed: the signed result is listed with its download address.
    await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    body, record, _headers = await _body(db_session, settings, code, since)
    assert record["TrangThaiHoSo"] == "4" and record["DanhSachGiayToKetQua"] == []
    await act(db_session, settings, storage, desk["leader"], code, Action.approve)
    await act(db_session, settings, storage, desk["leader"], code, Action.sign)
    body, record, _headers = await _body(db_session, settings, code, since)
    result = await db_session.scalar(
        select(DossierDocument).where(
            DossierDocument.dossier_id == dossier.id, DossierDocument.form == "result"
        )
    )
    assert result is not None
    assert record["DanhSachGiayToKetQua"] == [
        {
            "TenGiayTo": "Giấy xác nhận",
            "GiayToId": result.reference,
            "DuongDanTepTinKetQua": (f"http://testserver/ho-so/{code}/van-ban/{result.reference}"),
        }
    ]

    await act(db_session, settings, storage, desk["clerk"], code, Action.result_ready)
    body, record, _headers = await _body(db_session, settings, code, since)
    dossier = await _dossier(db_session, code)
    assert record["TrangThaiHoSo"] == "9"
    assert record["NgayKetThucXuLy"] == _vn(dossier.finished_at)

    await act(db_session, settings, storage, desk["clerk"], code, Action.return_result)
    body, record, _headers = await _body(db_session, settings, code, since)
    dossier = await _dossier(db_session, code)
    assert record["TrangThaiHoSo"] == "10"
    assert record["NgayTra"] == _vn(dossier.returned_at)
    assert record["HinhThuc"] == "0" and record["NgayTuChoi"] == ""
    steps = record["QuaTrinhXuLy"]
    assert [s["TrangThai"] for s in steps] == ["2", "4", "4", "4", "10"]
    assert all(s["ThoiDiemXuLy"] >= s["NgayBatDau"] for s in steps)


async def test_a_refused_dossier_sent_by_post_carries_its_refusal_and_the_token(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    since = datetime.now(VIETNAM)
    code = await file_dossier(db_session, settings, applicant, Delivery.post, storage=storage)
    await act(
        db_session, settings, storage, desk["receiver"], code, Action.refuse, reason="Sai thủ tục"
    )
    with_token = settings.model_copy(update={"national_portal_token": "tok-123"})
    _sent, record, headers = await _body(db_session, with_token, code, since)
    dossier = await _dossier(db_session, code)
    assert headers["Authorization"] == "Bearer tok-123"
    assert record["TrangThaiHoSo"] == "3" and record["HinhThuc"] == "1"
    assert record["NgayTuChoi"] == record["NgayKetThucXuLy"] == _vn(dossier.finished_at)
    assert record["NgayTiepNhan"] == record["NgayHenTra"] == record["NgayTra"] == ""
    [step] = record["QuaTrinhXuLy"]
    assert step["TrangThai"] == "3" and step["NoiDungXuLy"].endswith("Sai thủ tục")


async def test_an_event_of_no_dossier_has_no_record(
    db_session: AsyncSession, settings: Settings
) -> None:
    from app.errors import NotFound

    with pytest.raises(NotFound):
        await national.record_of(db_session, "000.00.00.H26-000000-0000", settings)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # A time written in UTC is seven hours behind Vietnam's: before the test began.
        (lambda r, utc: r.update(NgayNopHoSo=utc), "NgayNopHoSo"),
        (lambda r, utc: r.update(NgayTiepNhan="2025-11-24 08:00"), "NgayTiepNhan"),
        (lambda r, utc: r.update(TrangThaiHoSo="11"), "TrangThaiHoSo"),
        (lambda r, utc: r.update(KenhThucHien=2), "KenhThucHien"),
        (lambda r, utc: r.update(TrangThaiHoSo="10"), "NgayTra"),
        (lambda r, utc: r.pop("TenLinhVuc"), "TenLinhVuc"),
        (lambda r, utc: r["QuaTrinhXuLy"][0].pop("PhongBanXuLy"), "QuaTrinhXuLy[0]"),
        (lambda r, utc: r.update(TaiLieuNop={}), "TaiLieuNop"),
        (lambda r, utc: r["TaiLieuNop"][0].update(DuongDanTaiTepTin="x"), "TaiLieuNop[0]"),
    ],
)
async def test_the_receiver_refuses_what_the_portal_would_refuse(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    applicant: Applicant,
    change: Any,
    problem: str,
) -> None:
    since = datetime.now(VIETNAM)
    code = await file_dossier(db_session, settings, applicant, storage=storage)
    record = await national.record_of(db_session, code, settings)
    dossier = await _dossier(db_session, code)
    assert dossier.submitted_at is not None
    change(record, aware(dossier.submitted_at).strftime("%Y%m%d%H%M%S"))
    problems = problems_of(
        {"service": "DongBoHoSoMC", "isUpdating": False, "data": [record]}, since
    )
    assert any(p.startswith(problem) for p in problems), problems


async def test_the_record_gives_the_fees_this_dossier_owes_with_their_codes(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    await db_session.execute(
        update(Procedure)
        .where(Procedure.code == PROCEDURE)
        .values(
            fees=[
                {"code": "LP-01", "name": "Lệ phí cấp giấy", "amount": 50000},
                {
                    "code": "LP-02",
                    "name": "Lệ phí bản sao",
                    "amount": 5000,
                    "applies_if": {"==": [{"var": "full_name"}, "Ai khác"]},
                },
                {
                    "code": "LP-03",
                    "name": "Phí thẩm định",
                    "amount": 30000,
                    "exempt_if": {"!=": [{"var": "full_name"}, ""]},
                },
            ]
        )
    )
    code = await file_dossier(db_session, settings, applicant)
    record = await national.record_of(db_session, code, settings)
    # The fee that does not apply to these answers is left out; the exempt one costs nothing.
    assert record["DanhSachLePhi"] == [
        {"MaPhiLePhi": "LP-01", "TenPhiLePhi": "Lệ phí cấp giấy", "Gia": "50000"},
        {"MaPhiLePhi": "LP-03", "TenPhiLePhi": "Phí thẩm định", "Gia": "0"},
    ]
