"""The whole check of one congress: its chain, every ballot row, every stored result digest.

- the chain: every hash, link and number, and the head record (``chain.verify_one_chain``);
- every ballot of every round against the entries that created and superseded it
  (``ballots.check_rows``);
- every ``ResultVersion``: its digest equals the ``round.finalise`` entry's, its canonical
  record still gives that digest, and the round's own digest is the latest version's;
- optionally an anchor printed on paper (the minutes' footer): entry N of the chain still
  has the printed hash, which no rewrite of the database can restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, Ballot, Congress, Election, ResultVersion, Round
from .ballots import BallotProblem, BallotReport, check_rows, ledger_for
from .chain import ChainReport, chain_key, verify_one_chain


@dataclass(frozen=True)
class VersionCheck:
    round_id: int
    version: int
    ok: bool
    problem: str = ""
    entry_digest: str | None = None


def finalise_entries(congress_id: int) -> dict[tuple[int, int], AuditEntry]:
    """(round id, version) -> the round.finalise entry that certified it."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.chain == chain_key(congress_id), AuditEntry.action == "round.finalise")
    )
    return {(e.detail.get("round_id"), e.detail.get("version")): e for e in entries}


def check_versions(round_: Round, finalised: dict[tuple[int, int], AuditEntry]) -> list[VersionCheck]:
    """Each stored version against its round.finalise entry and its own canonical record."""
    from ..results.services import version_result

    checks = []
    stored = {v.version: v for v in round_.result_versions}
    for version in stored.values():
        entry = finalised.get((round_.id, version.version))
        logged = entry.detail.get("digest") if entry else None
        if entry is None:
            problem = "không có mục chốt kết quả (round.finalise) trong nhật ký"
        elif logged != version.digest:
            problem = "mã xác thực đã lưu khác với mã ghi trong nhật ký khi chốt"
        elif version_result(version).digest != version.digest:
            problem = "bản ghi kết quả không còn cho ra mã xác thực đã lưu"
        elif version.version == round_.version and round_.is_finalised and round_.digest != version.digest:
            problem = "mã xác thực của vòng bầu khác với phiên bản đã chốt"
        else:
            problem = ""
        checks.append(VersionCheck(round_.id, version.version, not problem, problem, logged))
    for (round_id, number), entry in finalised.items():
        if round_id == round_.id and number not in stored:
            checks.append(VersionCheck(round_.id, number, False, "phiên bản kết quả ghi trong nhật ký đã bị xóa",
                                       entry.detail.get("digest")))
    return sorted(checks, key=lambda c: c.version)


@dataclass
class CongressCheck:
    congress_id: int
    chain: ChainReport
    ballots: BallotReport
    versions: list[VersionCheck] = field(default_factory=list)
    anchor_problem: str = ""

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.ballots.ok and all(v.ok for v in self.versions) and not self.anchor_problem

    def problems(self) -> list[str]:
        lines = [] if self.chain.ok else [f"chuỗi nhật ký: {self.chain.problem}"
                                          + (f" (mục id {self.chain.first_bad_id})" if self.chain.first_bad_id else "")]
        lines += [f"phiếu: {p.message}" for p in self.ballots.problems]
        lines += [f"vòng {v.round_id} phiên bản {v.version}: {v.problem}" for v in self.versions if not v.ok]
        if self.anchor_problem:
            lines.append(f"mã nhật ký in trên biên bản: {self.anchor_problem}")
        return lines


def check_anchor(congress_id: int, seq: int, hash_: str) -> str:
    """'' when entry ``seq`` of the congress's chain still has the hash printed on paper."""
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.chain == chain_key(congress_id), AuditEntry.seq == seq))
    if entry is None:
        return f"không còn mục số {seq} trong nhật ký"
    if entry.hash != hash_.lower():
        return f"mục số {seq} có mã khác với mã đã in (nhật ký đã bị viết lại)"
    return ""


def round_ids_of(congress_id: int) -> list[int]:
    return list(db.session.scalars(
        select(Round.id).join(Election).where(Election.congress_id == congress_id).order_by(Round.id)))


def check_congress(congress_id: int, anchor: tuple[int, str] | None = None) -> CongressCheck:
    chain = verify_one_chain(chain_key(congress_id))
    ledger = ledger_for(congress_id)
    rounds = round_ids_of(congress_id)
    rows = db.session.scalars(select(Ballot).where(Ballot.round_id.in_(rounds)).order_by(Ballot.id)) if rounds else []
    ballots = check_rows(ledger, rows, set(rounds))
    finalised = finalise_entries(congress_id)
    versions = []
    for round_id in rounds:
        versions += check_versions(db.session.get(Round, round_id), finalised)
    known = set(rounds)
    for (round_id, number), entry in finalised.items():
        if round_id not in known:  # the whole round is gone
            versions.append(VersionCheck(round_id, number, False, "vòng bầu đã chốt trong nhật ký đã bị xóa",
                                         entry.detail.get("digest")))
    result = CongressCheck(congress_id, chain, ballots, versions)
    if anchor is not None:
        result.anchor_problem = check_anchor(congress_id, *anchor)
    return result


def congress_ids() -> list[int]:
    """Every congress in the database or in the log (a deleted congress's chain is checked too)."""
    ids = set(db.session.scalars(select(Congress.id)))
    ids |= {i for i in db.session.scalars(select(AuditEntry.congress_id).distinct()) if i is not None}
    return sorted(ids)


def round_integrity(round_: Round) -> tuple[BallotReport, list[VersionCheck]]:
    """What the results and versions pages show: this round's ballots and versions only."""
    congress_id = round_.election.congress_id
    ledger = ledger_for(congress_id)
    rows = db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id).order_by(Ballot.id))
    return check_rows(ledger, rows, {round_.id}), check_versions(round_, finalise_entries(congress_id))


__all__ = ["BallotProblem", "CongressCheck", "VersionCheck", "check_anchor", "check_congress", "congress_ids",
           "round_integrity"]
