"""The election and ballot model shared by the engine, the CLI, the web app and the OCR.

Pure data: no I/O, no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from enum import StrEnum

from .names import collation_key, display_names, normalize_name


class Kind(StrEnum):
    COMMITTEE = "committee"
    STANDING_COMMITTEE = "standing_committee"
    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    INSPECTION_COMMITTEE = "inspection_committee"
    INSPECTION_CHAIR = "inspection_chair"
    DELEGATES = "delegates"
    ALTERNATES = "alternates"
    OTHER = "other"


class Body(StrEnum):
    """Who holds the vote (contract §1 ``body``)."""

    CONGRESS = "congress"  # the congress itself (members or delegates)
    COMMITTEE = "committee"  # the new Party committee at its first meeting (Hội nghị lần thứ nhất)


# Elected by the new committee at its first meeting (Article 19 of Decision 190), unless a
# Party branch (chi bộ), whose congress elects its secretary and deputy itself (rules §6).
PLENUM_KINDS = frozenset({
    Kind.STANDING_COMMITTEE, Kind.SECRETARY, Kind.DEPUTY_SECRETARY,
    Kind.INSPECTION_COMMITTEE, Kind.INSPECTION_CHAIR,
})


def is_branch(organization: str) -> bool:
    """A Party branch (chi bộ) elects its secretary and deputy at the congress itself."""
    return organization.strip().lower().startswith("chi bộ")


def default_body(kind: Kind | str, organization: str = "") -> Body:
    """Who holds an election of this kind unless the organiser says otherwise."""
    if Kind(kind) in PLENUM_KINDS and not is_branch(organization):
        return Body.COMMITTEE
    return Body.CONGRESS


class Form(StrEnum):
    STRIKE = "strike"  # more candidates than seats: strike through the names not chosen
    BOXES = "boxes"  # otherwise: "Đồng ý" / "Không đồng ý" per candidate


class BoxMark(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    BOTH = "both"
    NONE = "none"


class InvalidReason(StrEnum):
    # Inferred by the engine from the marks.
    OVER_SEATS = "over_seats"
    NO_VOTE = "no_vote"
    UNCLEAR = "unclear"
    # Ruled by the committee on grounds the marks cannot show.
    NOT_ISSUED = "not_issued"
    NO_STAMP = "no_stamp"
    ADDED_NAME = "added_name"
    IDENTIFYING_MARK = "identifying_mark"
    OTHER = "other"


ENGINE_REASONS = frozenset({InvalidReason.OVER_SEATS, InvalidReason.NO_VOTE, InvalidReason.UNCLEAR})
COMMITTEE_REASONS = frozenset(set(InvalidReason) - ENGINE_REASONS)

# Vietnamese wording for the UI and the minutes.
REASON_LABELS = {
    InvalidReason.OVER_SEATS: "Bầu quá số lượng cần bầu",
    InvalidReason.NO_VOTE: "Không bầu ai",
    InvalidReason.UNCLEAR: "Đánh dấu không rõ (danh sách một người)",
    InvalidReason.NOT_ISSUED: "Phiếu không do Ban kiểm phiếu phát ra",
    InvalidReason.NO_STAMP: "Phiếu không có dấu",
    InvalidReason.ADDED_NAME: "Ghi thêm tên ngoài danh sách",
    InvalidReason.IDENTIFYING_MARK: "Có ký hiệu, chữ ký riêng",
    InvalidReason.OTHER: "Lý do khác",
}


@dataclass(frozen=True)
class RuleSettings:
    """Rules the regulation does not settle for certain ([I] in the research); defaults on.

    - ``single_candidate_unclear_invalid``: on a one-person list, X in both boxes or in
      neither makes the ballot invalid (``unclear``) rather than a valid non-vote.
    - ``committee_reasons``: the invalid grounds the committee may rule; a ballot with a
      reason outside this set is refused as input.
    """

    single_candidate_unclear_invalid: bool = True
    committee_reasons: frozenset[InvalidReason] = COMMITTEE_REASONS


DEFAULT_RULES = RuleSettings()


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    born: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", normalize_name(self.name))

    @property
    def sort_key(self) -> tuple:
        return collation_key(self.name, self.born)


@dataclass(frozen=True)
class CommitteeMember:
    name: str
    role: str = "Ủy viên"


@dataclass(frozen=True)
class Election:
    """One round of one election. ``candidates`` is kept in ballot order."""

    title: str
    kind: Kind
    seats: int
    convened: int
    candidates: tuple[Candidate, ...]
    excluded: int = 0
    round: int = 1
    present: int | None = None
    issued: int | None = None
    organization: str = ""
    congress: str = ""
    place: str = ""
    date: date | None = None
    committee: tuple[CommitteeMember, ...] = ()
    body: Body = Body.CONGRESS

    def __post_init__(self) -> None:
        # The id only separates namesakes born the same day, so input order never matters.
        ordered = tuple(sorted(self.candidates, key=lambda c: (c.sort_key, c.id)))
        object.__setattr__(self, "candidates", ordered)
        object.__setattr__(self, "body", Body(self.body))

    @cached_property
    def display_names(self) -> dict[str, str]:
        """Candidate id -> the name as a person reads it: namesakes carry their birth year."""
        return display_names((c.id, c.name, c.born) for c in self.candidates)

    def display_name(self, candidate_id: str) -> str:
        return self.display_names[candidate_id]

    @property
    def base(self) -> int:
        """The majority base of Article 30: convened minus itemised exclusions."""
        return self.convened - self.excluded

    @property
    def majority(self) -> int:
        """The fewest votes that elect."""
        return self.base // 2 + 1

    @property
    def form(self) -> Form:
        return Form.STRIKE if len(self.candidates) > self.seats else Form.BOXES

    @property
    def candidate_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.candidates)

    def order_of(self, candidate_id: str) -> int:
        """1-based position on the ballot."""
        return self.candidate_ids.index(candidate_id) + 1


@dataclass(frozen=True)
class StrikeBallot:
    struck: frozenset[str]


@dataclass(frozen=True)
class BoxesBallot:
    boxes: dict[str, BoxMark] = field(hash=False)

    def mark(self, candidate_id: str) -> BoxMark:
        return self.boxes.get(candidate_id, BoxMark.NONE)


@dataclass(frozen=True)
class InvalidBallot:
    """A ballot the committee ruled invalid on grounds the marks cannot show."""

    reason: InvalidReason


Ballot = StrikeBallot | BoxesBallot | InvalidBallot
