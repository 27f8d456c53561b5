"""The certified fingerprint of a round: one SHA-256 over its inputs and its result.

The web app stores it when a round is finalised, the minutes print it, and `kiemphieu verify`
recomputes it from the ballots attached to the PDF. All three call this one function.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from .engine import Result, tally
from .io import ballot_to_json, election_to_json
from .model import Ballot, Election


def canonical_record(election: Election, ballots: Sequence[Ballot], result: Result | None = None) -> dict:
    """Everything the digest covers, as plain JSON: the election, each ballot in order, the result."""
    result = result or tally(election, ballots)
    return {
        "election": election_to_json(election),
        "ballots": [ballot_to_json(b) for b in ballots],
        "result": result.to_json(),
    }


def canonical_bytes(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def record_digest(record: dict) -> str:
    """The digest of a record already made by :func:`canonical_record`."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def round_digest(election: Election, ballots: Sequence[Ballot], result: Result | None = None) -> str:
    return record_digest(canonical_record(election, ballots, result))
