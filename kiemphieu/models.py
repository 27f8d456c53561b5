"""The database model of a congress count (typed SQLAlchemy 2.0).

Organisation -> Congress (exclusions, count committee) -> Election (candidates)
-> Round (the candidates on its list, numbers present/issued) -> Ballot (one row per entered
paper, per entry pass) and ResultVersion (each finalisation). AuditEntry is the append-only,
hash-chained log; ScanImage and Adjudication hold scanner readings and the committee's rulings.

Counting is never done here: ``Round.to_election()`` and ``Round.engine_ballots()`` feed
``kiemphieu.tally``, the only implementation of the rules.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, WriteOnlyMapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import labels, tally
from .extensions import db


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no zone, so every timestamp is stored as UTC without one."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_session_token() -> str:
    return secrets.token_hex(16)


def name_key(name: str) -> str:
    """How two names are compared for 'the same person' (``tally.comparison_key``)."""
    return tally.comparison_key(name)


# ------------------------------------------------------------------ enums (stored as strings)


class Role(StrEnum):
    """Global roles, weakest first. A role passes every check of the roles before it."""

    VIEWER = "viewer"
    COUNTER = "counter"
    ORGANISER = "organiser"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {role: labels.USER_ROLE_LABELS[role.value] for role in Role}


class CongressKind(StrEnum):
    MEMBERS = "members"  # đại hội đảng viên: convened = full members
    DELEGATES = "delegates"  # đại hội đại biểu: convened = official delegates

    @property
    def label(self) -> str:
        return labels.CONGRESS_KIND_LABELS[self.value]


class RoundStatus(StrEnum):
    SETUP = "setup"  # list and numbers being prepared
    ENTRY = "entry"  # ballots being entered
    FINALISED = "finalised"  # read-only; digest stored

    @property
    def label(self) -> str:
        return labels.ROUND_STATUS_LABELS[self.value]


class EntryMode(StrEnum):
    SINGLE = "single"  # one pass; clearly labelled as such
    DOUBLE = "double"  # passes A and B, differences settled against the paper
    TRIPLE = "triple"  # passes A, B and C (a congress that wants three independent entries)

    @property
    def label(self) -> str:
        return labels.ENTRY_MODE_LABELS[self.value]

    @property
    def passes(self) -> tuple[EntryPass, ...]:
        """The typed passes, compared position by position (one pass: nothing to compare)."""
        return (EntryPass.A, EntryPass.B, EntryPass.C)[: {"single": 1, "double": 2, "triple": 3}[self.value]]

    @property
    def compared(self) -> bool:
        return self is not EntryMode.SINGLE


class EntryPass(StrEnum):
    A = "A"
    B = "B"
    C = "C"  # the third pass of a triple entry
    SCAN = "scan"  # from a scanned image (ScanImage), after adjudication
    SETTLED = "settled"  # a committee member's ruling where passes A and B differ


class ScanStatus(StrEnum):
    PENDING = "pending"  # stored, not read yet
    PROCESSING = "processing"  # claimed by a worker (kiemphieu worker), being read
    READ = "read"
    REVIEW = "review"
    REJECTED = "rejected"
    ADJUDICATED = "adjudicated"


# What a person reads: kiemphieu.labels (shared with the ballots and the minutes).
KIND_LABELS = labels.KIND_LABELS
BODY_LABELS = labels.BODY_LABELS

# Party committees must have a surplus of candidates (Article 14 of Decision 190).
KINDS_NEEDING_SURPLUS = frozenset(
    {tally.Kind.COMMITTEE, tally.Kind.STANDING_COMMITTEE, tally.Kind.INSPECTION_COMMITTEE}
)

COMMITTEE_ROLES = labels.COMMITTEE_ROLES


# ------------------------------------------------------------------ users and access


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Part of every session and remember cookie (``get_id``): a new token on logout, password
    # change and deactivation ends every session of the user, on every machine.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    assignments: Mapped[list[CongressAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    grants: Mapped[list[OrganisationGrant]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("role IN ('admin','organiser','counter','viewer')", name="role"),)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session and remember cookie issued so far stops working."""
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def global_role(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.global_role is Role.ADMIN

    def role_in(self, congress_id: int | None) -> Role | None:
        """The user's role for one congress (None: they may not see it); with None, the
        highest role they hold anywhere. The rules live in ``kiemphieu.auth.access``."""
        from .auth import access

        if congress_id is None:
            return access.highest_role(self)
        congress = db.session.get(Congress, congress_id)
        return access.role_in_congress(self, congress) if congress is not None else None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class CongressAssignment(db.Model):
    """A user's role scoped to one congress (counters see only the congresses assigned)."""

    __tablename__ = "congress_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=Role.COUNTER.value)

    user: Mapped[User] = relationship(back_populates="assignments")
    congress: Mapped[Congress] = relationship(back_populates="assignments")

    __table_args__ = (
        UniqueConstraint("user_id", "congress_id"),
        CheckConstraint("role IN ('organiser','counter','viewer')", name="role"),
    )


class OrganisationGrant(db.Model):
    """A role on an organisation and everything below it (its congresses, its sub-organisations)."""

    __tablename__ = "organisation_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)

    user: Mapped[User] = relationship(back_populates="grants")
    organisation: Mapped[Organisation] = relationship(back_populates="grants")

    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        CheckConstraint("role IN ('organiser','counter','viewer')", name="role"),
    )


