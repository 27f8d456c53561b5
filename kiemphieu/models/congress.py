"""A congress and what it holds: exclusions, count committee, elections, candidates, rounds
and each round's result versions (finalisations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from .. import labels, tally
from ..extensions import db
from .common import BODY_LABELS, KIND_LABELS, CongressKind, EntryMode, EntryPass, RoundStatus, utcnow

if TYPE_CHECKING:
    from .ballots import Ballot
    from .organisations import CongressAssignment, Organisation, User


# ------------------------------------------------------------------ congress set-up


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
        from .ballots import Ballot

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
