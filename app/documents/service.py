"""Issued documents and signing: PDFs kept in storage with one row each, the agencies' signing
keys, and the checking of signed PDFs.

Services flush and never commit. A document is written to storage before its row is flushed:
if the flush fails, the object is deleted at once; if the transaction fails later, the object
is left without a row and ``tasks.delete_stray_documents`` removes it.

Rendering, signing and validating are CPU work in libraries with their own event loops
(pyHanko): they run in a worker thread.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.documents import pki, repository, signing
from app.documents.errors import DocumentNotFound, InvalidPdf, NoSigningKey
from app.documents.forms import render_async
from app.documents.schemas import DocumentOut, FormBase, SignAs, SignatureReport
from app.documents.signing import SigningMaterial
from app.dossiers.tasks import KEY_TIME
from app.kit.clock import aware, utcnow
from app.models.processing import DocumentForm, DossierDocument, SigningKey
from app.storage import FileStorage, ObjectStream, new_key

DOCUMENTS_PREFIX = "documents/"


def document_key(now: datetime | None = None) -> str:
    """A new random storage key that tells when it was made:
    ``documents/<YYYYMMDDHHMMSS>/<random>`` (the clean-up judges a stray object's age by it)."""
    return f"{DOCUMENTS_PREFIX}{(now or utcnow()).strftime(KEY_TIME)}/{new_key()}"


def _out(document: DossierDocument) -> DocumentOut:
    return DocumentOut(
        reference=document.reference,
        dossier_id=document.dossier_id,
        form=DocumentForm(document.form),
        size=document.size,
        sha256=document.sha256,
        signed=document.signed,
        created_at=aware(document.created_at),
        created_by=document.created_by,
    )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def store_document(
    session: AsyncSession,
    storage: FileStorage,
    *,
    dossier_id: int,
    form: DocumentForm,
    pdf: bytes,
    created_by: str,
    signed: bool = False,
) -> DocumentOut:
    """Keep a PDF issued on a dossier: the file in storage (hashed on the way), its row in the
    session. If the row cannot be flushed, the file is deleted again."""
    if not pdf.startswith(b"%PDF-"):
        raise InvalidPdf()
    key = document_key()
    stored = await storage.write(key, _once(pdf))
    document = DossierDocument(
        reference=secrets.token_urlsafe(16),
        dossier_id=dossier_id,
        form=form.value,
        storage_key=stored.key,
        size=stored.size,
        sha256=stored.sha256,
        signed=signed,
        created_at=utcnow(),
        created_by=created_by,
    )
    session.add(document)
    try:
        await session.flush()
    except BaseException:
        await storage.delete(key)
        raise
    return _out(document)


async def issue_form(
    session: AsyncSession,
    storage: FileStorage,
    settings: Settings,
    *,
    dossier_id: int,
    data: FormBase,
    created_by: str,
    sign_as: SignAs | None = None,
) -> DocumentOut:
    """Draw a standard form, sign it for an agency if asked, and keep it on the dossier."""
    pdf = await render_async(data)
    if sign_as is not None:
        pdf = await sign_for_agency(
            session,
            settings,
            sign_as.agency_id,
            pdf,
            reason=sign_as.reason,
            location=sign_as.location,
            signer_name=sign_as.signer_name,
        )
    return await store_document(
        session,
        storage,
        dossier_id=dossier_id,
        form=data.form,
        pdf=pdf,
        created_by=created_by,
        signed=sign_as is not None,
    )


async def documents_of(session: AsyncSession, dossier_id: int) -> list[DocumentOut]:
    """The documents issued on a dossier, oldest first."""
    return [_out(d) for d in await repository.documents_of(session, dossier_id)]


async def documents_with_digest(session: AsyncSession, sha256: str) -> list[DocumentOut]:
    """The documents issued with exactly this content (its SHA-256, hex), oldest first."""
    return [_out(d) for d in await repository.documents_with_digest(session, sha256.lower())]


async def open_document(
    session: AsyncSession, storage: FileStorage, reference: str
) -> tuple[DocumentOut, ObjectStream]:
    """A document and its content; the caller decides who may see it."""
    document = await repository.document_by_reference(session, reference)
    if document is None:
        raise DocumentNotFound(reference)
    return _out(document), await storage.open(document.storage_key)


# --- Signing ---------------------------------------------------------------------------------


async def signing_material(
    session: AsyncSession, settings: Settings, agency_id: int
) -> SigningMaterial:
    """The agency's key (decrypted with the portal's secret) and certificates; NoSigningKey if
    it has none."""
    key = await repository.signing_key(session, agency_id)
    if key is None:
        raise NoSigningKey()
    return pki.material(
        certificate=key.certificate_pem,
        chain=key.chain_pem,
        encrypted_key=key.key_pem,
        secret_key=settings.secret_key,
    )


async def sign_for_agency(
    session: AsyncSession,
    settings: Settings,
    agency_id: int,
    pdf: bytes,
    *,
    reason: str,
    location: str,
    signer_name: str,
) -> bytes:
    """The PDF with a PAdES signature of the agency added."""
    material = await signing_material(session, settings, agency_id)
    return await asyncio.to_thread(
        signing.sign_pdf,
        pdf,
        material,
        reason=reason,
        location=location,
        signer_name=signer_name,
    )


def _issue_all(names: list[str], secret_key: str) -> tuple[str, list[tuple[str, str]]]:
    """A new demo authority's certificate, and a (certificate, encrypted key) per name."""
    authority = pki.new_authority()
    issued: list[tuple[str, str]] = []
    for name in names:
        key, certificate = pki.issue(authority, name)
        issued.append((pki.certificate_pem(certificate), pki.encrypt_key(key, secret_key)))
    return pki.certificate_pem(authority.certificate), issued


async def load_demo_signing_keys(session: AsyncSession, settings: Settings) -> int:
    """Give every agency without a signing key one, certified by a demo authority made for
    this call; returns how many were made.

    The schema has no place for an authority's private key, so it is not kept: each call that
    finds agencies without a key makes its own authority, whose certificate is stored as their
    chain (and so becomes one of the ``trust_roots``).
    """
    agencies = await repository.agencies_without_key(session)
    if not agencies:
        return 0
    chain, issued = await asyncio.to_thread(
        _issue_all, [name for _, name in agencies], settings.secret_key
    )
    now = utcnow()
    for (agency_id, _), (certificate, key) in zip(agencies, issued, strict=True):
        session.add(
            SigningKey(
                agency_id=agency_id,
                certificate_pem=certificate,
                chain_pem=chain,
                key_pem=key,
                created_at=now,
            )
        )
    await session.flush()
    return len(agencies)


async def trust_roots(session: AsyncSession) -> list[bytes]:
    """The root certificates (PEM) of the stored keys' chains, each once."""
    roots: dict[bytes, bytes] = {}
    for chain in await repository.chains(session):
        certificates = pki.certificates(chain)
        if certificates:
            root = certificates[-1]
            roots.setdefault(root.public_bytes(Encoding.DER), root.public_bytes(Encoding.PEM))
    return list(roots.values())


async def verify_pdf(session: AsyncSession, pdf: bytes) -> SignatureReport:
    """Every signature of the PDF, checked against the portal's trust roots."""
    roots = await trust_roots(session)
    return await asyncio.to_thread(signing.validate_pdf, pdf, roots)
