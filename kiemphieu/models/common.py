"""Helpers and the enums stored as strings, shared by every area of the model."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from .. import labels, tally
from ..extensions import db


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no zone, so every timestamp is stored as UTC without one."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_session_token() -> str:
    return secrets.token_hex(16)


def name_key(name: str) -> str:
    """How two names are compared for 'the same person' (``tally.comparison_key``)."""
    return tally.comparison_key(name)


# ------------------------------------------------------------------ enums (stored as strings)


class Role(StrEnum):
    """Global roles, weakest first. A role passes every check of the roles before it."""

    VIEWER = "viewer"
    COUNTER = "counter"
    ORGANISER = "organiser"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {role: labels.USER_ROLE_LABELS[role.value] for role in Role}


class CongressKind(StrEnum):
    MEMBERS = "members"  # đại hội đảng viên: convened = full members
    DELEGATES = "delegates"  # đại hội đại biểu: convened = official delegates

    @property
    def label(self) -> str:
        return labels.CONGRESS_KIND_LABELS[self.value]


class RoundStatus(StrEnum):
    SETUP = "setup"  # list and numbers being prepared
    ENTRY = "entry"  # ballots being entered
    FINALISED = "finalised"  # read-only; digest stored

    @property
    def label(self) -> str:
        return labels.ROUND_STATUS_LABELS[self.value]


class EntryMode(StrEnum):
    SINGLE = "single"  # one pass; clearly labelled as such
    DOUBLE = "double"  # passes A and B, differences settled against the paper
    TRIPLE = "triple"  # passes A, B and C (a congress that wants three independent entries)

    @property
    def label(self) -> str:
        return labels.ENTRY_MODE_LABELS[self.value]

    @property
    def passes(self) -> tuple[EntryPass, ...]:
        """The typed passes, compared position by position (one pass: nothing to compare)."""
        return (EntryPass.A, EntryPass.B, EntryPass.C)[: {"single": 1, "double": 2, "triple": 3}[self.value]]

    @property
    def compared(self) -> bool:
        return self is not EntryMode.SINGLE


class EntryPass(StrEnum):
    A = "A"
    B = "B"
    C = "C"  # the third pass of a triple entry
    SCAN = "scan"  # from a scanned image (ScanImage), after adjudication
    SETTLED = "settled"  # a committee member's ruling where passes A and B differ


class ScanStatus(StrEnum):
    PENDING = "pending"  # stored, not read yet
    PROCESSING = "processing"  # claimed by a worker (kiemphieu worker), being read
    READ = "read"
    REVIEW = "review"
    REJECTED = "rejected"
    ADJUDICATED = "adjudicated"


# What a person reads: kiemphieu.labels (shared with the ballots and the minutes).
KIND_LABELS = labels.KIND_LABELS
BODY_LABELS = labels.BODY_LABELS

# Party committees must have a surplus of candidates (Article 14 of Decision 190).
KINDS_NEEDING_SURPLUS = frozenset(
    {tally.Kind.COMMITTEE, tally.Kind.STANDING_COMMITTEE, tally.Kind.INSPECTION_COMMITTEE}
)

COMMITTEE_ROLES = labels.COMMITTEE_ROLES


def count_rows(model: type, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
