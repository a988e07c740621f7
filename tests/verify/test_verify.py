"""Verification of electronic results with real signed PDFs issued by the processing flow: the
service, POST /api/v1/verify and the public page /xac-minh."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fpdf import FPDF
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.documents import service as documents
from app.dossiers.schemas import Applicant
from app.feedback import service
from app.feedback.errors import TooManyVerifications, VerifyInvalid, VerifyTooLarge
from app.models.processing import DocumentForm
from app.processing import service as processing
from app.storage import FileStorage
from tests.feedback.conftest import signed_result
from tests.feedback.pages import browse_as, post_file, post_form
from tests.fixtures.processing import Desk

pytestmark = pytest.mark.usefixtures("desk")


async def _result_pdf(
    session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> tuple[str, bytes]:
    code = await signed_result(session, settings, storage, desk, applicant)
    dossier = await processing.dossier_by_code(session, code)
    assert dossier is not None
    result = [
        d
        for d in await documents.documents_of(session, dossier.id)
        if d.form is DocumentForm.result
    ]
    assert len(result) == 1 and result[0].signed
    _doc, stream = await documents.open_document(session, storage, result[0].reference)
    content = b"".join([chunk async for chunk in stream])
    assert hashlib.sha256(content).hexdigest() == result[0].sha256
    return code, content


def _tampered(pdf: bytes) -> bytes:
    """The same file with one byte of the signed content changed (same length)."""
    at = pdf.index(b"stream", 200) + 40
    changed = bytearray(pdf)
    changed[at] = (changed[at] + 1) % 256
    return bytes(changed)


def _unsigned_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Giay xac nhan")
    return bytes(pdf.output())


async def test_a_signed_result_is_valid_and_known(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
) -> None:
    code, pdf = await _result_pdf(db_session, settings, storage, desk, applicant)
    report = await service.verify_pdf(db_session, pdf)
    assert report.verdict is not None and report.verdict.code == "valid"
    [signature] = report.signatures
    assert signature.good and signature.trusted and signature.intact
    assert signature.signer and signature.signed_at is not None
    assert report.issued is not None and report.issued.dossier_code == code
    assert report.issued.form is DocumentForm.result and report.issued.agency is not None
    assert applicant.name not in report.model_dump_json()

    tampered = await service.verify_pdf(db_session, _tampered(pdf))
    assert tampered.verdict is not None and tampered.verdict.code == "changed"
    assert tampered.issued is None and not tampered.signatures[0].intact

    unsigned = await service.verify_pdf(db_session, _unsigned_pdf())
    assert unsigned.verdict is not None and unsigned.verdict.code == "unsigned"
    assert unsigned.signatures == [] and unsigned.issued is None

    by_code = await service.verify_dossier(db_session, storage, code)
    [result] = by_code.results
    assert result.verdict.code == "valid" and result.sha256 == hashlib.sha256(pdf).hexdigest()
    assert applicant.name not in by_code.model_dump_json()
    assert applicant.id_number not in by_code.model_dump_json()


async def test_what_is_not_a_pdf_or_too_large_is_refused(db_session: AsyncSession) -> None:
    with pytest.raises(VerifyInvalid) as wrong:
        await service.verify_pdf(db_session, b"PK\x03\x04 a zip, not a PDF")
    assert wrong.value.problems[0].location == "file"
    with pytest.raises(VerifyInvalid):
        await service.verify_pdf(db_session, b"%PDF-1.7\n garbage without any object")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"\0" * (512 * 1024)

    with pytest.raises(VerifyTooLarge):
        await service.read_pdf(chunks(), 1)


async def test_the_api_verifies_uploads_and_codes(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    client: httpx.AsyncClient,
) -> None:
    code, pdf = await _result_pdf(db_session, settings, storage, desk, applicant)
    answer = await client.post("/api/v1/verify", files={"file": ("kq.pdf", pdf, "application/pdf")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"]["code"] == "valid" and body["issued"]["dossier_code"] == code
    changed = await client.post(
        "/api/v1/verify", files={"file": ("kq.pdf", _tampered(pdf), "application/pdf")}
    )
    assert changed.json()["verdict"]["code"] == "changed"
    by_code = await client.post("/api/v1/verify", json={"dossier_code": code})
    assert by_code.status_code == 200 and by_code.json()["results"][0]["verdict"]["code"] == "valid"

    unknown = await client.post(
        "/api/v1/verify", json={"dossier_code": "000.01.99.H99-990101-0001"}
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    not_pdf = await client.post(
        "/api/v1/verify", files={"file": ("a.pdf", b"hello", "application/pdf")}
    )
    assert not_pdf.status_code == 422 and not_pdf.json()["errors"][0]["location"] == "file"
    no_file = await client.post("/api/v1/verify", files={"other": ("a.txt", b"x", "text/plain")})
    assert no_file.status_code == 422
    no_code = await client.post("/api/v1/verify", json={"code": 1})
    assert no_code.status_code == 422
    too_large = await client.post(
        "/api/v1/verify",
        files={
            "file": (
                "big.pdf",
                b"%PDF-" + b"0" * (settings.verify_max_mb * 1024 * 1024 + 10),
                "application/pdf",
            )
        },
    )
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith("application/problem+json")


async def test_verifications_are_limited_per_address(
    db_session: AsyncSession, settings: Settings
) -> None:
    strict = settings.model_copy(update={"verify_rate_limit": 2})
    for _ in range(2):
        await service.admit_verification(db_session, strict, "203.0.113.9")
    with pytest.raises(TooManyVerifications) as refused:
        await service.admit_verification(db_session, strict, "203.0.113.9")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"]
    await service.admit_verification(db_session, strict, "203.0.113.10")


async def test_the_public_page_verifies_a_result(
    db_session: AsyncSession,
    settings: Settings,
    storage: FileStorage,
    desk: Desk,
    applicant: Applicant,
    client: httpx.AsyncClient,
) -> None:
    code, pdf = await _result_pdf(db_session, settings, storage, desk, applicant)
    browse_as(client, None)
    form = await client.get("/xac-minh")
    assert form.status_code == 200 and 'type="file"' in form.text
    page = await post_file(client, "/xac-minh", "ket-qua.pdf", pdf)
    assert page.status_code == 200
    assert "Chữ ký số hợp lệ" in page.text and code in page.text
    assert applicant.name not in page.text
    changed = await post_file(client, "/xac-minh", "ket-qua.pdf", _tampered(pdf))
    assert "đã bị thay đổi sau khi ký" in changed.text
    wrong = await post_file(client, "/xac-minh", "x.pdf", b"not a pdf")
    assert wrong.status_code == 422 and "không phải là tệp PDF" in wrong.text
    by_code = await post_file(client, "/xac-minh", "", b"", code=code)
    assert by_code.status_code == 200 and "Chữ ký số hợp lệ" in by_code.text
    nothing = await post_form(client, "/xac-minh", {})
    assert nothing.status_code == 422
