"""Generated documents made by the worker (``kiemphieu.jobs``): one row per document asked for.

The scans' queue is ``ScanImage`` itself (one row per page, with status and claim); both are
claimed by ``kiemphieu.jobs.claims`` with the same rules (README, *Documents*).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .common import utcnow

if TYPE_CHECKING:
    from .congress import Congress
    from .organisations import User


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"  # claimed by a worker (claimed_by, heartbeat_at)
    DONE = "done"  # the result is in the upload folder (result_name, result_sha256)
    FAILED = "failed"  # error says why, in Vietnamese


class Job(db.Model):
    """One document to generate (minutes, ballots, entry log, summary, slides).

    ``key`` is the SHA-256 of the kind, the parameters and the digest of the inputs the
    document is made from: the same document asked for twice while queued, running or done
    (inputs unchanged) is the same row (partial unique index ``uq_job_live_key``); a failed
    one is asked for again as a new row.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # ids and numbers only, never a path
    inputs_digest: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    required_role: Mapped[str] = mapped_column(String(16))  # who may see and download it
    file_name: Mapped[str] = mapped_column(String(120))  # generated: "bien-ban-kiem-phieu-vong-1.pdf"
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far (a crashing job stops at 2)
    claimed_by: Mapped[str | None] = mapped_column(String(120))  # "host:pid" of the worker
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)  # a silent running job is retaken
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    result_name: Mapped[str | None] = mapped_column(String(80))  # generated, in <upload folder>/documents/
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    result_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)  # for the user, in Vietnamese

    congress: Mapped[Congress] = relationship()
    requested_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status"),
        Index("ix_job_status_congress_id", "status", "congress_id"),
        Index("uq_job_live_key", "key", unique=True,
              sqlite_where=db.text("status != 'failed'"), postgresql_where=db.text("status != 'failed'")),
    )

    @property
    def job_status(self) -> JobStatus:
        return JobStatus(self.status)