class LoginThrottle(db.Model):
    """Failed logins inside the current window, per (client address, user name) and per address.

    Updated with single-row UPDATEs, so parallel guesses are counted one by one; there is no
    per-name key, so nobody can lock an account for everybody (``kiemphieu.auth.throttle``).
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


# ------------------------------------------------------------------ congress set-up


class OrganisationLevel(StrEnum):
    """Levels of the Party's organisation tree, highest first."""

    PROVINCE = "province"
    DISTRICT = "district"
    GRASSROOTS = "grassroots"
    CELL = "cell"

    @property
    def label(self) -> str:
        return ORGANISATION_LEVEL_LABELS[self]


ORGANISATION_LEVEL_LABELS = {
    OrganisationLevel.PROVINCE: "Tỉnh (thành phố)",
    OrganisationLevel.DISTRICT: "Huyện / đảng bộ cấp trên cơ sở",
    OrganisationLevel.GRASSROOTS: "Cơ sở",
    OrganisationLevel.CELL: "Chi bộ",
}


class Organisation(db.Model):
    """A Party organisation (Đảng bộ / Chi bộ), with its parent (the next level up).

    A role granted on an organisation (``OrganisationGrant``) holds for its whole subtree
    (``kiemphieu.auth.access``)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    level: Mapped[str] = mapped_column(String(16), default=OrganisationLevel.GRASSROOTS.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent")
    congresses: Mapped[list[Congress]] = relationship(back_populates="organisation")
    grants: Mapped[list[OrganisationGrant]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("level IN ('province','district','grassroots','cell')", name="level"),)

    @property
    def organisation_level(self) -> OrganisationLevel:
        return OrganisationLevel(self.level)

    def lineage(self) -> list[Organisation]:
        """This organisation, then its parent, up to the root (a cycle stops the walk)."""
        chain, seen, node = [], set(), self
        while node is not None and node.id not in seen:
            chain.append(node)
            seen.add(node.id)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class Congress(db.Model):
    __tablename__ = "congress"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(16), default=CongressKind.DELEGATES.value)
    name: Mapped[str] = mapped_column(String(300))  # "Đại hội đại biểu Đảng bộ xã Yên Lập"
    number: Mapped[str] = mapped_column(String(50), default="")  # "lần thứ XXI"
    term: Mapped[str] = mapped_column(String(50), default="")  # "2025 - 2030"
    place: Mapped[str] = mapped_column(String(200), default="")  # the hall (shown on the pages)
    # The place name of the documents' date line ("Hưng Long, ngày ..."); "" = from the organisation.
    locality: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Who signs the results summary for the presidium (TM. ĐOÀN CHỦ TỊCH).
    presidium_signer: Mapped[str] = mapped_column(String(200), default="", server_default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    convened: Mapped[int] = mapped_column(Integer)  # full members or official delegates convened
    # Members of the new committee convened to its first meeting (Hội nghị lần thứ nhất), which
    # elects the standing committee, secretary...; None: as many as the congress elected.
    committee_convened: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="congresses")
    exclusions: Mapped[list[Exclusion]] = relationship(
        back_populates="congress", cascade="all, delete-orphan", order_by="Exclusion.id"
    )
    committee: Mapped[list[CountCommitteeMember]] = relationship(
        back_populates="congress",
        cascade="all, delete-orphan",
        order_by="(CountCommitteeMember.position, CountCommitteeMember.id)",
    )
    elections: Mapped[list[Election]] = relationship(
        back_populates="congress", cascade="all, delete-orphan", order_by="(Election.position, Election.id)"
    )
    assignments: Mapped[list[CongressAssignment]] = relationship(
        back_populates="congress", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("kind IN ('members','delegates')", name="kind"),
        CheckConstraint("convened >= 1", name="convened_positive"),
    )

    @property
    def congress_kind(self) -> CongressKind:
        return CongressKind(self.kind)

    @property
    def full_name(self) -> str:
        """'Đại hội ... lần thứ XXI, nhiệm kỳ 2025 - 2030', as the minutes print it."""
        text = self.name
        if self.number:
            text += f" {self.number}"
        if self.term:
            text += f", nhiệm kỳ {self.term}"
        return text

    @property
    def date_place(self) -> str:
        """The locality documents are dated from, never the hall: "Hưng Long"."""
        return self.locality or labels.locality_of(self.organisation.name)

    @property
    def excluded(self) -> int:
        return self.excluded_for(tally.Body.CONGRESS)

    @property
    def base(self) -> int:
        """The majority base of Article 30: convened minus the itemised exclusions."""
        return self.convened - self.excluded

    # -- the electing bodies: the congress, and the new committee at its first meeting

    @property
    def committee_election(self) -> Election | None:
        """The congress's election of the new Party committee (Ban Chấp hành), if any."""
        return next((e for e in self.elections
                     if e.tally_kind is tally.Kind.COMMITTEE and e.electing_body is tally.Body.CONGRESS), None)

    @property
    def elected_committee_size(self) -> int | None:
        """How many the congress put on the new committee: those elected in its finalised
        rounds, or the seats to fill while none is finalised; None without such an election."""
        election = self.committee_election
        if election is None:
            return None
        finalised = [r.result_versions[-1] for r in election.rounds if r.is_finalised and r.result_versions]
        if not finalised:
            return election.seats
        return sum(len(v.result.get("elected", [])) for v in finalised)

    def convened_for(self, body: tally.Body | str) -> int | None:
        """Convened to the body that votes; None when the committee's size is not known yet."""
        if tally.Body(body) is tally.Body.CONGRESS:
            return self.convened
        return self.committee_convened or self.elected_committee_size

    def exclusions_for(self, body: tally.Body | str) -> list[Exclusion]:
        return [x for x in self.exclusions if x.body == tally.Body(body).value]

    def excluded_for(self, body: tally.Body | str) -> int:
        return sum(x.count for x in self.exclusions_for(body))

    def base_for(self, body: tally.Body | str) -> int | None:
        convened = self.convened_for(body)
        return None if convened is None else convened - self.excluded_for(body)

    def __repr__(self) -> str:
        return f"<Congress {self.id} {self.name}>"


