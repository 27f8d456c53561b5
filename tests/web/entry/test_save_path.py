"""The ballot save's hot path (issue 12, load test): few statements, the engine's election built
once per round, and nothing the view read before the write lock trusted after it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, text

from kiemphieu.entry import services
from kiemphieu.extensions import commit_keeping_loaded, db
from kiemphieu.models import EntryPass, Round


class Statements:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def test_a_save_costs_the_same_few_statements_however_many_ballots_are_stored(client, make_round, counter, post,
                                                                              codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    statements = Statements()
    counts = []
    event.listen(db.engine, "before_cursor_execute", statements)
    try:
        for n in range(30):
            statements.count = 0
            assert post.save(round_, "A", {"struck": [c[n % 2]]}, confirm=True).status_code == 201
            counts.append(statements.count)
    finally:
        event.remove(db.engine, "before_cursor_execute", statements)
    # The log-in, the round, the lock, one read of everything the checks need, the ballot, the
    # audit entry and its chain head: no statement per stored ballot, no reload per object.
    assert counts[1] == counts[-1] <= 10, counts


def test_the_engines_election_is_built_once_per_round_while_it_is_in_entry(app, client, make_round, counter, post,
                                                                          codes, monkeypatch):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    built = []
    original = Round.to_election
    monkeypatch.setattr(Round, "to_election", lambda self: built.append(self.id) or original(self))
    for marks in ({"struck": [c[0]]}, {"struck": [c[1]]}, {"struck": []}):
        assert post.save(round_, "A", marks, confirm=True).status_code == 201
    assert built == [round_.id]
    # Out of entry the cache is not used: the figures may change (set-up) or the round is closed.
    round_ = db.session.get(Round, round_.id)
    round_.status = "finalised"
    services.judging_election(round_)
    assert built == [round_.id, round_.id]
    db.session.rollback()


def test_a_round_finalised_after_the_view_read_it_refuses_the_save(app, make_round, codes):
    """The save keeps what the view loaded (no reload per object), so the round's state must be
    read again under the write lock: a finalisation that committed in between wins."""
    round_ = make_round(seats=2)
    c = codes(round_)
    round_ = db.session.get(Round, round_.id)
    assert round_.status == "entry"  # what the view saw
    # Another request finalises the round meanwhile (a plain statement: the loaded object still
    # says "entry", as the view's would).
    db.session.execute(text("UPDATE round SET status = 'finalised' WHERE id = :id"), {"id": round_.id})
    commit_keeping_loaded()
    assert round_.status == "entry"
    with pytest.raises(services.EntryError, match="đã chốt kết quả"):
        services.save_ballot(round_, EntryPass.A, {"struck": [c[0]]}, uuid.uuid4().hex)
    assert db.session.get(Round, round_.id).status == "finalised"
