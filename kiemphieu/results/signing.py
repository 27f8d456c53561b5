"""The office signs a finalised round's minutes or entry log with the deployment's key (optional).

The signed PDF is kept as a file, ``<UPLOAD_FOLDER>/signed/<kind>-round<ID>-v<VERSION>.pdf``
(names made from a fixed word and integers only), because a signature cannot be made again
identically: from then on the round's download of that document is that file. It lives in the
upload folder so that every node sharing that folder serves it and `kiemphieu backup` copies
it; files signed before were kept in ``instance/signed/`` and are still read there. Signing is
logged in the audit log.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from .. import audit
from ..extensions import db, write_operation
from ..minutes.signing import SignatureCheck, SigningError, SigningKey, check_signatures, sign_pdf
from ..models import ResultVersion, Round
from .services import ResultsError


def signing_key() -> SigningKey | None:
    return SigningKey.from_config(current_app.config)


MINUTES, ENTRY_LOG = "minutes", "entry-log"
KINDS = {MINUTES: "Biên bản kiểm phiếu", ENTRY_LOG: "Nhật ký nhập phiếu bầu"}


def _signed_name(round_: Round, version: ResultVersion, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    return f"{kind}-round{int(round_.id)}-v{int(version.version)}.pdf"


def signed_path(round_: Round, version: ResultVersion, kind: str = MINUTES) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "signed" / _signed_name(round_, version, kind)


def _existing_signed_path(round_: Round, version: ResultVersion, kind: str) -> Path | None:
    """The signed file, in the shared upload folder or (signed by an older version) the instance's."""
    for path in (signed_path(round_, version, kind),
                 Path(current_app.instance_path) / "signed" / _signed_name(round_, version, kind)):
        if path.is_file():
            return path
    return None


def signed_document(round_: Round, version: ResultVersion | None, kind: str = MINUTES) -> bytes | None:
    if version is None:
        return None
    path = _existing_signed_path(round_, version, kind)
    return path.read_bytes() if path else None


def signed_minutes(round_: Round, version: ResultVersion | None) -> bytes | None:
    return signed_document(round_, version, MINUTES)


def signature_of(round_: Round, version: ResultVersion | None, kind: str = MINUTES) -> SignatureCheck | None:
    data = signed_document(round_, version, kind)
    checks = check_signatures(data) if data else []
    return checks[-1] if checks else None


def sign_minutes(round_: Round, version: ResultVersion, pdf: bytes) -> SignatureCheck:
    return sign_document(round_, version, pdf, MINUTES)


@write_operation
def sign_document(round_: Round, version: ResultVersion, pdf: bytes, kind: str = MINUTES) -> SignatureCheck:
    """Sign the certified ``pdf`` (minutes or entry log) of ``version`` once; the file is
    written before the audit entry commits (a failed commit leaves a signed file, never a
    logged unsigned one)."""
    key = signing_key()
    if key is None:
        raise ResultsError("Máy chủ chưa được cấu hình khóa ký số (SIGNING_P12 hoặc SIGNING_PKCS11).")
    path = signed_path(round_, version, kind)
    if _existing_signed_path(round_, version, kind):
        raise ResultsError(f"{KINDS[kind]} của phiên bản này đã được ký số.")
    try:
        signed = sign_pdf(pdf, key, reason=f"Xác nhận {KINDS[kind].lower()}", location=current_app.config.get("SIGNING_LOCATION") or round_.congress.place or None)
    except SigningError as exc:
        raise ResultsError(f"Không ký được: {exc}.") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(signed)
    os.replace(temporary, path)
    check = check_signatures(signed)[-1]
    audit.record("minutes.sign" if kind == MINUTES else "entry_log.sign", congress=round_.election.congress_id,
                 round_id=round_.id, version=version.version, digest=version.digest, signer=check.signer)
    db.session.commit()
    return check
