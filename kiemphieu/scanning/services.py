"""Write operations and queries of scanning: the worker's claims and readings, the review
queue and the committee's rulings (storing uploads: ``storage``, re-exported here).

Every write goes through ``@write_operation`` (BEGIN IMMEDIATE), records an audit entry and
commits before the caller acknowledges anything. A reading is never edited after the worker
stored it: rulings are ``Adjudication`` rows lying on top of it, and the ballot that counts is
built from reading + rulings (``effective_marks``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, tally
from ..extensions import db, write_operation
from ..models import Adjudication, Ballot, EntryPass, Round, ScanImage, ScanStatus, User, utcnow
# The worker's claims: one module for scans and documents (kiemphieu.jobs.claims).
from ..jobs.claims import claim_next, release_claims, scans_waiting, take_over_claims  # noqa: F401
# Refusals and flags in Vietnamese: one table, shared with the scanner station.
from .reasons import FLAG_LABELS, REJECT_LABELS  # noqa: F401
from .storage import (  # noqa: F401  (re-exported: the storing stage lives in storage.py)
    PREVIEW_NAME, PROFILE_NAME, STORED_NAME, RoundClosed, ScanError, StoreResult, check_profile_name,
    check_round_open, incoming_folder, limits, new_preview_name, page_key, preview_folder, preview_name_for,
    preview_path, scans_of_file, store_scan, store_scans, stored_path, sweep_incoming, write_file_atomically,
)

DEFAULT_PROFILE = "feeder-200dpi-colour"

STRIKE_RULINGS = ("struck", "kept")
BOX_RULINGS = ("agree", "disagree", "both", "none")
NOT_A_BALLOT = "not_ballot"
VALID = "valid"
RESET = "reset"
# The committee's reasons in the entry screen's order: the same digit means the same reason
# on the entry screen and on the adjudication page.
COMMITTEE_REASONS = (
    tally.InvalidReason.NOT_ISSUED.value, tally.InvalidReason.NO_STAMP.value, tally.InvalidReason.ADDED_NAME.value,
    tally.InvalidReason.IDENTIFYING_MARK.value, tally.InvalidReason.OTHER.value,
)


# ------------------------------------------------------------------ the worker's side
# Claims (claim_next, release_claims, take_over_claims) live in kiemphieu.jobs.claims, with the
# document jobs' (one set of rules for the worker's two queues); re-exported here.


def rejected_json(file_name: str, page: int, reason: str, detail: str = "") -> dict[str, Any]:
    return {
        "file": file_name, "page": page, "status": "rejected", "marks": None,
        "boxes": None, "flags": [], "scores": {}, "reason": reason, **({"detail": detail} if detail else {}),
    }


def rejected_reading(scan: ScanImage, reason: str, detail: str = "") -> dict[str, Any]:
    return rejected_json(scan.original_name, scan.page, reason, detail)






@write_operation
def record_station_token(round_: Round) -> None:
    """The audit entry of a station token made for this round (under the write lock)."""
    audit.record("scan.station_token", congress=round_.election.congress, round_id=round_.id)
    db.session.commit()


@write_operation
def record_readings(results: list[tuple[ScanImage, dict[str, Any], str | None]]) -> list[ScanImage]:
    """Store the worker's readings (scan, reading JSON, preview name) and count what is read."""
    batch = _Batch({})
    stored = [scan for scan, reading, preview in results
              if _store_reading(db.session.get(ScanImage, scan.id), reading, preview, batch)]
    db.session.commit()
    return stored


STORE_ERRORS = (ScanError, tally.InputError, ValueError, KeyError, TypeError, IntegrityError)


