"""A field of three procedures of its own at two agencies of their own, and thirteen dossiers of
March 2025 with known times, outcomes, payments, files, results, ratings and complaints, for
tests that check the indicators against numbers worked out by hand (see ``Scenario``).

Local times are Việt Nam's (UTC+7); 2–7 and 10–14 March 2025 are working days.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.importing import import_catalog
from app.models.catalog import Agency, Procedure, ProcedureVersion
from app.models.dossiers import Dossier, DossierFile
from app.models.feedback import Feedback, Rating
from app.models.payments import Payment
from app.models.processing import DossierDocument
from app.models.stats import StatsMonthBuild, StatsMonthCount
from app.stats.schemas import StatsFilter

AGENCY_A = "000.00.71.S66"
AGENCY_B = "000.00.72.S66"
FIELD = "THONGKE"
P1, P2, P3 = "8.766001", "8.766002", "8.766003"
MARCH = StatsFilter(first=date(2025, 3, 1), last=date(2025, 3, 31), field=FIELD)
ZONE = timedelta(hours=7)
_numbers = itertools.count(1)


def local(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    """A local time of 2025 as stored (UTC)."""
    return datetime(2025, month, day, hour, minute, tzinfo=UTC) - ZONE


def _procedure(code: str, name: str, fee: int, online: str, agencies: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "field": FIELD,
        "levels": ["province"],
        "agencies": agencies,
        "legal_days": 5,
        "committed_days": 4,
        "fees": [{"name": "Lệ phí", "amount": fee}] if fee else [],
        "documents": [{"code": "to_khai", "name": "Tờ khai", "kind": "original", "count": 1}],
        "result": "Giấy xác nhận",
        "legal_basis": ["Quyết định 766/QĐ-TTg"],
        "online_level": online,
        "postal": True,
        "published": True,
        "form": {
            "format": 1,
            "sections": [
                {
                    "key": "main",
                    "title": {"vi": "Thông tin", "en": "Details"},
                    "fields": [
                        {
                            "key": "full_name",
                            "type": "text",
                            "label": {"vi": "Họ và tên", "en": "Full name"},
                            "required": True,
                        }
                    ],
                }
            ],
        },
    }


def stats_catalog() -> dict[str, Any]:
    return {
        "format": 1,
        "agencies": [
            {"code": AGENCY_A, "name": "Sở Thống kê thử nghiệm", "level": "province"},
            {"code": AGENCY_B, "name": "Sở Kiểm thử chỉ số", "level": "province"},
        ],
        "fields": [{"code": FIELD, "name": "Lĩnh vực thống kê thử nghiệm"}],
        "procedures": [
            _procedure(P1, "Thủ tục có phí, thanh toán trực tuyến", 50000, "full", [AGENCY_A]),
            _procedure(P2, "Thủ tục không có phí", 0, "full", [AGENCY_A]),
            _procedure(P3, "Thủ tục có phí nộp tại quầy", 20000, "partial", [AGENCY_A, AGENCY_B]),
        ],
    }


@dataclass
class Scenario:
    """The dossiers by name (D1…D13) and their ids; what each is:

    D1  P1 A online  received Mon 3 09:00, due Fri 7 09:00, finished Thu 6: early (3 days);
        paid online, a scanned file, signed result delivered online, rated 1
    D2  P1 A counter due Fri 7 17:00, finished Fri 7 16:00: on time (4); payment expired,
        an uploaded file, unsigned result delivered online, rated 2
    D3  P1 A post    due Fri 7 09:00, finished Fri 7 10:00: late (4); signed result at the
        counter, rated 3, two complaints
    D4  P1 A online  one supplement: due moved from Fri 7 to Mon 10 09:00, finished Mon 10
        08:30: on time (5); a petition (not a complaint)
    D5  P2 A online  two supplement requests, finished Wed 5: late (2)
    D6  P2 A online  apology: due Fri 7 moved to Wed 12, finished Tue 11: late (6)
    D7  P2 A online  apology, finished Thu 6 before the first due time: early (3)
    D8  P2 A online  stopped Wed 5, due Fri 7: early (2), no result
    D9  P2 A online  in processing, due Thu 6: overdue now; a reused file
    D10 P3 A counter waiting for a supplement since Wed 5, due Mon 10: not overdue
    D11 P3 A online  refused at reception Tue 4: in neither cohort
    D12 P3 B online  received Mon 3, finished in April; payment refunded; rated 1
    D13 P3 A counter received Mon 24 Feb, due Mon 3 March, finished Wed 5: late (7)
    """

    ids: dict[str, int]
    codes: dict[str, str]

    def of(self, *names: str) -> set[int]:
        return {self.ids[name] for name in names}


async def _dossier(
    session: AsyncSession,
    versions: dict[str, tuple[int, int]],
    agencies: dict[str, int],
    procedure: str,
    agency: str,
    **values: Any,
) -> Dossier:
    procedure_id, version_id = versions[procedure]
    number = next(_numbers)
    received = values.get("received_at")
    dossier = Dossier(
        reference=f"stats{number:06d}{id(values) % 10000:04d}",
        code=f"{agency}-250303-{number:04d}-{id(values) % 100000:05d}",
        procedure_id=procedure_id,
        procedure_version_id=version_id,
        agency_id=agencies[agency],
        handling_agency_id=agencies[agency],
        applicant_type=1,
        applicant_id_number="001099012345",
        applicant_name="Nguyễn Văn An",
        data={},
        submitted_at=received or values.get("finished_at"),
        clock_started_at=received,
        **values,
    )
    session.add(dossier)
    await session.flush()
    return dossier


@pytest.fixture
async def scenario(db_session: AsyncSession) -> Scenario:
    session = db_session
    # Counted live: no summary of the months that have ended (tests of it build their own).
    await session.execute(delete(StatsMonthCount))
    await session.execute(delete(StatsMonthBuild))
    await import_catalog(session, stats_catalog())
    procedures = {
        p.code: p
        for p in (
            await session.scalars(select(Procedure).where(Procedure.code.in_([P1, P2, P3])))
        ).all()
    }
    procedures[P1].payment_stage = "before_result"
    procedures[P3].payment_stage = None
    versions = {
        code: (
            p.id,
            (
                await session.scalar(
                    select(ProcedureVersion.id).where(ProcedureVersion.procedure_id == p.id)
                )
            )
            or 0,
        )
        for code, p in procedures.items()
    }
    agencies = {
        a.code: a.id
        for a in (
            await session.scalars(select(Agency).where(Agency.code.in_([AGENCY_A, AGENCY_B])))
        ).all()
    }
    mon = local(3)

    async def add(name: str, procedure: str, agency: str, **values: Any) -> Dossier:
        values.setdefault("delivery", "online")
        values.setdefault("channel", 2)
        made = await _dossier(session, versions, agencies, procedure, agency, **values)
        made_ids[name] = made.id
        codes[name] = made.code or ""
        return made

    made_ids: dict[str, int] = {}
    codes: dict[str, str] = {}
    await add("D1", P1, AGENCY_A, status=10, received_at=mon, due_at=local(7),
              original_due_at=local(7), finished_at=local(6, 10))  # fmt: skip
    await add("D2", P1, AGENCY_A, channel=1, status=10, received_at=mon, due_at=local(7, 17),
              original_due_at=local(7, 17), finished_at=local(7, 16))  # fmt: skip
    await add("D3", P1, AGENCY_A, channel=3, delivery="counter", status=10, received_at=mon,
              due_at=local(7), original_due_at=local(7), finished_at=local(7, 10))  # fmt: skip
    await add("D4", P1, AGENCY_A, status=10, received_at=mon, due_at=local(10),
              original_due_at=local(7), finished_at=local(10, 8, 30),
              supplement_count=1)  # fmt: skip
    await add("D5", P2, AGENCY_A, status=10, received_at=mon, due_at=local(12),
              original_due_at=local(7), finished_at=local(5), supplement_count=2)  # fmt: skip
    await add("D6", P2, AGENCY_A, status=10, received_at=mon, due_at=local(12),
              original_due_at=local(7), apology_at=local(5), finished_at=local(11))  # fmt: skip
    await add("D7", P2, AGENCY_A, status=10, received_at=mon, due_at=local(12),
              original_due_at=local(7), apology_at=local(5), finished_at=local(6))  # fmt: skip
    await add("D8", P2, AGENCY_A, status=8, received_at=mon, due_at=local(7),
              original_due_at=local(7), finished_at=local(5, 12))  # fmt: skip
    await add("D9", P2, AGENCY_A, status=4, received_at=local(4), due_at=local(6),
              original_due_at=local(6))  # fmt: skip
    await add("D10", P3, AGENCY_A, channel=1, status=5, received_at=local(4), due_at=local(10),
              original_due_at=local(10), paused_at=local(5), supplement_count=1)  # fmt: skip
    await add("D11", P3, AGENCY_A, status=3, finished_at=local(4))
    await add("D12", P3, AGENCY_B, status=10, received_at=mon, due_at=local(7, month=4),
              original_due_at=local(7, month=4), finished_at=local(2, month=4))  # fmt: skip
    await add("D13", P3, AGENCY_A, channel=1, status=10, received_at=local(24, month=2),
              due_at=mon, original_due_at=mon, finished_at=local(5))  # fmt: skip
    ids = made_ids

    def payment(name: str, state: str) -> Payment:
        return Payment(
            reference=f"pay-{ids[name]}",
            dossier_id=ids[name],
            agency_id=agencies[AGENCY_A],
            stage="before_result",
            gateway="sandbox",
            amount=50000,
            lines=[],
            state=state,
            expires_at=local(20),
        )

    def file(name: str, origin: str) -> DossierFile:
        return DossierFile(
            reference=f"file-{ids[name]}-{origin}",
            dossier_id=ids[name],
            slot="declaration",
            storage_key=f"stats/{ids[name]}/{origin}",
            display_name="tờ khai.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            origin=origin,
        )

    def result(name: str, signed: bool) -> DossierDocument:
        return DossierDocument(
            reference=f"doc-{ids[name]}",
            dossier_id=ids[name],
            form="result",
            storage_key=f"stats/{ids[name]}/result.pdf",
            size=10,
            sha256="0" * 64,
            signed=signed,
        )

    def feedback(name: str, kind: str, number: int) -> Feedback:
        return Feedback(
            reference=f"fb-{ids[name]}-{number}",
            kind=kind,
            dossier_id=ids[name],
            agency_id=agencies[AGENCY_A],
            sender_name="Nguyễn Văn An",
            subject="Phản ánh",
            body="Hồ sơ chậm.",
            due_at=local(20),
        )

    session.add_all(
        [
            payment("D1", "paid"),
            payment("D2", "expired"),
            payment("D12", "refunded"),
            file("D1", "scan"),
            file("D1", "upload"),
            file("D2", "upload"),
            file("D9", "reuse"),
            result("D1", True),
            result("D2", False),
            result("D3", True),
            Rating(dossier_id=ids["D1"], score=1),
            Rating(dossier_id=ids["D2"], score=2),
            Rating(dossier_id=ids["D3"], score=3),
            Rating(dossier_id=ids["D12"], score=1),
            feedback("D3", "report", 1),
            feedback("D3", "report", 2),
            feedback("D4", "petition", 1),
        ]
    )
    await session.flush()
    return Scenario(ids=ids, codes=codes)
