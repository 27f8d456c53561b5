"""The printed entry log of a round (Nhật ký nhập phiếu bầu): every ballot saved in every pass,
every undo, every settled difference and scan ruling, the totals per pass and the round digest.

Pure (no Flask, no database): the web app gathers an ``EntryLog`` from its tables; this module
renders it as PDF/A-3b with the same attachments as the minutes (so the digest is the minutes'
digest) plus ``entry-log.json``, which ``kiemphieu verify`` reads back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from kiemphieu.tally import Ballot, Election, canonical_record, record_digest, tally

from .context import DRAFT_MARK, header_context, verify_url
from .formatting import date_long
from .render import (
    BALLOTS_FILE,
    ELECTION_FILE,
    RESULT_FILE,
    _document_fields,
    _html_to_pdf,
    _json_bytes,
    ballots_jsonl,
    jinja_env,
    qr_data_uri,
    timestamp_for,
)

ENTRY_LOG_FILE = "entry-log.json"
SCHEMA = "kiemphieu/entry-log-1"
PASS_TITLES = {
    "A": "Lượt A",
    "B": "Lượt B",
    "scan": "Phiếu quét (máy đọc và Ban kiểm phiếu phân xử)",
    "settled": "Phiếu Ban kiểm phiếu xử lý khi lượt A và lượt B khác nhau",
}
PASS_ORDER = ("A", "B", "scan", "settled")


@dataclass(frozen=True)
class LoggedBallot:
    """One ballot row as saved (never edited); ``undone_at`` when it was superseded."""

    entry_pass: str
    sequence: int
    marks: dict
    reading: str  # the marks in names: "Gạch: 3. Lê Văn Cường"
    clerk: str
    at: str  # local time, "20/06/2025 10:31:07"
    undone_at: str | None = None
    undone_by: str | None = None
    note: str = ""  # a settled ruling's note, a scan's file

    @property
    def live(self) -> bool:
        return self.undone_at is None


@dataclass(frozen=True)
class LoggedRuling:
    """A committee ruling on a scanned ballot (row or whole paper)."""

    scan: str  # "ảnh 12 (0001.png, trang 1)"
    ruling: str  # in words
    by: str
    at: str


@dataclass(frozen=True)
class EntryLog:
    mode: str  # "single" or "double"
    entries: list[LoggedBallot] = field(default_factory=list)
    rulings: list[LoggedRuling] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "mode": self.mode, "entries": [asdict(e) for e in self.entries],
                "rulings": [asdict(r) for r in self.rulings]}

    @classmethod
    def from_json(cls, data: dict) -> EntryLog:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not an entry log ({data.get('schema')!r})")
        return cls(data["mode"], [LoggedBallot(**e) for e in data["entries"]],
                   [LoggedRuling(**r) for r in data["rulings"]])

    def of_pass(self, entry_pass: str) -> list[LoggedBallot]:
        return [e for e in self.entries if e.entry_pass == entry_pass]


def counted_marks(log: EntryLog) -> list[dict]:
    """The ballots that count, from the log alone: the rule of ``Round.counted_ballots`` (single
    entry: pass A and scans; double: per position the settled ruling, else pass A; a settled
    "no ballot here" counts nothing; then scans), in stack order."""
    def live(entry_pass: str) -> dict[int, dict]:
        return {e.sequence: e.marks for e in sorted(log.of_pass(entry_pass), key=lambda e: e.sequence) if e.live}

    scans = list(live("scan").values())
    if log.mode == "single":
        return list(live("A").values()) + scans
    settled, first = live("settled"), live("A")
    chosen = [settled.get(s) or first[s] for s in sorted(settled.keys() | first.keys())]
    return [m for m in chosen if not m.get("absent")] + scans


@dataclass(frozen=True)
class PassTotals:
    entry_pass: str
    title: str
    saved: int
    undone: int
    live: int
    valid: int
    invalid: int
    votes: dict[str, int]  # candidate id -> votes in this pass

    @property
    def line(self) -> str:
        """The line ``verify`` reads back."""
        return (f"{self.title}: đã lưu {self.saved} phiếu, hủy {self.undone}, hiện hành {self.live}, "
                f"hợp lệ {self.valid}, không hợp lệ {self.invalid}.")


def pass_totals(log: EntryLog, election: Election) -> list[PassTotals]:
    from kiemphieu.tally import parse_ballot

    totals = []
    for entry_pass in PASS_ORDER:
        entries = log.of_pass(entry_pass)
        if not entries:
            continue
        live = [e for e in entries if e.live and not e.marks.get("absent")]
        result = tally(election, [parse_ballot(e.marks, election) for e in live])
        short = PASS_TITLES[entry_pass] if entry_pass in ("A", "B") else {"scan": "Phiếu quét",
                                                                           "settled": "Phiếu Ban kiểm phiếu xử lý"}[entry_pass]
        totals.append(PassTotals(entry_pass, short, len(entries), len(entries) - len([e for e in entries if e.live]),
                                 len([e for e in entries if e.live]), result.valid, result.invalid,
                                 {c.id: c.votes for c in result.candidates}))
    return totals


def render_entry_log(election: Election, ballots: Sequence[Ballot], log: EntryLog, *, draft: bool = False,
                     verify_url_base: str | None = None, printed_at: str | None = None,
                     audit_head: str | None = None) -> bytes:
    """The entry log as PDF/A-3b (A4). ``ballots`` are the ballots that count (those of the
    minutes), so the log carries the minutes' digest."""
    ballots = list(ballots)
    result = tally(election, ballots)
    record = canonical_record(election, ballots, result)
    digest = record_digest(record)
    when = timestamp_for(election.date, None)
    context = {
        **header_context(election.organization, election.congress, election.place, election.date),
        **_document_fields(when, f"Nhật ký nhập phiếu bầu: {election.title}",
                           f"Ban kiểm phiếu — {election.congress or election.organization}"),
        "election": election,
        "result": result,
        "log": log,
        "passes": [(p, PASS_TITLES[p], log.of_pass(p)) for p in PASS_ORDER if log.of_pass(p)],
        "totals": pass_totals(log, election),
        "candidates": [(election.order_of(c.id), election.display_name(c.id), c.id) for c in election.candidates],
        "mode_label": "Nhập hai lần độc lập (lượt A và lượt B)" if log.mode == "double" else "Nhập một lần",
        "date_long": date_long(election.date),
        "printed_at": printed_at,
        "digest": digest,
        "verify_url": verify_url(verify_url_base, digest),
        "attachment_names": f"{ELECTION_FILE}, {BALLOTS_FILE}, {RESULT_FILE}, {ENTRY_LOG_FILE}",
        "draft": draft,
        "draft_mark": DRAFT_MARK,
        "audit_head": audit_head,  # the audit chain's head at finalisation, as on the minutes
        "head": next((m for m in election.committee if "trưởng" in m.role.lower()), None),
    }
    context["qr_uri"] = qr_data_uri(context["verify_url"])
    html = jinja_env().get_template("minutes/entry_log.html").render(context)
    attachments = [
        (ELECTION_FILE, _json_bytes(record["election"]), "Election (kiemphieu/election-1)", "Source"),
        (BALLOTS_FILE, ballots_jsonl(ballots), "Ballots that count, one a line", "Source"),
        (RESULT_FILE, _json_bytes(record["result"]), "Result of kiemphieu tally", "Data"),
        (ENTRY_LOG_FILE, _json_bytes(log.to_json()), "Every ballot saved in every pass (kiemphieu/entry-log-1)",
         "Source"),
    ]
    identifier = hashlib.sha256((digest + json.dumps(log.to_json(), sort_keys=True)).encode()).hexdigest()[:32]
    return _html_to_pdf(html, when=when, attachments=attachments, identifier=identifier.encode())
