"""The app factory: instance folder, secret key, SQLite settings, the start-up access check."""

import os
import stat

import pytest
from flask import Blueprint

from kiemphieu import create_app, factory
from kiemphieu.auth.access import AccessRuleMissing, public, require_role
from kiemphieu.config import TEMPLATES_DIR, database_url
from kiemphieu.extensions import db
from kiemphieu.models import Role


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)})
    key_file = instance / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app({"INSTANCE_PATH": str(instance)})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert (instance / "uploads").is_dir()


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kiemphieu.sqlite'}"
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024
    assert app.template_folder == str(TEMPLATES_DIR)


def test_database_url_selects_postgresql(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://kp:secret@db.lan/kiemphieu")
    assert database_url(tmp_path) == "postgresql+psycopg://kp:secret@db.lan/kiemphieu"


@pytest.mark.parametrize("setting, level", [(None, 2), ("FULL", 2), ("normal", 1), ("bogus", 2)])
def test_sqlite_file_uses_wal_syncs_every_commit_and_waits_for_locks(tmp_path, monkeypatch, setting, level):
    if setting is None:
        monkeypatch.delenv("KIEMPHIEU_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("KIEMPHIEU_SQLITE_SYNCHRONOUS", setting)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        conn = db.session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == level  # 2 FULL, 1 NORMAL
        db.session.remove()


def test_a_route_without_an_access_rule_stops_the_app(tmp_path, monkeypatch):
    careless = Blueprint("careless", __name__)

    @careless.route("/forgotten")
    def forgotten():
        return "no guard"

    import sys
    import types

    module = types.ModuleType("kiemphieu_test_careless")
    module.bp = careless
    monkeypatch.setitem(sys.modules, "kiemphieu_test_careless", module)
    monkeypatch.setattr(factory, "BLUEPRINT_MODULES", [*factory.BLUEPRINT_MODULES, "kiemphieu_test_careless"])
    with pytest.raises(AccessRuleMissing, match="careless.forgotten"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_guarded_routes_pass_the_check(tmp_path, monkeypatch):
    careful = Blueprint("careful", __name__)

    @careful.route("/open")
    @public
    def opened():
        return "ok"

    @careful.route("/closed")
    @require_role(Role.VIEWER)
    def closed():
        return "ok"

    import sys
    import types

    module = types.ModuleType("kiemphieu_test_careful")
    module.bp = careful
    monkeypatch.setitem(sys.modules, "kiemphieu_test_careful", module)
    monkeypatch.setattr(factory, "BLUEPRINT_MODULES", [*factory.BLUEPRINT_MODULES, "kiemphieu_test_careful"])
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.test_client().get("/open").data == b"ok"
    assert app.test_client().get("/closed").status_code == 302  # to the login page


def test_every_registered_view_has_a_rule(app):
    from kiemphieu.auth.access import ACCESS_ATTR, PUBLIC_ENDPOINTS

    for endpoint, view in app.view_functions.items():
        assert endpoint in PUBLIC_ENDPOINTS or hasattr(view, ACCESS_ATTR), endpoint


def test_write_operations_begin_immediate(tmp_path):
    """A second writer waits for the first instead of failing with 'database is locked'."""
    from sqlalchemy import create_engine, text

    from kiemphieu.extensions import begin_write

    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        db.create_all()
        begin_write()
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], connect_args={"timeout": 0.2})
        with other.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=100")
            with pytest.raises(Exception, match="database is locked"):
                conn.execute(text("INSERT INTO organisation (name, created_at) VALUES ('x', '2025-06-20')"))
        db.session.rollback()
        db.session.remove()
        other.dispose()


def _held_write_lock(path):
    import sqlite3

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_takes_sqlite_write_lock_as_soon_as_it_is_released(tmp_path):
    """The write lock is polled, not left to SQLite's busy handler (whose sleeps grow to 100 ms
    and let newcomers take the lock first): a waiter gets it once the holder commits."""
    import sqlite3
    import threading

    path = tmp_path / "lock.db"
    holder = _held_write_lock(path)
    waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    waiter.execute("PRAGMA busy_timeout=5000")
    taken = []
    thread = threading.Thread(target=lambda: taken.append(factory.take_sqlite_write_lock(waiter, 30.0)))
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and not taken  # still waiting while the lock is held
    # ... by polling, not in SQLite's busy handler (whose sleeps grow to 100 ms)
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 0
    holder.execute("COMMIT")
    thread.join(30)
    assert taken == [True]
    assert waiter.in_transaction
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        holder.execute("PRAGMA busy_timeout=0")
        holder.execute("BEGIN IMMEDIATE")  # the waiter holds it now
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == factory.SQLITE_BUSY_TIMEOUT_MS
    waiter.execute("COMMIT")


def test_a_writer_that_polls_in_vain_leaves_the_last_wait_to_sqlite(tmp_path):
    """Past its polling time the writer gives up polling (False) with SQLite's busy timeout set
    back, so the caller's own BEGIN IMMEDIATE ends in the 'database is locked' the 503 page
    knows."""
    import sqlite3

    path = tmp_path / "lock.db"
    holder = _held_write_lock(path)
    waiter = sqlite3.connect(path, isolation_level=None)
    assert factory.take_sqlite_write_lock(waiter, 0.05) is False
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == factory.SQLITE_BUSY_TIMEOUT_MS
    holder.execute("COMMIT")


def test_every_page_template_can_be_compiled_ahead_and_is_then_cached(tmp_path):
    """gunicorn's master compiles them before forking, so workers inherit them compiled."""
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    count = factory.compile_templates(app)
    assert count >= 20
    cached = {key[1] for key in app.jinja_env.cache.keys()}
    assert "base.html" in cached or any(name.endswith("base.html") for name in cached)
    assert len(cached) >= count
