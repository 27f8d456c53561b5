"""One page of an audit chain for a person: filtered (round, user, action), newest first, in words.

A page costs a fixed number of queries whatever its length: the entries, their count, the
filter's choices, and the names the words need (rounds and their candidates, users,
organisations), each gathered once for the page (``wording`` does the formatting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select

from .. import tally
from ..extensions import db
from ..models import AuditEntry, Candidate, Election, Organisation, Round, RoundCandidate, User
from .chain import chain_key
from .wording import ACTION_LABELS, SYSTEM_USER, Described, Names, action_label, describe_entry

PAGE_SIZE = 100
SYSTEM = "-"  # the user filter's value for entries with no user (the worker, the command line)


@dataclass(frozen=True)
class AuditFilter:
    round_id: int | None = None
    username: str | None = None  # SYSTEM for entries without a user
    action: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilter:
        def number(key: str) -> int | None:
            value = (args.get(key) or "").strip()
            return int(value) if value.isdigit() else None

        return cls(round_id=number("round"), username=(args.get("user") or "").strip() or None,
                   action=(args.get("action") or "").strip() or None, page=max(number("page") or 1, 1))

    def query_args(self, **changes) -> dict[str, str | int]:
        """The GET parameters of this filter (for page links), with ``changes`` applied."""
        values = {"round": self.round_id, "user": self.username, "action": self.action, "page": self.page}
        values.update(changes)
        return {key: value for key, value in values.items()
                if value not in (None, "") and not (key == "page" and value == 1)}

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.round_id, self.username, self.action))


@dataclass(frozen=True)
class Line:
    seq: int
    at: object
    user: str
    action: str
    described: Described


@dataclass(frozen=True)
class AuditPage:
    lines: list[Line]
    total: int  # entries matching the filter
    page: int
    pages: int
    filter: AuditFilter
    rounds: list[tuple[int, str]]  # the round filter's choices
    users: list[tuple[str, str]]  # (value, label)
    actions: list[tuple[str, str]]  # (code, label)


def _filtered(chain: str, chosen: AuditFilter) -> Select:
    query = select(AuditEntry).where(AuditEntry.chain == chain)
    if chosen.round_id is not None:
        query = query.where(AuditEntry.detail["round_id"].as_integer() == chosen.round_id)
    if chosen.username == SYSTEM:
        query = query.where(AuditEntry.username == "")
    elif chosen.username:
        query = query.where(AuditEntry.username == chosen.username)
    if chosen.action:
        query = query.where(AuditEntry.action == chosen.action)
    return query


def congress_names(congress_id: int) -> Names:
    """Every round, election and round list of the congress: two queries."""
    names = Names()
    rows = db.session.execute(
        select(Election.id, Election.title, Round.id, Round.number).outerjoin(Round, Round.election_id == Election.id)
        .where(Election.congress_id == congress_id).order_by(Election.position, Election.id, Round.number)
    )
    for election_id, title, round_id, number in rows:
        names.elections[election_id] = title
        if round_id is not None:
            names.rounds[round_id] = f"{title} — vòng {number}"
    people: dict[int, list[tuple[str, str, object]]] = {}
    for round_id, code, name, born in db.session.execute(
        select(RoundCandidate.round_id, Candidate.code, Candidate.name, Candidate.born)
        .join(Candidate, Candidate.id == RoundCandidate.candidate_id).join(Round, Round.id == RoundCandidate.round_id)
        .join(Election, Election.id == Round.election_id).where(Election.congress_id == congress_id)
    ):
        people.setdefault(round_id, []).append((code, name, born))
    for round_id, listed in people.items():
        shown = tally.display_names(listed)
        ordered = sorted(listed, key=lambda person: (tally.collation_key(person[1], person[2]), person[0]))
        names.candidates[round_id] = {code: shown[code] for code, _, _ in ordered}
    return names


def _add_people(names: Names, entries: list[AuditEntry]) -> None:
    """Full names of the page's users and names of the organisations it mentions: two queries at most."""
    usernames = {e.username for e in entries if e.username} | {
        str(e.detail["username"]) for e in entries if isinstance(e.detail, dict) and e.detail.get("username")}
    if usernames:
        names.users.update(dict(db.session.execute(
            select(User.username, User.full_name).where(User.username.in_(usernames))).all()))
    organisation_ids = {e.detail[key] for e in entries for key in ("parent_id", "organisation_id")
                        if isinstance(e.detail, dict) and isinstance(e.detail.get(key), int)}
    if organisation_ids:
        names.organisations.update(dict(db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))).all()))


def audit_page(congress_id: int | None, chosen: AuditFilter, names: Names | None = None) -> AuditPage:
    """The chosen page of a congress's chain (None: the system chain), newest first."""
    chain = chain_key(congress_id)
    names = names if names is not None else Names()
    query = _filtered(chain, chosen)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(ceil(total / PAGE_SIZE), 1)
    page = min(chosen.page, pages)
    entries = db.session.scalars(
        query.order_by(AuditEntry.seq.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    _add_people(names, list(entries))
    lines = [Line(e.seq, e.at, names.person(e.username), e.action, describe_entry(e.action, e.detail, names))
             for e in entries]
    recorded = db.session.scalars(select(AuditEntry.action).where(AuditEntry.chain == chain).distinct()).all()
    actions = sorted(((code, action_label(code)) for code in recorded),
                     key=lambda item: (item[0] not in ACTION_LABELS, item[1]))
    acting = db.session.execute(
        select(AuditEntry.username, User.full_name).outerjoin(User, User.username == AuditEntry.username)
        .where(AuditEntry.chain == chain).distinct()).all()
    people = Names(users={name: full for name, full in acting if full})
    users = [(name or SYSTEM, people.person(name)) for name, _ in sorted(acting, key=lambda row: row[0])]
    return AuditPage(lines, total, page, pages, chosen, list(names.rounds.items()), users, actions)
