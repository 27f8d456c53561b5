"""The count: votes, the majority test, ranking, ties, unfilled seats and the next round.

Article 30 of Decision 190: a candidate is elected with more than half of the base
(convened minus itemised exclusions), ranked by votes, filling at most the seats. Winners
are decided on integers (``2 * votes > base``); percentages are for display only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .model import DEFAULT_RULES, Ballot, Election, InvalidReason, RuleSettings
from .rules import judge


class Status(StrEnum):
    ELECTED = "elected"
    TIE = "tie"
    NOT_ELECTED = "not_elected"  # over the majority but outranked
    BELOW_MAJORITY = "below_majority"


class Outcome(StrEnum):
    COMPLETE = "complete"
    TIE = "tie"
    UNFILLED = "unfilled"


_HUNDREDTH = Decimal("0.01")


def percent(votes: int, base: int) -> Decimal:
    """votes / base x 100, two decimals, half up."""
    return (Decimal(votes) * 100 / Decimal(base)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def is_elected_by_majority(votes: int, base: int) -> bool:
    return 2 * votes > base


@dataclass(frozen=True)
class CandidateResult:
    id: str
    name: str
    order: int
    votes: int
    percent: Decimal
    rank: int
    status: Status


@dataclass(frozen=True)
class NextRound:
    seats: int
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Check:
    code: str
    message: str


@dataclass(frozen=True)
class Result:
    base: int
    majority: int
    counted: int
    valid: int
    invalid_reasons: dict[InvalidReason, int]
    candidates: tuple[CandidateResult, ...]  # ballot order
    elected: tuple[str, ...]  # by votes, then ballot order
    outcome: Outcome
    next_round: NextRound | None
    checks: tuple[Check, ...] = field(default=())

    @property
    def invalid(self) -> int:
        return self.counted - self.valid

    @property
    def seats_filled(self) -> int:
        return len(self.elected)

    def by_id(self, candidate_id: str) -> CandidateResult:
        return next(c for c in self.candidates if c.id == candidate_id)

    def to_json(self) -> dict:
        """The contract's output object (cli.md section 2)."""
        return {
            "base": self.base,
            "majority": self.majority,
            "ballots": {
                "counted": self.counted,
                "valid": self.valid,
                "invalid": self.invalid,
                "invalid_reasons": {str(r): n for r, n in self.invalid_reasons.items()},
            },
            "candidates": [
                {
                    "id": c.id,
                    "name": c.name,
                    "order": c.order,
                    "votes": c.votes,
                    "percent": str(c.percent),
                    "rank": c.rank,
                    "status": str(c.status),
                }
                for c in self.candidates
            ],
            "elected": list(self.elected),
            "outcome": str(self.outcome),
            "seats_filled": self.seats_filled,
            "next_round": (
                {"seats": self.next_round.seats, "candidates": list(self.next_round.candidates)}
                if self.next_round
                else None
            ),
            "checks": [{"code": c.code, "message": c.message} for c in self.checks],
        }


def tally(
    election: Election, ballots: Iterable[Ballot], rules: RuleSettings = DEFAULT_RULES
) -> Result:
    votes: Counter[str] = Counter()
    invalid_reasons: Counter[InvalidReason] = Counter()
    counted = 0
    for ballot in ballots:
        counted += 1
        verdict = judge(election, ballot, rules)
        if verdict.valid:
            votes.update(verdict.votes)
        else:
            invalid_reasons[verdict.invalid] += 1
    valid = counted - sum(invalid_reasons.values())
    reasons_in_order = {r: invalid_reasons[r] for r in InvalidReason if invalid_reasons[r]}
    return decide(election, {cid: votes[cid] for cid in election.candidate_ids}, counted, valid,
                  reasons_in_order)


