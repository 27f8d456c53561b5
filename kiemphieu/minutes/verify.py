"""`kiemphieu verify`: is this minutes PDF what its attached ballots say?

1. The attached ``election.json`` and ``ballots.jsonl`` are counted again with the engine.
2. The attached ``result.json`` must equal that recount, field by field.
3. The visible text (extracted with pypdfium2) must carry the recount's figures: the results
   table, the elected table, ballots counted / valid / invalid (per reason), the base, the
   majority, and the round digest in the footer of every page.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kiemphieu.tally import (
    REASON_LABELS,
    InputError,
    iter_ballots,
    parse_election,
    round_digest,
    tally,
)

from .context import DRAFT_MARK
from .formatting import percent_vi
from .render import BALLOTS_FILE, ELECTION_FILE, RESULT_FILE
from .wording import wording_for


class UnreadableMinutes(Exception):
    """Not a PDF that can be opened (exit status 2)."""


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str = ""


@dataclass
class VerificationReport:
    findings: list[Finding] = field(default_factory=list)
    digest: str | None = None  # recomputed from the attached ballots
    printed_digest: str | None = None  # as printed in the footer
    draft: bool = False
    pdfa: str | None = None  # e.g. "3B"
    signatures: list = field(default_factory=list)  # signing.SignatureCheck, when the PDF is signed
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def add(self, ok: bool, what: str, detail: str = "") -> None:
        self.findings.append(Finding(ok, what, detail))

    def text(self) -> str:
        lines = []
        for f in self.findings:
            mark = "[KHỚP / OK]      " if f.ok else "[SAI / MISMATCH] "
            lines.append(f"{mark}{f.what}" + (f": {f.detail}" if f.detail else ""))
        if self.draft:
            lines.append("Lưu ý / note: bản nháp (draft watermark) — chưa phải biên bản đã kết thúc.")
        lines.extend(f"Lưu ý / note: {note}" for note in self.notes)
        if self.ok:
            lines.append("KẾT LUẬN: biên bản khớp với các phiếu đính kèm. "
                         "Every figure and the digest match the attached ballots.")
        else:
            lines.append(f"KẾT LUẬN: biên bản KHÔNG khớp ({len(self.problems)} điểm sai). "
                         "The minutes do NOT match the attached ballots.")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "digest": self.digest,
            "printed_digest": self.printed_digest,
            "draft": self.draft,
            "pdfa": self.pdfa,
            "findings": [{"ok": f.ok, "what": f.what, "detail": f.detail} for f in self.findings],
            # Only for signed files: an unsigned file's report keeps its original keys.
            **({"signatures": [c.to_json() for c in self.signatures]} if self.signatures else {}),
        }

    def add_signatures(self, checks: list, trust_checked: bool) -> None:
        """Findings for each signature: intact, unchanged since, trusted (when roots were given)."""
        self.signatures = list(checks)
        for number, check in enumerate(checks, start=1):
            when = f"ký lúc / signed at {check.signed_at:%d/%m/%Y %H:%M %Z}".rstrip() if check.signed_at else ""
            self.add(check.intact, f"Chữ ký số {number} / signature {number}: {check.signer}",
                     ("nguyên vẹn / intact" if check.intact else "KHÔNG khớp nội dung đã ký / does not match "
                      "the signed content") + (f"; {when}" if when else ""))
            self.add(not check.changed_after, f"Không sửa sau khi ký / unchanged after signature {number}",
                     "tài liệu đã bị thay đổi sau khi ký / the document was CHANGED after signing"
                     if check.changed_after else
                     ("chỉ thêm chữ ký sau / only later signatures added" if check.later_signatures_only else ""))
            if check.trusted is not None:
                self.add(check.trusted, f"Chứng thư tin cậy / trusted certificate, signature {number}",
                         "" if check.trusted else "does not chain to the given trust roots")
        if checks and not trust_checked:
            self.notes.append("chưa kiểm tra chứng thư gốc của chữ ký (thêm --trust-root CA.pem) / "
                              "the signer's certificate was not checked against a trust root.")


# ------------------------------------------------------------------ reading the file


def _open(pdf_bytes: bytes):
    import pikepdf

    try:
        return pikepdf.open(io.BytesIO(pdf_bytes))
    except (pikepdf.PdfError, ValueError) as exc:
        reason = str(exc).split(": ", 1)[-1] if isinstance(exc, pikepdf.PdfError) else str(exc)
        raise UnreadableMinutes(f"not a readable PDF ({reason})") from None


def read_attachments(pdf) -> dict[str, bytes]:
    return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


def _pdfa_level(pdf) -> str | None:
    try:
        meta = pdf.open_metadata()
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    except Exception:  # unreadable XMP is a finding, not a crash
        return None
    return f"{part}{conformance}" if part else None


def page_texts(pdf_bytes: bytes) -> list[str]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf_bytes)
    except pdfium.PdfiumError as exc:
        raise UnreadableMinutes(f"not a readable PDF: {exc}") from None
    texts = []
    for page in document:
        text = page.get_textpage().get_text_range()
        texts.append(unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")))
    return texts


# ------------------------------------------------------------------ comparing


def diff_json(attached: Any, recount: Any, path: str = "result") -> list[str]:
    """Each place where the attached result differs from the recount, as a readable path."""
    if isinstance(attached, dict) and isinstance(recount, dict):
        out = []
        for key in sorted(set(attached) | set(recount), key=str):
            if key not in attached:
                out.append(f"{path}.{key}: missing (recount: {recount[key]!r})")
            elif key not in recount:
                out.append(f"{path}.{key}: unexpected {attached[key]!r}")
            else:
                out.extend(diff_json(attached[key], recount[key], f"{path}.{key}"))
        return out
    if isinstance(attached, list) and isinstance(recount, list):
        if path.endswith(".candidates") and all(isinstance(c, dict) for c in attached + recount):
            by_id = {c.get("id"): c for c in attached}
            out = [f"{path}: {len(attached)} rows, recount has {len(recount)}"] if len(attached) != len(recount) else []
            for row in recount:
                mine = by_id.get(row["id"])
                if mine is None:
                    out.append(f"{path}[{row['id']}]: missing")
                else:
                    out.extend(diff_json(mine, row, f"{path}[{row['id']}]"))
            return out
        if len(attached) != len(recount):
            return [f"{path}: {attached!r}, recount gives {recount!r}"]
        out = []
        for i, (a, b) in enumerate(zip(attached, recount)):
            out.extend(diff_json(a, b, f"{path}[{i}]"))
        return out
    if attached != recount or type(attached) is not type(recount):
        return [f"{path}: {attached!r}, recount gives {recount!r}"]
    return []


# A name holds no digits, except a namesake's birth note: "Nguyễn Văn Dũng (sinh năm 1972)".
_ROW = re.compile(r"(\d+) (\D+?(?: \(sinh (?:năm \d{4}|ngày \d{2}/\d{2}/\d{4})\))?) (\d+) (\d{1,3},\d{2})\b")
_NOT_A_ROW = re.compile(r"^(Mã xác thực|Kiểm tra tại|Tệp đính kèm|Nhật ký thao tác|Trang \d+/\d+|TT Họ và tên|[0-9a-f]{64}$)")
_DIGEST = re.compile(r"Mã xác thực \(SHA-256\):\s*([0-9a-f]{64})")


def _section(lines: list[str], start: str, end: str) -> list[str]:
    inside, out = False, []
    for line in lines:
        if not inside and line.startswith(start):
            inside = True
            continue
        if inside and line.startswith(end):
            break
        if inside:
            out.append(line)
    return out


def table_rows(lines: list[str]) -> list[tuple[int, str, int, str]]:
    """(order, name, votes, percent) rows of a printed table.

    A long name wraps onto the next line and a page break puts the footer and the repeated
    header inside a table, so the rows are found in the section's text joined into one line,
    without the footer and header lines. Names hold no digits; votes and percent follow them.
    """
    body = " ".join(
        line for line in (raw.strip() for raw in lines)
        if line and not _NOT_A_ROW.match(line) and DRAFT_MARK.split(" —")[0] not in line
    )
    return [(int(m[1]), m[2], int(m[3]), m[4]) for m in _ROW.finditer(body)]


def _labelled(flat: str, pattern: str) -> int | None:
    match = re.search(pattern, flat)
    return int(match.group(1)) if match else None


def check_visible_text(report: VerificationReport, texts: list[str], election, result, digest: str) -> None:
    check_printed_digest(report, texts, digest)
    _check_minutes_text(report, texts, election, result)


def check_printed_digest(report: VerificationReport, texts: list[str], digest: str) -> None:
    """The footer of every page names the round: the same digest as the recount."""
    printed = []
    for number, text in enumerate(texts, start=1):
        match = _DIGEST.search(text.replace("\n", " "))
        printed.append(match.group(1) if match else None)
        if not match:
            report.add(False, f"Mã xác thực in ở trang {number} / digest in footer of page {number}",
                       "not found")
    found = [p for p in printed if p]
    report.printed_digest = found[0] if found else None
    if found:
        wrong = sorted({p for p in found if p != digest})
        report.add(not wrong, "Mã xác thực in trên biên bản / printed digest",
                   f"{wrong[0]} ≠ recount {digest}" if wrong else digest)


def _check_minutes_text(report: VerificationReport, texts: list[str], election, result) -> None:
    lines = [line.strip() for text in texts for line in text.split("\n")]
    flat = re.sub(r"\s+", " ", " ".join(lines))
    report.draft = DRAFT_MARK.split(" —")[0] in flat

    figures = [
        ("Tổng số được triệu tập / convened", r"được triệu tập: (\d+)", election.convened),
        ("Số không tính / excluded", r"để xác định kết quả bầu cử: (\d+) đồng chí", election.excluded),
        ("Tổng số làm căn cứ / base", r"Tổng số làm căn cứ tính kết quả bầu cử: (\d+)", result.base),
        ("Số phiếu tối thiểu / majority", r"\(quá một nửa\): (\d+) phiếu", result.majority),
        ("Số lượng cần bầu / seats", re.escape(wording_for(election.kind).seats_intro) + r"(?: \(bầu lần \d+\))? là (\d+) đồng chí", election.seats),
        ("Số phiếu thu về / ballots counted", r"số phiếu thu về: (\d+)", result.counted),
        ("Số phiếu hợp lệ / valid", r"Số phiếu hợp lệ: (\d+)", result.valid),
        ("Số phiếu không hợp lệ / invalid", r"số phiếu không hợp lệ: (\d+)", result.invalid),
    ]
    if election.issued is not None:
        figures.append(("Số phiếu phát ra / issued", r"Số phiếu phát ra: (\d+)", election.issued))
    if election.present is not None:
        figures.append(("Số có mặt / present", r"Số có mặt lúc bầu cử: (\d+)", election.present))
    for what, pattern, expected in figures:
        shown = _labelled(flat, pattern)
        report.add(shown == expected, f"{what} (trên biên bản / printed)",
                   f"{shown if shown is not None else 'not found'}" + ("" if shown == expected else f" ≠ recount {expected}"))

    shown_reasons = {}
    for reason, label in REASON_LABELS.items():
        value = _labelled(flat, re.escape(label) + r": (\d+) phiếu")
        if value is not None:
            shown_reasons[str(reason)] = value
    expected_reasons = {str(r): n for r, n in result.invalid_reasons.items()}
    report.add(shown_reasons == expected_reasons, "Lý do phiếu không hợp lệ / invalid reasons (printed)",
               f"{shown_reasons}" + ("" if shown_reasons == expected_reasons else f" ≠ recount {expected_reasons}"))

    results = table_rows(_section(lines, "Kết quả kiểm phiếu (xếp theo", "Tỷ lệ % tính so với"))
    names = election.display_names
    expected_rows = [(c.order, names[c.id], c.votes, percent_vi(c.percent)) for c in result.candidates]
    _compare_rows(report, "Bảng kết quả kiểm phiếu / results table", results, expected_rows)

    elected = table_rows(_section(lines, "Những đồng chí", "Kiểm phiếu kết thúc vào lúc"))
    expected_elected = [
        (rank, names[c.id], c.votes, percent_vi(c.percent))
        for rank, c in enumerate((result.by_id(cid) for cid in result.elected), start=1)
    ]
    _compare_rows(report, "Danh sách trúng cử / elected (printed)", elected, expected_elected)


def _compare_rows(report: VerificationReport, what: str, shown: list, expected: list) -> None:
    if shown == expected:
        report.add(True, what, f"{len(shown)} dòng / rows")
        return
    problems = []
    if len(shown) != len(expected):
        problems.append(f"{len(shown)} rows printed, recount has {len(expected)}")
    for got, want in zip(shown, expected):
        if got != want:
            problems.append(f"row {want[0]} {want[1]}: printed {got[2]} votes {got[3]}%"
                            + (f" as '{got[1]}'" if got[1] != want[1] else "")
                            + f", recount {want[2]} votes {want[3]}%")
    report.add(False, what, "; ".join(problems))


# ------------------------------------------------------------------ the whole check


def verify_minutes(pdf_bytes: bytes, trust_roots: list | None = None) -> VerificationReport:
    """Check a minutes PDF against its attached ballots, and its signatures when it has any
    (``trust_roots``: certificates, see ``signing.load_certificates``). Raises UnreadableMinutes."""
    report = _verify_contents(pdf_bytes)
    from .signing import check_signatures

    checks = check_signatures(pdf_bytes, trust_roots)
    if checks:
        report.add_signatures(checks, trust_checked=bool(trust_roots))
    return report


def verify_document(pdf_bytes: bytes, trust_roots: list | None = None) -> VerificationReport:
    """`kiemphieu verify`: the minutes, or an entry log (told apart by its attachment), and the
    signatures of either."""
    from .entry_log_verify import is_entry_log, verify_entry_log
    from .signing import check_signatures

    if not is_entry_log(pdf_bytes):
        return verify_minutes(pdf_bytes, trust_roots)
    report = verify_entry_log(pdf_bytes)
    checks = check_signatures(pdf_bytes, trust_roots)
    if checks:
        report.add_signatures(checks, trust_checked=bool(trust_roots))
    return report


def _verify_contents(pdf_bytes: bytes) -> VerificationReport:
    report = VerificationReport()
    pdf = _open(pdf_bytes)
    texts = page_texts(pdf_bytes)
    with pdf:
        report.pdfa = _pdfa_level(pdf)
        try:
            files = read_attachments(pdf)
        except Exception as exc:  # a damaged embedded file: say so rather than crash
            report.add(False, "Tệp đính kèm / attachments", f"cannot be read: {exc}")
            return report
    report.add(report.pdfa == "3B", "Định dạng PDF/A-3b / PDF/A-3b metadata", str(report.pdfa))
    missing = [n for n in (ELECTION_FILE, BALLOTS_FILE, RESULT_FILE) if n not in files]
    if missing:
        report.add(False, "Tệp đính kèm / attachments", f"missing {', '.join(missing)}")
        return report
    report.add(True, "Tệp đính kèm / attachments", ", ".join(sorted(files)))

    try:
        election_text = files[ELECTION_FILE].decode("utf-8")
        election = parse_election(election_text, ELECTION_FILE)
        ballots = list(iter_ballots(files[BALLOTS_FILE].decode("utf-8"), election, BALLOTS_FILE))
        attached_result = json.loads(files[RESULT_FILE].decode("utf-8"))
    except (InputError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add(False, "Đọc tệp đính kèm / reading the attachments", str(exc))
        return report

    result = tally(election, ballots)
    report.digest = round_digest(election, ballots, result)
    differences = diff_json(attached_result, result.to_json())
    report.add(not differences, "result.json khớp kiểm lại / attached result equals the recount",
               "; ".join(differences[:12]) + (f" (+{len(differences) - 12} more)" if len(differences) > 12 else "")
               if differences else f"{len(ballots)} phiếu / ballots counted again")
    check_visible_text(report, texts, election, result, report.digest)
    return report
