"""The ballot save's hot path (issue 12, load test): few statements, the engine's election built
once per round, and nothing the view read before the write lock trusted after it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, func, select, text

from kiemphieu.entry import services
from kiemphieu.extensions import commit_keeping_loaded, db
from kiemphieu.models import Ballot, EntryPass, Round

from ..conftest import PASSWORD, login_client


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
    # The log-in, the round, the lock, one read of everything the checks need (the audit chain's
    # head with it), the ballot, the audit entry and the head moved: no statement per stored
    # ballot, no reload per object.
    assert counts[1] == counts[-1] <= 9, counts


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



def _lean_setup(web, who: str | None = None):
    """A round in entry in a commune under a district, and a user placed as ``who`` says;
    returns (round id, a candidate code, the user's name). Each request of ``web`` gets its
    own context, as on a server: the user is loaded by the save itself."""
    from datetime import date

    from kiemphieu.auth import services as users
    from kiemphieu.congress import services as setup
    from kiemphieu.models import Role
    from kiemphieu.tally import Kind

    with web.app_context():
        district = setup.create_organisation("Đảng bộ huyện Yên Lập")
        other_district = setup.create_organisation("Đảng bộ huyện Tam Nông")
        commune = setup.create_organisation("Đảng bộ xã Đồng Thịnh", district)
        congress, elsewhere = (setup.create_congress(o, convened=100, start_date=date(2025, 6, 20))
                               for o in (commune, setup.create_organisation("Đảng bộ xã Hưng Hóa")))
        setup.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
        election = setup.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 2)
        setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None), ("Lê Văn Cường", None)])
        round_ = election.rounds[0]
        setup.set_round_numbers(round_, 100, 100)
        setup.start_entry(round_)
        name = "nguoidung"
        global_role = Role.ADMIN if who == "administrator" else Role.COUNTER
        user = users.create_user(name, PASSWORD, global_role)
        if who in (None, "counter of this congress"):
            users.assign(user, congress, Role.COUNTER)
        elif who == "counter of another congress":
            users.assign(user, elsewhere, Role.COUNTER)
        elif who == "viewer of this congress":
            users.assign(user, congress, Role.VIEWER)
        elif who == "organiser of the district above":
            users.grant(user, district, Role.ORGANISER)
        elif who == "organiser made viewer of this congress":
            users.grant(user, district, Role.ORGANISER)
            users.assign(user, congress, Role.VIEWER)
        elif who == "organiser of another district":
            users.grant(user, other_district, Role.ORGANISER)
        found = (round_.id, round_.candidates[0].code, name)
        db.session.remove()
    return found


def test_a_save_builds_no_orm_user_nor_round(web):
    """The save view reads the user and the round as plain rows (auth.lean): building the ORM
    objects with their joined collections was a fifth of a save's CPU."""
    from kiemphieu.models import User

    round_id, code, name = _lean_setup(web)
    client = login_client(web, name)
    url = f"/rounds/{round_id}/entry/A/ballots"
    # The first save builds the round's judging election (the ORM round, once per round).
    assert client.post(url, json={"key": uuid.uuid4().hex, "marks": {"struck": []}, "confirm_invalid": True,
                                  "sequence": 1}).status_code == 201
    loaded = []
    listeners = [(model, lambda target, context: loaded.append(type(target).__name__)) for model in (User, Round)]
    for model, listener in listeners:
        event.listen(model, "load", listener)
    try:
        reply = client.post(url, json={"key": uuid.uuid4().hex, "marks": {"struck": [code]}, "sequence": 2})
        page = client.get(f"/rounds/{round_id}/entry/A/state")  # any other page: the ORM user, as before
    finally:
        for model, listener in listeners:
            event.remove(model, "load", listener)
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["sequence"] == 2
    assert page.status_code == 200 and page.get_json()["totals"]["counted"] == 2
    assert loaded == ["User", "Round"]  # both from the state page, none from the save


@pytest.mark.parametrize("who, status", [
    ("counter of this congress", 201),
    ("counter of another congress", 403),
    ("viewer of this congress", 403),
    ("organiser of the district above", 201),
    ("organiser made viewer of this congress", 403),
    ("organiser of another district", 403),
    ("administrator", 201),
])
def test_the_lean_save_decides_the_role_by_the_same_rules(web, who, status):
    round_id, code, name = _lean_setup(web, who)
    client = login_client(web, name)
    reply = client.post(f"/rounds/{round_id}/entry/A/ballots", json={"key": uuid.uuid4().hex,
                                                                     "marks": {"struck": [code]}})
    assert reply.status_code == status, reply.get_data(as_text=True)
    with web.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == (1 if status == 201 else 0)


def test_a_lean_save_of_a_missing_round_is_404(web):
    round_id, code, name = _lean_setup(web)
    client = login_client(web, name)
    reply = client.post(f"/rounds/{round_id + 1000}/entry/A/ballots", json={"key": uuid.uuid4().hex,
                                                                            "marks": {"struck": [code]}})
    assert reply.status_code == 404


def test_a_password_change_elsewhere_ends_the_lean_saves(web):
    """The plain-row user is checked against the session token on every save, as the ORM one."""
    from kiemphieu.auth import services as users
    from kiemphieu.models import User

    round_id, code, name = _lean_setup(web)
    client = login_client(web, name)
    url = f"/rounds/{round_id}/entry/A/ballots"
    assert client.post(url, json={"key": uuid.uuid4().hex, "marks": {"struck": [code]}}).status_code == 201
    with web.app_context():
        users.set_password(db.session.scalars(select(User).where(User.username == name)).one(), "mat-khau-moi-9")
        db.session.remove()
    assert client.post(url, json={"key": uuid.uuid4().hex, "marks": {"struck": [code]}}).status_code == 401
    with web.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_saves_extend_the_congress_chain_one_entry_each(web):
    """The head read with the save's facts (under the write lock) is the one the entry extends:
    the chain verifies, every save has its entry with the ballot's digest, in order."""
    from kiemphieu import audit
    from kiemphieu.models import AuditEntry

    round_id, code, name = _lean_setup(web)
    client = login_client(web, name)
    url = f"/rounds/{round_id}/entry/A/ballots"
    ids = [client.post(url, json={"key": uuid.uuid4().hex, "marks": {"struck": [code]}}).get_json()["ballot_id"]
           for _ in range(5)]
    with web.app_context():
        round_ = db.session.get(Round, round_id)
        congress_id = round_.election.congress_id
        report = audit.verify_chain(congress_id)
        assert report.ok, report
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ballot.save")
                                     .order_by(AuditEntry.seq)).all()
        assert [e.detail["ballot_id"] for e in entries] == ids
        assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 5))
        ballots = {b.id: b for b in db.session.scalars(select(Ballot))}
        assert all(e.detail["ballot_digest"] == audit.ballot_digest(ballots[e.detail["ballot_id"]]) for e in entries)
        assert audit.head_of(congress_id).seq == entries[-1].seq


def test_rounds_in_entry_get_their_judging_election_built_ahead(app, client, make_round, counter, post, codes,
                                                                 monkeypatch):
    """gunicorn's master builds them before forking workers: the saves that follow (through the
    lean save path, which reads the round as a row) find them built."""
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    assert services.warm_judging_elections() >= 1
    built = []
    original = Round.to_election
    monkeypatch.setattr(Round, "to_election", lambda self: built.append(self.id) or original(self))
    assert post.save(round_, "A", {"struck": [c[0]]}, confirm=True).status_code == 201
    assert built == []


def test_gunicorns_master_warms_the_rounds_in_entry_and_keeps_no_connection(app, monkeypatch):
    import runpy
    from types import SimpleNamespace

    from kiemphieu.config import REPO_ROOT

    config = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    warmed, disposed = [], []
    monkeypatch.setattr(services, "warm_judging_elections", lambda: warmed.append(True) or 1)
    monkeypatch.setattr(type(db.engine), "dispose", lambda self, close=True: disposed.append(self))
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app), log=None)
    config["_warm"](server)
    assert warmed == [True] and disposed
