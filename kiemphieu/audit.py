"""The append-only audit log: every write operation records who did what, chained by SHA-256.

Each entry's hash covers its own content and the previous entry's hash, so removing,
reordering or editing any entry breaks every hash after it; ``verify_chain`` finds the first
break. Services call ``record`` inside their own transaction, so the entry commits (or rolls
back) together with the change it describes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from .extensions import db
from .models import AuditEntry, Congress, User, utcnow

GENESIS = "0" * 64


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates, enums and Decimals become strings), as stored and hashed."""
    return json.loads(json.dumps(detail, ensure_ascii=False, default=str))


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "prev": entry.prev_hash,
        "at": entry.at.isoformat(timespec="microseconds"),
        "user_id": entry.user_id,
        "username": entry.username,
        "congress_id": entry.congress_id,
        "action": entry.action,
        "detail": entry.detail,
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _acting_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(
    action: str,
    *,
    congress: Congress | int | None = None,
    user: User | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append one entry to the session (not committed: the caller's transaction commits it).

    ``user`` defaults to the logged-in user; command-line actions pass None ("system").
    """
    user = user or _acting_user()
    congress_id = congress.id if isinstance(congress, Congress) else congress
    last = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow(),
        user_id=user.id if user else None,
        username=user.username if user else "",
        congress_id=congress_id,
        action=action,
        detail=_plain(detail),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    db.session.add(entry)
    db.session.flush()  # the next record() in this transaction must see this one
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Recompute every hash in id order; report the first entry that does not match."""
    expected_prev = GENESIS
    count = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != expected_prev:
            return ChainReport(False, count, entry.id, "liên kết với mục trước bị đứt (entry removed or reordered)")
        if entry_hash(entry) != entry.hash:
            return ChainReport(False, count, entry.id, "nội dung đã bị sửa (content altered)")
        expected_prev = entry.hash
    return ChainReport(True, count)
