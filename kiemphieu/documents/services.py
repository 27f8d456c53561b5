"""Gathering what the printable documents need; the rendering is the OCR and minutes libraries'."""

from __future__ import annotations

from dataclasses import dataclass

from .. import tally
from ..models import Congress, Round
from ..results import services as results_services

MAX_COPIES = 2000


@dataclass(frozen=True)
class SummaryRound:
    election: tally.Election
    result: tally.Result
    digest: str | None  # None while the round is not finalised


def summary_rounds(congress: Congress) -> list[SummaryRound]:
    """Every round that has begun counting, in the order the elections and rounds were held.

    A finalised round contributes its latest certified version; a round still in entry its
    live count (the summary is then a draft).
    """
    rounds = []
    for election in congress.elections:
        for round_ in election.rounds:
            if round_.status == "setup":
                continue
            rounds.append(_summary_round(round_))
    return rounds


def _summary_round(round_: Round) -> SummaryRound:
    version = results_services.latest_version(round_) if round_.is_finalised else None
    if version:
        rr = results_services.version_result(version)
        return SummaryRound(rr.election, rr.result, version.digest)
    rr = results_services.current_result(round_)
    return SummaryRound(rr.election, rr.result, None)

