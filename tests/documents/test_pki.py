"""The demo authority, the agencies' certificates, and keys encrypted under the secret key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.documents import pki
from app.documents.errors import SigningKeyUnreadable
from app.kit.clock import utcnow

SECRET = "a-secret-key-that-is-long-enough-for-tests-0001"


@pytest.fixture(scope="module")
def authority() -> pki.Authority:
    return pki.new_authority()


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    return str(name.get_attributes_for_oid(oid)[0].value)


def test_the_demo_authority_is_a_root_for_end_certificates(authority: pki.Authority) -> None:
    certificate = authority.certificate
    assert _attribute(certificate.subject, NameOID.COMMON_NAME) == "motcua demo CA"
    assert certificate.issuer == certificate.subject
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and not usage.digital_signature


def test_an_agency_certificate(authority: pki.Authority) -> None:
    now = utcnow()
    key, certificate = pki.issue(authority, "Sở Tư pháp tỉnh Lào Cai", now=now)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert _attribute(certificate.subject, NameOID.COMMON_NAME) == "Sở Tư pháp tỉnh Lào Cai"
    assert _attribute(certificate.subject, NameOID.ORGANIZATION_NAME) == "Sở Tư pháp tỉnh Lào Cai"
    assert certificate.issuer == authority.certificate.subject
    certificate.verify_directly_issued_by(authority.certificate)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=5 * 365) <= lifetime <= timedelta(days=5 * 366)
    assert certificate.not_valid_before_utc <= now
    other = pki.issue(authority, "Sở Tư pháp tỉnh Lào Cai")[1]
    assert other.serial_number != certificate.serial_number


def test_names_longer_than_x509_allows_are_cut_between_letters(authority: pki.Authority) -> None:
    name = "Trung tâm Phục vụ hành chính công và Xúc tiến đầu tư Lào Cai"
    assert len(name) < 64 < len(name.encode())
    _, certificate = pki.issue(authority, name)
    common_name = _attribute(certificate.subject, NameOID.COMMON_NAME)
    assert len(common_name.encode()) <= 64
    assert name.startswith(common_name) and len(common_name) > 40


def test_keys_are_encrypted_under_the_secret_key(authority: pki.Authority) -> None:
    key, _ = pki.issue(authority, "UBND xã Bát Xát")
    pem = pki.encrypt_key(key, SECRET)
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    back = pki.decrypt_key(pem, SECRET)
    assert back.private_numbers() == key.private_numbers()
    with pytest.raises(SigningKeyUnreadable) as refused:
        pki.decrypt_key(pem, SECRET + "x")
    assert refused.value.code == "signing_key_unreadable"


def test_material_from_stored_texts(authority: pki.Authority) -> None:
    key, certificate = pki.issue(authority, "UBND xã Bắc Hà")
    material = pki.material(
        certificate=pki.certificate_pem(certificate),
        chain=pki.certificate_pem(authority.certificate),
        encrypted_key=pki.encrypt_key(key, SECRET),
        secret_key=SECRET,
    )
    assert material.certificate == certificate
    assert material.chain == (authority.certificate,)
    assert pki.certificates("") == []
