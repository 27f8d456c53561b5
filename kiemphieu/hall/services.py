"""What the hall sees, one slide per election: progress while counting, the result once final.

The same slide data feeds the projector page (JSON, polled), the PPTX and the 16:9 PDF. Before
a round is finalised a slide carries only counts of ballots (counted of issued): no candidate
figure leaves the server until the committee has announced the result. Every sentence comes
from the minutes' wording (``kiemphieu.minutes``) and every figure from the certified version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..minutes.context import outcome_paragraphs
from ..minutes.formatting import percent_vi
from ..minutes.wording import assembly_for, wording_for
from ..models import Congress, EntryMode, EntryPass, Election, Round, RoundStatus
from ..results import services as results_services

SETUP, COUNTING, FINAL = "setup", "counting", "final"


@dataclass(frozen=True)
class ElectedRow:
    rank: int
    name: str
    votes: int
    percent: str  # decimal comma: "81,08"


@dataclass(frozen=True)
class Slide:
    election_id: int
    title: str
    round: int
    state: str  # SETUP, COUNTING or FINAL
    seats: int
    # Counting (and final): ballots, never votes.
    counted: int = 0
    issued: int | None = None
    present: int | None = None
    # Final only: the announcement.
    base: int | None = None
    majority: int | None = None
    valid: int | None = None
    invalid: int | None = None
    elected_heading: str = ""
    elected: list[ElectedRow] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    digest: str | None = None

    @property
    def round_label(self) -> str:
        return f"Vòng {self.round}" if self.round > 1 else ""

    def to_json(self) -> dict:
        data = asdict(self)
        if self.state != FINAL:  # nothing about candidates before the announcement
            for key in ("base", "majority", "valid", "invalid", "elected", "outcome", "elected_heading", "digest"):
                data.pop(key)
        return data


def shown_round(election: Election) -> Round | None:
    """The round the hall follows: the latest that has begun counting (a new round still in
    set-up leaves its predecessor's result, which proposes it, on the screen)."""
    begun = [r for r in election.rounds if r.status != RoundStatus.SETUP.value]
    return begun[-1] if begun else None


def ballots_counted(round_: Round) -> int:
    """Ballots counted so far, without tallying: single entry, pass A and scans; double entry,
    the stack positions both passes have typed (what the comparison can already confirm)."""
    scanned = len(round_.active_ballots(EntryPass.SCAN))
    typed = len(round_.active_ballots(EntryPass.A))
    if round_.mode is EntryMode.DOUBLE:
        typed = min(typed, len(round_.active_ballots(EntryPass.B)))
    return typed + scanned


def progress_slide(election: Election, round_: Round | None) -> Slide:
    if round_ is None:
        first = election.rounds[0] if election.rounds else None
        return Slide(election.id, election.title, 1, SETUP, first.seats if first else election.seats,
                     issued=first.issued if first else None, present=first.present if first else None)
    return Slide(election.id, election.title, round_.number, COUNTING, round_.seats,
                 counted=ballots_counted(round_), issued=round_.issued, present=round_.present)


def result_slide(round_: Round) -> Slide:
    """The announcement of a finalised round, from its latest certified version."""
    rr = results_services.version_result(results_services.latest_version(round_))
    return announcement(round_.election.id, rr)


def announcement(election_id: int, rr: results_services.RoundResult) -> Slide:
    election, result = rr.election, rr.result
    wording = wording_for(election.kind)
    elected = [result.by_id(cid) for cid in result.elected]
    names = election.display_names  # namesakes with their year of birth, as the minutes print them
    return Slide(
        election_id, election.title, election.round, FINAL, election.seats,
        counted=result.counted, issued=election.issued, present=election.present,
        base=result.base, majority=result.majority, valid=result.valid, invalid=result.invalid,
        elected_heading=f"Những đồng chí {wording.elected_as} (xếp theo số phiếu từ cao đến thấp)",
        elected=[ElectedRow(rank, names[c.id], c.votes, percent_vi(c.percent)) for rank, c in enumerate(elected, start=1)],
        outcome=outcome_paragraphs(election, result, assembly_for(election.body)),
        digest=rr.digest,
    )


def election_slide(election: Election) -> Slide:
    round_ = shown_round(election)
    if round_ is not None and round_.is_finalised and round_.result_versions:
        return result_slide(round_)
    return progress_slide(election, round_)


def hall_slides(congress: Congress) -> list[Slide]:
    return [election_slide(e) for e in congress.elections]


def hall_state(congress: Congress) -> dict:
    """The JSON the projector page polls."""
    return {"congress": congress.full_name, "organisation": congress.organisation.name,
            "slides": [s.to_json() for s in hall_slides(congress)]}


def finalised_slides(congress: Congress) -> list[Slide]:
    """Every finalised round of the congress, in the order held: the presentation file."""
    slides = []
    for election in congress.elections:
        for round_ in election.rounds:
            if round_.is_finalised and round_.result_versions:
                slides.append(result_slide(round_))
    return slides
