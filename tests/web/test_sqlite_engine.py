"""SQLite as the server's database (kiemphieu.sqlite_engine): WAL, the write lock taken by
polling, and FULL durability made by syncing the WAL after COMMIT has released the lock."""

import os
import sqlite3
import threading

import pytest

from kiemphieu import create_app, sqlite_engine
from kiemphieu.extensions import begin_write, db
from kiemphieu.models import Organisation


@pytest.mark.parametrize("setting, synced", [(None, True), ("FULL", True), ("normal", False), ("bogus", True)])
def test_sqlite_file_uses_wal_syncs_every_commit_and_waits_for_locks(tmp_path, monkeypatch, setting, synced):
    """SQLite itself runs at NORMAL; FULL (the default, and what an unknown value means) is the
    WAL synced after each commit by the engine's own dialect (the tests below)."""
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
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert ("do_commit" in vars(db.engine.dialect)) is synced
        db.session.remove()



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


def test_a_writer_takes_sqlite_write_lock_as_soon_as_it_is_released(tmp_path, monkeypatch):
    """The write lock is polled, not left to SQLite's busy handler (whose sleeps grow to 100 ms
    and let newcomers take the lock first): a waiter gets it once the holder commits."""
    import sqlite3
    import threading
    import time

    path = tmp_path / "lock.db"
    holder = _held_write_lock(path)
    waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    waiter.execute("PRAGMA busy_timeout=5000")
    # Between polls, the waiter's own busy handler is off (read in the waiting thread: the
    # connection is not used from two threads at once).
    timeouts_between_polls = []
    real_sleep = time.sleep

    def poll_sleep(seconds):
        timeouts_between_polls.append(waiter.execute("PRAGMA busy_timeout").fetchone()[0])
        real_sleep(seconds)

    monkeypatch.setattr(sqlite_engine.time, "sleep", poll_sleep)
    taken = []
    thread = threading.Thread(target=lambda: taken.append(sqlite_engine.take_sqlite_write_lock(waiter, 30.0)))
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and not taken  # still waiting while the lock is held
    holder.execute("COMMIT")
    thread.join(30)
    monkeypatch.undo()
    assert taken == [True]
    assert timeouts_between_polls and set(timeouts_between_polls) == {0}  # polled, not in SQLite's handler
    assert waiter.in_transaction
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        holder.execute("PRAGMA busy_timeout=0")
        holder.execute("BEGIN IMMEDIATE")  # the waiter holds it now
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == sqlite_engine.SQLITE_BUSY_TIMEOUT_MS
    waiter.execute("COMMIT")


def test_a_writer_that_polls_in_vain_leaves_the_last_wait_to_sqlite(tmp_path):
    """Past its polling time the writer gives up polling (False) with SQLite's busy timeout set
    back, so the caller's own BEGIN IMMEDIATE ends in the 'database is locked' the 503 page
    knows."""
    import sqlite3

    path = tmp_path / "lock.db"
    holder = _held_write_lock(path)
    waiter = sqlite3.connect(path, isolation_level=None)
    assert sqlite_engine.take_sqlite_write_lock(waiter, 0.05) is False
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == sqlite_engine.SQLITE_BUSY_TIMEOUT_MS
    holder.execute("COMMIT")



class FsyncRecorder:
    """os.fsync and os.fdatasync as the engine calls them, noting which file each call synced and whether another
    connection could take the write lock at that moment."""

    def __init__(self, monkeypatch, database=None):
        self.calls: list[tuple[str, bool | None]] = []
        self.database = database
        for name in ("fsync", "fdatasync"):
            monkeypatch.setattr(sqlite_engine.os, name, self._recording(getattr(os, name)))

    def _recording(self, real):
        def flush(descriptor):
            self.calls.append((os.readlink(f"/proc/self/fd/{descriptor}"), self._lock_free()))
            real(descriptor)

        return flush

    def _lock_free(self) -> bool | None:
        if self.database is None:
            return None
        other = sqlite3.connect(self.database, isolation_level=None)
        try:
            other.execute("PRAGMA busy_timeout=0")
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    def synced(self, suffix: str) -> list[bool | None]:
        return [free for path, free in self.calls if path.endswith(suffix)]


def _full_app(tmp_path, monkeypatch):
    monkeypatch.setenv("KIEMPHIEU_SQLITE_SYNCHRONOUS", "FULL")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        db.create_all()
    return app, app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def _write(name: str) -> None:
    begin_write()
    db.session.add(Organisation(name=name))
    db.session.commit()


