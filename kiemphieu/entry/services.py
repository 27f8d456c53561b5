"""Ballot entry and double-entry comparison: the write operations and the figures they need.

Every ballot is judged by ``kiemphieu.tally`` (never by rules written here). A save is
idempotent on its client-generated key; undo supersedes, it never deletes; a settled reading
is a new ``settled`` ballot. Each write records an audit entry and commits before returning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_login import current_user
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit, tally
from ..extensions import commit_keeping_loaded, db, write_operation
from ..models import AuditHead, Ballot, EntryPass, Round, RoundStatus, User, utcnow

ENTRY_PASSES = (EntryPass.A, EntryPass.B, EntryPass.C)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ABSENT = {"absent": True}  # settled: "this stack position holds no ballot"

# The committee's grounds, in the order the entry screen numbers them (keys 1-5).
COMMITTEE_REASON_ORDER = (
    tally.InvalidReason.NOT_ISSUED,
    tally.InvalidReason.NO_STAMP,
    tally.InvalidReason.ADDED_NAME,
    tally.InvalidReason.IDENTIFYING_MARK,
    tally.InvalidReason.OTHER,
)


class EntryError(ValueError):
    """A refused entry operation; the message is Vietnamese and shown as is."""

    status = 409


class BadBallot(EntryError):
    """The marks do not describe a ballot of this round (unknown id, wrong form...)."""

    status = 400


class PositionMismatch(EntryError):
    """The screen typed a ballot for a stack position other than the pass's next one."""

    def __init__(self, typed: int, expected: int):
        self.typed, self.expected = typed, expected
        super().__init__(f"Màn hình nhập phiếu số {typed} nhưng vị trí tiếp theo của lượt này là số {expected} "
                         "(có người khác đang nhập cùng lượt, hoặc trang đã cũ). Tải lại trang rồi kiểm tra "
                         "các phiếu vừa nhập.")


class NeedsConfirmation(EntryError):
    """The engine judges the ballot invalid: the clerk must confirm before it is stored."""

    status = 422

    def __init__(self, verdict: tally.Verdict):
        self.verdict = verdict
        super().__init__(f"Phiếu không hợp lệ: {tally.REASON_LABELS[verdict.invalid]}.")


# ------------------------------------------------------------------ reading marks

_JUDGING_CACHE_SIZE = 512


def judging_election(round_: Round) -> tally.Election:
    """The engine's Election for judging and summarising this round's ballots, built once per
    app and process while the round is in entry (``Round.to_election`` costs a dozen lazy
    loads and a collation sort per call; a save needs only the list, the seats and the form).

    Safe to keep: from the start of entry the list, the seats and the kind are frozen (the
    set-up services refuse to change them), and the key holds every column of the round and
    election that could change it, and the round's creation time (a database restored under
    a running app reuses ids). Only for judging: the figures it carries (present, convened,
    exclusions, committee) may be older than the database's; totals use ``to_election``.
    """
    if round_.status != RoundStatus.ENTRY.value or not has_app_context():
        return round_.to_election()
    cache = current_app.extensions.setdefault("kiemphieu.judging_elections", {})
    election = round_.election
    key = (round_.id, round_.created_at, round_.number, round_.seats, election.id, election.kind, election.title,
           election.seats)
    cached = cache.get(key)
    if cached is None:
        if len(cache) >= _JUDGING_CACHE_SIZE:
            cache.clear()
        cached = cache[key] = round_.to_election()
    return cached


