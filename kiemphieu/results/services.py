"""Results, finalisation, reopening and the next round of one round.

Every figure comes from ``kiemphieu.tally`` (tally, round_digest, canonical_record). A
finalisation writes an immutable ``ResultVersion`` holding the canonical record (election +
ballots + result), so each version stays readable and verifiable after later changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit, labels, tally
from ..congress import services as congress_services
from ..entry import comparison
from ..entry import services as entry_services
from ..extensions import db, write_operation
from ..models import AuditEntry, EntryMode, Round, RoundStatus, ResultVersion, User, utcnow
from ..scanning.outstanding import outstanding_scans

HEAD_ROLE = labels.HEAD_ROLE


class ResultsError(ValueError):
    """A refused finalisation/reopening/next round; the Vietnamese message is shown as is."""


@dataclass(frozen=True)
class RoundResult:
    election: tally.Election
    ballots: list[tally.Ballot]
    result: tally.Result
    digest: str


def current_result(round_: Round) -> RoundResult:
    """The engine's result over the ballots that count now (double entry: A + settled)."""
    election = round_.to_election()
    ballots = [b.to_engine(election) for b in round_.counted_ballots()]
    result = tally.tally(election, ballots)
    return RoundResult(election, ballots, result, tally.round_digest(election, ballots, result))


def version_result(version: ResultVersion) -> RoundResult:
    """A stored version, rebuilt from its canonical record alone (not from today's tables)."""
    record = version.record
    election = tally.parse_election(json.dumps(record["election"], ensure_ascii=False), f"version {version.version}")
    ballots = [tally.parse_ballot(b, election) for b in record["ballots"]]
    result = tally.tally(election, ballots)
    return RoundResult(election, ballots, result, tally.round_digest(election, ballots, result))


def reconciliation_notes(election: tally.Election, result: tally.Result, *, finalised: bool) -> list[str]:
    """What the engine's checks do not flag but a count committee must read in words: fewer
    ballots counted than issued (a shortfall is not "the figures agree"), or no issued figure."""
    if election.issued is None:
        return ["Chưa nhập số phiếu phát ra: chưa đối soát được số phiếu thu về."]
    missing = election.issued - result.counted
    if missing <= 0:
        return []
    note = (f"Phiếu thu về ({result.counted}) ít hơn phiếu phát ra ({election.issued}): "
            f"thiếu {missing} phiếu")
    return [note + ("." if finalised else " (có thể còn phiếu chưa nhập).")]


def latest_version(round_: Round) -> ResultVersion | None:
    return round_.result_versions[-1] if round_.result_versions else None


def committee(round_: Round) -> list[tuple[str, str]]:
    return [(m.name, m.role) for m in round_.congress.committee]


def finalisation_blockers(round_: Round) -> list[str]:
    """Why the round cannot be finalised yet (empty: it can)."""
    if round_.status != RoundStatus.ENTRY.value:
        return ["Chỉ chốt được vòng bầu đang nhập phiếu."]
    blockers = []
    if not round_.congress.committee:
        blockers.append("Chưa có Ban kiểm phiếu: người tổ chức cần nhập thành viên Ban kiểm phiếu.")
    if round_.mode.compared:
        report = comparison.compare_passes(round_)
        if report.unsettled:
            sequences = ", ".join(str(d.sequence) if round_.batches == 1 else f"tệp {d.batch} số {d.sequence}"
                                  for d in report.unsettled[:12])
            more = "…" if len(report.unsettled) > 12 else ""
            blockers.append(f"Còn {len(report.unsettled)} phiếu {'lượt A và lượt B' if round_.mode is EntryMode.DOUBLE else 'các lượt nhập'} đọc khác nhau chưa được Ban kiểm "
                            f"phiếu xử lý (phiếu số {sequences}{more}).")
    # Certify nothing unread: every scan is counted, ruled, or settled by the committee.
    blockers += outstanding_scans(round_).messages()
    if not round_.counted_ballots():
        blockers.append("Chưa có phiếu nào được nhập.")
    tampered = _ballots_not_in_the_log(round_)
    if tampered:
        blockers.append(f"{len(tampered)} dòng phiếu không khớp nhật ký thao tác ({tampered[0].message}"
                        f"{'…' if len(tampered) > 1 else ''}): báo ngay quản trị viên, không thể chốt kết quả.")
    return blockers


def _ballots_not_in_the_log(round_: Round) -> list:
    """Ballot rows that differ from the chained entries that stored them (edited in the database)."""
    from ..audit.ballots import verify_round_ballots

    return verify_round_ballots(round_.id, round_.election.congress_id).problems


