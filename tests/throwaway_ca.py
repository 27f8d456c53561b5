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


def make_token(folder: Path, ca: ThrowawayCA, pin: str = "1234") -> tuple[str, str]:
    """A SoftHSM token holding the signer's key and certificate (label "signer"), like a USB
    token. Returns (module path, token label). The caller sets SOFTHSM2_CONF to
    ``folder / "softhsm2.conf"`` first (monkeypatch), so no other test sees this token."""
    import os
    import subprocess

    from cryptography.hazmat.primitives.serialization import pkcs12 as p12

    module = next(p for p in ("/usr/lib/softhsm/libsofthsm2.so",
                              "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so") if Path(p).exists())
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    assert os.environ.get("SOFTHSM2_CONF") == str(config), "set SOFTHSM2_CONF first"
    label = "kiemphieu-thu"
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "87654321"],
                   check=True, capture_output=True)
    key, certificate, _ = p12.load_key_and_certificates(ca.signer_p12.read_bytes(), P12_PASSWORD)
    key_pem = folder / "signer-key.pem"
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(key_pem), "--token", label, "--label", "signer", "--id", "01",
                    "--pin", pin], check=True, capture_output=True)
    key_pem.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    token = pkcs11.lib(module).get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: "signer", Attribute.ID: b"\x01",
            Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: certificate.subject.public_bytes(),
        })
    return module, label
