"""A throwaway certificate authority for the signing tests (cryptography): a root, a signer
certificate for the head of the count committee, and a PKCS#12 file holding the signer's key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

P12_PASSWORD = b"mat-khau-ky-so"


@dataclass(frozen=True)
class ThrowawayCA:
    root_pem: Path  # trust root for `kiemphieu verify --trust-root`
    signer_p12: Path  # key + certificate + chain, password P12_PASSWORD
    other_root_pem: Path  # a root that did not issue the signer's certificate
    signer_name: str


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool):
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    return builder.sign(signing_key, hashes.SHA256())


def make_ca(folder: Path, signer_name: str = "Lê Thị Thu") -> ThrowawayCA:
    folder.mkdir(parents=True, exist_ok=True)
    root_key = _key()
    root_name = _name("CA thử nghiệm kiemphieu", "Ban Tổ chức (thử nghiệm)")
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True)
    signer_key = _key()
    signer = _certificate(_name(signer_name, "Ban kiểm phiếu"), root_name, signer_key.public_key(), root_key, ca=False)
    other_key = _key()
    other_name = _name("CA khác", "Không liên quan")
    other = _certificate(other_name, other_name, other_key.public_key(), other_key, ca=True)

    root_pem, other_pem, p12 = folder / "root.pem", folder / "other-root.pem", folder / "signer.p12"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    other_pem.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", signer_key, signer, [root], serialization.BestAvailableEncryption(P12_PASSWORD)))
    return ThrowawayCA(root_pem, p12, other_pem, signer_name)
