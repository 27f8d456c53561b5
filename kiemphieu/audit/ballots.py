"""Every ballot row checked against the chained entries that created and superseded it.

A ballot's digest covers what it says and where it sits: round, pass, stack position, marks
(which hold the committee's ruling of an invalid ballot or a settled reading) and the scan it
came from. ``record`` adds it to every entry that names a ballot (``ballot_id``), and bulk
writers (the demo, the chain migration) list ``ballot_digests`` as [id, round_id, digest].
Replaying a congress's chain gives, per ballot id, the digest it was stored with and whether
it was superseded since; the rows in the database must say the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, Ballot
from .chain import chain_key


def ballot_digest(ballot: Ballot) -> str:
    content = {
        "round_id": ballot.round_id,
        "entry_pass": ballot.entry_pass,
        "sequence": ballot.sequence,
        "marks": ballot.marks,
        "scan_id": ballot.scan_id,
    }
    if ballot.batch != 1:  # batches (tệp phiếu); batch 1 keeps the digests stored before batches existed
        content["batch"] = ballot.batch
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def attach_ballot_digest(detail: dict[str, Any]) -> None:
    """An entry naming a ballot carries its digest (the row is in the session, just flushed)."""
    ballot_id = detail.get("ballot_id")
    if isinstance(ballot_id, int) and "ballot_digest" not in detail:
        row = db.session.get(Ballot, ballot_id)
        if row is not None:
            detail["ballot_digest"] = ballot_digest(row)


def _superseded_ids(action: str, detail: dict[str, Any]) -> list[int]:
    ids = list(detail.get("supersedes") or [])
    for key in ("replaced", "superseded_ballot_id"):  # ballot.settle, scan.reopen
        if isinstance(detail.get(key), int):
            ids.append(detail[key])
    if action == "ballot.undo" and isinstance(detail.get("ballot_id"), int):
        ids.append(detail["ballot_id"])
    return ids


@dataclass
class BallotLedger:
    """What a congress's chain says about its ballots."""

    digests: dict[int, str] = field(default_factory=dict)
    rounds: dict[int, int] = field(default_factory=dict)  # ballot id -> round id, where the entry says
    superseded: set[int] = field(default_factory=set)
    conflicts: dict[int, int] = field(default_factory=dict)  # ballot id -> entry id with another digest

    def attest(self, ballot_id: int, digest: str | None, round_id: Any, entry_id: int) -> None:
        if isinstance(round_id, int):
            self.rounds.setdefault(ballot_id, round_id)
        known = self.digests.get(ballot_id)
        if not digest:  # an entry written before digests existed: attests the id only
            self.digests.setdefault(ballot_id, "")
        elif known and known != digest:
            self.conflicts.setdefault(ballot_id, entry_id)
        else:
            self.digests[ballot_id] = digest

    def add(self, entry_id: int, action: str, detail: dict[str, Any]) -> None:
        if isinstance(detail.get("ballot_id"), int):
            self.attest(detail["ballot_id"], detail.get("ballot_digest"), detail.get("round_id"), entry_id)
        for item in detail.get("ballot_digests") or []:
            ballot_id, round_id, digest = item
            self.attest(ballot_id, digest, round_id, entry_id)
        self.superseded.update(_superseded_ids(action, detail))


def ledger_for(congress_id: int) -> BallotLedger:
    ledger = BallotLedger()
    rows = db.session.execute(
        select(AuditEntry.id, AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.chain == chain_key(congress_id))
        .order_by(AuditEntry.seq)
    )
    for entry_id, action, detail in rows:
        if detail:
            ledger.add(entry_id, action, detail)
    return ledger


@dataclass(frozen=True)
class BallotProblem:
    ballot_id: int
    sequence: int | None
    entry_pass: str | None
    problem: str

    @property
    def message(self) -> str:
        where = f"phiếu số {self.sequence} lượt {self.entry_pass}" if self.sequence else f"phiếu mã {self.ballot_id}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class BallotReport:
    checked: int
    problems: list[BallotProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_rows(ledger: BallotLedger, rows: Iterable[Ballot], round_ids: set[int]) -> BallotReport:
    """Compare rows (every ballot of ``round_ids``, superseded ones too) with the ledger."""
    problems: list[BallotProblem] = []
    seen: set[int] = set()
    checked = 0
    for row in rows:
        checked += 1
        seen.add(row.id)
        expected = ledger.digests.get(row.id)

        def bad(text: str) -> None:
            problems.append(BallotProblem(row.id, row.sequence, row.entry_pass, text))

        if expected is None:
            bad("không có trong nhật ký thao tác (row not in the audit log)")
        elif row.id in ledger.conflicts:
            bad("nhật ký ghi hai nội dung khác nhau cho phiếu này")
        elif expected and ballot_digest(row) != expected:
            bad("nội dung phiếu khác với nhật ký (marks, position or pass altered)")
        elif ledger.rounds.get(row.id, row.round_id) != row.round_id:
            bad("phiếu đã bị chuyển sang vòng bầu khác")
        elif bool(row.superseded) != (row.id in ledger.superseded):
            bad("trạng thái hủy của phiếu khác với nhật ký" if row.superseded else
                "phiếu đã hủy trong nhật ký nhưng đang được tính")
    for ballot_id, round_id in ledger.rounds.items():
        if round_id in round_ids and ballot_id not in seen:
            problems.append(BallotProblem(ballot_id, None, None, "phiếu có trong nhật ký nhưng đã bị xóa"))
    return BallotReport(checked, problems)


def verify_round_ballots(round_id: int, congress_id: int, ledger: BallotLedger | None = None) -> BallotReport:
    ledger = ledger or ledger_for(congress_id)
    rows = db.session.scalars(select(Ballot).where(Ballot.round_id == round_id).order_by(Ballot.id))
    return check_rows(ledger, rows, {round_id})