def decide(
    election: Election,
    votes: dict[str, int],
    counted: int,
    valid: int,
    invalid_reasons: dict[InvalidReason, int],
) -> Result:
    """Apply the majority and seat rules to vote totals already counted."""
    base = election.base
    ranks = _competition_ranks(votes)
    statuses, next_round, outcome = _allocate(election, votes)
    candidates = tuple(
        CandidateResult(
            id=c.id,
            name=c.name,
            order=order,
            votes=votes[c.id],
            percent=percent(votes[c.id], base),
            rank=ranks[c.id],
            status=statuses[c.id],
        )
        for order, c in enumerate(election.candidates, start=1)
    )
    elected = tuple(
        c.id for c in sorted(candidates, key=lambda c: (-c.votes, c.order))
        if c.status is Status.ELECTED
    )
    return Result(
        base=base,
        majority=election.majority,
        counted=counted,
        valid=valid,
        invalid_reasons=invalid_reasons,
        candidates=candidates,
        elected=elected,
        outcome=outcome,
        next_round=next_round,
        checks=tuple(reconcile(election, votes, counted, valid)),
    )


def _competition_ranks(votes: dict[str, int]) -> dict[str, int]:
    """1-based rank by votes; equal votes share a rank (1, 2, 2, 4)."""
    ordered = sorted(votes.values(), reverse=True)
    first_position = {}
    for position, v in enumerate(ordered, start=1):
        first_position.setdefault(v, position)
    return {cid: first_position[v] for cid, v in votes.items()}


def _allocate(
    election: Election, votes: dict[str, int]
) -> tuple[dict[str, Status], NextRound | None, Outcome]:
    """Fill seats from the top, group by equal votes; never break a tie."""
    statuses = {cid: Status.BELOW_MAJORITY for cid in election.candidate_ids}
    over = [cid for cid in election.candidate_ids if is_elected_by_majority(votes[cid], election.base)]
    seats_left = election.seats
    for vote_count in sorted({votes[cid] for cid in over}, reverse=True):
        group = [cid for cid in over if votes[cid] == vote_count]
        if seats_left == 0:
            statuses.update(dict.fromkeys(group, Status.NOT_ELECTED))
        elif len(group) <= seats_left:
            statuses.update(dict.fromkeys(group, Status.ELECTED))
            seats_left -= len(group)
        else:
            statuses.update(dict.fromkeys(group, Status.TIE))
            tie = NextRound(seats_left, tuple(group))
            # Everyone below the tied group is outranked by it, whatever happens next.
            for cid in over:
                if votes[cid] < vote_count:
                    statuses[cid] = Status.NOT_ELECTED
            return statuses, tie, Outcome.TIE
    if seats_left:
        not_elected = tuple(cid for cid in election.candidate_ids if statuses[cid] is not Status.ELECTED)
        return statuses, NextRound(seats_left, not_elected), Outcome.UNFILLED
    return statuses, None, Outcome.COMPLETE


def reconcile(election: Election, votes: dict[str, int], counted: int, valid: int) -> list[Check]:
    """The arithmetic the committee must resolve before signing the minutes."""
    checks = []
    if election.issued is not None and counted > election.issued:
        checks.append(Check(
            "counted_exceeds_issued",
            f"Số phiếu thu về ({counted}) nhiều hơn số phiếu phát ra ({election.issued}).",
        ))
    if election.issued is not None and election.present is not None and election.issued > election.present:
        checks.append(Check(
            "issued_exceeds_present",
            f"Số phiếu phát ra ({election.issued}) nhiều hơn số đại biểu có mặt ({election.present}).",
        ))
    if election.present is not None and election.present > election.convened:
        checks.append(Check(
            "present_exceeds_convened",
            f"Số có mặt ({election.present}) nhiều hơn số được triệu tập ({election.convened}).",
        ))
    over_valid = [cid for cid, v in votes.items() if v > valid]
    if over_valid:
        checks.append(Check(
            "votes_exceed_valid",
            f"Số phiếu bầu của {', '.join(over_valid)} nhiều hơn số phiếu hợp lệ ({valid}).",
        ))
    if sum(votes.values()) > valid * election.seats:
        checks.append(Check(
            "votes_exceed_seats",
            f"Tổng số phiếu bầu ({sum(votes.values())}) vượt quá số phiếu hợp lệ nhân số lượng cần bầu.",
        ))
    return checks
