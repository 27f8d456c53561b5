"""How far the reading of a round's scans has got: the scans page and the station poll this.

An upload is what one person (or station) sent in one go: consecutive scans by the same user
with no pause longer than ``BATCH_GAP``. The model keeps no upload id, so this is how a
person remembers "the 20 I just sent".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import select

from ..extensions import db
from ..localtime import to_local
from ..models import Round, ScanImage, ScanStatus
from .reasons import STATUS_LABELS, reading_note

BATCH_GAP = timedelta(seconds=60)
SHOWN_BATCHES = 8
RECENT = 50
WAITING = (ScanStatus.PENDING.value, ScanStatus.PROCESSING.value)


@dataclass
class Batch:
    uploaded_by_id: int | None
    first_at: datetime
    last_at: datetime
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in ScanStatus})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.total - sum(self.counts[s] for s in WAITING)

    def to_json(self) -> dict:
        return {"label": f"Tải lên lúc {to_local(self.first_at):%H:%M}, ngày {to_local(self.first_at):%d/%m}",
                "total": self.total, "done": self.done, "counts": self.counts,
                "finished": self.done == self.total}


def batches(round_: Round) -> list[Batch]:
    rows = db.session.execute(
        select(ScanImage.uploaded_by_id, ScanImage.uploaded_at, ScanImage.status)
        .where(ScanImage.round_id == round_.id).order_by(ScanImage.id)
    ).all()
    found: list[Batch] = []
    for user_id, at, status in rows:
        last = found[-1] if found else None
        if last is None or last.uploaded_by_id != user_id or at - last.last_at > BATCH_GAP:
            last = Batch(user_id, at, at)
            found.append(last)
        last.last_at = max(last.last_at, at)
        last.counts[status] = last.counts.get(status, 0) + 1
    return found


def scan_row(scan: ScanImage) -> dict:
    return {"id": scan.id, "name": scan.original_name, "page": scan.page + 1, "status": scan.status,
            "status_label": STATUS_LABELS.get(scan.status, scan.status), "note": reading_note(scan.reading),
            "uploaded_at": f"{to_local(scan.uploaded_at):%d/%m/%Y %H:%M}",
            "url": url_for("scanning.scan_page", scan_id=scan.id)}


def round_progress(round_: Round, counts: dict[str, int]) -> dict:
    """Counts by status, the latest uploads with their progress, and the latest scans."""
    recent = db.session.scalars(
        select(ScanImage).where(ScanImage.round_id == round_.id).order_by(ScanImage.id.desc()).limit(RECENT)
    ).all()
    total = sum(counts.values())
    return {
        "round": round_.id,
        "counts": counts,
        "labels": STATUS_LABELS,
        "total": total,
        "waiting": sum(counts.get(s, 0) for s in WAITING),
        "uploads": [b.to_json() for b in reversed(batches(round_)[-SHOWN_BATCHES:])],
        "recent": [scan_row(s) for s in recent],
    }
