"""The document services on the real database and storage: keeping PDFs, the agencies' keys,
signing for an agency, checking against the stored roots, and stray files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Environment, Settings
from app.documents import service, tasks
from app.documents.errors import (
    DocumentNotFound,
    InvalidPdf,
    NoSigningKey,
    SigningKeyUnreadable,
)
from app.documents.forms import render_form
from app.documents.schemas import SignAs
from app.kit.clock import utcnow
from app.models.catalog import Agency
from app.models.processing import DocumentForm, DossierDocument, SigningKey
from app.storage import FileStorage
from tests.documents import samples

KEY = re.compile(r"documents/[0-9]{14}/[A-Za-z0-9_-]{43}")


async def _keys(storage: FileStorage) -> set[str]:
    return {key async for key in storage.list_keys(service.DOCUMENTS_PREFIX)}


async def _read(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


@pytest.fixture(scope="module")
def receipt_pdf() -> bytes:
    return render_form(samples.receipt())


async def _agency_id(session: AsyncSession, code: str = "000.00.41.H39") -> int:
    found = await session.scalar(select(Agency.id).where(Agency.code == code))
    assert found is not None
    return found


async def test_a_document_is_stored_listed_and_opened(
    db_session: AsyncSession, storage: FileStorage, dossier_id: int, receipt_pdf: bytes
) -> None:
    out = await service.store_document(
        db_session,
        storage,
        dossier_id=dossier_id,
        form=DocumentForm.receipt,
        pdf=receipt_pdf,
        created_by="Lê Thị Thu Hương",
    )
    assert out.form is DocumentForm.receipt and not out.signed
    assert out.size == len(receipt_pdf)
    assert out.sha256 == hashlib.sha256(receipt_pdf).hexdigest()
    assert out.created_by == "Lê Thị Thu Hương"
    row = await db_session.scalar(
        select(DossierDocument).where(DossierDocument.reference == out.reference)
    )
    assert row is not None and KEY.fullmatch(row.storage_key)
    assert row.storage_key in await _keys(storage)

    assert await service.documents_of(db_session, dossier_id) == [out]
    opened, stream = await service.open_document(db_session, storage, out.reference)
    assert opened == out
    assert await _read(stream) == receipt_pdf


async def test_unknown_documents_are_not_found(
    db_session: AsyncSession, storage: FileStorage
) -> None:
    with pytest.raises(DocumentNotFound) as missing:
        await service.open_document(db_session, storage, "no-such-reference")
    assert missing.value.status == 404 and missing.value.code == "document_not_found"
    assert await service.documents_of(db_session, -1) == []


async def test_a_failed_flush_leaves_no_file(
    db_session: AsyncSession, storage: FileStorage, receipt_pdf: bytes
) -> None:
    before = await _keys(storage)
    with pytest.raises(IntegrityError):
        # No such dossier: the foreign key refuses the row.
        await service.store_document(
            db_session,
            storage,
            dossier_id=-1,
            form=DocumentForm.receipt,
            pdf=receipt_pdf,
            created_by="x",
        )
    assert await _keys(storage) == before


async def test_what_is_not_a_pdf_is_not_stored(
    db_session: AsyncSession, storage: FileStorage, dossier_id: int
) -> None:
    before = await _keys(storage)
    with pytest.raises(InvalidPdf):
        await service.store_document(
            db_session,
            storage,
            dossier_id=dossier_id,
            form=DocumentForm.result,
            pdf=b"<html>",
            created_by="x",
        )
    assert await _keys(storage) == before


async def test_demo_keys_for_every_agency_once(
    db_session: AsyncSession, settings: Settings
) -> None:
    agencies = await db_session.scalar(select(func.count()).select_from(Agency))
    existing = await db_session.scalar(select(func.count()).select_from(SigningKey))
    assert agencies and existing is not None
    created = await service.load_demo_signing_keys(db_session, settings)
    assert created == agencies - existing > 0
    assert await service.load_demo_signing_keys(db_session, settings) == 0

    key = await db_session.get(SigningKey, await _agency_id(db_session))
    assert key is not None
    assert key.key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    roots = await service.trust_roots(db_session)
    assert key.chain_pem.encode() in roots
    material = await service.signing_material(db_session, settings, await _agency_id(db_session))
    assert material.certificate.subject.rfc4514_string().startswith("CN=UBND phường Lào Cai")

    # An agency added later gets its key from an authority of its own, trusted as well.
    db_session.add(Agency(code="000.00.48.H39", name="UBND xã Cốc San", level="commune"))
    await db_session.flush()
    assert await service.load_demo_signing_keys(db_session, settings) == 1
    assert len(await service.trust_roots(db_session)) == len(roots) + 1


async def test_sign_for_an_agency_and_verify(
    db_session: AsyncSession, settings: Settings, receipt_pdf: bytes
) -> None:
    await service.load_demo_signing_keys(db_session, settings)
    agency_id = await _agency_id(db_session)
    signed = await service.sign_for_agency(
        db_session,
        settings,
        agency_id,
        receipt_pdf,
        reason="Ký giấy tiếp nhận hồ sơ",
        location="Lào Cai",
        signer_name="Lê Thị Thu Hương",
    )
    report = await service.verify_pdf(db_session, signed)
    assert report.all_good
    [check] = report.signatures
    assert check.signer_common_name == "UBND phường Lào Cai"
    assert check.subfilter == "/ETSI.CAdES.detached"


async def test_no_key_no_signature(
    db_session: AsyncSession, settings: Settings, receipt_pdf: bytes
) -> None:
    db_session.add(Agency(code="000.00.49.H39", name="UBND xã Y Tý", level="commune"))
    await db_session.flush()
    agency_id = await _agency_id(db_session, "000.00.49.H39")
    with pytest.raises(NoSigningKey) as refused:
        await service.sign_for_agency(
            db_session, settings, agency_id, receipt_pdf, reason="r", location="l", signer_name="n"
        )
    assert refused.value.status == 409 and refused.value.code == "no_signing_key"
    assert refused.value.message.startswith("Cơ quan chưa có")
    assert refused.value.message_en == "The agency has no signing certificate."


async def test_another_secret_key_cannot_sign(db_session: AsyncSession, settings: Settings) -> None:
    await service.load_demo_signing_keys(db_session, settings)
    other = Settings(
        environment=Environment.test,
        database_url=settings.database_url,
        storage_url=settings.storage_url,
        secret_key="another-secret-key-that-is-long-enough-000000",
    )
    with pytest.raises(SigningKeyUnreadable):
        await service.signing_material(db_session, other, await _agency_id(db_session))


async def test_issue_a_signed_form(
    db_session: AsyncSession, settings: Settings, storage: FileStorage, dossier_id: int
) -> None:
    await service.load_demo_signing_keys(db_session, settings)
    agency_id = await _agency_id(db_session)
    out = await service.issue_form(
        db_session,
        storage,
        settings,
        dossier_id=dossier_id,
        data=samples.receipt(),
        created_by="Lê Thị Thu Hương",
        sign_as=SignAs(
            agency_id=agency_id,
            reason="Giấy tiếp nhận hồ sơ",
            location="Lào Cai",
            signer_name="Lê Thị Thu Hương",
        ),
    )
    assert out.form is DocumentForm.receipt and out.signed
    _, stream = await service.open_document(db_session, storage, out.reference)
    assert (await service.verify_pdf(db_session, await _read(stream))).all_good


async def test_stray_documents_are_deleted_once_old(
    db_session: AsyncSession, storage: FileStorage, dossier_id: int, receipt_pdf: bytes
) -> None:
    old = utcnow() - timedelta(days=3)
    known, stray = service.document_key(old), service.document_key(old)
    young = service.document_key()

    async def once() -> AsyncIterator[bytes]:
        yield receipt_pdf

    for key in (known, stray, young):
        await storage.write(key, once())
    db_session.add(
        DossierDocument(
            reference="stray-test-known",
            dossier_id=dossier_id,
            form=DocumentForm.receipt.value,
            storage_key=known,
            size=len(receipt_pdf),
            sha256=hashlib.sha256(receipt_pdf).hexdigest(),
        )
    )
    await db_session.flush()

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[AsyncSession]:
        yield db_session

    try:
        assert await tasks.delete_stray_documents(unit_of_work, storage) >= 1
        left = await _keys(storage)
        assert known in left and young in left and stray not in left
    finally:
        for key in (known, young):
            await storage.delete(key)