@write_operation
def record_file_readings(files: list[list[tuple[int, dict[str, Any], str | None]]],
                         elections: dict[int, tally.Election] | None = None) -> list[int]:
    """Store a batch of read files in one transaction: per file, (scan id, reading, preview
    name) of each page. ``elections`` (round id -> Election) spares rebuilding them. The batch
    is written at once (one flush of its ballots, its audit entries in one statement); should
    that fail, file by file, and a file whose storing fails is stored as rejected
    (``worker_error``) without undoing the others."""
    batch = _Batch(elections if elections is not None else {})
    ids = [sid for pages in files for sid, _, _ in pages]
    scans = {scan.id: scan for scan in db.session.scalars(select(ScanImage).where(ScanImage.id.in_(ids)))}
    try:
        with db.session.begin_nested():
            stored = _store_pages([page for pages in files for page in pages], scans, batch)
    except STORE_ERRORS:
        batch.sequences.clear()  # the savepoint took back the numbers it had used
        stored = []
        for pages in files:
            try:
                with db.session.begin_nested():
                    stored += _store_pages(pages, scans, batch)
            except STORE_ERRORS as exc:
                batch.sequences.clear()
                detail = f"{type(exc).__name__}: {exc}"[:300]
                stored += _store_pages([(sid, rejected_json("", 0, "worker_error", detail), None)
                                        for sid, _, _ in pages], scans, batch)
    db.session.commit()
    return stored


def _store_pages(pages: list[tuple[int, dict[str, Any], str | None]], scans: dict[int, ScanImage],
                 batch: _Batch) -> list[int]:
    """Readings and ballots of these pages, then their audit entries (one statement); the ids
    of the pages stored (a page no longer ours is left alone)."""
    done = [found for sid, reading, preview in pages
            if (found := _apply_reading(scans.get(sid), reading, preview, batch)) is not None]
    db.session.flush()  # the ballots get their ids, named by the entries
    audit.record_many([("scan.read", scan.round.election.congress_id, _read_detail(scan, ballot))
                       for scan, ballot in done], user=None)
    return [scan.id for scan, _ in done]


@dataclass
class _Batch:
    """What one storing transaction computes once: each round's election and next scan number."""

    elections: dict[int, tally.Election]
    sequences: dict[int, int] = field(default_factory=dict)

    def election(self, round_: Round) -> tally.Election:
        if round_.id not in self.elections:
            self.elections[round_.id] = round_.to_election()
        return self.elections[round_.id]

    def next_sequence(self, round_id: int) -> int:
        if round_id not in self.sequences:
            self.sequences[round_id] = _last_scan_sequence(round_id)
        self.sequences[round_id] += 1
        return self.sequences[round_id]


def _store_reading(scan: ScanImage | None, reading: dict[str, Any], preview_name: str | None,
                   batch: _Batch | dict) -> bool:
    """One page's reading (and its ballot when read); False when it is no longer ours."""
    batch = batch if isinstance(batch, _Batch) else _Batch(batch)
    found = _apply_reading(scan, reading, preview_name, batch)
    if found is None:
        return False
    scan, ballot = found
    if ballot is not None:
        db.session.flush()
    audit.record("scan.read", congress=scan.round.election.congress_id, user=None, **_read_detail(scan, ballot))
    return True


def _apply_reading(scan: ScanImage | None, reading: dict[str, Any], preview_name: str | None,
                   batch: _Batch) -> tuple[ScanImage, Ballot | None] | None:
    """Set one page's reading and add its ballot when read (not flushed); None when the page
    is no longer ours."""
    if scan is None or scan.status != ScanStatus.PROCESSING.value:
        return None  # someone else finished it meanwhile (a stale claim retaken)
    election = batch.election(scan.round)
    reading = checked_reading(scan, {**reading, "file": scan.original_name, "page": scan.page}, election)
    scan.preview_name = preview_name
    _set_reading(scan, reading)
    ballot = None
    if scan.status == ScanStatus.READ.value:
        marks = marks_from_reading(reading, str(election.form))
        # A scan being read has never had a ballot (only review and adjudicated ones do): its
        # first key; a clash would be refused by the unique key, never stored twice.
        ballot = create_scan_ballot(scan, marks, scan.uploaded_by_id, election,
                                    sequence=batch.next_sequence(scan.round_id), earlier=0, flush=False)
    return scan, ballot


def _read_detail(scan: ScanImage, ballot: Ballot | None) -> dict[str, Any]:
    """The ``scan.read`` audit entry's detail (the ballot flushed: it has its id)."""
    reading = scan.reading or {}
    return dict(round_id=scan.round_id, scan_id=scan.id, status=scan.status, reason=reading.get("reason"),
                flags=reading.get("flags") or [], ballot_id=ballot.id if ballot else None)


def _set_reading(scan: ScanImage, reading: dict[str, Any]) -> None:
    scan.reading = reading
    scan.status = reading["status"]
    scan.read_at = utcnow()


