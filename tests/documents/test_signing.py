"""PAdES signatures: made with pyHanko, checked with pyHanko's own validation and with ours."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.documents import pki
from app.documents.errors import InvalidPdf
from app.documents.forms import render_form
from app.documents.signing import SigningMaterial, sign_pdf, validate_pdf
from app.kit.clock import utcnow
from tests.documents import samples

AGENCY = "UBND phường Lào Cai"


@pytest.fixture(scope="module")
def authority() -> pki.Authority:
    return pki.new_authority()


@pytest.fixture(scope="module")
def material(authority: pki.Authority) -> SigningMaterial:
    key, certificate = pki.issue(authority, AGENCY)
    return SigningMaterial(key, certificate, (authority.certificate,))


@pytest.fixture(scope="module")
def roots(authority: pki.Authority) -> list[bytes]:
    return [authority.certificate.public_bytes(Encoding.PEM)]


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_form(samples.receipt())


@pytest.fixture(scope="module")
def signed(unsigned: bytes, material: SigningMaterial) -> bytes:
    return sign_pdf(
        unsigned,
        material,
        reason="Ký giấy tiếp nhận hồ sơ",
        location="Lào Cai",
        signer_name="Lê Thị Thu Hương",
    )


def test_pyhanko_finds_a_pades_signature_intact_valid_and_trusted(
    signed: bytes, authority: pki.Authority
) -> None:
    reader = PdfFileReader(BytesIO(signed))
    [signature] = reader.embedded_signatures
    assert signature.field_name == "Signature1"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "Ký giấy tiếp nhận hồ sơ"
    assert signature.sig_object["/Name"] == "Lê Thị Thu Hương"
    root = asn1_x509.Certificate.load(authority.certificate.public_bytes(Encoding.DER))
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[root], allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted and status.bottom_line


def test_our_report_of_a_good_signature(signed: bytes, roots: list[bytes]) -> None:
    report = validate_pdf(signed, roots)
    [check] = report.signatures
    assert report.all_good
    assert check.field_name == "Signature1"
    assert check.subfilter == "/ETSI.CAdES.detached"
    assert check.intact and check.valid and check.trusted and check.bottom_line
    assert check.signer_common_name == AGENCY
    assert check.signer_organisation == AGENCY
    assert check.covers_whole_file and not check.changed_after_signing
    assert check.signed_at is not None
    assert abs(check.signed_at - utcnow()) < timedelta(minutes=5)


def test_the_signed_file_keeps_the_form(unsigned: bytes, signed: bytes) -> None:
    # An incremental update: the original bytes are untouched at the start of the file.
    assert signed.startswith(unsigned)


def test_a_byte_changed_after_signing_breaks_the_signature(
    signed: bytes, roots: list[bytes]
) -> None:
    assert b"/Creator (motcua)" in signed
    tampered = signed.replace(b"/Creator (motcua)", b"/Creator (motcub)", 1)
    [check] = validate_pdf(tampered, roots).signatures
    assert not check.intact
    assert not check.bottom_line


def test_a_signature_from_another_authority_is_not_trusted(
    unsigned: bytes, roots: list[bytes]
) -> None:
    stranger = pki.new_authority("Another CA")
    key, certificate = pki.issue(stranger, AGENCY)
    forged = sign_pdf(
        unsigned,
        SigningMaterial(key, certificate, (stranger.certificate,)),
        reason="Giả mạo",
        location="Lào Cai",
        signer_name="Không rõ",
    )
    [check] = validate_pdf(forged, roots).signatures
    assert check.intact and check.valid
    assert not check.trusted
    assert not check.bottom_line


def test_signing_again_adds_a_second_signature(
    signed: bytes, material: SigningMaterial, roots: list[bytes]
) -> None:
    twice = sign_pdf(
        signed, material, reason="Phê duyệt", location="Lào Cai", signer_name="Hoàng Minh Tuấn"
    )
    first, second = validate_pdf(twice, roots).signatures
    assert (first.field_name, second.field_name) == ("Signature1", "Signature2")
    assert first.bottom_line and second.bottom_line
    assert not first.covers_whole_file and first.changed_after_signing
    assert second.covers_whole_file and not second.changed_after_signing


def test_an_unsigned_pdf_has_no_signature(unsigned: bytes, roots: list[bytes]) -> None:
    report = validate_pdf(unsigned, roots)
    assert report.signatures == []
    assert not report.all_good


def test_what_is_not_a_pdf_is_refused(material: SigningMaterial, roots: list[bytes]) -> None:
    with pytest.raises(InvalidPdf) as refused:
        sign_pdf(b"not a pdf", material, reason="r", location="l", signer_name="n")
    assert refused.value.status == 422 and refused.value.code == "invalid_pdf"
    with pytest.raises(InvalidPdf):
        validate_pdf(b"%PDF-1.7\nbroken", roots)
