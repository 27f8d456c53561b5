"""Concurrent writers on a shared database (an SQLite file, or PostgreSQL with
KIEMPHIEU_TEST_DATABASE_URL, as scripts/test runs it): threads and processes.

- 8 threads creating elections in 8 congresses: every call succeeds (per-congress chains,
  each extended under its own lock), and every chain verifies;
- 3 processes saving ballots into the same pass of one round: every ballot is stored once,
  stack positions 1..n without a gap or a double, and every row matches the log.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid

from kiemphieu import audit, create_app
from kiemphieu.audit.check import check_congress
from kiemphieu.congress import services as congress_services
from kiemphieu.entry import services as entry_services
from kiemphieu.extensions import db
from kiemphieu.models import Ballot, Congress, Election, EntryPass, Round
from kiemphieu.tally import Kind

THREADS = 8
ELECTIONS_PER_THREAD = 25


def _congresses(count: int) -> list[int]:
    organisation = congress_services.create_organisation("Đảng bộ huyện Yên Lập")
    return [congress_services.create_congress(organisation, name=f"Đại hội xã {n}", convened=30).id
            for n in range(count)]


def test_eight_threads_create_elections_in_eight_congresses(shared_app):
    with shared_app.app_context():
        congress_ids = _congresses(THREADS)
        db.session.remove()
    errors: list[BaseException] = []

    def organiser(congress_id: int) -> None:
        with shared_app.app_context():
            try:
                for n in range(ELECTIONS_PER_THREAD):
                    congress = db.session.get(Congress, congress_id)
                    congress_services.create_election(congress, Kind.DELEGATES, f"Bầu đại biểu {n}", 3)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=organiser, args=(cid,)) for cid in congress_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with shared_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Election)) == THREADS * ELECTIONS_PER_THREAD
        for congress_id in congress_ids:
            report = audit.verify_chain(congress_id)
            # congress.create, then per election: election.create (+ its first round, same entry)
            assert report.ok and report.head_seq == report.entries >= 1 + ELECTIONS_PER_THREAD
        assert audit.verify_chain().ok
        db.session.remove()


PROCESSES = 3
BALLOTS_PER_PROCESS = 15


def _clerk(database_url: str, instance: str, round_id: int, marks: dict, count: int, results) -> None:
    """One process: its own app and connections, saving ``count`` ballots in pass A."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": instance,
                      "SQLALCHEMY_DATABASE_URI": database_url})
    saved = 0
    with app.app_context():
        for _ in range(count):
            round_ = db.session.get(Round, round_id)
            entry_services.save_ballot(round_, EntryPass.A, marks, uuid.uuid4().hex, confirm_invalid=True)
            saved += 1
        db.session.remove()
        db.engine.dispose()
    results.put(saved)


def test_processes_saving_into_one_pass_store_every_ballot_once(shared_app, tmp_path):
    with shared_app.app_context():
        congress = db.session.get(Congress, _congresses(1)[0])
        congress_services.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
        election = congress_services.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 1,
                                                     entry_mode="single")
        congress_services.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None)])
        round_ = election.rounds[0]
        congress_services.set_round_numbers(round_, 30, 30)
        congress_services.start_entry(round_)
        round_id, congress_id, code = round_.id, congress.id, round_.candidates[0].code
        url = str(db.engine.url.render_as_string(hide_password=False))
        db.session.remove()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_clerk, args=(url, str(tmp_path / "instance"), round_id, {"struck": [code]},
                                                    BALLOTS_PER_PROCESS, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert sorted(results.get(timeout=5) for _ in workers) == [BALLOTS_PER_PROCESS] * PROCESSES
    with shared_app.app_context():
        rows = db.session.scalars(db.select(Ballot).where(Ballot.round_id == round_id)).all()
        assert sorted(b.sequence for b in rows) == list(range(1, PROCESSES * BALLOTS_PER_PROCESS + 1))
        result = check_congress(congress_id)
        assert result.ok, result.problems()
        db.session.remove()


LOGIN_THREADS = 12
LOGINS_PER_THREAD = 3


def test_clerks_logging_in_together_are_all_let_in(shared_app):
    """A morning's clerks log in at once: every login succeeds (no "database is locked" 503 from
    a login's audit entry written in a transaction that began as a read)."""
    from kiemphieu.auth import services as users
    from kiemphieu.models import Role

    shared_app.config["WTF_CSRF_ENABLED"] = False
    with shared_app.app_context():
        names = [users.create_user(f"nhap{n}", "mat-khau-dai-1", Role.COUNTER).username for n in range(LOGIN_THREADS)]
        db.session.remove()
    answers: list[int] = []
    errors: list[BaseException] = []

    def clerk(username: str) -> None:
        client = shared_app.test_client()
        try:
            for _ in range(LOGINS_PER_THREAD):
                answers.append(client.post("/login", data={"username": username, "password": "mat-khau-dai-1"}).status_code)
                client.post("/logout")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert answers == [302] * (LOGIN_THREADS * LOGINS_PER_THREAD)
    with shared_app.app_context():
        assert audit.verify_chain().ok
        db.session.remove()