def _form(round_: Round) -> str:
    return str(round_.to_election().form)


def row_marks(reading: dict[str, Any] | None, form: str) -> dict[str, str]:
    """The per-candidate marks of a reading: ``marks`` (strike form) or ``boxes``."""
    if not reading:
        return {}
    marks = reading.get("marks") if form == "strike" else reading.get("boxes")
    return dict(marks) if isinstance(marks, dict) else {}


def checked_reading(scan: ScanImage, reading: dict[str, Any], election: tally.Election | None = None) -> dict[str, Any]:
    """The reading as stored: a 'read' that does not fit the round, or that the scanner
    station read differently, becomes 'review' with a flag (a 'read' is a promise)."""
    reading = dict(reading)
    status = reading.get("status")
    if status not in ("read", "review", "rejected"):
        return rejected_reading(scan, "worker_error", f"reader returned status {status!r}")
    if status == "rejected":
        reading.setdefault("reason", "unreadable_file")
        return reading
    election = election or scan.round.to_election()
    form = str(election.form)
    codes = {c.id for c in election.candidates}
    marks = row_marks(reading, form)
    allowed = set(STRIKE_RULINGS if form == "strike" else BOX_RULINGS) | {"uncertain"}
    flags = list(reading.get("flags") or [])
    if set(marks) != codes or not set(marks.values()) <= allowed:
        flags.append("reading_mismatch")
    station = scan.station_reading
    if station and (station.get("status") != status or row_marks(station, form) != marks):
        flags.append("station_mismatch")
    if flags != list(reading.get("flags") or []):
        reading["flags"] = flags
        reading["status"] = "review"
    if reading["status"] == "read" and "uncertain" in marks.values():
        reading["status"] = "review"
    return reading


def marks_from_reading(reading: dict[str, Any], form: str, rulings: dict[str, str] | None = None) -> dict:
    """The engine's ballot object (contract section 2) from a reading and row rulings."""
    marks = {**row_marks(reading, form), **(rulings or {})}
    if "uncertain" in marks.values():
        raise ScanError("Còn dòng chưa phân xử.")
    if form == "strike":
        return {"struck": sorted(code for code, mark in marks.items() if mark == "struck")}
    return {"boxes": dict(sorted(marks.items()))}


def create_scan_ballot(scan: ScanImage, marks: dict, user_id: int | None, election: tally.Election | None = None,
                       *, sequence: int | None = None, earlier: int | None = None, flush: bool = True) -> Ballot | None:
    """A Ballot of pass 'scan' (its own stack: it counts beside pass A in either entry mode).
    ``sequence`` and ``earlier`` (ballots this scan had before) when the caller knows them;
    ``flush=False``: the caller flushes a batch of them at once."""
    round_ = scan.round
    if round_.is_finalised:
        return None  # never change a certified result; the scan list shows it uncounted
    tally.parse_ballot(marks, election or round_.to_election())  # refuses unknown ids before anything is stored
    if sequence is None:
        sequence = _last_scan_sequence(round_.id) + 1
    if earlier is None:
        earlier = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.scan_id == scan.id)) or 0
    ballot = Ballot(
        round_id=round_.id,
        entry_pass=EntryPass.SCAN.value,
        sequence=sequence,
        marks=marks,
        entered_by_id=user_id,
        idempotency_key=hashlib.sha256(f"scan/{scan.sha256}/{earlier}".encode()).hexdigest(),
        round_version=round_.version,
        scan_id=scan.id,
    )
    db.session.add(ballot)
    if flush:
        db.session.flush()
    return ballot


def _last_scan_sequence(round_id: int) -> int:
    return db.session.scalar(
        select(func.max(Ballot.sequence)).where(Ballot.round_id == round_id, Ballot.entry_pass == EntryPass.SCAN.value)
    ) or 0


def live_ballot(scan: ScanImage) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.scan_id == scan.id, Ballot.is_live))


# ------------------------------------------------------------------ review queue and rulings


@lru_cache(maxsize=16)
def review_thresholds(profile_name: str) -> dict[str, tuple[float, float]]:
    from ..ocr.profiles import Profile, ProfileError, load_profile

    try:
        profile = load_profile(profile_name or DEFAULT_PROFILE)
    except (ProfileError, OSError):
        profile = Profile()
    return {
        "strike": (profile.strike.marginal, profile.strike.definite),
        "boxes": (profile.boxes.marginal, profile.boxes.definite),
    }


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _numbers(v)]
    return []


