"""Gathering a round's entry log (Nhật ký nhập phiếu bầu) from the tables; the rendering is
``kiemphieu.minutes.entry_log``'s. Ballot rows are never edited or deleted, so the log lists
every save; who undid or replaced a row comes from the audit log."""

from __future__ import annotations

from sqlalchemy import select

from .. import tally
from ..entry.services import describe
from ..extensions import db
from ..localtime import to_local
from ..minutes.entry_log import EntryLog, LoggedBallot, LoggedRuling
from ..models import Adjudication, AuditEntry, Ballot, Round, ScanImage, User
from ..results import services as results_services

MACHINE = "máy đọc phiếu"
RULING_WORDS = {
    "struck": "gạch", "kept": "giữ lại", "agree": "đồng ý", "disagree": "không đồng ý",
    "both": "đánh cả hai ô", "none": "để trống", "valid": "cả lá phiếu: hợp lệ",
    "not_ballot": "cả lá phiếu: không phải lá phiếu", "reset": "mở lại phân xử",
}


def _when(value) -> str:
    return to_local(value).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def _person(user: User | None, fallback: str = "") -> str:
    if user is None:
        return fallback
    return user.full_name or user.username


def _audit_by_ballot(round_: Round) -> dict[int, AuditEntry]:
    """The audit entry that superseded each ballot row (undo, a later ruling, a reopened scan)."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.congress_id == round_.election.congress_id,
                                 AuditEntry.action.in_(("ballot.undo", "ballot.settle", "scan.reopen")))
        .order_by(AuditEntry.id)
    )
    found = {}
    for entry in entries:
        detail = entry.detail or {}
        if detail.get("round_id") != round_.id:
            continue
        key = {"ballot.undo": "ballot_id", "ballot.settle": "replaced", "scan.reopen": "superseded_ballot_id"}
        target = detail.get(key[entry.action])
        if target:
            found[int(target)] = entry
    return found


def _settle_notes(round_: Round) -> dict[int, str]:
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.congress_id == round_.election.congress_id,
                                                          AuditEntry.action == "ballot.settle"))
    return {int(e.detail["ballot_id"]): e.detail.get("note") or "" for e in entries
            if (e.detail or {}).get("round_id") == round_.id and e.detail.get("ballot_id")}


def _scan_label(scan: ScanImage) -> str:
    return f"ảnh {scan.id} ({scan.original_name}, trang {scan.page + 1})"


def _logged_ballot(row: Ballot, election: tally.Election, undone: dict, notes: dict) -> LoggedBallot:
    by = undone.get(row.id)
    undone_by = _person(db.session.get(User, by.user_id), by.username) if by is not None and by.user_id else (
        by.username if by is not None else None)
    note = notes.get(row.id, "")
    if row.scan is not None:
        note = _scan_label(row.scan) + (f"; {note}" if note else "")
    return LoggedBallot(
        entry_pass=row.entry_pass, sequence=row.sequence, marks=row.marks, reading=describe(row.marks, election),
        clerk=_person(row.entered_by, MACHINE if row.entry_pass == "scan" else "—"), at=_when(row.entered_at),
        undone_at=_when(row.superseded_at or (by.at if by is not None else None)) if row.superseded else None,
        undone_by=undone_by or None, note=note,
    )


def _ruling_words(ruling: Adjudication, names: dict[str, str]) -> str:
    text = ruling.ruling
    if text.startswith("invalid:"):
        reason = text.split(":", 1)[1]
        try:
            words = "cả lá phiếu: không hợp lệ — " + tally.REASON_LABELS[tally.InvalidReason(reason)]
        except ValueError:
            words = f"cả lá phiếu: không hợp lệ — {reason}"
    else:
        words = RULING_WORDS.get(text, text)
    if ruling.candidate_code:
        return f"{names.get(ruling.candidate_code, ruling.candidate_code)}: {words}"
    return words


def gather_entry_log(round_: Round, election: tally.Election) -> EntryLog:
    rows = db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id).order_by(Ballot.id)).all()
    undone, notes = _audit_by_ballot(round_), _settle_notes(round_)
    entries = [_logged_ballot(row, election, undone, notes) for row in rows]
    names = {c.id: f"{election.order_of(c.id)}. {c.name}" for c in election.candidates}
    rulings = db.session.scalars(
        select(Adjudication).join(ScanImage).where(ScanImage.round_id == round_.id).order_by(Adjudication.id)
    ).all()
    logged_rulings = [LoggedRuling(_scan_label(r.scan), _ruling_words(r, names), _person(r.user, "—"), _when(r.at))
                      for r in rulings]
    return EntryLog(round_.entry_mode, entries, logged_rulings)


def entry_log_pdf(round_: Round, verify_url_base: str) -> bytes:
    """The round's entry log: of the latest finalised version (its digest is the minutes'), or a
    draft of the count so far. Everything is gathered first, then rendered with the request's
    transaction ended, in a render slot (``Busy`` when none frees up)."""
    from ..minutes.entry_log import render_entry_log
    from ..models import utcnow
    from .rendering import render_outside_transaction

    version = results_services.latest_version(round_) if round_.is_finalised else None
    inputs = results_services.minutes_inputs(round_, version)
    rr = inputs.rr
    log = gather_entry_log(round_, rr.election)
    printed_at = _when(utcnow())
    return render_outside_transaction(lambda: render_entry_log(
        rr.election, rr.ballots, log, draft=inputs.draft, verify_url_base=verify_url_base, printed_at=printed_at,
        audit_head=inputs.audit_head))