def test_a_write_is_synced_to_disk_before_its_commit_returns_with_the_write_lock_already_free(tmp_path, monkeypatch):
    app, database = _full_app(tmp_path, monkeypatch)
    with app.app_context():
        _write("Đảng bộ xã An Bình")  # the WAL file exists from here on
        fsyncs = FsyncRecorder(monkeypatch, database)
        _write("Đảng bộ xã Tân Phú")
        # synced once, inside commit(), and another writer could already go in meanwhile
        assert fsyncs.synced("-wal") == [True]
        db.session.remove()


def test_a_commit_that_wrote_nothing_is_not_synced(tmp_path, monkeypatch):
    app, _ = _full_app(tmp_path, monkeypatch)
    with app.app_context():
        _write("Đảng bộ xã An Bình")
        fsyncs = FsyncRecorder(monkeypatch)
        assert db.session.query(Organisation).count() == 1
        db.session.commit()
        begin_write()  # a write operation refused before it wrote anything
        db.session.rollback()
        db.session.commit()
        assert fsyncs.calls == []
        db.session.remove()


def test_normal_durability_syncs_nothing_at_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("KIEMPHIEU_SQLITE_SYNCHRONOUS", "NORMAL")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        db.create_all()
        fsyncs = FsyncRecorder(monkeypatch)
        _write("Đảng bộ xã An Bình")
        assert fsyncs.calls == []
        db.session.remove()


def test_a_wal_file_made_anew_has_its_folder_synced_once(tmp_path, monkeypatch):
    """The WAL's name must survive a power cut too: its folder is synced when the file at the
    WAL's path is a new one (the last connection's close removes it; the next writer makes it)."""
    database = str(tmp_path / "k.db")
    wal_sync = sqlite_engine.WalSync(database)
    fsyncs = FsyncRecorder(monkeypatch)

    def write_with_a_fresh_connection(times: int) -> None:
        connection = sqlite3.connect(database, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
        for n in range(times):
            connection.execute("INSERT INTO t VALUES (?)", (n,))
            wal_sync.after_commit(connection)
        connection.close()  # the last connection: checkpointed, the WAL removed

    write_with_a_fresh_connection(3)
    assert not os.path.exists(database + "-wal")
    write_with_a_fresh_connection(2)
    assert len(fsyncs.synced("-wal")) == 5
    assert len(fsyncs.synced(str(tmp_path))) == 2  # once per WAL file, not per commit


def test_commits_made_during_a_sync_share_the_next_one_and_none_returns_before_its_own(tmp_path):
    """A group commit: the commits that arrive while a flush is under way wait for it, then one
    flush covers them all; no commit returns before a flush that began after it."""
    import time

    wal_sync = sqlite_engine.WalSync(str(tmp_path / "k.db"))
    flushes: list[tuple[float, float]] = []
    first_began = threading.Event()

    def slow_flush() -> None:
        began = time.monotonic()
        first_began.set()
        time.sleep(0.2)
        flushes.append((began, time.monotonic()))

    wal_sync.sync = slow_flush
    returned: dict[int, tuple[float, float]] = {}

    def commit(n: int) -> None:
        called = time.monotonic()
        wal_sync.sync_covering_this_commit()
        returned[n] = (called, time.monotonic())

    first = threading.Thread(target=commit, args=(0,))
    first.start()
    first_began.wait(5)
    others = [threading.Thread(target=commit, args=(n,)) for n in range(1, 6)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(5)
    assert len(returned) == 6
    assert len(flushes) == 2  # not six
    for called, back in returned.values():
        assert any(called <= began and ended <= back for began, ended in flushes)


def test_the_connections_remembered_stay_bounded(tmp_path, monkeypatch):
    """Connections closed and made anew (a pool's overflow) leave their ids behind: the map of
    what each connection last synced is emptied once it holds too many."""
    database = str(tmp_path / "k.db")
    wal_sync = sqlite_engine.WalSync(database)
    monkeypatch.setattr(sqlite_engine, "_KNOWN_CONNECTIONS", 5)
    connections = []
    for n in range(12):
        connection = sqlite3.connect(database, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
        connection.execute("INSERT INTO t VALUES (?)", (n,))
        wal_sync.after_commit(connection)
        connections.append(connection)
        assert len(wal_sync._synced_changes) <= 5
    for connection in connections:
        connection.close()
