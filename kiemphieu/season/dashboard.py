"""The season dashboard: every congress in scope with its state and the progress of its open
rounds, filtered, searched and paginated, with a summary; in a constant number of queries.

Queries, whatever the number of congresses: the organisations (filter and paths), the state
counts of the filtered set, one page of congresses, their elections' latest rounds, ballot
counts, unsettled differences and scans in review of the open rounds on the page, and the
elected per kind (plus the ids and names in scope when searching by name). A congress's state
is computed in SQL from its elections' latest rounds:

- ``counting`` (Đang kiểm phiếu): a latest round is in entry;
- ``finalised`` (Đã chốt): every election's latest round is finalised with a complete outcome;
- ``voting`` (Đang bầu cử): something has started (a round past set-up, ballots issued, a
  second round) but the above do not hold, e.g. a tie waiting for its runoff;
- ``setup`` (Chuẩn bị): nothing has started (or no election yet).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..auth import access
from ..extensions import db
from ..models import (
    KIND_LABELS,
    Ballot,
    Congress,
    CongressAssignment,
    Election,
    EntryMode,
    EntryPass,
    ResultVersion,
    Role,
    Round,
    RoundStatus,
    ScanImage,
    ScanStatus,
    User,
)
from ..tally import Kind
from ..tally.names import search_fold as fold
from .tree import organisation_tree, tree_options

PAGE_SIZE = 25
STATES = {
    "setup": "Chuẩn bị",
    "voting": "Đang bầu cử",
    "counting": "Đang kiểm phiếu",
    "finalised": "Đã chốt",
}


# ------------------------------------------------------------------ JSON fields in SQL


class json_text(FunctionElement):
    """``column ->> key`` (PostgreSQL) / ``json_extract(column, '$.key')`` (SQLite)."""

    inherit_cache = True
    type = db.String()


class json_length(FunctionElement):
    """The length of the JSON array at ``key`` of a JSON column."""

    inherit_cache = True
    type = Integer()


@compiles(json_text)
def _json_text_sqlite(element, compiler, **kw):
    column, key = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, '$.' || {compiler.process(key, **kw)})"


@compiles(json_text, "postgresql")
def _json_text_pg(element, compiler, **kw):
    column, key = list(element.clauses)
    return f"({compiler.process(column, **kw)} ->> {compiler.process(key, **kw)})"


@compiles(json_length)
def _json_length_sqlite(element, compiler, **kw):
    column, key = list(element.clauses)
    return f"json_array_length({compiler.process(column, **kw)}, '$.' || {compiler.process(key, **kw)})"


@compiles(json_length, "postgresql")
def _json_length_pg(element, compiler, **kw):
    column, key = list(element.clauses)
    return f"json_array_length({compiler.process(column, **kw)} -> {compiler.process(key, **kw)})"


# ------------------------------------------------------------------ scope and filters


def scope_condition(user: User, organisations: set[int] | None = None) -> ColumnElement[bool]:
    """Which congresses the user sees: the one place that says so for the dashboard.

    The rules of ``kiemphieu.auth.access``: any role in a congress lets one see it, and any
    role counts as at least viewer, so a congress is visible when the user is an administrator
    or a global organiser/viewer (``organisations`` None), when its organisation lies under a
    grant of the user's (``organisations``, from ``access.organisation_scope``), or when the
    user is assigned to it.
    """
    if organisations is None:
        organisations = access.organisation_scope(user, Role.VIEWER)
    if organisations is None:
        return true()
    assigned = select(CongressAssignment.congress_id).where(CongressAssignment.user_id == user.id)
    return or_(Congress.organisation_id.in_(organisations), Congress.id.in_(assigned))


@dataclass
class Filters:
    organisation_id: int | None = None
    state: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    query: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        def as_date(name: str) -> date | None:
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        def as_int(name: str, default: int | None) -> int | None:
            try:
                return int(args.get(name, ""))
            except ValueError:
                return default

        state = args.get("state") or None
        return cls(
            organisation_id=as_int("organisation", None),
            state=state if state in STATES else None,
            date_from=as_date("from"),
            date_to=as_date("to"),
            query=(args.get("q") or "").strip()[:200],
            page=max(1, as_int("page", 1) or 1),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query-string arguments of these filters (for pagination links)."""
        values = {"organisation": self.organisation_id, "state": self.state, "from": self.date_from,
                  "to": self.date_to, "q": self.query or None, "page": self.page} | changes
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v}


# ------------------------------------------------------------------ state in SQL


def _latest_rounds():
    """Each election's latest round (subquery of round ids)."""
    latest = (select(Round.election_id, func.max(Round.number).label("number"))
              .group_by(Round.election_id).subquery("latest"))
    return (select(Round.id.label("round_id"), Round.election_id)
            .join(latest, and_(latest.c.election_id == Round.election_id, latest.c.number == Round.number))
            .subquery("latest_round"))


