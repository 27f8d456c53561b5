"""PAdES signatures on the minutes (and the entry log), with pyHanko.

Optional per deployment: a PKCS#12 file, or a PKCS#11 token (the government-issued USB
tokens; needs ``pip install -e '.[pkcs11]'``, i.e. python-pkcs11). A signature is appended as an incremental
update, so the signed bytes, the PDF/A attachments and the printed digest stay as they were;
``kiemphieu verify`` then reports who signed, whether the signature is intact and trusted, and
whether anything was changed after signing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

FIELD_PREFIX = "ChuKy"


class SigningError(Exception):
    """The key cannot be used (wrong password, missing file, token absent); message for people."""


@dataclass(frozen=True)
class SigningKey:
    """Where the signing key lives: a PKCS#12 file, or a PKCS#11 token."""

    p12: Path | None = None
    password: bytes | None = None
    pkcs11_lib: str | None = None  # the token's PKCS#11 module, e.g. /usr/lib/x86_64-linux-gnu/...so
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None  # default: the key's label
    pin: str | None = None

    @classmethod
    def from_config(cls, config: dict) -> SigningKey | None:
        """The deployment's key from instance/config.py (SIGNING_P12 + SIGNING_P12_PASSWORD, or
        SIGNING_PKCS11 = {"lib", "token", "key", "cert", "pin"}); None when signing is off."""
        if config.get("SIGNING_P12"):
            password = config.get("SIGNING_P12_PASSWORD")
            return cls(p12=Path(config["SIGNING_P12"]),
                       password=password.encode() if isinstance(password, str) else password)
        token = config.get("SIGNING_PKCS11")
        if token:
            return cls(pkcs11_lib=token["lib"], token_label=token.get("token"), key_label=token.get("key"),
                       cert_label=token.get("cert"), pin=token.get("pin"))
        return None


@contextmanager
def open_signer(key: SigningKey) -> Iterator[object]:
    """A pyHanko signer for ``key`` (the token's session is closed afterwards)."""
    from pyhanko.sign import signers

    if key.p12 is not None:
        try:
            signer = signers.SimpleSigner.load_pkcs12(str(key.p12), passphrase=key.password)
        except (OSError, ValueError) as exc:
            raise SigningError(f"không đọc được tệp khóa {key.p12.name}: {exc}") from None
        if signer is None:
            raise SigningError(f"không mở được tệp khóa {key.p12.name} (sai mật khẩu?)")
        yield signer
        return
    if not key.pkcs11_lib:
        raise SigningError("chưa cấu hình khóa ký (tệp PKCS#12 hoặc thiết bị PKCS#11)")
    try:
        from pyhanko.sign import pkcs11
    except ImportError:
        raise SigningError("ký bằng thiết bị PKCS#11 cần cài thêm: .venv/bin/pip install -e '.[pkcs11]'") from None
    from pyhanko.config.pkcs11 import TokenCriteria

    try:
        session = pkcs11.open_pkcs11_session(key.pkcs11_lib, token_criteria=TokenCriteria(label=key.token_label),
                                             user_pin=key.pin)
    except Exception as exc:  # the token library's own errors: absent token, wrong PIN...
        raise SigningError(f"không mở được thiết bị ký: {exc}") from None
    try:
        yield pkcs11.PKCS11Signer(session, key_label=key.key_label, cert_label=key.cert_label or key.key_label)
    finally:
        session.close()


def sign_pdf(pdf: bytes, key: SigningKey, *, reason: str = "Xác nhận biên bản kiểm phiếu",
             location: str | None = None) -> bytes:
    """``pdf`` with one more PAdES signature, appended incrementally (nothing before it changes)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    existing = len(list(fields.enumerate_sig_fields(writer)))
    metadata = signers.PdfSignatureMetadata(
        field_name=f"{FIELD_PREFIX}{existing + 1}", subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", reason=reason, location=location,
    )
    with open_signer(key) as signer:
        out = signers.sign_pdf(writer, metadata, signer=signer)
    return out.getvalue()


# ------------------------------------------------------------------ checking


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str  # the certificate's common name (and organisation)
    signed_at: datetime | None
    intact: bool  # the signed bytes are unchanged and the signature matches them
    trusted: bool | None  # chains to a given trust root; None: no trust root given
    changed_after: bool  # the file was changed after this signature (beyond later signatures)
    later_signatures_only: bool  # something was appended, but only further signatures

    @property
    def ok(self) -> bool:
        return self.intact and not self.changed_after and self.trusted is not False

    def to_json(self) -> dict:
        return {"field": self.field, "signer": self.signer,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None,
                "intact": self.intact, "trusted": self.trusted, "changed_after_signing": self.changed_after,
                "ok": self.ok}


def load_certificates(paths: Sequence[str | Path]) -> list:
    """PEM or DER certificates (trust roots) from files."""
    from pyhanko.sign.signers import load_certs_from_pemder

    return list(load_certs_from_pemder([str(p) for p in paths]))


def _signer_name(certificate) -> str:
    subject = certificate.subject.native
    name = subject.get("common_name") or certificate.subject.human_friendly
    organisation = subject.get("organization_name")
    return f"{name} ({organisation})" if organisation else name


def check_signatures(pdf: bytes, trust_roots: Sequence | None = None) -> list[SignatureCheck]:
    """Every signature of ``pdf``, in signing order; an unsigned PDF gives []."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception:  # not readable as a signed PDF: the rest of verify reports the file
        return []
    checks = []
    for signature in signatures:
        context = ValidationContext(trust_roots=list(trust_roots or []), allow_fetching=False,
                                    revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(signature, context)
        except Exception as exc:  # a damaged signature dictionary is a broken signature
            checks.append(SignatureCheck(signature.field_name, f"không đọc được ({exc})", None, False,
                                         None if not trust_roots else False, True, False))
            continue
        level = status.modification_level
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        only_signatures = not whole and level is not None and level <= ModificationLevel.FORM_FILLING
        checks.append(SignatureCheck(
            field=signature.field_name,
            signer=_signer_name(status.signing_cert),
            signed_at=status.signer_reported_dt.astimezone(timezone.utc) if status.signer_reported_dt else None,
            intact=bool(status.intact and status.valid),
            trusted=bool(status.trusted) if trust_roots else None,
            changed_after=not whole and not only_signatures,
            later_signatures_only=only_signatures,
        ))
    return checks
