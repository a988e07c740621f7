"""A stand-in for the national portal's DongBoHoSoMC endpoint: a real HTTP server on 127.0.0.1
that checks every field and format of each record it receives, keeps what came, and answers 200
(422 with the problems when a record is wrong).

``problems_of`` is the check itself, for tests that build records without sending them."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PORTAL_TIME = re.compile(r"^\d{14}$")
# Times that tell what already happened, and those that tell a deadline.
PAST = ("NgayNopHoSo", "NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")
DEADLINES = ("NgayHenTra",)
REQUIRED = (
    "MaHoSo",
    "MaTTHC",
    "TenTTHC",
    "MaLinhVuc",
    "TenLinhVuc",
    "KenhThucHien",
    "ChuHoSo",
    "LoaiDoiTuong",
    "SoGiayToChuHoSo",
    "DonViXuLy",
    "NgayNopHoSo",
    "TrangThaiHoSo",
    "HinhThuc",
    "DuocThanhToanTrucTuyen",
)
TEXTS = ("Email", "SoDienThoai", "TrichYeuHoSo")
LISTS = (
    "DanhSachLePhi",
    "TaiLieuNop",
    "DanhSachGiayToKetQua",
    "DanhSachHoSoBoSung",
    "QuaTrinhXuLy",
)
STEP_FIELDS = (
    "MaHoSo",
    "NguoiXuLy",
    "ChucDanh",
    "ThoiDiemXuLy",
    "PhongBanXuLy",
    "NoiDungXuLy",
    "TrangThai",
    "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
)
# The times a status requires.
REQUIRED_TIMES = {
    "2": ("NgayTiepNhan", "NgayHenTra"),
    "3": ("NgayTuChoi", "NgayKetThucXuLy"),
    "4": ("NgayTiepNhan", "NgayHenTra"),
    "9": ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"),
    "10": ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra"),
}


@dataclass
class _Check:
    """The problems found in one body, and the window of time its moments must lie in."""

    since: datetime
    until: datetime
    problems: list[str] = field(default_factory=list)

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def text(self, where: str, value: Any, *, required: bool = False) -> None:
        if not isinstance(value, str):
            self.fail(where, f"not a string: {value!r}")
        elif required and not value.strip():
            self.fail(where, "empty")

    def code(self, where: str, value: Any, allowed: range | tuple[str, ...]) -> None:
        choices = tuple(str(n) for n in allowed) if isinstance(allowed, range) else allowed
        if value not in choices:
            self.fail(where, f"{value!r} is not one of {', '.join(choices)}")

    def moment(
        self, where: str, value: Any, *, required: bool = False, deadline: bool = False
    ) -> datetime | None:
        """A time ``yyyyMMddHHmmss`` in Vietnam's time: what already happened lies between the
        start of the test and now, a deadline after the start."""
        if value == "" and not required:
            return None
        if not isinstance(value, str) or not PORTAL_TIME.fullmatch(value):
            self.fail(where, f"{value!r} is not yyyyMMddHHmmss")
            return None
        try:
            moment = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)
        except ValueError:
            self.fail(where, f"{value!r} is no real time")
            return None
        if moment < self.since or (not deadline and moment > self.until):
            self.fail(where, f"{value} is not Vietnam's time of the test ({self.since:%H:%M})")
        return moment

    def url(self, where: str, value: Any) -> None:
        if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+/\S+", value):
            self.fail(where, f"{value!r} is not a download address")


def _items(check: _Check, record: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = record.get(name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        check.fail(name, "not a list of objects")
        return []
    return value


def _check_record(check: _Check, record: dict[str, Any]) -> None:
    for name in REQUIRED:
        check.text(name, record.get(name), required=True)
    for name in TEXTS:
        check.text(name, record.get(name))
    check.code("TrangThaiHoSo", record.get("TrangThaiHoSo"), range(1, 11))
    check.code("KenhThucHien", record.get("KenhThucHien"), range(1, 4))
    check.code("LoaiDoiTuong", record.get("LoaiDoiTuong"), range(1, 5))
    check.code("HinhThuc", record.get("HinhThuc"), ("0", "1"))
    check.code("DuocThanhToanTrucTuyen", record.get("DuocThanhToanTrucTuyen"), ("0", "1"))
    for name in PAST:
        check.moment(name, record.get(name), required=name == "NgayNopHoSo")
    for name in DEADLINES:
        check.moment(name, record.get(name), deadline=True)
    for name in REQUIRED_TIMES.get(str(record.get("TrangThaiHoSo")), ()):
        if not record.get(name):
            check.fail(name, f"required in status {record.get('TrangThaiHoSo')}")
    code = record.get("MaHoSo")
    for i, fee in enumerate(_items(check, record, "DanhSachLePhi")):
        check.text(f"DanhSachLePhi[{i}].TenPhiLePhi", fee.get("TenPhiLePhi"), required=True)
        if not re.fullmatch(r"\d+", str(fee.get("Gia"))):
            check.fail(f"DanhSachLePhi[{i}].Gia", f"{fee.get('Gia')!r} is no amount")
    for i, file in enumerate(_items(check, record, "TaiLieuNop")):
        where = f"TaiLieuNop[{i}]"
        check.text(f"{where}.TepDinhKemId", file.get("TepDinhKemId"), required=True)
        check.text(f"{where}.TenTepDinhKem", file.get("TenTepDinhKem"), required=True)
        check.text(f"{where}.MaThanhPhanHoSo", file.get("MaThanhPhanHoSo"))
        check.url(f"{where}.DuongDanTaiTepTin", file.get("DuongDanTaiTepTin"))
    for i, result in enumerate(_items(check, record, "DanhSachGiayToKetQua")):
        where = f"DanhSachGiayToKetQua[{i}]"
        check.text(f"{where}.TenGiayTo", result.get("TenGiayTo"), required=True)
        check.text(f"{where}.GiayToId", result.get("GiayToId"), required=True)
        check.url(f"{where}.DuongDanTepTinKetQua", result.get("DuongDanTepTinKetQua"))
    for i, asked in enumerate(_items(check, record, "DanhSachHoSoBoSung")):
        where = f"DanhSachHoSoBoSung[{i}]"
        for name in ("HoSoBoSungId", "NguoiYeuCauBoSung", "NoiDungBoSung"):
            check.text(f"{where}.{name}", asked.get(name), required=True)
        check.code(f"{where}.TrangThaiBoSung", asked.get("TrangThaiBoSung"), ("0", "1"))
        check.moment(f"{where}.NgayBoSung", asked.get("NgayBoSung"), required=True)
        answered = asked.get("TrangThaiBoSung") == "1"
        check.moment(
            f"{where}.NgayTiepNhanBoSung", asked.get("NgayTiepNhanBoSung"), required=answered
        )
        if not answered and asked.get("NgayTiepNhanBoSung"):
            check.fail(f"{where}.NgayTiepNhanBoSung", "set while the supplement is awaited")
        for name in ("NgayHenTraTruoc", "NgayHenTraMoi"):
            check.moment(f"{where}.{name}", asked.get(name), deadline=True)
    steps = _items(check, record, "QuaTrinhXuLy")
    if not steps:
        check.fail("QuaTrinhXuLy", "no step")
    for i, step in enumerate(steps):
        where = f"QuaTrinhXuLy[{i}]"
        missing = [name for name in STEP_FIELDS if name not in step]
        if missing:
            check.fail(where, f"missing {', '.join(missing)}")
        if step.get("MaHoSo") != code:
            check.fail(f"{where}.MaHoSo", f"{step.get('MaHoSo')!r} is not {code!r}")
        for name in ("NguoiXuLy", "ChucDanh"):
            check.text(f"{where}.{name}", step.get(name))
        for name in ("PhongBanXuLy", "NoiDungXuLy"):
            check.text(f"{where}.{name}", step.get(name), required=True)
        check.code(f"{where}.TrangThai", step.get("TrangThai"), range(1, 11))
        check.moment(f"{where}.ThoiDiemXuLy", step.get("ThoiDiemXuLy"), required=True)
        check.moment(f"{where}.NgayBatDau", step.get("NgayBatDau"), required=True)
        check.moment(
            f"{where}.NgayKetThucTheoQuyDinh", step.get("NgayKetThucTheoQuyDinh"), deadline=True
        )
    if steps and steps[-1].get("TrangThai") != record.get("TrangThaiHoSo"):
        check.fail("QuaTrinhXuLy", "the last step does not carry the dossier's status")


def problems_of(body: Any, since: datetime, until: datetime | None = None) -> list[str]:
    """Everything wrong with a DongBoHoSoMC body whose moments happened from ``since`` on."""
    check = _Check(since=since.replace(microsecond=0), until=until or datetime.now(VIETNAM))
    # The portal's times have whole seconds.
    check.since -= timedelta(seconds=1)
    check.until += timedelta(seconds=1)
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    if body.get("service") != "DongBoHoSoMC":
        check.fail("service", f"{body.get('service')!r}")
    if not isinstance(body.get("isUpdating"), bool):
        check.fail("isUpdating", "not a boolean")
    data = body.get("data")
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        check.fail("data", "not a list of one record")
        return check.problems
    _check_record(check, data[0])
    return check.problems


@dataclass
class Received:
    headers: dict[str, str]
    body: Any
    problems: list[str]


@dataclass
class Receiver:
    """What the server received, in order of arrival."""

    url: str
    since: datetime
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def national_receiver(since: datetime) -> Iterator[Receiver]:
    """The receiver serving on a free port of 127.0.0.1 until the block ends."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            problems = problems_of(body, receiver.since)
            if self.headers.get("Content-Type") != "application/json; charset=utf-8":
                problems.append(f"Content-Type: {self.headers.get('Content-Type')!r}")
            with receiver.lock:
                receiver.received.append(Received(dict(self.headers.items()), body, problems))
            answer = json.dumps(
                {"error_code": 0 if not problems else 1, "message": "; ".join(problems)}
            ).encode()
            self.send_response(422 if problems else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read what was received instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(
        url=f"http://127.0.0.1:{server.server_address[1]}/DongBoHoSoMC", since=since
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