def _congress_states():
    latest = _latest_rounds()
    outcome = json_text(ResultVersion.result, literal("outcome"))
    done = and_(Round.status == RoundStatus.FINALISED.value, outcome == "complete")
    started = or_(Round.status != RoundStatus.SETUP.value, Round.issued.is_not(None), Round.number > 1)
    progress = (
        select(
            Election.congress_id,
            func.count(Round.id).label("elections"),
            func.sum(case((Round.status == RoundStatus.ENTRY.value, 1), else_=0)).label("counting"),
            func.sum(case((done, 1), else_=0)).label("done"),
            func.sum(case((started, 1), else_=0)).label("started"),
        )
        .join(latest, latest.c.election_id == Election.id)
        .join(Round, Round.id == latest.c.round_id)
        .outerjoin(ResultVersion, and_(ResultVersion.round_id == Round.id, ResultVersion.version == Round.version))
        .group_by(Election.congress_id)
        .subquery("progress")
    )
    state = case(
        (func.coalesce(progress.c.counting, 0) > 0, "counting"),
        (and_(func.coalesce(progress.c.elections, 0) > 0, progress.c.done == progress.c.elections), "finalised"),
        (func.coalesce(progress.c.started, 0) > 0, "voting"),
        else_="setup",
    ).label("state")
    return progress, state


# ------------------------------------------------------------------ the page


@dataclass
class RoundProgress:
    election_title: str
    kind_label: str
    number: int
    status: str
    status_label: str
    round_id: int
    issued: int | None = None
    compared: bool = False  # double or triple entry
    entered: dict[str, int] = field(default_factory=dict)  # pass -> live ballots
    unsettled: int = 0
    review: int = 0


@dataclass
class CongressRow:
    id: int
    name: str
    path: str
    start_date: date | None
    state: str
    rounds: list[RoundProgress] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return STATES[self.state]


@dataclass
class Dashboard:
    filters: Filters
    rows: list[CongressRow]
    total: int
    per_state: dict[str, int]
    elected: list[tuple[str, int]]  # (kind label, people elected)
    organisations: list[tuple[int, str]]  # (id, path) for the filter

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


def organisation_paths(tree: dict | None = None) -> dict[int, tuple[int | None, str]]:
    """Every organisation's (parent id, 'Top / ... / Itself'), from one query."""
    tree = organisation_tree() if tree is None else tree
    return {org_id: (parent, " / ".join(names)) for org_id, (parent, names) in tree.items()}


def _subtree(organisations: dict[int, tuple[int | None, str]], top: int) -> set[int]:
    children = defaultdict(list)
    for org_id, (parent, _) in organisations.items():
        children[parent].append(org_id)
    found, todo = set(), [top]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children[current])
    return found


def build_dashboard(user: User, filters: Filters) -> Dashboard:
    tree = organisation_tree()
    organisations = organisation_paths(tree)
    in_scope = access.organisation_scope(user, Role.VIEWER)
    progress, state = _congress_states()
    conditions = [scope_condition(user, in_scope)]
    if filters.organisation_id in organisations:
        conditions.append(Congress.organisation_id.in_(_subtree(organisations, filters.organisation_id)))
    if filters.date_from:
        conditions.append(Congress.start_date >= filters.date_from)
    if filters.date_to:
        conditions.append(Congress.start_date <= filters.date_to)
    if filters.query:
        # Searched in Python (tone marks and case folded alike on SQLite and PostgreSQL):
        # one query for the ids and names in scope, which are short.
        needle = fold(filters.query)
        named = db.session.execute(select(Congress.id, Congress.name).where(*conditions)).all()
        conditions.append(Congress.id.in_([r.id for r in named if needle in fold(r.name)] or [-1]))
    scoped = (select(Congress.id.label("id"), state)
              .outerjoin(progress, progress.c.congress_id == Congress.id).where(*conditions).subquery("scoped"))

    per_state = dict.fromkeys(STATES, 0)
    per_state |= dict(db.session.execute(select(scoped.c.state, func.count()).group_by(scoped.c.state)).all())
    where_state = scoped.c.state == filters.state if filters.state else true()
    total = per_state[filters.state] if filters.state else sum(per_state.values())

    page = db.session.execute(
        select(Congress.id, Congress.name, Congress.organisation_id, Congress.start_date, scoped.c.state)
        .join(scoped, scoped.c.id == Congress.id)
        .where(where_state)
        .order_by(Congress.start_date.desc().nulls_last(), Congress.name, Congress.id)
        .limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    ).all()
    rows = [CongressRow(r.id, r.name, organisations[r.organisation_id][1], r.start_date, r.state) for r in page]
    _add_rounds(rows)
    # The filter offers the organisations in scope, and those of the congresses assigned.
    offered = set(organisations) if in_scope is None else in_scope | {
        organisation_id for organisation_id, in db.session.execute(
            select(Congress.organisation_id).where(scope_condition(user, in_scope)).distinct())}
    return Dashboard(filters, rows, total, per_state, _elected_per_kind(scoped, where_state),
                     [(i, organisations[i][1]) for i, _ in tree_options(offered, tree)])


