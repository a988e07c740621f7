"""Keys and certificates for signing: a demo certificate authority, one signing certificate per
agency, and private keys kept encrypted under the portal's secret key.

Keys are ECDSA P-256 (quick to make, and accepted by PAdES validators). A private key is stored
as encrypted PKCS#8 PEM whose password is derived from the ``secret_key`` setting, so a copy of
the database alone cannot sign.
"""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import NameOID

from app.documents.errors import SigningKeyUnreadable
from app.documents.signing import SigningMaterial, SigningPrivateKey
from app.kit.clock import utcnow

DEMO_CA_NAME = "motcua demo CA"
CA_YEARS = 10
CERTIFICATE_YEARS = 5
# A validator whose clock runs a little behind ours must not find a certificate not yet valid.
BACKDATE = timedelta(hours=1)
# RFC 5280's upper bound on common and organisation names, which cryptography counts in bytes
# of UTF-8 (a Vietnamese letter takes up to three).
MAX_NAME_BYTES = 64
_PASSWORD_INFO = b"motcua/signing-keys/v1"


@dataclass(frozen=True)
class Authority:
    """A certificate authority that can issue certificates (its key is held in memory only)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def _years(start: datetime, years: int) -> datetime:
    return start + timedelta(days=365 * years + years // 4)


def _fit(name: str) -> str:
    """The name cut to what a certificate holds, never inside a letter."""
    encoded = unicodedata.normalize("NFC", name).encode()
    return encoded[:MAX_NAME_BYTES].decode(errors="ignore").rstrip()


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)),
        ]
    )


def new_authority(name: str = DEMO_CA_NAME, *, now: datetime | None = None) -> Authority:
    """A self-signed root that may sign end certificates only (path length 0)."""
    start = (now or utcnow()) - BACKDATE
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name, name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_years(start, CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, certificate)


def issue(
    authority: Authority, agency_name: str, *, now: datetime | None = None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new key and its signing certificate for an agency (CN and O: its name), valid five
    years, for digital signatures with non-repudiation."""
    start = (now or utcnow()) - BACKDATE
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(agency_name, agency_name))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_years(start, CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    return key, certificate


def _password(secret_key: str) -> bytes:
    """A key for the PEM encryption, derived from the portal's secret (never the secret itself,
    which also signs cookies)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PASSWORD_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived)


def encrypt_key(key: SigningPrivateKey, secret_key: str) -> str:
    """The private key as encrypted PKCS#8 PEM."""
    return key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(_password(secret_key))
    ).decode("ascii")


def decrypt_key(key_pem: str, secret_key: str) -> SigningPrivateKey:
    """The private key back; SigningKeyUnreadable if the secret key is not the one it was
    encrypted with."""
    try:
        key = load_pem_private_key(key_pem.encode("ascii"), _password(secret_key))
    except (ValueError, TypeError) as exc:
        raise SigningKeyUnreadable() from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningKeyUnreadable()
    return key


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(Encoding.PEM).decode("ascii")


def certificates(pem: str) -> list[x509.Certificate]:
    """Every certificate of a PEM text, in order; none for an empty text."""
    return x509.load_pem_x509_certificates(pem.encode("ascii")) if pem.strip() else []


def material(
    *, certificate: str, chain: str, encrypted_key: str, secret_key: str
) -> SigningMaterial:
    """Signing material from the stored PEM texts."""
    return SigningMaterial(
        key=decrypt_key(encrypted_key, secret_key),
        certificate=x509.load_pem_x509_certificate(certificate.encode("ascii")),
        chain=tuple(certificates(chain)),
    )