class Exclusion(db.Model):
    """One itemised line subtracted from the convened count (e.g. 'vắng cả kỳ đại hội')."""

    __tablename__ = "exclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    # Which body's base it comes off: the congress's, or the new committee's first meeting.
    body: Mapped[str] = mapped_column(String(16), default=tally.Body.CONGRESS.value,
                                      server_default=tally.Body.CONGRESS.value)

    congress: Mapped[Congress] = relationship(back_populates="exclusions")

    __table_args__ = (
        CheckConstraint("count >= 1", name="count_positive"),
        CheckConstraint("body IN ('congress','committee')", name="body"),
    )


class CountCommitteeMember(db.Model):
    """A member of the vote-count committee (Ban kiểm phiếu); never a candidate."""

    __tablename__ = "count_committee_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50), default="Ủy viên")
    position: Mapped[int] = mapped_column(Integer, default=0)

    congress: Mapped[Congress] = relationship(back_populates="committee")


class Election(db.Model):
    """One post to fill (committee, secretary, delegates...): its own ballots and rounds."""

    __tablename__ = "election"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # kiemphieu.tally.Kind value
    title: Mapped[str] = mapped_column(String(300))
    seats: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Who votes: the congress, or the new committee at its first meeting (tally.Body).
    body: Mapped[str] = mapped_column(String(16), default=tally.Body.CONGRESS.value,
                                      server_default=tally.Body.CONGRESS.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    congress: Mapped[Congress] = relationship(back_populates="elections")
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="election", cascade="all, delete-orphan", order_by="Candidate.id"
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="election", cascade="all, delete-orphan", order_by="Round.number"
    )

    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("body IN ('congress','committee')", name="body"),
    )

    @property
    def tally_kind(self) -> tally.Kind:
        return tally.Kind(self.kind)

    @property
    def electing_body(self) -> tally.Body:
        return tally.Body(self.body)

    @property
    def body_label(self) -> str:
        return BODY_LABELS[self.electing_body]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.tally_kind]

    @property
    def current_round(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def display_names(self) -> dict[str, str]:
        """Candidate code -> name as shown to a person (namesakes with their birth year)."""
        return tally.display_names((c.code, c.name, c.born) for c in self.candidates)

    def candidates_in_ballot_order(self) -> list[Candidate]:
        return sorted(self.candidates, key=lambda c: (c.sort_key, c.code))

    def next_candidate_code(self) -> str:
        """'c01', 'c02'...: the engine id, stable for the life of the election."""
        used = [int(c.code[1:]) for c in self.candidates if c.code[1:].isdigit()]
        return f"c{max(used, default=0) + 1:02d}"


class Candidate(db.Model):
    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))  # engine id in ballots and exports: "c07"
    name: Mapped[str] = mapped_column(String(200))  # NFC (normalize_name)
    born: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")

    election: Mapped[Election] = relationship(back_populates="candidates")

    __table_args__ = (UniqueConstraint("election_id", "code"),)

    @property
    def sort_key(self) -> tuple:
        return tally.collation_key(self.name, self.born)

    def to_engine(self) -> tally.Candidate:
        return tally.Candidate(self.code, self.name, self.born)