def _add_rounds(rows: list[CongressRow]) -> None:
    if not rows:
        return
    by_id = {row.id: row for row in rows}
    latest = _latest_rounds()
    rounds = db.session.execute(
        select(Round.id, Round.number, Round.status, Round.issued, Round.entry_mode, Election.title, Election.kind,
               Election.congress_id)
        .join(latest, latest.c.round_id == Round.id)
        .join(Election, Election.id == Round.election_id)
        .where(Election.congress_id.in_(by_id))
        .order_by(Election.congress_id, Election.position, Election.id)
    ).all()
    progress: dict[int, RoundProgress] = {}
    for r in rounds:
        item = RoundProgress(r.title, KIND_LABELS[Kind(r.kind)], r.number, r.status,
                             RoundStatus(r.status).label, r.id, r.issued, EntryMode(r.entry_mode).compared)
        by_id[r.congress_id].rounds.append(item)
        if r.status == RoundStatus.ENTRY.value:
            progress[r.id] = item
    if not progress:
        return
    open_ids = list(progress)
    live = Ballot.superseded == False  # noqa: E712 - "= false" is what the partial index matches
    for round_id, entry_pass, count in db.session.execute(
        select(Ballot.round_id, Ballot.entry_pass, func.count())
        .where(Ballot.round_id.in_(open_ids), live).group_by(Ballot.round_id, Ballot.entry_pass)
    ):
        progress[round_id].entered[entry_pass] = count
    for round_id, count in db.session.execute(_unsettled(open_ids)):
        progress[round_id].unsettled = count
    for round_id, count in db.session.execute(
        select(ScanImage.round_id, func.count())
        .where(ScanImage.round_id.in_(open_ids), ScanImage.status == ScanStatus.REVIEW.value)
        .group_by(ScanImage.round_id)
    ):
        progress[round_id].review = count


def _unsettled(round_ids: list[int]):
    """Per round: stack positions (batch, number) where the compared passes differ, or not every
    pass has a ballot, and no committee ruling exists yet (``entry.comparison`` in SQL).

    Stored marks are canonical (``entry.services.canonical_marks``), so equal readings are equal
    text. Single-entry rounds compare nothing and are left out.
    """
    live = Ballot.superseded == False  # noqa: E712
    marks = func.cast(Ballot.marks, db.Text)
    needed = case((Round.entry_mode == EntryMode.TRIPLE.value, 3), else_=2)
    positions = (
        select(Ballot.round_id, Ballot.batch, Ballot.sequence)
        .join(Round, Round.id == Ballot.round_id)
        .where(Ballot.round_id.in_(round_ids), live, Round.entry_mode != EntryMode.SINGLE.value,
               Ballot.entry_pass.in_([EntryPass.A.value, EntryPass.B.value, EntryPass.C.value]))
        .group_by(Ballot.round_id, Ballot.batch, Ballot.sequence, Round.entry_mode)
        .having(or_(func.count() < needed, func.min(marks) != func.max(marks)))
        .subquery("differing")
    )
    settled = select(Ballot.id).where(
        Ballot.round_id == positions.c.round_id, Ballot.batch == positions.c.batch,
        Ballot.sequence == positions.c.sequence, Ballot.entry_pass == EntryPass.SETTLED.value, live)
    return (select(positions.c.round_id, func.count())
            .where(~settled.exists()).group_by(positions.c.round_id))


def _elected_per_kind(scoped, where_state) -> list[tuple[str, int]]:
    """People elected in finalised rounds (their current version), by kind of election."""
    rows = db.session.execute(
        select(Election.kind, func.sum(json_length(ResultVersion.result, literal("elected"))))
        .join(Round, Round.election_id == Election.id)
        .join(ResultVersion, and_(ResultVersion.round_id == Round.id, ResultVersion.version == Round.version))
        .join(scoped, scoped.c.id == Election.congress_id)
        .where(Round.status == RoundStatus.FINALISED.value, where_state)
        .group_by(Election.kind)
    ).all()
    order = list(KIND_LABELS)
    return [(KIND_LABELS[Kind(kind)], int(total or 0))
            for kind, total in sorted(rows, key=lambda r: order.index(Kind(r[0])))]


__all__ = ["STATES", "Dashboard", "Filters", "build_dashboard", "scope_condition", "fold"]
