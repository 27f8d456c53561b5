"""`kiemphieu tally ELECTION BALLOTS` (contract section 2)."""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("tally", help="count one round from an election file and ballots")
    parser.add_argument("election", help="election JSON (kiemphieu/election-1)")
    parser.add_argument("ballots", help="ballots, JSON Lines, one ballot a line")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from kiemphieu.tally import InputError, load_ballots, load_election, tally

    try:
        election = load_election(args.election)
        ballots = load_ballots(args.ballots, election)
    except InputError as exc:
        print(f"kiemphieu tally: {exc}", file=sys.stderr)
        return 2
    result = tally(election, ballots)
    json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