class RoundCandidate(db.Model):
    """Which candidates are on one round's list (round 2+ may carry fewer, or additions)."""

    __tablename__ = "round_candidate"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True
    )

    round: Mapped[Round] = relationship(back_populates="round_candidates")
    # Joined: a round's list (and so ``Round.to_election``) loads in one query, not one per name.
    candidate: Mapped[Candidate] = relationship(lazy="joined")


class Round(db.Model):
    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    seats: Mapped[int] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)
    issued: Mapped[int | None] = mapped_column(Integer)
    voted_on: Mapped[date | None] = mapped_column(Date)  # defaults to the congress start date
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.SETUP.value)
    entry_mode: Mapped[str] = mapped_column(String(16), default=EntryMode.DOUBLE.value)
    # The stack split into numbered batches (tệp phiếu), each typed by its own clerks and
    # compared on its own; 1 = the whole stack is one batch.
    batches: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The current result version (1 after the first finalisation; reopening adds one).
    version: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str | None] = mapped_column(String(64))  # tally.round_digest at finalisation
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    election: Mapped[Election] = relationship(back_populates="rounds")
    round_candidates: Mapped[list[RoundCandidate]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )
    # Write-only: a round may hold thousands of ballots; query them with select().
    ballots: WriteOnlyMapped[Ballot] = relationship(back_populates="round", passive_deletes=True)
    result_versions: Mapped[list[ResultVersion]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="ResultVersion.version"
    )
    finalised_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("election_id", "number"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("status IN ('setup','entry','finalised')", name="status"),
        CheckConstraint("entry_mode IN ('single','double','triple')", name="entry_mode"),
    )

    @property
    def round_status(self) -> RoundStatus:
        return RoundStatus(self.status)

    @property
    def mode(self) -> EntryMode:
        return EntryMode(self.entry_mode)

    @property
    def is_finalised(self) -> bool:
        return self.status == RoundStatus.FINALISED.value

    @property
    def congress(self) -> Congress:
        return self.election.congress

    @property
    def candidates(self) -> list[Candidate]:
        """This round's list, in ballot order (the engine's collation)."""
        return sorted((rc.candidate for rc in self.round_candidates), key=lambda c: (c.sort_key, c.code))

    @property
    def body_convened(self) -> int | None:
        """Convened to the body that votes in this round (None: the committee's size unknown)."""
        return self.congress.convened_for(self.election.electing_body)

    def to_election(self) -> tally.Election:
        """The engine's Election for this round, built from the database.

        The figures are the electing body's: an election of the new committee's first meeting
        counts against the committee's members, not the congress's delegates. While the
        committee's size is unknown (``start_entry`` refuses then) its seats stand in."""
        election, congress = self.election, self.election.congress
        body = election.electing_body
        return tally.Election(
            title=election.title,
            kind=election.tally_kind,
            body=body,
            seats=self.seats,
            convened=self.body_convened or self.seats,
            excluded=congress.excluded_for(body),
            candidates=tuple(c.to_engine() for c in self.candidates),
            round=self.number,
            present=self.present,
            issued=self.issued,
            organization=congress.organisation.name,
            congress=congress.full_name,
            place=congress.date_place,
            date=self.voted_on or congress.start_date,
            committee=tuple(tally.CommitteeMember(m.name, m.role) for m in congress.committee),
        )

    def active_ballots(self, entry_pass: EntryPass | str, batch: int | None = None) -> list[Ballot]:
        """The pass's current ballots (superseded ones left out), in stack order: batch by
        batch, then by position in the batch (``batch`` given: that batch only)."""
        query = select(Ballot).where(
            Ballot.round_id == self.id,
            Ballot.entry_pass == str(entry_pass),
            Ballot.is_live,
        )
        if batch is not None:
            query = query.where(Ballot.batch == batch)
        return list(db.session.scalars(query.order_by(Ballot.batch, Ballot.sequence)))

    def counted_ballots(self) -> list[Ballot]:
        """The ballots that count, in stack order.

        Single entry: pass A plus scanned ballots. Double entry: per sequence number, the
        settled ballot when there is one, else pass A (callers must first check that A and B
        agree everywhere else: ``kiemphieu.entry.comparison.compare_passes``). A settled ruling
        "no such ballot" (``Ballot.is_absent``, a position only one pass typed) counts nothing.
        """
        if self.mode is EntryMode.SINGLE:
            return self.active_ballots(EntryPass.A) + self.active_ballots(EntryPass.SCAN)
        settled = {(b.batch, b.sequence): b for b in self.active_ballots(EntryPass.SETTLED)}
        first = {(b.batch, b.sequence): b for b in self.active_ballots(EntryPass.A)}
        chosen = [settled.get(s) or first[s] for s in sorted(settled.keys() | first.keys())]
        return [b for b in chosen if not b.is_absent] + self.active_ballots(EntryPass.SCAN)

    def engine_ballots(self, ballots: list[Ballot] | None = None) -> list[tally.Ballot]:
        election = self.to_election()
        return [b.to_engine(election) for b in (self.counted_ballots() if ballots is None else ballots)]


