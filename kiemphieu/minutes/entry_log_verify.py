"""`kiemphieu verify` on an entry log (Nhật ký nhập phiếu bầu), as on the minutes:

1. the attached ballots that count are counted again; ``result.json`` must equal the recount;
2. the ballots that count, rebuilt from ``entry-log.json`` by the counting rule, must be the
   attached ``ballots.jsonl`` (the log and the count tell the same story);
3. the printed digest on every page, the number of saves per pass and the totals per pass must
   be the recount's.
"""

from __future__ import annotations

import json
import re

from kiemphieu.tally import InputError, ballot_to_json, iter_ballots, parse_ballot, parse_election, round_digest, tally

from .context import DRAFT_MARK
from .entry_log import ENTRY_LOG_FILE, PASS_ORDER, PASS_TITLES, EntryLog, counted_marks, pass_totals
from .render import BALLOTS_FILE, ELECTION_FILE, RESULT_FILE
from .verify import VerificationReport, _open, _pdfa_level, check_printed_digest, diff_json, page_texts, read_attachments

FILES = (ELECTION_FILE, BALLOTS_FILE, RESULT_FILE, ENTRY_LOG_FILE)


def is_entry_log(pdf_bytes: bytes) -> bool:
    try:
        with _open(pdf_bytes) as pdf:
            return ENTRY_LOG_FILE in pdf.attachments
    except Exception:
        return False


def verify_entry_log(pdf_bytes: bytes) -> VerificationReport:
    report = VerificationReport()
    texts = page_texts(pdf_bytes)
    with _open(pdf_bytes) as pdf:
        report.pdfa = _pdfa_level(pdf)
        try:
            files = read_attachments(pdf)
        except Exception as exc:
            report.add(False, "Tệp đính kèm / attachments", f"cannot be read: {exc}")
            return report
    report.add(report.pdfa == "3B", "Định dạng PDF/A-3b / PDF/A-3b metadata", str(report.pdfa))
    missing = [n for n in FILES if n not in files]
    if missing:
        report.add(False, "Tệp đính kèm / attachments", f"missing {', '.join(missing)}")
        return report
    report.add(True, "Tệp đính kèm / attachments", ", ".join(sorted(files)))
    try:
        election = parse_election(files[ELECTION_FILE].decode("utf-8"), ELECTION_FILE)
        ballots = list(iter_ballots(files[BALLOTS_FILE].decode("utf-8"), election, BALLOTS_FILE))
        attached_result = json.loads(files[RESULT_FILE].decode("utf-8"))
        log = EntryLog.from_json(json.loads(files[ENTRY_LOG_FILE].decode("utf-8")))
        from_log = [parse_ballot(m, election) for m in counted_marks(log)]
    except (InputError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        report.add(False, "Đọc tệp đính kèm / reading the attachments", str(exc))
        return report

    result = tally(election, ballots)
    report.digest = round_digest(election, ballots, result)
    differences = diff_json(attached_result, result.to_json())
    report.add(not differences, "result.json khớp kiểm lại / attached result equals the recount",
               "; ".join(differences[:12]) if differences else f"{len(ballots)} phiếu / ballots counted again")
    same = [ballot_to_json(b) for b in from_log] == [ballot_to_json(b) for b in ballots]
    report.add(same, "Nhật ký khớp các phiếu được tính / the log gives the ballots that count",
               f"{len(from_log)} phiếu / ballots" if same else
               f"the log gives {len(from_log)} ballots, ballots.jsonl has {len(ballots)} (or they differ)")
    check_printed_digest(report, texts, report.digest)
    flat = re.sub(r"\s+", " ", " ".join(texts))
    report.draft = DRAFT_MARK.split(" —")[0] in flat
    for entry_pass in PASS_ORDER:
        entries = log.of_pass(entry_pass)
        if entries:
            heading = f"{PASS_TITLES[entry_pass]} ({len(entries)} lần lưu)"
            report.add(heading in flat, f"Số lần lưu in ra / saves printed: {PASS_TITLES[entry_pass]}",
                       f"{len(entries)}" if heading in flat else f"'{heading}' not found")
    for totals in pass_totals(log, election):
        report.add(totals.line in flat, f"Tổng hợp in ra / totals printed: {totals.title}",
                   totals.line if totals.line in flat else f"not found: {totals.line}")
    return report
