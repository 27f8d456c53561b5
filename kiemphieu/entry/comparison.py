"""Double and triple entry: the passes compared position by position, batch by batch, and the
committee's rulings (a ruling is a new ``settled`` ballot; nothing is edited or deleted)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import audit, tally
from ..extensions import db, write_operation
from ..models import Ballot, EntryPass, Round, utcnow
from .services import ABSENT, EntryError, acting_user, all_same, canonical_marks, check_batch, parse_marks, \
    refuse_unless_entry

@dataclass
class Difference:
    sequence: int
    a: Ballot | None
    b: Ballot | None
    settled: Ballot | None = None
    batch: int = 1
    c: Ballot | None = None
    # Triple entry: the two passes that read this ballot alike while the third differs (a hint
    # for the committee, which still rules from the paper; nothing is settled by majority).
    agreeing: tuple[EntryPass, EntryPass] | None = None

    @property
    def dissenting(self) -> EntryPass | None:
        if self.agreeing is None:
            return None
        return next(p for p in (EntryPass.A, EntryPass.B, EntryPass.C) if p not in self.agreeing)

    @property
    def is_settled(self) -> bool:
        return self.settled is not None

    def readings(self, passes: tuple[EntryPass, ...]) -> list[tuple[EntryPass, Ballot | None]]:
        by_pass = {EntryPass.A: self.a, EntryPass.B: self.b, EntryPass.C: self.c}
        return [(p, by_pass[p]) for p in passes]


@dataclass
class Comparison:
    a_count: int
    b_count: int
    agreed: int
    differences: list[Difference] = field(default_factory=list)
    c_count: int = 0
    batch: int | None = None  # None: every batch of the round
    batches: list[Comparison] = field(default_factory=list)  # per batch, when the round has several

    @property
    def unsettled(self) -> list[Difference]:
        return [d for d in self.differences if not d.is_settled]

    @property
    def complete(self) -> bool:
        """Every position agrees or is settled (and at least one ballot was entered)."""
        return not self.unsettled and (self.a_count or self.b_count or self.c_count) > 0


def _compare_batch(round_: Round, batch: int, election: tally.Election) -> Comparison:
    passes = round_.mode.passes
    typed = {p: {b.sequence: b for b in round_.active_ballots(p, batch)} for p in passes}
    settled = {b.sequence: b for b in round_.active_ballots(EntryPass.SETTLED, batch)}
    counts = {p: len(typed[p]) for p in passes}
    report = Comparison(counts.get(EntryPass.A, 0), counts.get(EntryPass.B, 0), 0,
                        c_count=counts.get(EntryPass.C, 0), batch=batch)
    positions = set(settled)
    for p in passes:
        positions |= typed[p].keys()
    for sequence in sorted(positions):
        found = [typed[p].get(sequence) for p in passes]
        if all(b is not None for b in found) and all_same([b.marks for b in found], election):
            report.agreed += 1
            continue
        report.differences.append(Difference(sequence, typed[EntryPass.A].get(sequence),
                                             typed[EntryPass.B].get(sequence), settled.get(sequence), batch,
                                             typed.get(EntryPass.C, {}).get(sequence),
                                             agreeing=_two_alike(dict(zip(passes, found)), election)))
    return report


def _two_alike(found: dict[EntryPass, Ballot | None], election: tally.Election) -> tuple[EntryPass, EntryPass] | None:
    """Of three passes that differ, the two that read the ballot alike (both entered), if any."""
    if len(found) != 3:
        return None
    for first, second in ((EntryPass.A, EntryPass.B), (EntryPass.A, EntryPass.C), (EntryPass.B, EntryPass.C)):
        one, other = found[first], found[second]
        if one is not None and other is not None and all_same([one.marks, other.marks], election):
            return first, second
    return None


def compare_passes(round_: Round, batch: int | None = None) -> Comparison:
    """Every stack position where the passes read differently, or not every pass has a ballot;
    batch by batch (each batch is its own stack), summed over the round unless ``batch`` is given."""
    election = round_.to_election()
    if batch is not None:
        return _compare_batch(round_, batch, election)
    parts = [_compare_batch(round_, n, election) for n in range(1, round_.batches + 1)]
    total = Comparison(sum(p.a_count for p in parts), sum(p.b_count for p in parts), sum(p.agreed for p in parts),
                       [d for p in parts for d in p.differences], c_count=sum(p.c_count for p in parts),
                       batches=parts if round_.batches > 1 else [])
    return total


SETTLE_CHOICES = ("A", "B", "C", "marks", "absent")


@write_operation
def settle(round_: Round, sequence: int, choice: str, marks: Any = None, note: str = "", batch: int = 1) -> Ballot:
    """The committee's reading of stack position ``sequence`` of a batch after looking at the paper.

    ``choice``: "A", "B" or "C" (take that pass's reading), "marks" (the reading given) or
    "absent" (no ballot at this position). A new settled ballot supersedes an earlier ruling.
    """
    refuse_unless_entry(round_)
    if not round_.mode.compared:
        raise EntryError("Vòng bầu này nhập một lần: không có đối chiếu.")
    check_batch(round_, batch)
    if choice not in SETTLE_CHOICES or (choice in ("A", "B", "C") and EntryPass(choice) not in round_.mode.passes):
        raise EntryError("Cách xử lý không hợp lệ.")
    election = round_.to_election()
    passes = {p: _live_at(round_, p, sequence, batch) for p in round_.mode.passes}
    if all(b is None for b in passes.values()):
        raise EntryError(f"Không có phiếu số {sequence} trong lượt nhập nào.")
    if choice in ("A", "B", "C"):
        source = passes[EntryPass(choice)]
        reading = source.marks if source is not None else dict(ABSENT)
    elif choice == "absent":
        reading = dict(ABSENT)
    else:
        reading = canonical_marks(parse_marks(round_, marks, election), election)
    user = acting_user()
    previous = _live_at(round_, EntryPass.SETTLED, sequence, batch)
    if previous is not None:
        previous.superseded, previous.superseded_at = True, utcnow()
        db.session.flush()
    row = Ballot(
        round_id=round_.id,
        entry_pass=EntryPass.SETTLED.value,
        batch=batch,
        sequence=sequence,
        marks=reading,
        entered_by_id=user.id if user else None,
        idempotency_key=f"settled-{uuid.uuid4().hex}",
        round_version=round_.version,
    )
    db.session.add(row)
    db.session.flush()
    typed = {f"pass_{p.value.lower()}": (b.marks if b else None) for p, b in passes.items()}
    audit.record("ballot.settle", congress=round_.election.congress_id, round_id=round_.id, batch=batch,
                 sequence=sequence, choice=choice, marks=reading, ballot_id=row.id, note=note,
                 replaced=previous.id if previous is not None else None, **typed)
    db.session.commit()
    return row


def _live_at(round_: Round, entry_pass: EntryPass, sequence: int, batch: int = 1) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(
        Ballot.round_id == round_.id, Ballot.entry_pass == entry_pass.value, Ballot.batch == batch,
        Ballot.sequence == sequence, Ballot.is_live,
    ))
