"""The ballots as entered, one row per paper per entry pass (never edited: undo supersedes)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import tally
from ..extensions import db
from .common import utcnow

if TYPE_CHECKING:
    from .congress import Round
    from .organisations import User
    from .scanning import ScanImage


class Ballot(db.Model):
    """One paper ballot as entered in one pass. Never edited: undo sets ``superseded``."""

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    entry_pass: Mapped[str] = mapped_column(String(8))
    batch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # tệp phiếu (Round.batches)
    sequence: Mapped[int] = mapped_column(Integer)  # 1-based position in the batch's stack
    # The contract's ballot object: {"struck": [...]}, {"boxes": {...}} or {"invalid": reason}.
    marks: Mapped[dict[str, Any]] = mapped_column(JSON)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)
    round_version: Mapped[int] = mapped_column(Integer, default=0)  # Round.version when entered
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_image.id"), index=True)

    round: Mapped[Round] = relationship(back_populates="ballots")
    entered_by: Mapped[User | None] = relationship()
    scan: Mapped[ScanImage | None] = relationship()

    __table_args__ = (
        CheckConstraint("entry_pass IN ('A','B','C','scan','settled')", name="entry_pass"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        # A pass's ballots, superseded ones too (undo history, the tamper check, exports).
        Index("ix_ballot_round_id_entry_pass", "round_id", "entry_pass"),
        # One live ballot per stack position, batch and pass: a doubled ballot cannot be stored.
        Index(
            "uq_ballot_live_sequence",
            "round_id",
            "entry_pass",
            "batch",
            "sequence",
            unique=True,
            sqlite_where=db.text("superseded = 0"),
            postgresql_where=db.text("superseded = false"),
        ),
    )

    @hybrid_property
    def is_live(self) -> bool:
        """Not superseded. In SQL ``superseded = false``, the form the partial index
        ``uq_ballot_live_sequence`` matches (``IS false`` would read the whole table)."""
        return not self.superseded

    @is_live.inplace.expression
    @classmethod
    def _is_live_expression(cls):
        return cls.superseded == False  # noqa: E712 - "= false", not "IS false"

    @property
    def is_absent(self) -> bool:
        """A settled ruling that this stack position holds no ballot (one pass typed one too many)."""
        return self.marks.get("absent") is True

    def to_engine(self, election: tally.Election) -> tally.Ballot:
        return tally.parse_ballot(self.marks, election)