class Ballot(db.Model):
    """One paper ballot as entered in one pass. Never edited: undo sets ``superseded``."""

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    entry_pass: Mapped[str] = mapped_column(String(8))
    batch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # tệp phiếu (Round.batches)
    sequence: Mapped[int] = mapped_column(Integer)  # 1-based position in the batch's stack
    # The contract's ballot object: {"struck": [...]}, {"boxes": {...}} or {"invalid": reason}.
    marks: Mapped[dict[str, Any]] = mapped_column(JSON)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)
    round_version: Mapped[int] = mapped_column(Integer, default=0)  # Round.version when entered
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_image.id"), index=True)

    round: Mapped[Round] = relationship(back_populates="ballots")
    entered_by: Mapped[User | None] = relationship()
    scan: Mapped[ScanImage | None] = relationship()

    __table_args__ = (
        CheckConstraint("entry_pass IN ('A','B','C','scan','settled')", name="entry_pass"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        # A pass's ballots, superseded ones too (undo history, the tamper check, exports).
        Index("ix_ballot_round_id_entry_pass", "round_id", "entry_pass"),
        # One live ballot per stack position, batch and pass: a doubled ballot cannot be stored.
        Index(
            "uq_ballot_live_sequence",
            "round_id",
            "entry_pass",
            "batch",
            "sequence",
            unique=True,
            sqlite_where=db.text("superseded = 0"),
            postgresql_where=db.text("superseded = false"),
        ),
    )

    @hybrid_property
    def is_live(self) -> bool:
        """Not superseded. In SQL ``superseded = false``, the form the partial index
        ``uq_ballot_live_sequence`` matches (``IS false`` would read the whole table)."""
        return not self.superseded

    @is_live.inplace.expression
    @classmethod
    def _is_live_expression(cls):
        return cls.superseded == False  # noqa: E712 - "= false", not "IS false"

    @property
    def is_absent(self) -> bool:
        """A settled ruling that this stack position holds no ballot (one pass typed one too many)."""
        return self.marks.get("absent") is True

    def to_engine(self, election: tally.Election) -> tally.Ballot:
        return tally.parse_ballot(self.marks, election)


class ResultVersion(db.Model):
    """One finalisation of a round: immutable. Reopening writes the next version."""

    __tablename__ = "result_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64), index=True)  # /verify/<digest> looks it up
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # Result.to_json()
    # tally.canonical_record: election + ballots + result, so an old version stays readable
    # and verifiable after the ballots change.
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    confirmed_by: Mapped[list[str]] = mapped_column(JSON, default=list)  # committee names
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reopened_reason: Mapped[str | None] = mapped_column(Text)  # why the previous one was reopened

    round: Mapped[Round] = relationship(back_populates="result_versions")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("round_id", "version"),)


