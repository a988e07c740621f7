"""The API checked against its own OpenAPI document by schemathesis, over real HTTP.

Every operation the document lists (those added later included) gets generated requests,
valid and invalid, with an API key that may call it: an agency's key (every agency scope) for
the processing operations, an enterprise's (every enterprise scope) for the others. No
response may be a server error, and each must match the status codes, content types and
schemas the document declares.

Random path parameters find nothing (404), so real resources are made first through the API
itself (procedures of the demo catalog, an enterprise's draft with a file, its dossiers filed,
one received and asked for a supplement, one waiting at the agency's desk, a tus upload) and
their identifiers are given to the operations' path parameters beside the generated ones; each
read of a real resource is also made once as is, and must succeed.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import delete, func, select

from app.accounts import api_keys
from app.db import Database
from app.models.dossiers import Dossier
from app.models.feedback import Feedback
from app.models.outbox import OutboxMessage
from app.models.store import StoredDocument
from tests.api.dossier_helpers import PDF, enterprise_key, random_tax_code
from tests.api.tus_helpers import encoded

# Few examples per operation: the whole document runs in well under a minute.
EXAMPLES = 6
# Certified copies: a short form and one scan, filed at a commune of the demo catalog.
CERTIFICATION = "2.000815"
AGENCY = "000.00.47.H39"
ANSWERS = {
    "full_name": "Công ty TNHH Minh Phát",
    "citizen_id": "001203012345",
    "phone": "0912345678",
    "document_type": "diploma",
    "issuing_authority": "Trường Đại học Bách khoa Hà Nội",
    "document_issue_date": "2020-06-15",
    "page_count": 2,
    "copy_count": 3,
    "delivery_method": "counter",
}
PathParameters = dict[str, str]
_WRITES = ("GET", "HEAD", "OPTIONS", "POST", "PATCH", "PUT", "DELETE")


@dataclass
class Seeded:
    """Real identifiers for the path parameters, by the operations' groups."""

    procedures: list[PathParameters]
    dossiers: list[PathParameters]  # the enterprise's, by reference or code
    filed: list[PathParameters]  # the enterprise's filed dossiers, by code
    processed: list[PathParameters]  # the agency's, by code
    files: list[PathParameters]
    documents: list[PathParameters]
    uploads: list[PathParameters]
    stored: list[PathParameters]  # the enterprise's document store
    feedback: list[PathParameters]  # sent by the enterprise to the agency


