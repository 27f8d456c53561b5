"""The logged-in user and the URL's round as plain rows, for the ballot save (the hot path).

Every other page gets the ORM ``User`` (Flask-Login's user loader) and the ORM objects the URL
names (``access._congress_from_view_args``). A view declared ``require_role(..., lean=True)``
gets instead:
- ``LeanUser``: the user row with their assignments and grants, read by one Core statement
  (building ORM objects with their joined collections cost a fifth of a save's CPU). The
  session token is checked exactly as for the ORM user, on every request: a logout or a
  password change on any machine ends the session at its next save;
- ``EntryRound`` in ``g.round``: the round with its election, one Core statement. It carries
  what the save reads before its write lock (the pass, the batch, the judging election's key);
  what the save's checks depend on is read again under the lock, as for the ORM round.
The role is decided by the same rules (``access.role_in_congress_id``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import CongressAssignment, Election, EntryMode, OrganisationGrant, Role, Round, User

_USERS, _ASSIGNMENTS, _GRANTS = User.__table__, CongressAssignment.__table__, OrganisationGrant.__table__


@dataclass(frozen=True, slots=True)
class LeanAssignment:
    congress_id: int
    role: str


@dataclass(frozen=True, slots=True)
class LeanGrant:
    organisation_id: int
    role: str


class LeanUser(UserMixin):
    """What the access rules and the save read of a user (no relationship is loaded later)."""

    def __init__(self, id: int, username: str, full_name: str, role: str, active: bool, session_token: str,
                 assignments: tuple[LeanAssignment, ...], grants: tuple[LeanGrant, ...]):
        self.id, self.username, self.full_name, self.role = id, username, full_name, role
        self.active, self.session_token = active, session_token
        self.assignments, self.grants = assignments, grants

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def global_role(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.global_role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<LeanUser {self.username} {self.role}>"


# The user with every assignment and grant (outer joins: a counter has one assignment and no
# grant, so one row), built once.
_USER_WITH_SCOPES = (
    select(_USERS.c.id, _USERS.c.username, _USERS.c.full_name, _USERS.c.role, _USERS.c.active,
           _USERS.c.session_token, _ASSIGNMENTS.c.id.label("assignment_id"), _ASSIGNMENTS.c.congress_id,
           _ASSIGNMENTS.c.role.label("assignment_role"), _GRANTS.c.id.label("grant_id"), _GRANTS.c.organisation_id,
           _GRANTS.c.role.label("grant_role"))
    .select_from(_USERS.outerjoin(_ASSIGNMENTS, _ASSIGNMENTS.c.user_id == _USERS.c.id)
                 .outerjoin(_GRANTS, _GRANTS.c.user_id == _USERS.c.id))
    .where(_USERS.c.id == bindparam("user_id"))
)


def load_lean_user(user_id: int, token: str) -> LeanUser | None:
    """The user whose session id is ``<user_id>.<token>``, or None (no such user, or a token
    that changed: logout, password change, deactivation)."""
    rows = db.session.connection().execute(_USER_WITH_SCOPES, {"user_id": user_id}).all()
    if not rows or not hmac.compare_digest(rows[0].session_token.encode(), token.encode()):
        return None
    first = rows[0]
    assignments = {row.assignment_id: LeanAssignment(row.congress_id, row.assignment_role)
                   for row in rows if row.assignment_id is not None}
    grants = {row.grant_id: LeanGrant(row.organisation_id, row.grant_role) for row in rows if row.grant_id is not None}
    return LeanUser(first.id, first.username, first.full_name, first.role, bool(first.active), first.session_token,
                    tuple(assignments[k] for k in sorted(assignments)), tuple(grants[k] for k in sorted(grants)))


@dataclass(slots=True)
class EntryElection:
    id: int
    congress_id: int
    kind: str
    title: str
    seats: int


@dataclass(slots=True)
class EntryRound:
    """A round as the save reads it before its write lock. ``status``, ``batches`` and
    ``version`` are read again under the lock (``entry.services``); ``to_election`` loads the
    ORM round (the judging election is built once per round in entry and then cached)."""

    id: int
    election_id: int
    number: int
    seats: int
    status: str
    entry_mode: str
    batches: int
    version: int
    created_at: datetime
    election: EntryElection

    @property
    def mode(self) -> EntryMode:
        return EntryMode(self.entry_mode)

    def to_election(self):
        return db.session.get(Round, self.id).to_election()


_ROUNDS, _ELECTIONS = Round.__table__, Election.__table__
_ENTRY_ROUND = (
    select(_ROUNDS.c.id, _ROUNDS.c.election_id, _ROUNDS.c.number, _ROUNDS.c.seats, _ROUNDS.c.status,
           _ROUNDS.c.entry_mode, _ROUNDS.c.batches, _ROUNDS.c.version, _ROUNDS.c.created_at,
           _ELECTIONS.c.congress_id, _ELECTIONS.c.kind, _ELECTIONS.c.title, _ELECTIONS.c.seats.label("election_seats"))
    .select_from(_ROUNDS.join(_ELECTIONS, _ELECTIONS.c.id == _ROUNDS.c.election_id))
    .where(_ROUNDS.c.id == bindparam("round_id"))
)


def load_entry_round(round_id: int) -> EntryRound | None:
    row = db.session.connection().execute(_ENTRY_ROUND, {"round_id": round_id}).one_or_none()
    if row is None:
        return None
    election = EntryElection(row.election_id, row.congress_id, row.kind, row.title, row.election_seats)
    return EntryRound(row.id, row.election_id, row.number, row.seats, row.status, row.entry_mode, row.batches,
                      row.version, row.created_at, election)
