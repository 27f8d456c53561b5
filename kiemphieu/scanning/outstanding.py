"""What stops a round from being certified on the scanning side, and the committee's ruling
on a rejected image.

A finalised round certifies every paper the committee holds. A scan that is still waiting,
being read, in review, or rejected without a ruling might be a ballot nobody counted, so the
round cannot be finalised while one is left (``outstanding_scans``). A rejected image is
settled by the committee looking at the paper: "not a ballot" (a blank page, a separator
sheet, another election's ballot) or "rescanned" (the paper was scanned again or typed by
hand, so this image must not count). The ruling is an ``Adjudication`` row over the
reading, written with an audit entry; reading the image again (``requeue``) resets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from .. import audit
from ..extensions import db, write_operation
from ..models import Adjudication, Round, ScanImage, ScanStatus, User
from .services import NOT_A_BALLOT, ScanError, check_round_open, current_rulings

RESCANNED = "rescanned"
REJECTED_RULINGS = {
    NOT_A_BALLOT: "Không phải phiếu bầu",
    RESCANNED: "Đã quét lại hoặc nhập tay tờ phiếu này",
}
# How many unfinished scans the finalise page names one by one (the counts cover them all).
LISTED = 50


@dataclass
class OutstandingScans:
    """Scans of a round that are not settled yet, by what they wait for."""

    pending: list[ScanImage] = field(default_factory=list)
    processing: list[ScanImage] = field(default_factory=list)
    review: list[ScanImage] = field(default_factory=list)
    rejected: list[ScanImage] = field(default_factory=list)  # rejected without a committee ruling

    @property
    def total(self) -> int:
        return len(self.pending) + len(self.processing) + len(self.review) + len(self.rejected)

    def messages(self) -> list[str]:
        """One Vietnamese sentence per kind of unfinished scan (for the finalise page)."""
        parts = [
            (self.pending, "ảnh phiếu quét đang chờ máy đọc"),
            (self.processing, "ảnh phiếu quét máy đang đọc"),
            (self.review, "phiếu quét chờ Ban kiểm phiếu phân xử"),
            (self.rejected, "ảnh bị từ chối chưa có kết luận của Ban kiểm phiếu (không phải phiếu bầu / đã quét lại)"),
        ]
        return [f"Còn {len(scans)} {text}." for scans, text in parts if scans]


def rejected_ruling(scan: ScanImage) -> str | None:
    """The committee's current ruling on a rejected image (None: not ruled yet)."""
    _, whole = current_rulings(scan)
    return whole if whole in REJECTED_RULINGS else None


def outstanding_scans(round_: Round) -> OutstandingScans:
    """Every scan of the round that is not counted, ruled or settled."""
    waiting = (ScanStatus.PENDING.value, ScanStatus.PROCESSING.value, ScanStatus.REVIEW.value,
               ScanStatus.REJECTED.value)
    scans = db.session.scalars(
        select(ScanImage).where(ScanImage.round_id == round_.id, ScanImage.status.in_(waiting)).order_by(ScanImage.id)
    ).all()
    found = OutstandingScans()
    for scan in scans:
        if scan.status == ScanStatus.REJECTED.value:
            if rejected_ruling(scan) is None:
                found.rejected.append(scan)
        else:
            getattr(found, scan.status).append(scan)
    return found


@write_operation
def rule_rejected(round_: Round, scan_ids: list[int], ruling: str, user: User) -> int:
    """The committee's ruling on rejected images of this round; returns how many were ruled."""
    if ruling not in REJECTED_RULINGS:
        raise ScanError("Kết luận không hợp lệ cho ảnh bị từ chối.")
    round_ = db.session.get(Round, round_.id)
    check_round_open(round_)
    wanted = sorted(set(scan_ids))
    if not wanted:
        raise ScanError("Chọn ít nhất một ảnh.")
    scans = db.session.scalars(
        select(ScanImage).where(ScanImage.id.in_(wanted), ScanImage.round_id == round_.id)
    ).all()
    if len(scans) != len(wanted) or any(s.status != ScanStatus.REJECTED.value for s in scans):
        raise ScanError("Chỉ kết luận được ảnh bị từ chối của vòng bầu này (có thể ảnh vừa được đọc lại).")
    for scan in scans:
        db.session.add(Adjudication(scan_id=scan.id, candidate_code=None, ruling=ruling, user_id=user.id))
    audit.record("scan.rule_rejected", congress=round_.election.congress_id, round_id=round_.id,
                 scan_ids=[s.id for s in scans], ruling=ruling)
    db.session.commit()
    return len(scans)

