"""Checking a season file: every issue of the whole file, and the plan of what to create.

``check_season`` reads the file, types every cell, groups the rows into congresses and
elections, and compares them with each other and with the database (and, in the web app,
with what the user may organise); it returns the plan and every issue found, writing
nothing. Matching is by name (NFC, case-folded), so a file already imported plans nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth import access
from ..extensions import db
from ..models import (
    KIND_LABELS,
    KINDS_NEEDING_SURPLUS,
    Candidate,
    Congress,
    CongressKind,
    Election,
    Organisation,
    Role,
    RoundStatus,
    User,
    name_key,
)
from ..tally import Kind
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
from .sheets import BROKEN, Issue, read_sheet

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


class StoredTree:
    """The organisations already stored, from one query, found by their path."""

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

    def deepest(self, path: tuple[str, ...]) -> Organisation | None:
        """The lowest level of the path that exists already."""
        found = None
        for depth in range(1, len(path) + 1):
            level = self.organisation(path[:depth])
            if level is None:
                break
            found = level
        return found

    def missing_levels(self, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        return [path[:depth] for depth in range(1, len(path) + 1) if self.organisation(path[:depth]) is None]


def _may_organise(user: User, existing: StoredTree, plan: CongressPlan) -> bool:
    """Organiser of the congress (stored) or of the lowest stored level of its path (new):
    a district organiser imports below the district only (``kiemphieu.auth.access``)."""
    if plan.existing is not None:
        role = access.role_in_congress(user, plan.existing)
    else:
        anchor = existing.deepest(plan.path)
        if anchor is not None:
            role = access.role_on_organisation(user, anchor)
        else:  # a new top level: only who organises everything
            role = user.global_role if user.global_role in (Role.ADMIN, Role.ORGANISER) else None
    return role is not None and role.rank >= Role.ORGANISER.rank


def _match_database(checker: _Checker, plans: list[CongressPlan], user: User | None = None) -> list[tuple[str, ...]]:
    existing = StoredTree()
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
        if user is not None and not _may_organise(user, existing, plan):
            checker.issue(plan.row, "to_chuc", f"bạn không có quyền tổ chức đại hội ở “{path_text(plan.path)}”")
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


def check_season(data: bytes, user: User | None = None) -> SeasonCheck:
    """Every issue of the file (nothing written): against itself and the database, and, for
    a user of the web app, against what that user may organise (None: the command line)."""
    checker = _Checker(data)
    checker.read_header()
    rows = checker.read_rows()
    plans = checker.group(rows)
    new_organisations = _match_database(checker, plans, user)
    issues = sorted(checker.issues, key=lambda i: i.row)  # stable: a row's issues keep column order
    return SeasonCheck(issues, plans, new_organisations, checker.headings)