def _reopen_reason(round_: Round) -> str | None:
    """The reason given when this round was last reopened (kept in the audit log)."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.congress_id == round_.election.congress_id, AuditEntry.action == "round.reopen")
        .order_by(AuditEntry.id.desc())
    )
    for entry in entries:
        if entry.detail.get("round_id") == round_.id:
            return entry.detail.get("reason")
    return None


@write_operation
def finalise(round_: Round, confirmed_by: list[str], *, acknowledge_checks: bool = False,
             user: User | None = None) -> ResultVersion:
    """Certify the round: digest over election + ballots + result, a new immutable version."""
    blockers = finalisation_blockers(round_)
    if blockers:
        raise ResultsError(" ".join(blockers))
    members = committee(round_)
    known = {name for name, _ in members}
    confirmed = [name for name in dict.fromkeys(confirmed_by) if name]
    if any(name not in known for name in confirmed):
        raise ResultsError("Chỉ thành viên Ban kiểm phiếu của đại hội mới xác nhận được kết quả.")
    heads = [name for name, role in members if role == HEAD_ROLE]
    if not confirmed or any(head not in confirmed for head in heads):
        raise ResultsError("Cần xác nhận của Trưởng Ban kiểm phiếu" + (f" ({', '.join(heads)})" if heads else "")
                           + " trước khi chốt kết quả.")
    current = current_result(round_)
    if current.result.checks and not acknowledge_checks:
        raise ResultsError("Số liệu chưa khớp: " + " ".join(c.message for c in current.result.checks)
                           + " Ban kiểm phiếu cần xem xét và đánh dấu đã xem trước khi chốt.")
    user = user or entry_services.acting_user()
    number = len(round_.result_versions) + 1
    version = ResultVersion(
        round_id=round_.id,
        version=number,
        digest=current.digest,
        result=current.result.to_json(),
        record=tally.canonical_record(current.election, current.ballots, current.result),
        confirmed_by=confirmed,
        created_by_id=user.id if user else None,
        reopened_reason=_reopen_reason(round_) if number > 1 else None,
    )
    db.session.add(version)
    round_.status = RoundStatus.FINALISED.value
    round_.version = number
    round_.digest = current.digest
    round_.finalised_at = utcnow()
    round_.finalised_by_id = user.id if user else None
    db.session.flush()
    audit.record("round.finalise", congress=round_.election.congress_id, round_id=round_.id, version=number,
                 digest=current.digest, confirmed_by=confirmed, counted=current.result.counted,
                 checks=[c.code for c in current.result.checks])
    db.session.commit()
    return version


@write_operation
def reopen(round_: Round, reason: str) -> None:
    """Administrator only (the route checks): back to entry; the next finalisation is a new version."""
    reason = tally.normalize_name(reason or "")
    if not reason:
        raise ResultsError("Cần ghi lý do mở lại vòng bầu.")
    if not round_.is_finalised:
        raise ResultsError("Vòng bầu chưa chốt kết quả.")
    later = [r for r in round_.election.rounds if r.number > round_.number]
    if later:
        raise ResultsError(f"Đã mở vòng {later[0].number} từ kết quả này: không thể mở lại vòng {round_.number}.")
    previous_digest = round_.digest
    round_.status = RoundStatus.ENTRY.value
    round_.version = len(round_.result_versions) + 1  # the version now being prepared
    round_.digest = None
    round_.finalised_at = None
    round_.finalised_by_id = None
    audit.record("round.reopen", congress=round_.election.congress_id, round_id=round_.id, reason=reason,
                 previous_version=len(round_.result_versions), previous_digest=previous_digest)
    db.session.commit()


def open_next_round(round_: Round, seats: int, candidate_ids: list[str], entry_mode: str | None = None) -> Round:
    """The organiser's (possibly edited) version of the engine's next-round proposal."""
    if round_.election.current_round is not round_:
        raise ResultsError("Vòng bầu tiếp theo đã được mở.")
    by_code = {c.code: c for c in round_.election.candidates}
    chosen = [by_code[code] for code in candidate_ids if code in by_code]
    try:
        return congress_services.open_round(round_.election, seats, chosen, entry_mode=entry_mode)
    except congress_services.SetupError as exc:
        raise ResultsError(str(exc)) from None


def audit_anchor(round_: Round, version: ResultVersion | None) -> str | None:
    """The audit chain's head when this version was certified, as printed on the minutes:
    "đại hội 12, mục 345: <hash>" (``kiemphieu audit-check --congress 12 --anchor 345:<hash>``)."""
    if version is None:
        return None
    from ..audit.check import finalise_entries

    congress_id = round_.election.congress_id
    entry = finalise_entries(congress_id).get((round_.id, version.version))
    return f"đại hội {congress_id}, mục {entry.seq}: {entry.hash}" if entry else None


def find_version(digest: str) -> ResultVersion | None:
    return db.session.scalar(select(ResultVersion).where(ResultVersion.digest == digest.lower()))


def versions_with_digest(digest: str) -> list[ResultVersion]:
    return list(db.session.scalars(
        select(ResultVersion).where(ResultVersion.digest == digest.lower()).order_by(ResultVersion.id)))


@dataclass(frozen=True)
class MinutesInputs:
    """What the minutes of a round are printed from: the same for the PDF and for /verify."""

    rr: RoundResult
    exclusions: list | None
    ended_at: str | None
    draft: bool
    audit_head: str | None = None
    # The committee members ticked present at finalisation: only they get signature lines.
    signers: list[str] | None = None

    def render_kwargs(self, verify_url_base: str) -> dict:
        return dict(verify_url_base=verify_url_base, draft=self.draft, exclusions=self.exclusions,
                    ended_at=self.ended_at, audit_head=self.audit_head, signers=self.signers)


def minutes_inputs(round_: Round, version: ResultVersion | None) -> MinutesInputs:
    """The certified record of ``version``, or a draft of the live count when None."""
    from ..localtime import to_local
    from ..minutes import Exclusion

    rr = version_result(version) if version else current_result(round_)
    exclusions = [Exclusion(x.count, x.reason) for x in round_.congress.exclusions_for(rr.election.body)]
    if sum(x.count for x in exclusions) != rr.election.excluded:
        exclusions = None  # the congress changed after this version: print the total only
    # Counting ends when the committee finalises: print that time, in local time.
    ended_at = to_local(version.created_at).strftime("%H:%M") if version else None
    return MinutesInputs(rr, exclusions, ended_at, version is None, audit_anchor(round_, version),
                         signers=list(version.confirmed_by) if version else None)
