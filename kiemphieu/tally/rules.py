"""Validity of one ballot (Article 15 and 30 of Decision 190; contract section 2)."""

from __future__ import annotations

from dataclasses import dataclass

from .model import (
    DEFAULT_RULES,
    Ballot,
    BoxesBallot,
    BoxMark,
    Election,
    InvalidBallot,
    InvalidReason,
    RuleSettings,
    StrikeBallot,
)


@dataclass(frozen=True)
class Verdict:
    """What one ballot counts for: the candidates it votes for, or why it is invalid."""

    votes: frozenset[str]
    invalid: InvalidReason | None = None

    @property
    def valid(self) -> bool:
        return self.invalid is None


def _invalid(reason: InvalidReason) -> Verdict:
    return Verdict(frozenset(), reason)


def judge(election: Election, ballot: Ballot, rules: RuleSettings = DEFAULT_RULES) -> Verdict:
    """Classify a ballot whose marks the committee has read (and ruled on where needed)."""
    if isinstance(ballot, InvalidBallot):
        return _invalid(ballot.reason)
    if isinstance(ballot, StrikeBallot):
        return _judge_strike(election, ballot)
    return _judge_boxes(election, ballot, rules)


def _judge_strike(election: Election, ballot: StrikeBallot) -> Verdict:
    kept = frozenset(election.candidate_ids) - ballot.struck
    if len(kept) > election.seats:
        return _invalid(InvalidReason.OVER_SEATS)
    if not kept:
        return _invalid(InvalidReason.NO_VOTE)
    return Verdict(kept)


def _judge_boxes(election: Election, ballot: BoxesBallot, rules: RuleSettings) -> Verdict:
    marks = {cid: ballot.mark(cid) for cid in election.candidate_ids}
    agreed = frozenset(cid for cid, mark in marks.items() if mark is BoxMark.AGREE)
    if len(agreed) > election.seats:
        return _invalid(InvalidReason.OVER_SEATS)
    if len(marks) == 1:
        (only,) = marks.values()
        if only in (BoxMark.BOTH, BoxMark.NONE) and rules.single_candidate_unclear_invalid:
            return _invalid(InvalidReason.UNCLEAR)
        return Verdict(agreed)
    if not agreed:
        return _invalid(InvalidReason.NO_VOTE)
    return Verdict(agreed)

