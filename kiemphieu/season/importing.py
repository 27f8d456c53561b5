"""Importing a season file: validate the whole file, then write all of it or nothing.

``check_season`` reads the file, types every cell, groups the rows into congresses and
elections, and compares them with each other and with the database; it returns a plan and
every issue found. ``import_season`` runs the same check inside one write transaction and, when
nothing is wrong (and it is not a dry run), creates what is missing. Matching is by name
(NFC, case-folded), so importing the same file twice creates nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import begin_write, db
from ..models import (
    KIND_LABELS,
    KINDS_NEEDING_SURPLUS,
    Candidate,
    Congress,
    CongressKind,
    Election,
    EntryMode,
    Organisation,
    Round,
    RoundCandidate,
    RoundStatus,
    User,
    name_key,
)
from ..tally import Kind, default_body
from .columns import (
    BY_KEY,
    COLUMNS,
    CONGRESS_KEYS,
    ELECTION_KEYS,
    CellError,
    cell_text,
    match_header,
    parse_congress_kind,
    parse_date,
    parse_int,
    parse_kind,
    parse_name,
    parse_path,
    path_text,
)
from .sheets import BROKEN, FILE_COLUMN, Issue, read_sheet

# Longest text each column may hold (the database's column sizes).
MAX_LENGTH = {"to_chuc": 200, "dai_hoi": 300, "dia_diem": 200, "cuoc_bau": 300, "ho_ten": 200}


def _cell_value(key: str, cell: Any) -> Any:
    """The typed value of one non-empty cell; raises CellError."""
    if key == "to_chuc":
        value = parse_path(cell)
        longest = max(value, key=len)
    elif key == "ho_ten":
        value = longest = parse_name(cell)
    elif key in ("trieu_tap", "so_luong"):
        return parse_int(cell)
    elif key == "ngay":
        return parse_date(cell)
    elif key == "ngay_sinh":
        born = parse_date(cell, year_alone=True)
        year = born if isinstance(born, int) else born.year
        if not 1900 <= year <= date.today().year or (isinstance(born, date) and born > date.today()):
            raise CellError(f"ngày sinh “{cell_text(cell)}” không hợp lý")
        return born
    elif key == "loai":
        return parse_kind(cell)
    elif key == "hinh_thuc":
        return parse_congress_kind(cell)
    else:
        value = longest = cell_text(cell)
    if len(longest) > MAX_LENGTH[key]:
        raise CellError(f"dài quá {MAX_LENGTH[key]} ký tự")
    return value


# ------------------------------------------------------------------ the plan


@dataclass
class CandidatePlan:
    row: int
    name: str
    born: date | None
    year: int | None  # a year of birth given alone (kept in the candidate's note)

    @property
    def birth(self) -> date | int | None:
        return self.born or self.year

    @property
    def note(self) -> str:
        return f"Năm sinh {self.year}" if self.year else ""


@dataclass
class ElectionPlan:
    row: int
    title: str
    kind: str | None
    seats: int | None
    candidates: list[CandidatePlan] = field(default_factory=list)
    existing: Election | None = None
    new_candidates: list[CandidatePlan] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[Kind(self.kind)] if self.kind else ""


@dataclass
class CongressPlan:
    row: int
    path: tuple[str, ...]
    name: str
    kind: str | None
    start_date: date | None
    place: str
    convened: int | None
    elections: dict[str, ElectionPlan] = field(default_factory=dict)
    existing: Congress | None = None

    @property
    def kind_label(self) -> str:
        return CongressKind(self.kind).label if self.kind else ""


@dataclass
class SeasonCheck:
    issues: list[Issue]
    congresses: list[CongressPlan]
    new_organisations: list[tuple[str, ...]]
    headings: dict[str, str]  # column key -> the header text as the file wrote it

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def counts(self) -> dict[str, int]:
        elections = [e for c in self.congresses for e in c.elections.values()]
        return {
            "organisations": len(self.new_organisations),
            "congresses": sum(1 for c in self.congresses if c.existing is None),
            "elections": sum(1 for e in elections if e.existing is None),
            "candidates": sum(len(e.new_candidates) for e in elections),
        }

    def lines(self, file: str) -> list[str]:
        return [issue.line(file) for issue in self.issues]


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    bad: set[str]  # columns whose cell was unreadable (already reported)

    def usable(self, *keys: str) -> bool:
        return all(k not in self.bad and self.values.get(k) is not None for k in keys)


class _Checker:
    def __init__(self, data: bytes):
        self.sheet = read_sheet(data)
        self.issues: list[Issue] = list(self.sheet.issues)
        self.positions: dict[str, int] = {}
        self.headings: dict[str, str] = {c.key: c.heading for c in COLUMNS}

    def issue(self, row: int, key: str, message: str) -> None:
        self.issues.append(Issue(row, self.headings.get(key, key), message))

    # -------------------------------------------------------------- header

    def read_header(self) -> None:
        data_width = max((len(cells) for _, cells in self.sheet.rows), default=0)
        for position, text in enumerate(self.sheet.header):
            key = match_header(text) if text.strip() else None
            if key is None:
                if text.strip():
                    known = ", ".join(c.heading for c in COLUMNS)
                    self.issues.append(Issue(1, text.strip(), f"cột không có trong mẫu (các cột: {known})"))
                elif self._column_has_data(position):
                    self.issues.append(Issue(1, f"cột {position + 1}", "cột có dữ liệu nhưng không có tiêu đề"))
                continue
            if key in self.positions:
                self.issues.append(Issue(1, text.strip(), f"cột “{BY_KEY[key].heading}” có hai lần"))
                continue
            self.positions[key] = position
            self.headings[key] = text.strip()
        if self.sheet.header:
            for column in COLUMNS:
                if column.required and column.key not in self.positions:
                    self.issues.append(Issue(1, column.heading, f"thiếu cột bắt buộc “{column.heading}” ({column.key})"))
        for position in range(len(self.sheet.header), data_width):
            if self._column_has_data(position):
                self.issues.append(Issue(1, f"cột {position + 1}", "cột có dữ liệu nhưng không có tiêu đề"))

    def _column_has_data(self, position: int) -> bool:
        return any(position < len(cells) and cells[position] is not BROKEN and cell_text(cells[position])
                   for _, cells in self.sheet.rows)

    # -------------------------------------------------------------- rows

    def read_rows(self) -> list[_Row]:
        rows = []
        for number, cells in self.sheet.rows:
            values: dict[str, Any] = {}
            bad: set[str] = set()
            for key, position in self.positions.items():
                cell = cells[position] if position < len(cells) else None
                if cell is BROKEN:
                    bad.add(key)
                    continue
                if not cell_text(cell):
                    values[key] = None
                    if BY_KEY[key].required:
                        self.issue(number, key, "thiếu giá trị")
                        bad.add(key)
                    continue
                try:
                    values[key] = _cell_value(key, cell)
                except CellError as exc:
                    self.issue(number, key, str(exc))
                    bad.add(key)
            rows.append(_Row(number, values, bad))
        return rows

    # -------------------------------------------------------------- grouping

    def group(self, rows: list[_Row]) -> list[CongressPlan]:
        congresses: dict[tuple, CongressPlan] = {}
        first_rows: dict[int, _Row] = {}  # id(plan) -> the row that defined it
        for row in rows:
            if not row.usable("to_chuc", "dai_hoi"):
                continue
            v = row.values
            key = (tuple(name_key(p) for p in v["to_chuc"]), name_key(v["dai_hoi"]))
            congress = congresses.get(key)
            if congress is None:
                congress = congresses[key] = CongressPlan(
                    row.number, v["to_chuc"], v["dai_hoi"], v.get("hinh_thuc"), v.get("ngay"),
                    v.get("dia_diem") or "", v.get("trieu_tap"))
                first_rows[id(congress)] = row
            else:
                self._compare(row, first_rows[id(congress)], CONGRESS_KEYS, "đại hội")
            if not row.usable("cuoc_bau"):
                continue
            election = congress.elections.get(name_key(v["cuoc_bau"]))
            if election is None:
                election = congress.elections[name_key(v["cuoc_bau"])] = ElectionPlan(
                    row.number, v["cuoc_bau"], v.get("loai"), v.get("so_luong"))
                first_rows[id(election)] = row
            else:
                self._compare(row, first_rows[id(election)], ELECTION_KEYS, "cuộc bầu")
            if row.usable("ho_ten") and "ngay_sinh" not in row.bad:
                born = v.get("ngay_sinh")
                election.candidates.append(CandidatePlan(
                    row.number, v["ho_ten"], born if isinstance(born, date) else None,
                    born if isinstance(born, int) else None))
        return list(congresses.values())

    def _compare(self, row: _Row, first: _Row, keys: tuple[str, ...], what: str) -> None:
        for key in keys:
            if key in row.bad or key in first.bad:
                continue
            mine, theirs = row.values.get(key), first.values.get(key)
            if mine != theirs:
                self.issue(row.number, key, f"khác với dòng {first.number} của cùng {what} "
                                            f"(“{_shown(mine, key)}” so với “{_shown(theirs, key)}”)")

    # -------------------------------------------------------------- candidates

    def check_candidates(self, election: ElectionPlan) -> None:
        by_name: dict[str, list[CandidatePlan]] = defaultdict(list)
        for candidate in election.candidates:
            earlier = by_name[name_key(candidate.name)]
            for other in earlier:
                message = _namesake_problem(candidate, other)
                if message:
                    self.issue(candidate.row, "ho_ten", message)
                    break
            earlier.append(candidate)

    def check_surplus(self, election: ElectionPlan) -> None:
        if election.kind is None or election.seats is None:
            return
        total = len(election.new_candidates) + (len(election.existing.candidates) if election.existing else 0)
        if Kind(election.kind) in KINDS_NEEDING_SURPLUS and election.seats >= total:
            self.issue(election.row, "so_luong",
                       f"bầu {election.kind_label} phải có số dư: cần bầu {election.seats} "
                       f"nhưng chỉ có {total} người ứng cử")


def _shown(value: Any, key: str = "") -> str:
    if value is not None and key == "hinh_thuc":
        return CongressKind(value).label
    if value is not None and key == "loai":
        return KIND_LABELS[Kind(value)]
    if isinstance(value, tuple):
        return path_text(value)
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return "" if value is None else str(value)


def _namesake_problem(candidate: CandidatePlan, other: CandidatePlan | Candidate) -> str:
    """Why two people of the same name cannot both be on one list ('' when they can)."""
    where = f"dòng {other.row}" if isinstance(other, CandidatePlan) else "danh sách đã có trong hệ thống"
    other_birth = other.birth if isinstance(other, CandidatePlan) else other.born
    if candidate.birth is None and other_birth is None:
        return f"trùng họ tên “{candidate.name}” với {where} và không có ngày sinh để phân biệt"
    if candidate.birth == other_birth:
        return f"trùng người ứng cử với {where} (cùng họ tên và ngày sinh)"
    if candidate.born is None or not isinstance(other_birth, date):
        return f"trùng họ tên “{candidate.name}” với {where}: cần ngày sinh đầy đủ của cả hai người để phân biệt"
    return ""


# ------------------------------------------------------------------ against the database


class _Existing:
    """The organisations and congresses already stored, loaded in a few queries."""

    def __init__(self):
        self.children: dict[tuple[int | None, str], Organisation] = {
            (o.parent_id, name_key(o.name)): o for o in db.session.scalars(select(Organisation).order_by(Organisation.id))
        }

    def organisation(self, path: tuple[str, ...]) -> Organisation | None:
        parent_id = None
        found = None
        for part in path:
            found = self.children.get((parent_id, name_key(part)))
            if found is None:
                return None
            parent_id = found.id
        return found

    def missing_levels(self, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        return [path[:depth] for depth in range(1, len(path) + 1) if self.organisation(path[:depth]) is None]


def _match_database(checker: _Checker, plans: list[CongressPlan]) -> list[tuple[str, ...]]:
    existing = _Existing()
    new_paths: dict[tuple, tuple[str, ...]] = {}
    organisations = {id(p): existing.organisation(p.path) for p in plans}
    org_ids = {o.id for o in organisations.values() if o is not None}
    stored = defaultdict(list)
    if org_ids:
        query = (select(Congress).where(Congress.organisation_id.in_(org_ids))
                 .options(selectinload(Congress.committee),
                          selectinload(Congress.elections).selectinload(Election.candidates),
                          selectinload(Congress.elections).selectinload(Election.rounds)))
        for congress in db.session.scalars(query):
            stored[(congress.organisation_id, name_key(congress.name))].append(congress)
    for plan in plans:
        organisation = organisations[id(plan)]
        if organisation is None:
            for level in existing.missing_levels(plan.path):
                new_paths.setdefault(tuple(name_key(p) for p in level), level)
        else:
            matches = stored.get((organisation.id, name_key(plan.name)))
            plan.existing = matches[0] if matches else None
        if plan.existing is not None:
            _compare_congress(checker, plan)
        for election in plan.elections.values():
            _match_election(checker, plan, election)
    return list(new_paths.values())


def _compare_congress(checker: _Checker, plan: CongressPlan) -> None:
    congress = plan.existing
    fields = (("hinh_thuc", plan.kind, congress.kind), ("ngay", plan.start_date, congress.start_date),
              ("trieu_tap", plan.convened, congress.convened))
    for key, mine, theirs in fields:
        if mine is not None and mine != theirs:
            shown = _shown(theirs, key)
            checker.issue(plan.row, key, f"đại hội này đã có trong hệ thống với giá trị khác (“{shown}”); "
                                         "sửa trên trang của đại hội hoặc sửa tệp cho khớp")


def _match_election(checker: _Checker, congress: CongressPlan, election: ElectionPlan) -> None:
    checker.check_candidates(election)
    if congress.existing is not None:
        found = [e for e in congress.existing.elections if name_key(e.title) == name_key(election.title)]
        election.existing = found[0] if found else None
    if election.existing is None:
        election.new_candidates = list(election.candidates)
    else:
        stored = election.existing
        for key, mine, theirs in (("loai", election.kind, stored.kind), ("so_luong", election.seats, stored.seats)):
            if mine is not None and mine != theirs:
                shown = _shown(theirs, key)
                checker.issue(election.row, key, f"cuộc bầu này đã có trong hệ thống với giá trị khác (“{shown}”)")
        known = {(name_key(c.name), c.born, c.note if c.note.startswith("Năm sinh") else "")
                 for c in stored.candidates}
        election.new_candidates = [c for c in election.candidates
                                   if (name_key(c.name), c.born, c.note) not in known]
        for candidate in election.new_candidates:
            for other in stored.candidates:
                if name_key(other.name) == name_key(candidate.name):
                    problem = _namesake_problem(candidate, other)
                    if problem:
                        checker.issue(candidate.row, "ho_ten", problem)
                        break
        if election.new_candidates and stored.rounds and stored.rounds[0].status != RoundStatus.SETUP.value:
            checker.issue(election.new_candidates[0].row, "ho_ten",
                          "cuộc bầu đã bắt đầu nhập phiếu: không thể thêm người ứng cử")
    if congress.existing is not None:
        committee = {name_key(m.name) for m in congress.existing.committee}
        for candidate in election.new_candidates:
            if name_key(candidate.name) in committee:
                checker.issue(candidate.row, "ho_ten", "là thành viên Ban kiểm phiếu: không được có tên "
                                                       "trong danh sách bầu cử")
    checker.check_surplus(election)


def check_season(data: bytes) -> SeasonCheck:
    """Every issue of the file (nothing written): against itself and the database."""
    checker = _Checker(data)
    checker.read_header()
    rows = checker.read_rows()
    plans = checker.group(rows)
    new_organisations = _match_database(checker, plans)
    issues = sorted(checker.issues, key=lambda i: i.row)  # stable: a row's issues keep column order
    return SeasonCheck(issues, plans, new_organisations, checker.headings)


# ------------------------------------------------------------------ writing


def import_season(data: bytes, *, dry_run: bool = False, file_name: str = "", user: User | None = None) -> SeasonCheck:
    """Check the file and, unless it has issues or ``dry_run``, create what is missing.

    The check runs inside the write transaction, so nothing can change between what was
    checked and what is written.
    """
    if dry_run:
        return check_season(data)
    begin_write()
    try:
        result = check_season(data)
        if result.ok:
            _write(result, file_name, user)
            db.session.commit()
        else:
            db.session.rollback()
        return result
    except BaseException:
        db.session.rollback()
        raise


def _write(result: SeasonCheck, file_name: str, user: User | None) -> None:
    """Create what the check planned: all rows in one flush (batched inserts), then the audit
    entries (which chain one after another)."""
    existing = _Existing()
    created: dict[tuple, Organisation] = {}
    logged: list[tuple] = []  # (action, congress, object, detail builder) once ids exist

    def organisation_at(path: tuple[str, ...]) -> Organisation:
        key = tuple(name_key(p) for p in path)
        found = created.get(key) or existing.organisation(path)
        if found is not None:
            return found
        parent = organisation_at(path[:-1]) if len(path) > 1 else None
        organisation = created[key] = Organisation(name=path[-1], parent=parent)
        db.session.add(organisation)
        logged.append(("organisation.create", None, organisation))
        return organisation

    for plan in result.congresses:
        congress = plan.existing
        if congress is None:
            congress = Congress(organisation=organisation_at(plan.path), kind=plan.kind, name=plan.name,
                                place=plan.place, start_date=plan.start_date, convened=plan.convened)
            db.session.add(congress)
            logged.append(("congress.create", congress, congress))
            position = 0
        else:
            position = max((e.position for e in congress.elections), default=0)
        for election_plan in plan.elections.values():
            if election_plan.existing is None:
                position += 1
                election = _new_election(congress, election_plan, position)
                logged.append(("election.create", congress, election))
            elif election_plan.new_candidates:
                for candidate in _new_candidates(election_plan):
                    logged.append(("candidate.add", congress, candidate))
    db.session.flush()
    for action, congress, obj in logged:
        audit.record(action, congress=congress, user=user, source="import", **_audit_detail(obj))
    audit.record("season.import", user=user, file=file_name, **result.counts)


def _new_election(congress: Congress, plan: ElectionPlan, position: int) -> Election:
    # Who votes follows the kind, as in the set-up form (the secretary: the new committee).
    body = default_body(plan.kind, congress.organisation.name)
    election = Election(congress=congress, kind=plan.kind, title=plan.title, seats=plan.seats, position=position,
                        body=body.value)
    first = Round(election=election, number=1, seats=plan.seats, entry_mode=EntryMode.DOUBLE.value,
                  status=RoundStatus.SETUP.value)
    candidates = [Candidate(election=election, code=f"c{n:02d}", name=c.name, born=c.born, note=c.note)
                  for n, c in enumerate(plan.new_candidates, start=1)]
    first.round_candidates = [RoundCandidate(candidate=c) for c in candidates]
    db.session.add_all([election, first, *candidates])
    return election


def _new_candidates(plan: ElectionPlan) -> list[Candidate]:
    election = plan.existing
    first = election.rounds[0]
    added = []
    for person in plan.new_candidates:
        candidate = Candidate(code=election.next_candidate_code(), name=person.name, born=person.born,
                              note=person.note)
        db.session.add(candidate)
        election.candidates.append(candidate)
        first.round_candidates.append(RoundCandidate(candidate=candidate))
        added.append(candidate)
    return added


def _audit_detail(obj) -> dict:
    if isinstance(obj, Organisation):
        return {"organisation_id": obj.id, "name": obj.name, "parent_id": obj.parent_id}
    if isinstance(obj, Congress):
        return {"kind": obj.kind, "name": obj.name, "place": obj.place, "start_date": obj.start_date,
                "convened": obj.convened, "organisation_id": obj.organisation_id}
    if isinstance(obj, Election):
        return {"election_id": obj.id, "kind": obj.kind, "title": obj.title, "seats": obj.seats, "body": obj.body,
                "candidates": [{"code": c.code, "name": c.name, "born": c.born, "note": c.note}
                               for c in obj.candidates]}
    return {"election_id": obj.election_id, "candidate_id": obj.id, "code": obj.code, "name": obj.name,
            "born": obj.born}


def template_rows() -> list[list[str]]:
    """The template's header and example rows: one election of three, importable as is."""
    heading = [c.heading for c in COLUMNS]
    example = {c.key: c.example for c in COLUMNS} | {"so_luong": "2"}
    people = [("Nguyễn Văn An", "02/04/1975"), ("Trần Thị Bình", "1980"), ("Lê Văn Cường", "")]
    rows = [[{**example, "ho_ten": name, "ngay_sinh": born}[c.key] for c in COLUMNS] for name, born in people]
    return [heading, *rows]


__all__ = ["SeasonCheck", "check_season", "import_season", "template_rows", "FILE_COLUMN"]
