"""The models: round.to_election() feeds the engine; ballots; constraints."""

import os
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from kiemphieu import tally
from kiemphieu.extensions import db
from kiemphieu.models import Ballot, EntryMode, EntryPass

# These tests tamper below the ORM or read SQLite pragmas (see KIEMPHIEU_TEST_DATABASE_URL).
sqlite_only = pytest.mark.skipif(
    not (os.environ.get("KIEMPHIEU_TEST_DATABASE_URL") or "sqlite://").startswith("sqlite"),
    reason="SQLite-specific")


def test_round_to_election_builds_the_engine_election(make_congress, make_election):
    congress = make_congress(convened=150, exclusions=[(1, "Vắng mặt cả kỳ đại hội"), (1, "Bị đình chỉ")],
                             committee=["Lê Thị Thu", "Hà Văn Tâm"])
    election = make_election(congress=congress, seats=2, candidates=["Trần Thị Bình", "Nguyễn Văn An",
                                                                       "Lê Văn Cường"], present=146, issued=146)
    engine = election.rounds[0].to_election()
    assert engine.convened == 150 and engine.excluded == 2 and engine.base == 148 and engine.majority == 75
    assert engine.present == 146 and engine.issued == 146 and engine.seats == 2
    assert [c.name for c in engine.candidates] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    assert engine.congress == "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030"
    assert engine.organization == "Đảng bộ xã Yên Lập"
    assert engine.committee == (tally.CommitteeMember("Lê Thị Thu", "Trưởng ban"),
                                tally.CommitteeMember("Hà Văn Tâm", "Ủy viên"))
    assert engine.date == date(2025, 6, 20)
    assert engine.form is tally.Form.STRIKE


def test_counted_ballots_feed_tally(make_election):
    election = make_election(seats=2, entry_mode=EntryMode.SINGLE, present=3, issued=3)
    round_ = election.rounds[0]
    codes = {c.name: c.code for c in election.candidates}
    marks = [{"struck": [codes["Lê Văn Cường"]]}, {"struck": [codes["Trần Thị Bình"]]}, {"invalid": "no_stamp"}]
    for seq, m in enumerate(marks, start=1):
        db.session.add(Ballot(round=round_, entry_pass="A", sequence=seq, marks=m, idempotency_key=f"k{seq}"))
    db.session.commit()
    result = tally.tally(round_.to_election(), round_.engine_ballots())
    assert result.counted == 3 and result.valid == 2
    assert result.by_id(codes["Nguyễn Văn An"]).votes == 2
    digest = tally.round_digest(round_.to_election(), round_.engine_ballots())
    assert len(digest) == 64


def test_double_entry_prefers_the_settled_ballot(make_election):
    election = make_election(seats=2)
    round_ = election.rounds[0]
    c = [x.code for x in election.candidates]
    rows = [("A", 1, [c[0]]), ("B", 1, [c[1]]), ("settled", 1, [c[1]]), ("A", 2, [c[2]]), ("B", 2, [c[2]])]
    for n, (p, seq, struck) in enumerate(rows):
        db.session.add(Ballot(round=round_, entry_pass=p, sequence=seq, marks={"struck": struck}, idempotency_key=f"d{n}"))
    db.session.commit()
    assert [b.marks["struck"] for b in round_.counted_ballots()] == [[c[1]], [c[2]]]


def test_one_live_ballot_per_sequence_and_pass(make_election):
    round_ = make_election().rounds[0]
    db.session.add(Ballot(round=round_, entry_pass=EntryPass.A.value, sequence=1, marks={"struck": []}, idempotency_key="x1"))
    db.session.commit()
    db.session.add(Ballot(round=round_, entry_pass="A", sequence=1, marks={"struck": []}, idempotency_key="x2"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Undo marks the first superseded; the position can then be entered again.
    first = db.session.scalar(db.select(Ballot).where(Ballot.idempotency_key == "x1"))
    first.superseded = True
    db.session.add(Ballot(round=round_, entry_pass="A", sequence=1, marks={"struck": []}, idempotency_key="x3"))
    db.session.commit()
    assert [b.idempotency_key for b in round_.active_ballots("A")] == ["x3"]


def test_idempotency_key_is_unique(make_election):
    round_ = make_election().rounds[0]
    db.session.add(Ballot(round=round_, entry_pass="A", sequence=1, marks={"struck": []}, idempotency_key="same"))
    db.session.add(Ballot(round=round_, entry_pass="B", sequence=1, marks={"struck": []}, idempotency_key="same"))
    with pytest.raises(IntegrityError):
        db.session.commit()


@sqlite_only
def test_sqlite_pragmas_are_set(app):
    conn = db.session.connection()
    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
