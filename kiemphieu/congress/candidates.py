"""Candidates of an election: one by one or a pasted list, edits, removal, and the checks
(never on the count committee; namesakes only with distinct dates of birth).

Each write validates, writes an audit entry and commits, as every set-up service does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .. import audit
from ..extensions import db, write_operation
from ..models import Candidate, Congress, Election, RoundCandidate, RoundStatus, name_key
from ..tally import InvalidName, clean_name
from .common import SetupError, clean as _clean
from .common import required_name as _required_name


@dataclass(frozen=True)
class CandidateLine:
    line: int
    name: str
    born: date | None


_NUMBERING = re.compile(r"^\s*\d+\s*[.)\-:]\s*")
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_vn_date(text: str) -> date:
    """'02/04/1975' (Vietnamese order) or '1975-04-02'; raises SetupError otherwise.

    A date written the right way that does not exist (30/02/1980) is named as such, not as a
    wrong format.
    """
    text = text.strip()
    shape = _DAY_MONTH_YEAR.match(text)
    if shape:
        day, month, year = (int(part) for part in shape.groups())
        if not 1 <= month <= 12:
            raise SetupError(f"Ngày sinh “{text}” không có thật: không có tháng {month}.")
        try:
            return date(year, month, day)
        except ValueError:
            raise SetupError(f"Ngày sinh “{text}” không có thật: tháng {month} năm {year} "
                             f"không có ngày {day}.") from None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise SetupError(f"Ngày sinh “{text}” không đúng dạng ngày/tháng/năm (ví dụ 02/04/1975).")


def parse_candidate_lines(text: str) -> list[CandidateLine]:
    """One candidate a line: 'Nguyễn Văn An' or 'Nguyễn Văn An, 02/04/1975'.

    A leading list number ('1.', '2)') and a tab instead of the comma (pasted from a
    spreadsheet) are accepted. Errors name the line.
    """
    parsed = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _NUMBERING.sub("", raw).strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[,\t;]", line) if p.strip()]
        try:
            name = clean_name(parts[0], label="họ tên", kind="person")
        except InvalidName as exc:
            raise SetupError(f"Dòng {number}: {exc}") from None
        born = None
        if len(parts) > 2:
            raise SetupError(f"Dòng {number}: chỉ ghi họ tên và ngày sinh, cách nhau bằng dấu phẩy.")
        if len(parts) == 2:
            try:
                born = parse_vn_date(parts[1])
            except SetupError as exc:
                raise SetupError(f"Dòng {number}: {exc}") from None
        if any(ch.isdigit() for ch in name):
            raise SetupError(f"Dòng {number}: họ tên “{name}” có chữ số.")
        parsed.append(CandidateLine(number, name, born))
    if not parsed:
        raise SetupError("Chưa có tên nào trong danh sách.")
    return parsed


def add_candidate(election: Election, name: str, born: date | None = None, note: str = "") -> Candidate:
    return add_candidates(election, [(name, born)], note=note)[0]


def add_candidates_from_text(election: Election, text: str) -> list[Candidate]:
    lines = parse_candidate_lines(text)
    try:
        return add_candidates(election, [(ln.name, ln.born) for ln in lines])
    except SetupError as exc:
        raise SetupError(f"Chưa thêm ai. {exc}") from None


@write_operation
def add_candidates(election: Election, people: list[tuple[str, date | None]], note: str = "") -> list[Candidate]:
    """Add all or none; the first round's list follows while it is still in set-up."""
    first = election.rounds[0]
    if first.status != RoundStatus.SETUP.value:
        raise SetupError("Vòng 1 đã bắt đầu nhập phiếu: danh sách bầu cử không thể thay đổi.")
    existing = [(c.name, c.born) for c in election.candidates]
    added: list[Candidate] = []
    for raw_name, born in people:
        name = _required_name(raw_name, "Họ và tên người ứng cử", "person")
        _check_born(born)
        _check_not_on_committee(election.congress, name)
        _check_distinguishable(name, born, existing)
        existing.append((name, born))
        candidate = Candidate(election=election, code=election.next_candidate_code(), name=name, born=born,
                              note=_clean(note, "Ghi chú", "text", required=False))
        db.session.add(candidate)
        first.round_candidates.append(RoundCandidate(candidate=candidate))
        added.append(candidate)
    db.session.flush()
    for candidate in added:
        audit.record("candidate.add", congress=election.congress, election_id=election.id,
                     candidate_id=candidate.id, code=candidate.code, name=candidate.name, born=candidate.born)
    db.session.commit()
    return added


@write_operation
def update_candidate(candidate: Candidate, name: str, born: date | None, note: str = "") -> None:
    election = candidate.election
    if election.rounds[0].status != RoundStatus.SETUP.value:
        raise SetupError("Vòng 1 đã bắt đầu nhập phiếu: danh sách bầu cử không thể thay đổi.")
    name = _required_name(name, "Họ và tên người ứng cử", "person")
    _check_born(born)
    _check_not_on_committee(election.congress, name)
    _check_distinguishable(name, born, [(c.name, c.born) for c in election.candidates if c.id != candidate.id])
    candidate.name, candidate.born, candidate.note = name, born, _clean(note, "Ghi chú", "text", required=False)
    audit.record("candidate.update", congress=election.congress, election_id=election.id,
                 candidate_id=candidate.id, code=candidate.code, name=name, born=born)
    db.session.commit()


@write_operation
def remove_candidate(candidate: Candidate) -> None:
    election = candidate.election
    if election.rounds[0].status != RoundStatus.SETUP.value or len(election.rounds) > 1:
        raise SetupError("Danh sách bầu cử đã dùng để bỏ phiếu: không thể xóa người ứng cử.")
    audit.record("candidate.remove", congress=election.congress, election_id=election.id,
                 candidate_id=candidate.id, code=candidate.code, name=candidate.name)
    election.rounds[0].round_candidates = [
        rc for rc in election.rounds[0].round_candidates if rc.candidate_id != candidate.id
    ]
    election.candidates.remove(candidate)
    db.session.commit()


def _check_born(born: date | None) -> None:
    if born is not None and not (date(1900, 1, 1) <= born <= date.today()):
        raise SetupError(f"Ngày sinh {born:%d/%m/%Y} không hợp lý.")


def _check_not_on_committee(congress: Congress, name: str) -> None:
    if any(name_key(m.name) == name_key(name) for m in congress.committee):
        raise SetupError(
            f"“{name}” là thành viên Ban kiểm phiếu: người trong Ban kiểm phiếu không được có tên "
            "trong danh sách bầu cử."
        )


def _check_distinguishable(name: str, born: date | None, existing: list[tuple[str, date | None]]) -> None:
    """Namesakes are allowed only when each has a date of birth and the dates differ."""
    for other_name, other_born in existing:
        if name_key(other_name) != name_key(name):
            continue
        if born is None or other_born is None:
            raise SetupError(
                f"Trùng họ tên “{name}”: cần nhập ngày sinh cho cả hai người để phân biệt trên phiếu bầu."
            )
        if born == other_born:
            raise SetupError(f"Trùng họ tên và ngày sinh “{name}” ({born:%d/%m/%Y}).")