def score_margin(score: float, marginal: float, definite: float) -> float:
    """How far a score is from doubt: positive outside the uncertain band, negative inside
    (most negative in the middle of the band, where the machine knows least)."""
    if score >= definite:
        return score - definite
    if score <= marginal:
        return marginal - score
    return -min(score - marginal, definite - score)


def row_confidence(scan: ScanImage, form: str) -> dict[str, float]:
    marginal, definite = review_thresholds(scan.profile or "")[form]
    scores = (scan.reading or {}).get("scores") or {}
    return {
        code: min((score_margin(s, marginal, definite) for s in _numbers(value)), default=0.0)
        for code, value in scores.items()
    }


def confidence(scan: ScanImage, form: str) -> float:
    """The ballot's confidence: its least sure row (review queue order, lowest first)."""
    return min(row_confidence(scan, form).values(), default=0.0)


def review_queue(round_: Round) -> list[ScanImage]:
    form = _form(round_)
    scans = db.session.scalars(
        select(ScanImage).where(ScanImage.round_id == round_.id, ScanImage.status == ScanStatus.REVIEW.value)
    ).all()
    return sorted(scans, key=lambda s: (confidence(s, form), s.id))


def doubtful_rows(scan: ScanImage, form: str) -> list[str]:
    return [code for code, mark in row_marks(scan.reading, form).items() if mark == "uncertain"]


def current_rulings(scan: ScanImage) -> tuple[dict[str, str], str | None]:
    """The latest ruling per row and for the whole ballot, since the last reset."""
    rows: dict[str, str] = {}
    whole: str | None = None
    for adjudication in scan.adjudications:
        if adjudication.candidate_code is None and adjudication.ruling == RESET:
            rows, whole = {}, None
        elif adjudication.candidate_code is None:
            whole = adjudication.ruling
        else:
            rows[adjudication.candidate_code] = adjudication.ruling
    return rows, whole


@dataclass
class Outstanding:
    rows: list[str] = field(default_factory=list)  # doubtful rows without a ruling
    ballot: bool = False  # flags need a ruling on the whole ballot

    @property
    def done(self) -> bool:
        return not self.rows and not self.ballot


def outstanding(scan: ScanImage, form: str) -> Outstanding:
    rows, whole = current_rulings(scan)
    if whole and (whole == NOT_A_BALLOT or whole.startswith("invalid:")):
        return Outstanding()
    flags = (scan.reading or {}).get("flags") or []
    return Outstanding(
        rows=[code for code in doubtful_rows(scan, form) if code not in rows],
        ballot=bool(flags) and whole is None,
    )


def effective_marks(scan: ScanImage, form: str) -> dict | None:
    """The ballot object the committee's rulings give, or None for 'not a ballot'."""
    rows, whole = current_rulings(scan)
    if whole == NOT_A_BALLOT:
        return None
    if whole and whole.startswith("invalid:"):
        return {"invalid": whole.split(":", 1)[1]}
    return marks_from_reading(scan.reading or {}, form, rows)


def allowed_ballot_rulings() -> list[str]:
    return [VALID, NOT_A_BALLOT] + [f"invalid:{r}" for r in COMMITTEE_REASONS]


@dataclass
class RulingOutcome:
    done: bool
    ballot: Ballot | None
    outstanding: Outstanding


