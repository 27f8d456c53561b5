"""Fixtures for the web tests (flaskr style), reused by the entry/results tests.

- ``app``: a fresh app on an in-memory SQLite database (tables made by create_all), CSRF
  off; ``csrf_app`` / ``csrf_client`` keep CSRF on.
- ``client``, ``runner``: Flask's test client and CLI runner.
- ``auth``: ``auth.login(username)`` / ``auth.logout()``; ``auth.as_role(Role.X)``
  creates a user with that global role and logs in.
- factory fixtures (callables, Indico style): ``make_user``, ``make_congress``,
  ``make_election``; ``demo`` loads the full demo congress (kiemphieu.demo).
All factories go through the service functions, so the audit log is written as in real use.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import date
from itertools import count
import uuid

import pypdfium2
import pytest

from kiemphieu import create_app
from kiemphieu.congress import services as congress_services
from kiemphieu.extensions import db
from kiemphieu.models import Role, User

PASSWORD = "matkhau-thu-nghiem"


# KIEMPHIEU_TEST_DATABASE_URL=postgresql+psycopg://... runs the web tests on PostgreSQL
# (each test starts from empty tables); by default they use in-memory SQLite.
TEST_DATABASE_URL = os.environ.get("KIEMPHIEU_TEST_DATABASE_URL") or "sqlite://"


def _make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        # Most tests type both passes as one user; tests/web/entry/test_separate_clerks.py
        # switches the rule back on.
        "DOUBLE_ENTRY_SEPARATE_CLERKS": False,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        if config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
            db.create_all()
        else:
            _empty_tables()
    return app


_schema_made = False


def _empty_tables() -> None:
    """PostgreSQL: the schema is made once per test session (and again when a migration test
    dropped it); each test then starts from emptied tables, much quicker than DROP/CREATE."""
    global _schema_made
    if _schema_made:
        try:
            with db.engine.begin() as conn:  # DELETE: on small tables far quicker than TRUNCATE
                for table in reversed(db.metadata.sorted_tables):
                    conn.exec_driver_sql(f'DELETE FROM "{table.name}"')
                conn.exec_driver_sql("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
            return
        except Exception:  # noqa: BLE001 - a table is missing: build the schema afresh
            pass
    db.drop_all()
    db.create_all()
    _schema_made = True


@pytest.fixture
def app(tmp_path):
    app = _make_app(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()


def shared_database_url(tmp_path) -> str:
    """A database several connections, threads and processes share: the PostgreSQL test
    database when one is given, else an SQLite file (in-memory SQLite is one connection's)."""
    return TEST_DATABASE_URL if TEST_DATABASE_URL != "sqlite://" else f"sqlite:///{tmp_path / 'shared.sqlite'}"


@pytest.fixture
def web(tmp_path):
    """An app whose requests each get their own app context, as on a server (the ``app``
    fixture keeps one context: one ``g``, one cached current user and one session, whose
    identity map hides the queries a real request runs)."""
    app = _make_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def login_client(web, username: str, password: str = PASSWORD):
    """A test client of ``web`` logged in through the login form."""
    client = web.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302
    return client


@pytest.fixture
def shared_app(tmp_path):
    """An app on ``shared_database_url`` with fresh tables, for the concurrency tests."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLALCHEMY_DATABASE_URI": shared_database_url(tmp_path)})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(tmp_path):
    app = _make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user("lan", Role.COUNTER, congresses={congress: Role.COUNTER}) -> User."""
    from kiemphieu.auth import services

    serial = count(1)

    def make(username: str | None = None, role: Role | str = Role.VIEWER, *, password: str = PASSWORD,
             congresses: dict | None = None) -> User:
        user = services.create_user(username or f"user{next(serial)}", password, role)
        for congress, scoped in (congresses or {}).items():
            services.assign(user, congress, scoped)
        return user

    return make


class AuthActions:
    def __init__(self, client, make_user):
        self.client, self.make_user = client, make_user

    def login(self, username: str, password: str = PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")

    def as_role(self, role: Role | str, **kwargs) -> User:
        user = self.make_user(f"{Role(role).value}-{uuid.uuid4().hex[:12]}", role, **kwargs)  # id() repeats once freed
        response = self.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user


@pytest.fixture
def auth(client, make_user):
    return AuthActions(client, make_user)


@pytest.fixture
def make_organisation(app):
    from kiemphieu.congress import services

    def make(name: str = "Đảng bộ xã Yên Lập", parent=None):
        return services.create_organisation(name, parent)

    return make


@pytest.fixture
def make_congress(app, make_organisation):
    """make_congress(convened=150, exclusions=[(2, "vắng")], committee=["Lê Thị Thu", ...])."""
    from kiemphieu.congress import services

    def make(*, convened: int = 150, exclusions=(), committee=(), organisation=None, **fields):
        organisation = organisation or make_organisation()
        fields.setdefault("number", "lần thứ XXI")
        fields.setdefault("term", "2025 - 2030")
        fields.setdefault("place", "Hội trường UBND xã Yên Lập")
        fields.setdefault("start_date", date(2025, 6, 20))
        congress = services.create_congress(organisation, convened=convened, **fields)
        for number, reason in exclusions:
            services.add_exclusion(congress, number, reason)
        for position, name in enumerate(committee):
            services.add_committee_member(congress, name, "Trưởng ban" if position == 0 else "Ủy viên")
        return congress

    return make


@pytest.fixture
def make_election(app, make_congress):
    """make_election(seats=2, candidates=["Nguyễn Văn An", ("Trần Thị Bình", date(...))])."""
    from kiemphieu.congress import services
    from kiemphieu.tally import Kind

    def make(*, congress=None, kind=Kind.COMMITTEE, title="Bầu Ban Chấp hành Đảng bộ xã khóa XXI",
             seats: int = 2, candidates=("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"),
             entry_mode="double", present=None, issued=None, body=None):
        congress = congress or make_congress()
        election = services.create_election(congress, kind, title, seats, entry_mode=entry_mode, body=body)
        people = [(c, None) if isinstance(c, str) else tuple(c) for c in candidates]
        if people:
            services.add_candidates(election, people)
        if present is not None or issued is not None:
            services.set_round_numbers(election.rounds[0], present, issued)
        return election

    return make


@pytest.fixture
def demo(app):
    """The full demo congress (returns kiemphieu.demo.DemoResult)."""
    from kiemphieu.demo import load_demo

    return load_demo()


@pytest.fixture
def admin_user(make_user):
    return make_user("quantri", Role.ADMIN)


def get_user(username: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == username))


# ------------------------------------------------------------------ counting (entry, results)
# A round ready for entry, and helpers that post ballots like the entry screen does.

COMMITTEE = ["Lê Thị Thu", "Hà Văn Tâm", "Đỗ Minh Châu"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]


@pytest.fixture
def make_round(make_congress, make_election):
    """make_round(seats=2, candidates=NAMES, entry_mode="double") -> a round in status entry."""

    def make(*, seats=2, candidates=NAMES, entry_mode="double", present=10, issued=10, committee=COMMITTEE,
             congress=None, **kwargs):
        congress = congress or make_congress(convened=12, committee=committee)
        election = make_election(congress=congress, seats=seats, candidates=candidates, entry_mode=entry_mode,
                                 present=present, issued=issued, **kwargs)
        round_ = election.rounds[0]
        congress_services.start_entry(round_)
        return round_

    return make


@pytest.fixture
def counter(auth):
    """Log in as a counter assigned to the given congress."""

    def login(congress, role=Role.COUNTER):
        return auth.as_role(role, congresses={congress: role} if role is not Role.ADMIN else None)

    return login


class Poster:
    def __init__(self, client):
        self.client = client

    def save(self, round_, entry_pass, marks, key=None, confirm=False):
        return self.client.post(f"/rounds/{round_.id}/entry/{entry_pass}/ballots",
                                json={"key": key or uuid.uuid4().hex, "marks": marks, "confirm_invalid": confirm})

    def undo(self, round_, entry_pass, sequence=None):
        return self.client.post(f"/rounds/{round_.id}/entry/{entry_pass}/undo", json={"sequence": sequence})


@pytest.fixture
def post(client):
    return Poster(client)


def enter(post, round_, entry_pass, stack):
    """Save each marks dict of ``stack`` in the pass (invalid ones confirmed); each must be stored."""
    for marks in stack:
        reply = post.save(round_, entry_pass, marks, confirm=True)
        assert reply.status_code == 201, reply.get_json()


@pytest.fixture
def codes():
    """codes(round_) -> the candidate codes in ballot order."""
    return lambda round_: [c.code for c in round_.candidates]


def flat_pdf_text(pdf: bytes) -> str:
    """Every page's text in NFC, whitespace runs collapsed to one space."""
    document = pypdfium2.PdfDocument(pdf)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty file database (or the PostgreSQL one, dropped) for migration tests."""
    url = TEST_DATABASE_URL if TEST_DATABASE_URL != "sqlite://" else f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        _drop_everything()
        yield app
        db.session.remove()
        _drop_everything()
        db.engine.dispose()


def _drop_everything():
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        else:
            db.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def run_document_jobs() -> int:
    """The worker's one step for documents, until nothing waits; returns the jobs made."""
    from kiemphieu.jobs.services import run_next_job

    made = 0
    while run_next_job(worker="test-worker") is not None:
        made += 1
    return made


def get_document(client, url: str, **kwargs):
    """GET a large document as a person does: the route asks the worker for it (a redirect to
    the waiting page), the worker makes it, the waiting page's download gives it. Any other
    answer (403, a redirect back with a message) is returned as it came."""
    reply = client.get(url, **kwargs)
    location = reply.headers.get("Location", "") if reply.status_code in (302, 303) else ""
    if not re.search(r"/documents/\d+(/download)?$", location):
        return reply
    run_document_jobs()
    download = location if location.endswith("/download") else f"{location}/download"
    return client.get(download)