# ------------------------------------------------------------------ scanning (minimal)


class ScanImage(db.Model):
    __tablename__ = "scan_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # generated server-side, never user input; the pages of one file share it (worker claims)
    stored_name: Mapped[str] = mapped_column(String(80), index=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")  # display only
    page: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=ScanStatus.PENDING.value, index=True)
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # `ballots read` output line
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Scanning pipeline (kiemphieu.scanning, kiemphieu.worker):
    profile: Mapped[str] = mapped_column(String(64), default="")  # scanner profile name, "" = default
    station_reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the scanner station's own reading
    preview_name: Mapped[str | None] = mapped_column(String(80))  # page image for adjudication (worker-made)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  # when a worker took the job
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far (a crashing image stops at 2)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    round: Mapped[Round] = relationship()
    adjudications: Mapped[list[Adjudication]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="Adjudication.id"
    )


class Adjudication(db.Model):
    """A committee ruling overlaying a scan's reading (the reading itself is never edited)."""

    __tablename__ = "adjudication"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan_image.id", ondelete="CASCADE"))
    candidate_code: Mapped[str | None] = mapped_column(String(16))  # None: the whole ballot
    ruling: Mapped[str] = mapped_column(String(32))  # struck|kept|agree|...|invalid:<reason>|reset
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    scan: Mapped[ScanImage] = relationship(back_populates="adjudications")
    user: Mapped[User | None] = relationship()


# ------------------------------------------------------------------ audit log


class AuditEntry(db.Model):
    """Append-only: each entry's hash covers its content and the previous entry's hash.

    One chain per congress (``chain`` = "congress-<id>") and one "system" chain for entries
    without a congress, so writers in different congresses never wait for each other.
    ``seq`` numbers a chain's entries from 1; (chain, seq) is unique, so two writers can never
    fork a chain. Written only through ``kiemphieu.audit.record``; UPDATE and DELETE are
    refused by the ORM (below) and by database triggers (migrations and create_all on SQLite).
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    username: Mapped[str] = mapped_column(String(64), default="")  # kept if the user goes
    congress_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives rows
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (UniqueConstraint("chain", "seq"),)


class AuditHead(db.Model):
    """The last entry of one audit chain (its number and hash).

    Extending a chain locks this row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write
    lock), which serialises the writers of one congress only. ``audit-check`` compares it
    with the chain's last entry, so removing the newest entries shows.
    """

    __tablename__ = "audit_head"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    congress_id: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:
    raise AppendOnlyError("the audit log is append-only: an entry cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:
    raise AppendOnlyError("the audit log is append-only: an entry cannot be deleted")


# Bulk statements (session.execute(update(AuditEntry)...)) bypass the mapper events above.
@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_change(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry:
            raise AppendOnlyError("the audit log is append-only: bulk UPDATE/DELETE refused")


# Database-level guard for SQLite (the default): raw SQL cannot alter the log either.
AUDIT_TRIGGERS_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
)

for _sql in AUDIT_TRIGGERS_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", db.DDL(_sql).execute_if(dialect="sqlite"))


def count_rows(model: type, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