@dataclass
class Tally:
    """What the run sent and got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    reached: set[str] = field(default_factory=set)  # operations answered with a 2xx

    def count(self, operation: APIOperation, response: Any) -> None:
        self.statuses[response.status_code] += 1
        if 200 <= response.status_code < 300:
            self.reached.add(operation.label)


async def _keys(database: Database) -> tuple[str, str]:
    """An enterprise's and the agency's key, committed for the live server, each allowed the
    most requests a minute a key may have: a long run is never refused partway."""
    async with database.unit_of_work() as session:
        for_enterprise = await enterprise_key(
            session,
            random_tax_code(),
            scopes=api_keys.ENTERPRISE_SCOPES,
            rate_limit=api_keys.MAX_RATE_LIMIT,
        )
        _out, for_agency = await api_keys.create_api_key(
            session,
            agency_code=AGENCY,
            name="Một cửa",
            scopes=list(api_keys.AGENCY_SCOPES),
            rate_limit=api_keys.MAX_RATE_LIMIT,
        )
    return for_enterprise, for_agency


async def _ok(response: httpx.Response) -> Any:
    assert response.is_success, (response.request.url, response.text)
    return response.json() if response.content else None


async def _seed(live_server: str, enterprise: str, agency: str) -> Seeded:
    """Real resources, made through the API as its clients make them."""
    api = f"{live_server}/api/v1"
    as_enterprise = {"Authorization": f"Bearer {enterprise}"}
    as_agency = {"Authorization": f"Bearer {agency}"}
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        listed = await _ok(
            await http.get("/procedures", params={"limit": 3}, headers=as_enterprise)
        )
        procedures = [CERTIFICATION, *(p["code"] for p in listed["items"])]

        async def draft() -> tuple[str, str]:
            body = {
                "procedure": CERTIFICATION,
                "agency": AGENCY,
                "data": ANSWERS,
                "delivery": {"method": "counter"},
            }
            made = await _ok(await http.post("/dossiers", json=body, headers=as_enterprise))
            added = await http.post(
                f"/dossiers/{made['reference']}/files",
                data={"slot": "original_scan"},
                files={"file": ("van-bang.pdf", PDF, "application/pdf")},
                headers=as_enterprise,
            )
            return made["reference"], (await _ok(added))["id"]

        async def filed() -> str:
            reference, _file = await draft()
            submitted = await http.post(f"/dossiers/{reference}/submit", headers=as_enterprise)
            code: str = (await _ok(submitted))["code"]
            return code

        async def act(code: str, action: str, body: dict[str, Any]) -> None:
            await _ok(
                await http.post(f"/dossiers/{code}/actions/{action}", json=body, headers=as_agency)
            )

        reference, file_id = await draft()
        asked, waiting = await filed(), await filed()
        await act(asked, "receive", {})
        items = [{"path": "issuing_authority", "reason": "Ghi đúng tên cơ quan cấp"}]
        await act(asked, "request_supplement", {"items": items})
        await act(waiting, "receive", {})
        work = await _ok(await http.get(f"/dossiers/{waiting}/processing", headers=as_agency))
        receipt = work["documents"][0]["reference"]
        upload = await http.post(
            "/uploads",
            headers={
                **as_enterprise,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": "100",
                "Upload-Metadata": encoded(
                    {"dossier": reference, "slot": "original_scan", "filename": "ban-chinh.pdf"}
                ),
            },
        )
        assert upload.status_code == 201, upload.text
        complaint = {
            "kind": "report",
            "subject": "Chậm",
            "body": "Chờ lâu",
            "dossier_code": waiting,
        }
        sent = await _ok(await http.post("/feedback", json=complaint, headers=as_enterprise))
        # Its filed dossiers' files are in the enterprise's document store.
        store = await _ok(await http.get("/store/documents", headers=as_enterprise))
    return Seeded(
        procedures=[{"code": code} for code in procedures],
        dossiers=[{"reference": reference}, {"reference": asked}, {"reference": waiting}],
        filed=[{"code": asked}, {"code": waiting}],
        processed=[{"code": waiting}, {"code": asked}],
        files=[{"reference": reference, "file_id": file_id}],
        documents=[{"code": waiting, "document": receipt}],
        uploads=[{"upload_id": upload.headers["location"].rsplit("/", 1)[-1]}],
        stored=[{"stored": d["reference"]} for d in store["items"]],
        feedback=[{"feedback": sent["reference"]}],
    )


def _real(operation: APIOperation, seeded: Seeded) -> list[PathParameters]:
    """The real path parameters an operation may be given."""
    names = {parameter.name for parameter in operation.path_parameters}
    path = operation.path
    if path.startswith("/api/v1/procedures/"):
        return seeded.procedures
    if names == {"reference"}:
        return seeded.dossiers
    if names == {"reference", "file_id"}:
        return seeded.files
    if names == {"code", "document"}:
        return seeded.documents
    if names == {"upload_id"}:
        return seeded.uploads
    if names == {"stored"}:
        return seeded.stored
    if names == {"feedback"}:
        return seeded.feedback
    if "code" in names and "processing" in (operation.tags or []):
        return seeded.processed
    if names == {"code"}:
        return seeded.filed
    return []


def _conforms(operation: APIOperation, key: str, real: list[PathParameters], tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    # A page cursor the server never issued is refused (422) although any string matches its
    # schema: that is the contract of opaque keyset cursors.
    excluded = [positive_data_acceptance]
    if operation.method.upper() == "GET" and real:
        answers = []
        for parameters in real:
            case = operation.Case(path_parameters=parameters)
            response = case.call_and_validate(headers=headers, excluded_checks=excluded)
            tally.count(operation, response)
            answers.append(response.status_code)
        # Each read finds a real resource it applies to (a supplement only where one is asked).
        assert 200 in answers, (operation.label, answers)
    strategies = [operation.as_strategy()]
    strategies += [operation.as_strategy(path_parameters=parameters) for parameters in real]

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def conforms(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, excluded_checks=excluded)
        tally.count(operation, response)

    conforms()


async def test_api_conforms_to_its_openapi_document(live_server: str, database: Database) -> None:
    started = time.monotonic()
    async with database.unit_of_work() as session:
        last_message = await session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
        last_dossier = await session.scalar(select(func.coalesce(func.max(Dossier.id), 0)))
        last_stored = await session.scalar(select(func.coalesce(func.max(StoredDocument.id), 0)))
        last_feedback = await session.scalar(select(func.coalesce(func.max(Feedback.id), 0)))
    enterprise, agency = await _keys(database)
    try:
        await _run(live_server, enterprise, agency, started)
    finally:
        # The dossiers it filed (with their steps, supplement requests and documents) and the
        # e-mails and jobs they queued, which other tests would otherwise see.
        async with database.unit_of_work() as session:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.id > last_message))
            await session.execute(delete(StoredDocument).where(StoredDocument.id > last_stored))
            await session.execute(delete(Feedback).where(Feedback.id > last_feedback))
            await session.execute(delete(Dossier).where(Dossier.id > last_dossier))


async def _run(live_server: str, enterprise: str, agency: str, started: float) -> None:
    seeded = await _seed(live_server, enterprise, agency)
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    # Reads first, deletions last, so that each operation finds what it is given as it was.
    operations.sort(key=lambda operation: _WRITES.index(operation.method.upper()))
    tally = Tally()
    for operation in operations:
        key = agency if "processing" in (operation.tags or []) else enterprise
        _conforms(operation, key, _real(operation, seeded), tally)
    print(
        f"\n{len(operations)} operations, {sum(tally.statuses.values())} requests in"
        f" {time.monotonic() - started:.1f} s; {len(tally.reached)} operations answered 2xx;"
        f" statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert len(tally.reached) >= len(operations) // 2
