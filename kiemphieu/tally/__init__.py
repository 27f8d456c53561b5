"""The counting rules of Decision 190 and Guidance 04-HD/TW, in pure Python.

No Flask, no database: the web app, the CLI, the minutes and the scanner all call this.
"""

from .digest import canonical_bytes, canonical_record, record_digest, round_digest
from .engine import CandidateResult, Check, NextRound, Outcome, Result, Status, decide, percent, tally
from .io import (
    InputError,
    ballot_to_json,
    election_to_json,
    iter_ballots,
    load_ballots,
    load_election,
    parse_ballot,
    parse_election,
)
from .model import (
    COMMITTEE_REASONS,
    DEFAULT_RULES,
    ENGINE_REASONS,
    PLENUM_KINDS,
    REASON_LABELS,
    Ballot,
    Body,
    BoxesBallot,
    BoxMark,
    Candidate,
    CommitteeMember,
    Election,
    Form,
    InvalidBallot,
    InvalidReason,
    Kind,
    RuleSettings,
    StrikeBallot,
    default_body,
    is_branch,
)
from .names import (
    PERSON_NAME_MAX,
    InvalidName,
    clean_name,
    collation_key,
    comparison_key,
    display_names,
    indistinguishable_namesakes,
    normalize_name,
    same_name_key,
)
from .rules import Verdict, judge

__all__ = [name for name in dir() if not name.startswith("_")]
