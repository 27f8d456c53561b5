"""Scanned images (one row per page: the scan queue's status and claim) and the committee's
rulings over their readings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .common import ScanStatus, utcnow

if TYPE_CHECKING:
    from .congress import Round
    from .organisations import User


# ------------------------------------------------------------------ scanning (minimal)


class ScanImage(db.Model):
    __tablename__ = "scan_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # generated server-side, never user input; the pages of one file share it (worker claims)
    stored_name: Mapped[str] = mapped_column(String(80), index=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")  # display only
    page: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=ScanStatus.PENDING.value, index=True)
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # `ballots read` output line
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Scanning pipeline (kiemphieu.scanning, kiemphieu.worker):
    profile: Mapped[str] = mapped_column(String(64), default="")  # scanner profile name, "" = default
    station_reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the scanner station's own reading
    preview_name: Mapped[str | None] = mapped_column(String(80))  # page image for adjudication (worker-made)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  # when a worker took the job
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far (a crashing image stops at 2)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    round: Mapped[Round] = relationship()
    adjudications: Mapped[list[Adjudication]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="Adjudication.id"
    )


class Adjudication(db.Model):
    """A committee ruling overlaying a scan's reading (the reading itself is never edited)."""

    __tablename__ = "adjudication"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan_image.id", ondelete="CASCADE"))
    candidate_code: Mapped[str | None] = mapped_column(String(16))  # None: the whole ballot
    ruling: Mapped[str] = mapped_column(String(32))  # struck|kept|agree|...|invalid:<reason>|reset
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    scan: Mapped[ScanImage] = relationship(back_populates="adjudications")
    user: Mapped[User | None] = relationship()