@write_operation
def adjudicate(scan: ScanImage, rows: dict[str, str], whole: str | None, user: User) -> RulingOutcome:
    """Store the committee's rulings on a scan in review; when nothing is left to rule, the
    scan becomes 'adjudicated' and its Ballot (pass 'scan') is created. The reading stays."""
    scan = db.session.get(ScanImage, scan.id)
    round_ = scan.round
    check_round_open(round_)
    if scan.status != ScanStatus.REVIEW.value:
        raise ScanError("Phiếu này không ở trạng thái chờ phân xử (có thể người khác vừa phân xử xong).")
    form = _form(round_)
    codes = {c.code for c in round_.candidates}
    choices = STRIKE_RULINGS if form == "strike" else BOX_RULINGS
    for code, ruling in rows.items():
        if code not in codes or ruling not in choices:
            raise ScanError("Phân xử không hợp lệ cho phiếu này.")
    if whole is not None and whole not in allowed_ballot_rulings():
        raise ScanError("Kết luận về cả lá phiếu không hợp lệ.")
    if not rows and whole is None:
        raise ScanError("Chưa chọn phân xử nào.")
    for code, ruling in sorted(rows.items()):
        db.session.add(Adjudication(scan_id=scan.id, candidate_code=code, ruling=ruling, user_id=user.id))
    if whole is not None:
        db.session.add(Adjudication(scan_id=scan.id, candidate_code=None, ruling=whole, user_id=user.id))
    db.session.flush()
    db.session.refresh(scan, ["adjudications"])
    left = outstanding(scan, form)
    ballot = None
    if left.done:
        marks = effective_marks(scan, form)
        if marks is not None:
            ballot = create_scan_ballot(scan, marks, user.id)
        scan.status = ScanStatus.ADJUDICATED.value
    audit.record(
        "scan.adjudicate", congress=round_.election.congress_id, round_id=round_.id, scan_id=scan.id,
        rows=rows, ballot_ruling=whole, done=left.done, ballot_id=ballot.id if ballot else None,
        marks=ballot.marks if ballot else None,
    )
    db.session.commit()
    return RulingOutcome(left.done, ballot, left)


@write_operation
def reopen(scan: ScanImage, user: User, reason: str) -> None:
    """Undo a finished ruling: the scan's ballot is superseded and the scan is back in review."""
    scan = db.session.get(ScanImage, scan.id)
    check_round_open(scan.round)
    reason = (reason or "").strip()
    if not reason:
        raise ScanError("Ghi lý do mở lại phân xử.")
    if scan.status not in (ScanStatus.ADJUDICATED.value, ScanStatus.READ.value):
        raise ScanError("Chỉ mở lại được phiếu đã đọc xong hoặc đã phân xử.")
    ballot = live_ballot(scan)
    if ballot is not None:
        ballot.superseded = True
        ballot.superseded_at = utcnow()
    db.session.add(Adjudication(scan_id=scan.id, candidate_code=None, ruling=RESET, user_id=user.id))
    scan.status = ScanStatus.REVIEW.value
    audit.record("scan.reopen", congress=scan.round.election.congress_id, round_id=scan.round_id,
                 scan_id=scan.id, superseded_ballot_id=ballot.id if ballot else None, reason=reason[:500])
    db.session.commit()


@write_operation
def requeue(scan: ScanImage, user: User, profile: str = "") -> None:
    """Read a rejected image again (e.g. with another scanner profile)."""
    scan = db.session.get(ScanImage, scan.id)
    check_round_open(scan.round)
    if scan.status != ScanStatus.REJECTED.value:
        raise ScanError("Chỉ đọc lại được ảnh đã bị từ chối.")
    previous = scan.reading
    rows, whole = current_rulings(scan)
    if rows or whole is not None:  # a ruling on the old reading (e.g. "not a ballot") does not carry over
        db.session.add(Adjudication(scan_id=scan.id, candidate_code=None, ruling=RESET, user_id=user.id))
    scan.profile = check_profile_name(profile) or scan.profile
    scan.status = ScanStatus.PENDING.value
    scan.attempts = 0
    scan.claimed_at = None
    audit.record("scan.requeue", congress=scan.round.election.congress_id, round_id=scan.round_id,
                 scan_id=scan.id, previous_reason=(previous or {}).get("reason"), profile=scan.profile)
    db.session.commit()


# ------------------------------------------------------------------ summaries


def status_counts(round_: Round) -> dict[str, int]:
    rows = db.session.execute(
        select(ScanImage.status, func.count()).where(ScanImage.round_id == round_.id).group_by(ScanImage.status)
    ).all()
    counts = {s.value: 0 for s in ScanStatus}
    counts.update({status: n for status, n in rows})
    return counts


def scan_json(scan: ScanImage) -> dict[str, Any]:
    """What the station API answers about one scan."""
    reading = scan.reading or {}
    ballot = live_ballot(scan)
    return {
        "id": scan.id,
        "sha256": scan.sha256,
        "page": scan.page,
        "status": scan.status,
        "reason": reading.get("reason"),
        "flags": reading.get("flags") or [],
        "ballot_id": ballot.id if ballot else None,
    }
