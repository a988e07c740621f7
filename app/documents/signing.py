"""PAdES signatures on PDFs with pyHanko, and their validation.

pyHanko's synchronous functions run their own event loop: call them from a worker thread
(``asyncio.to_thread``) when inside one, as the services do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.documents.errors import InvalidPdf
from app.documents.schemas import SignatureCheck, SignatureReport

SigningPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
FIELD_PREFIX = "Signature"


@dataclass(frozen=True)
class SigningMaterial:
    """What signing needs: the private key, its certificate, and the issuing chain (the leaf's
    issuer first), which goes into the signature so a validator can build the path."""

    key: SigningPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise InvalidPdf() from exc
    if writer.prev.encrypted:
        raise InvalidPdf()
    return writer


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    """Signature1, or the next free number: a signed PDF can be signed again (by another
    agency of an inter-agency procedure) without touching the first signature."""
    taken = {str(name) for name, _, _ in enumerate_sig_fields(writer)}
    number = 1
    while f"{FIELD_PREFIX}{number}" in taken:
        number += 1
    return f"{FIELD_PREFIX}{number}"


def sign_pdf(
    pdf: bytes, key: SigningMaterial, *, reason: str, location: str, signer_name: str
) -> bytes:
    """The PDF with one more PAdES signature (``/ETSI.CAdES.detached``, SHA-256), added as an
    incremental update so earlier signatures stay valid."""
    writer = _writer(pdf)
    chain = [_asn1(c) for c in key.chain]
    registry = SimpleCertificateStore.from_certs(chain)  # type: ignore[no-untyped-call]
    signer = signers.SimpleSigner(
        signing_cert=_asn1(key.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        ),
        cert_registry=registry,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=_free_field_name(writer),
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=signer_name,
    )
    try:
        output = signers.sign_pdf(writer, metadata, signer=signer)
    except PdfError as exc:
        raise InvalidPdf() from exc
    return bytes(output.getvalue())


def _name_part(subject: dict[str, Any], key: str) -> str:
    value = subject.get(key, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def _failed(field_name: str, subfilter: str) -> SignatureCheck:
    return SignatureCheck(
        field_name=field_name,
        subfilter=subfilter,
        intact=False,
        valid=False,
        trusted=False,
        signer_common_name="",
        signer_organisation="",
        signed_at=None,
        covers_whole_file=False,
        changed_after_signing=True,
        bottom_line=False,
    )


def validate_pdf(pdf: bytes, trust_roots: Sequence[bytes]) -> SignatureReport:
    """Check every signature of the PDF against the trust roots (PEM certificates), offline:
    nothing is fetched, and a certificate without revocation information is accepted."""
    roots = [_asn1(c) for pem in trust_roots for c in x509.load_pem_x509_certificates(pem)]
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = reader.embedded_regular_signatures
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise InvalidPdf() from exc
    checks: list[SignatureCheck] = []
    for signature in embedded:
        field_name = str(signature.field_name)
        subfilter = str(signature.sig_object.get("/SubFilter", ""))
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = validate_pdf_signature(signature, context)
        except (SignatureValidationError, PdfError, ValueError):
            # A signature pyHanko cannot even read (a damaged or foreign CMS object) counts
            # as failed, beside the others which are still reported.
            checks.append(_failed(field_name, subfilter))
            continue
        subject = status.signing_cert.subject.native
        signed_at: datetime | None = status.signer_reported_dt
        checks.append(
            SignatureCheck(
                field_name=field_name,
                subfilter=subfilter,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                signer_common_name=_name_part(subject, "common_name"),
                signer_organisation=_name_part(subject, "organization_name"),
                signed_at=signed_at,
                covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                changed_after_signing=status.modification_level != ModificationLevel.NONE,
                bottom_line=status.bottom_line,
            )
        )
    return SignatureReport(signatures=checks)
