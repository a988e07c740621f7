"""The routing slip (form 06) and the register (form 07) drawn from the database: rows, numbers
across pages, the period, the most rows a download holds, who may read the register; and the
two for agency keys in the API."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_keys
from app.config import Settings
from app.dossiers.schemas import Applicant
from app.errors import InvalidInput, NotFound
from app.kit.clock import utcnow
from app.models.processing import StepOutcome
from app.processing import reports, service
from app.processing.errors import WrongState
from app.processing.rules import Action
from app.storage import FileStorage
from tests.fixtures.catalogs import CHILD_AGENCY
from tests.fixtures.processing import Desk, act, file_dossier

pytestmark = pytest.mark.usefixtures("desk")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _received(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> str:
    code = await file_dossier(session, settings, applicant)
    await act(session, settings, storage, desk["receiver"], code, Action.receive)
    return code


def _today(settings: Settings) -> reports.Period:
    today = utcnow().astimezone(ZoneInfo(settings.time_zone)).date()
    return reports.Period(today, today)


async def test_the_routing_slip_has_a_row_per_hand_off(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await _received(db_session, settings, storage, desk, applicant)
    await act(
        db_session,
        settings,
        storage,
        desk["specialist"],
        code,
        Action.forward,
        reason="Đủ điều kiện",
    )
    work = await service.work_on(db_session, desk["leader"], code)
    slip = reports.routing_slip_of(work, settings)
    assert slip.dossier_code == code and slip.agency.code == CHILD_AGENCY
    assert slip.lead_agency == "UBND xã Thử nghiệm" and slip.coordinating_agencies == []
    assert slip.received_at == work.received_at and slip.due_at == work.due_at
    assert slip.lookup_url == f"http://testserver/tra-cuu-ho-so?ma={code}"
    assert [(r.giver, r.receiver) for r in slip.rows] == [
        ("Nguyễn Văn An", "Cán bộ receiver"),
        ("Cán bộ receiver", "Cán bộ specialist"),
        ("Cán bộ specialist", ""),
    ]
    # The desk has no share of the time limit: on time.
    assert [r.outcome for r in slip.rows] == [StepOutcome.on_time, StepOutcome.early, None]
    assert slip.rows[1].note == "Đủ điều kiện"

    exported = await reports.routing_slip_file(
        db_session, settings, desk["leader"], code, reports.ExportFormat.csv
    )
    assert exported.filename == f"phieu-kiem-soat-{code}.csv"
    assert exported.media_type == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[2][7] == "Đủ điều kiện"


async def test_a_long_note_is_cut_to_fit_the_slip(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code = await _received(db_session, settings, storage, desk, applicant)
    await act(db_session, settings, storage, desk["specialist"], code, Action.forward)
    await act(
        db_session,
        settings,
        storage,
        desk["leader"],
        code,
        Action.send_back,
        reason="Ý kiến " * 250,
    )
    work = await service.work_on(db_session, desk["leader"], code)
    note = reports.routing_slip_of(work, settings).rows[2].note
    assert len(note) == reports.NOTE_LENGTH and note.endswith("…")
    pdf = await reports.routing_slip_file(
        db_session, settings, desk["leader"], code, reports.ExportFormat.pdf
    )
    assert pdf.content.startswith(b"%PDF-") and pdf.media_type == "application/pdf"


async def test_no_routing_slip_before_the_dossier_is_received(
    db_session: AsyncSession, settings: Settings, desk: Desk, applicant: Applicant
) -> None:
    code = await file_dossier(db_session, settings, applicant)
    with pytest.raises(WrongState):
        await reports.routing_slip_file(
            db_session, settings, desk["receiver"], code, reports.ExportFormat.csv
        )
    with pytest.raises(NotFound):
        await reports.routing_slip_file(
            db_session, settings, desk.outsider, code, reports.ExportFormat.csv
        )


async def test_the_register_numbers_its_rows_across_pages(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    codes = [await _received(db_session, settings, storage, desk, applicant) for _ in range(3)]
    await file_dossier(db_session, settings, applicant)
    days = _today(settings)
    first = await reports.register_page(db_session, settings, desk["receiver"], days, None, 2)
    assert first.count == 3 and first.agency_name == "UBND xã Thử nghiệm"
    assert [(e.row.number, e.row.dossier_code) for e in first.entries] == [
        (1, codes[0]),
        (2, codes[1]),
    ]
    assert first.entries[0].status.code == 2
    assert first.entries[0].row.contact == "0912340007"
    assert first.next_cursor is not None
    rest = await reports.register_page(
        db_session, settings, desk["receiver"], days, first.next_cursor, 2
    )
    assert [(e.row.number, e.row.dossier_code) for e in rest.entries] == [(3, codes[2])]
    assert rest.next_cursor is None
    with pytest.raises(InvalidInput):
        await reports.register_page(db_session, settings, desk["receiver"], days, "nonsense", 2)

    yesterday = reports.Period(days.first - timedelta(days=1), days.first - timedelta(days=1))
    empty = await reports.register_page(db_session, settings, desk["leader"], yesterday, None)
    assert empty.count == 0 and empty.entries == []
    other = await reports.register_page(db_session, settings, desk.outsider, days, None)
    assert other.count == 0


async def test_the_register_is_the_desks_and_the_leaders(
    db_session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    days = _today(settings)
    for role in ("receiver", "leader", "admin"):
        await reports.register_page(db_session, settings, desk[role], days, None)
    for role in ("specialist", "clerk"):
        with pytest.raises(NotFound):
            await reports.register_page(db_session, settings, desk[role], days, None)
        with pytest.raises(NotFound):
            await reports.register_file(
                db_session, settings, desk[role], days, reports.ExportFormat.csv
            )


def test_a_period_ends_on_or_after_its_first_day(settings: Settings) -> None:
    month = reports.this_month(settings)
    assert month.first.day == 1 and (month.last + timedelta(days=1)).day == 1
    assert month.last.month == month.first.month
    with pytest.raises(InvalidInput) as refused:
        reports.period(date(2025, 11, 10), date(2025, 11, 1))
    assert [p.location for p in refused.value.problems] == ["to"]
    one = reports.period(date(2025, 11, 1), date(2025, 11, 1))
    assert one.label == "Từ ngày 01/11/2025 đến ngày 01/11/2025"
    start = reports.day_start(date(2025, 11, 1), settings)
    assert start.isoformat() == "2025-11-01T00:00:00+07:00"


async def test_a_download_holds_at_most_its_rows(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codes = [await _received(db_session, settings, storage, desk, applicant) for _ in range(2)]
    days = _today(settings)
    sheet = await reports.register_file(
        db_session, settings, desk["receiver"], days, reports.ExportFormat.xlsx
    )
    assert sheet.filename == f"so-theo-doi-{CHILD_AGENCY}-{days.slug}.xlsx"
    rows = load_workbook(io.BytesIO(sheet.content)).active
    assert rows is not None
    numbered = [r[:2] for r in rows.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert numbered == [(1, codes[0]), (2, codes[1])]

    monkeypatch.setitem(reports.REGISTER_MAX_ROWS, reports.ExportFormat.pdf, 1)
    with pytest.raises(reports.RegisterTooLong) as refused:
        await reports.register_file(
            db_session, settings, desk["receiver"], days, reports.ExportFormat.pdf
        )
    assert refused.value.status == 422
    assert "có 2 hồ sơ, nhiều hơn 1 dòng mà bản PDF chứa được" in refused.value.message
    assert "more than the 1 rows a PDF file holds" in refused.value.message_en


# ----------------------------------------------------------------------------- the API


async def _key(session: AsyncSession) -> dict[str, str]:
    _out, raw = await api_keys.create_api_key(
        session, agency_code=CHILD_AGENCY, name="Phần mềm một cửa", scopes=["dossiers:process"]
    )
    return {"Authorization": f"Bearer {raw}"}


async def test_an_agency_key_downloads_the_routing_slip_and_the_register(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    key = await _key(db_session)
    code = await _received(db_session, settings, storage, desk, applicant)
    slip = await client.get(
        f"/api/v1/dossiers/{code}/routing-slip", params={"format": "csv"}, headers=key
    )
    assert slip.status_code == 200, slip.text
    assert slip.headers["content-type"] == "text/csv; charset=utf-8"
    assert slip.headers["content-disposition"].startswith("attachment;")
    assert f"phieu-kiem-soat-{code}.csv" in slip.headers["content-disposition"]
    assert slip.headers["x-content-type-options"] == "nosniff"
    assert slip.content.decode("utf-8-sig").splitlines()[1].startswith("1,UBND xã Thử nghiệm")
    pdf = await client.get(f"/api/v1/dossiers/{code}/routing-slip", headers=key)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")

    today = _today(settings).first.isoformat()
    register = await client.get(
        "/api/v1/register", params={"from": today, "to": today, "format": "xlsx"}, headers=key
    )
    assert register.status_code == 200, register.text
    assert register.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(register.content)).active
    assert sheet is not None
    assert [r[1] for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)] == [code]

    backwards = await client.get(
        "/api/v1/register", params={"from": today, "to": "2000-01-01"}, headers=key
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["location"] == "to"
    wrong = await client.get(
        f"/api/v1/dossiers/{code}/routing-slip", params={"format": "doc"}, headers=key
    )
    assert wrong.status_code == 422
    unknown = await client.get(
        "/api/v1/dossiers/000.01.99.H99-000000-0000/routing-slip", headers=key
    )
    assert unknown.status_code == 404
    assert (await client.get("/api/v1/register")).status_code == 401


async def test_the_openapi_document_names_the_files_media_types(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/dossiers/{code}/routing-slip", "/api/v1/register"):
        operation = paths[path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {
            "text/csv; charset=utf-8",
            XLSX,
            "application/pdf",
        }
        names = {p["name"] for p in operation["parameters"]}
        assert "format" in names
    assert {p["name"] for p in paths["/api/v1/register"]["get"]["parameters"]} == {
        "from",
        "to",
        "format",
    }