def warm_judging_elections(limit: int = _JUDGING_CACHE_SIZE // 2) -> int:
    """Build now the judging elections of the rounds in entry (the newest ``limit``); returns
    how many. gunicorn's master calls it before it forks a worker: after a restart in the middle
    of a count every worker would otherwise build each round's on its first save, all at the
    same moment (load test, 30 rounds: the first second's saves took 60-200 ms in the app
    instead of 13)."""
    rounds = db.session.scalars(select(Round).where(Round.status == RoundStatus.ENTRY.value)
                                .order_by(Round.id.desc()).limit(limit)).all()
    for round_ in rounds:
        judging_election(round_)
    return len(rounds)


def parse_marks(round_: Round, marks: Any, election: tally.Election | None = None) -> tally.Ballot:
    election = election or round_.to_election()
    try:
        return tally.parse_ballot(marks, election)
    except ValueError as exc:
        raise BadBallot(f"Phiếu không đọc được: {exc}") from None


def canonical_marks(ballot: tally.Ballot, election: tally.Election) -> dict[str, Any]:
    """The stored form: the contract's ballot object, boxes listed for every candidate,
    so two readings of the same paper are equal as JSON."""
    if isinstance(ballot, tally.BoxesBallot):
        return {"boxes": {cid: str(ballot.mark(cid)) for cid in election.candidate_ids}}
    return tally.ballot_to_json(ballot)


def all_same(readings: list[dict | None], election: tally.Election) -> bool:
    return all(same_reading(readings[0], other, election) for other in readings[1:])


def same_reading(first: dict | None, second: dict | None, election: tally.Election) -> bool:
    if first is None or second is None:
        return first is second
    if first.get("absent") or second.get("absent"):
        return bool(first.get("absent")) and bool(second.get("absent"))
    return canonical_marks(tally.parse_ballot(first, election), election) == canonical_marks(
        tally.parse_ballot(second, election), election
    )


def verdict_json(verdict: tally.Verdict) -> dict[str, Any]:
    return {
        "valid": verdict.valid,
        "reason": str(verdict.invalid) if verdict.invalid else None,
        "label": tally.REASON_LABELS[verdict.invalid] if verdict.invalid else "Phiếu hợp lệ",
        "votes": sorted(verdict.votes),
    }


def describe(marks: dict | None, election: tally.Election) -> str:
    """A reading in names, for the comparison page and the audit trail."""
    if marks is None:
        return "— không có phiếu —"
    if marks.get("absent"):
        return "Không có phiếu ở vị trí này"
    names = {c.id: f"{election.order_of(c.id)}. {election.display_name(c.id)}" for c in election.candidates}
    if "invalid" in marks:
        return "Không hợp lệ: " + tally.REASON_LABELS[tally.InvalidReason(marks["invalid"])]
    if "struck" in marks:
        struck = sorted(marks["struck"], key=election.order_of)
        return "Gạch: " + ", ".join(names[c] for c in struck) if struck else "Không gạch tên nào"
    labels = {"agree": "đồng ý", "disagree": "không đồng ý", "both": "đánh cả hai ô", "none": "để trống"}
    boxes = marks.get("boxes", {})
    return "; ".join(f"{names[c]}: {labels[boxes.get(c, 'none')]}" for c in election.candidate_ids)


# ------------------------------------------------------------------ guards


def acting_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def entry_pass_of(round_: Round, value: str) -> EntryPass:
    """The pass named in a URL: A (always), B (double or triple entry), C (triple entry)."""
    try:
        chosen = EntryPass(value.upper())
    except ValueError:
        raise EntryError("Lượt nhập không hợp lệ.") from None
    if chosen not in ENTRY_PASSES:
        raise EntryError("Lượt nhập không hợp lệ.")
    if chosen not in round_.mode.passes:
        raise EntryError(f"Vòng bầu này {round_.mode.label.lower()}: không có lượt {chosen.value}.")
    return chosen


def check_batch(round_: Round, batch: int) -> int:
    if not 1 <= batch <= round_.batches:
        raise EntryError(f"Vòng bầu này có {round_.batches} tệp phiếu: không có tệp số {batch}.")
    return batch


def refuse_unless_entry(round_: Round) -> None:
    if round_.status == RoundStatus.FINALISED.value:
        raise EntryError("Vòng bầu đã chốt kết quả: không thể nhập hay sửa phiếu. "
                         "Muốn sửa, quản trị viên phải mở lại vòng bầu (có ghi lý do).")
    if round_.status != RoundStatus.ENTRY.value:
        raise EntryError("Vòng bầu chưa bắt đầu nhập phiếu: người tổ chức cần chốt danh sách trước.")


def refuse_same_clerk_for_both_passes(round_: Round, entry_pass: EntryPass, user: User | None,
                                      batch: int = 1) -> None:
    """Double entry catches typing errors only if different people type: one clerk, one pass
    of a batch (the same clerk may type pass A of every batch).

    A setting (``DOUBLE_ENTRY_SEPARATE_CLERKS``, on by default) for offices with one clerk.
    """
    others = _passes_to_check(round_, entry_pass, user)
    if not others:
        return
    typed_other = db.session.scalar(_OTHER_PASS_BY, {"round_id": round_.id, **_other_passes(others), "batch": batch,
                                                     "user_id": user.id})
    _refuse_if_typed_other(round_, entry_pass, typed_other, batch)


def _other_passes(others: list[str]) -> dict[str, str]:
    """``_OTHER_PASS_BY``'s two parameters ("-" matches no pass)."""
    padded = [*others, "-", "-"]
    return {"other_1": padded[0], "other_2": padded[1]}


def _passes_to_check(round_: Round, entry_pass: EntryPass, user: User | None) -> list[str]:
    """The other passes this user must not have typed (none when the rule does not apply)."""
    if user is None or not round_.mode.compared or entry_pass not in round_.mode.passes:
        return []
    if has_app_context() and not current_app.config.get("DOUBLE_ENTRY_SEPARATE_CLERKS", True):
        return []
    return [p.value for p in round_.mode.passes if p is not entry_pass]


def _refuse_if_typed_other(round_: Round, entry_pass: EntryPass, typed_other: str | None, batch: int) -> None:
    if typed_other is not None:
        where = f"tệp phiếu số {batch} của vòng bầu này" if round_.batches > 1 else "vòng bầu này"
        raise EntryError(f"Đồng chí đã nhập lượt {typed_other} của {where}. Lượt {entry_pass.value} "
                         "phải do người khác nhập để các lượt đối chiếu được độc lập.")


# ------------------------------------------------------------------ saving, undoing


@dataclass(frozen=True)
class SaveOutcome:
    ballot: Ballot
    duplicate: bool
    verdict: tally.Verdict
    election: tally.Election  # the engine's view of the round, as judged


# The save path's statements, built once (building a select costs more than running it).
_WITH_KEY = select(Ballot).where(Ballot.idempotency_key == bindparam("key"))
_LAST_POSITION = select(func.max(Ballot.sequence)).where(
    Ballot.round_id == bindparam("round_id"), Ballot.entry_pass == bindparam("entry_pass"),
    Ballot.batch == bindparam("batch"), Ballot.is_live)
# The other passes as two fixed parameters (there are at most two), not an expanding IN list,
# whose SQL is rendered again at every execution.
_OTHER_PASS_BY = select(Ballot.entry_pass).where(
    Ballot.round_id == bindparam("round_id"), Ballot.entry_pass.in_([bindparam("other_1"), bindparam("other_2")]),
    Ballot.batch == bindparam("batch"), Ballot.entered_by_id == bindparam("user_id")).limit(1)
_INSERT_BALLOT = insert(Ballot.__table__).returning(Ballot.__table__.c.id)
# What a save checks, read under the write lock in one statement (one round trip on
# PostgreSQL instead of five): the round's state, the key, the other passes, the last position.
_SAVE_FACTS = select(
    select(Round.status).where(Round.id == bindparam("round_id")).scalar_subquery().label("status"),
    select(Round.batches).where(Round.id == bindparam("round_id")).scalar_subquery().label("batches"),
    select(Round.version).where(Round.id == bindparam("round_id")).scalar_subquery().label("version"),
    select(Ballot.id).where(Ballot.idempotency_key == bindparam("key")).scalar_subquery().label("existing_id"),
    _OTHER_PASS_BY.scalar_subquery().label("typed_other"),
    _LAST_POSITION.scalar_subquery().label("last_position"),
    # The congress's audit chain head, locked as ``audit.locked_head`` locks it (one statement
    # less per save; NULL for a chain without entries yet: ``record`` then creates it).
    *(select(column).where(AuditHead.chain == bindparam("chain")).with_for_update().scalar_subquery()
      .label(f"head_{column.key}") for column in (AuditHead.seq, AuditHead.hash)),
)


def _core(statement, parameters: dict):
    """A Core statement on the session's connection (its transaction): the save path's
    statements name no ORM entity, so the ORM's execute layer is skipped (a third of each
    statement's CPU)."""
    return db.session.connection().execute(statement, parameters)


def _ballot_with_key(key: str) -> Ballot | None:
    return db.session.scalar(_WITH_KEY, {"key": key})


def _last_live(round_: Round, entry_pass: EntryPass | str, batch: int = 1) -> Ballot | None:
    return db.session.scalar(
        select(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.entry_pass == str(entry_pass), Ballot.batch == batch,
               Ballot.is_live)
        .order_by(Ballot.sequence.desc())
        .limit(1)
    )


def next_sequence(round_: Round, entry_pass: EntryPass | str, batch: int = 1) -> int:
    last = db.session.scalar(_LAST_POSITION, {"round_id": round_.id, "entry_pass": str(entry_pass), "batch": batch})
    return (last or 0) + 1


def _duplicate(round_: Round, entry_pass: EntryPass, existing: Ballot, batch: int = 1) -> SaveOutcome:
    if existing.round_id != round_.id or existing.entry_pass != entry_pass.value or existing.batch != batch:
        raise EntryError("Mã phiếu này đã được dùng cho phiếu khác.")
    election = judging_election(round_)
    verdict = tally.judge(election, existing.to_engine(election)) if not existing.is_absent else tally.Verdict(frozenset())
    return SaveOutcome(existing, True, verdict, election)


def _read_save_facts(round_: Round, entry_pass: EntryPass, key: str, batch: int, others: list[str],
                     user: User | None):
    """``_SAVE_FACTS`` for this save; the round object takes the state just read."""
    facts = _core(_SAVE_FACTS, {
        "round_id": round_.id, "key": key, "entry_pass": entry_pass.value, "batch": batch,
        "chain": audit.chain_key(round_.election.congress_id),
        **_other_passes(others), "user_id": user.id if user else None,
    }).one()
    for name in ("status", "batches", "version"):
        if isinstance(round_, Round):
            set_committed_value(round_, name, getattr(facts, name))
        else:  # the save view's EntryRound (auth.lean): plain attributes
            setattr(round_, name, getattr(facts, name))
    return facts


def _insert_ballot(row: Ballot) -> int:
    """One INSERT ... RETURNING id (the row object stays outside the session: no unit-of-work
    flush, no reload; the answer and the audit entry are built from it)."""
    values = {column.key: getattr(row, column.key) for column in Ballot.__table__.columns if column.key != "id"}
    return _core(_INSERT_BALLOT, values).scalar_one()


@write_operation(keep_loaded=True)
def save_ballot(round_: Round, entry_pass: EntryPass, marks: Any, key: str, *,
                confirm_invalid: bool = False, user: User | None = None,
                sequence: int | None = None, batch: int = 1) -> SaveOutcome:
    """Store one ballot at the next stack position of its pass; a repeated key stores nothing.

    The engine judges it first: an invalid-by-rule ballot (over the seats, no vote, unclear)
    is refused with ``NeedsConfirmation`` unless the clerk confirmed it. ``sequence`` is the
    stack position the clerk's screen typed it at: a save that would land elsewhere (a ballot
    lost or stored twice on the way) is refused rather than shifting the stack.
    """
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise BadBallot("Thiếu mã phiếu (idempotency key) hợp lệ.")
    user = user or acting_user()
    others = _passes_to_check(round_, entry_pass, user)
    # The view's objects were kept (keep_loaded): everything the checks below depend on is
    # read now, under the lock, in one statement.
    facts = _read_save_facts(round_, entry_pass, key, batch, others, user)
    if facts.existing_id is not None:
        return _duplicate(round_, entry_pass, db.session.get(Ballot, facts.existing_id), batch)
    refuse_unless_entry(round_)
    check_batch(round_, batch)
    if others:
        _refuse_if_typed_other(round_, entry_pass, facts.typed_other, batch)
    election = judging_election(round_)
    ballot = parse_marks(round_, marks, election)
    verdict = tally.judge(election, ballot)
    if not verdict.valid and verdict.invalid in tally.ENGINE_REASONS and not confirm_invalid:
        raise NeedsConfirmation(verdict)
    position = (facts.last_position or 0) + 1
    if sequence is not None and sequence != position:
        raise PositionMismatch(sequence, position)
    row = Ballot(
        round_id=round_.id,
        entry_pass=entry_pass.value,
        batch=batch,
        sequence=position,
        marks=canonical_marks(ballot, election),
        entered_by_id=user.id if user else None,
        entered_at=utcnow(),
        idempotency_key=key,
        superseded=False,
        round_version=round_.version,
        scan_id=None,
    )
    try:
        row.id = _insert_ballot(row)
    except IntegrityError:  # a concurrent request with the same key won (PostgreSQL)
        db.session.rollback()
        existing = _ballot_with_key(key)
        if existing is None:
            raise
        return _duplicate(round_, entry_pass, existing, batch)
    head = (audit.LockedHead(audit.chain_key(round_.election.congress_id), facts.head_seq, facts.head_hash)
            if facts.head_seq is not None else None)
    audit.record("ballot.save", congress=round_.election.congress_id, user=user, locked=head, round_id=round_.id,
                 entry_pass=row.entry_pass, batch=row.batch, sequence=row.sequence, ballot_id=row.id, marks=row.marks,
                 key=key, ballot_digest=audit.ballot_digest(row))
    commit_keeping_loaded()  # the answer is built from the row as written: no reload
    return SaveOutcome(row, False, verdict, election)


@write_operation
def undo_last(round_: Round, entry_pass: EntryPass, expect_sequence: int | None = None,
              key: str | None = None, batch: int = 1) -> Ballot:
    """Supersede the last live ballot of the pass (the row stays, marked superseded).

    With ``key`` (the idempotency key the ballot was saved with) the undo is idempotent: a
    repeated request for a ballot already superseded returns it and changes nothing.
    """
    refuse_unless_entry(round_)
    # The clerk of the other pass may not take back this pass's ballots either.
    refuse_same_clerk_for_both_passes(round_, entry_pass, acting_user())
    if key is not None:
        target = _ballot_with_key(key)
        if (target is None or target.round_id != round_.id or target.entry_pass != entry_pass.value
                or target.batch != batch):
            raise EntryError("Không có phiếu với mã này trong lượt này.")
        if target.superseded:
            return target
    last = _last_live(round_, entry_pass, batch)
    if last is None:
        raise EntryError("Chưa có phiếu nào trong lượt này để hủy.")
    if key is not None and last.idempotency_key != key:
        raise EntryError(f"Phiếu cuối của lượt này là phiếu số {last.sequence}, không phải phiếu định hủy "
                         "(có người khác đang nhập cùng lượt?). Tải lại trang rồi thử lại.")
    if expect_sequence is not None and last.sequence != expect_sequence:
        raise EntryError(f"Phiếu cuối của lượt này là phiếu số {last.sequence}, không phải số {expect_sequence} "
                         "(có người khác đang nhập cùng lượt?). Tải lại trang rồi thử lại.")
    last.superseded, last.superseded_at = True, utcnow()
    audit.record("ballot.undo", congress=round_.election.congress_id, round_id=round_.id,
                 entry_pass=last.entry_pass, batch=last.batch, sequence=last.sequence, ballot_id=last.id, marks=last.marks)
    db.session.commit()
    return last


# ------------------------------------------------------------------ the screen's verdicts


def verdict_table(election: tally.Election, rules: tally.RuleSettings = tally.DEFAULT_RULES) -> dict[str, Any]:
    """The engine's verdict for every ballot the entry screen can produce, so the screen knows
    at once (without a request per key) whether Enter must ask before saving.

    The engine judges a strike ballot by how many names it keeps and a boxes ballot by how many
    "agree" marks it has (or, on a one-name list, by that one mark); the table asks
    ``tally.judge`` once per count (``tests/web/entry/test_verdict_table.py`` checks it
    against ``judge`` on every ballot of small lists).
    """
    ids = election.candidate_ids
    n = len(ids)
    if election.form is tally.Form.STRIKE:
        table = [tally.judge(election, tally.StrikeBallot(frozenset(ids[: n - kept])), rules) for kept in range(n + 1)]
        return {"by": "kept", "verdicts": [verdict_json(v) for v in table]}
    if n == 1:
        return {"by": "mark", "verdicts": {str(m): verdict_json(tally.judge(
            election, tally.BoxesBallot({ids[0]: m}), rules)) for m in tally.BoxMark}}
    table = [tally.judge(election, tally.BoxesBallot(
        {cid: (tally.BoxMark.AGREE if i < agreed else tally.BoxMark.DISAGREE) for i, cid in enumerate(ids)}), rules)
        for agreed in range(n + 1)]
    return {"by": "agree", "verdicts": [verdict_json(v) for v in table]}


# ------------------------------------------------------------------ running totals


@dataclass(frozen=True)
class PassTotals:
    counted: int
    valid: int
    invalid: int
    votes: dict[str, int]
    last_sequence: int

    def to_json(self) -> dict[str, Any]:
        return {"counted": self.counted, "valid": self.valid, "invalid": self.invalid, "votes": self.votes,
                "last_sequence": self.last_sequence}


def pass_totals(round_: Round, entry_pass: EntryPass | str, batch: int = 1,
                election: tally.Election | None = None) -> PassTotals:
    """The engine's tally over one pass's live ballots of one batch (what the entry screen shows).
    ``election`` may be ``judging_election``'s: counts and votes need only the list, the seats
    and the form, not the round's figures."""
    election = election or round_.to_election()
    rows = round_.active_ballots(entry_pass, batch)
    result = tally.tally(election, [b.to_engine(election) for b in rows])
    return PassTotals(result.counted, result.valid, result.invalid, {c.id: c.votes for c in result.candidates},
                      rows[-1].sequence if rows else 0)


def recent_ballots(round_: Round, entry_pass: EntryPass | str, limit: int = 8, batch: int = 1) -> list[Ballot]:
    return list(db.session.scalars(
        select(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.entry_pass == str(entry_pass), Ballot.batch == batch,
               Ballot.is_live)
        .order_by(Ballot.sequence.desc())
        .limit(limit)
    ))
