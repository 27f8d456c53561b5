"""SQLite as a server's database: WAL, the write lock taken by polling, and commits made durable
outside that lock.

Durability (``KIEMPHIEU_SQLITE_SYNCHRONOUS``, README: Load test, durability):
- FULL (the default): an acknowledged ballot survives a power cut or an OS crash, not only a
  killed process (a congress hall's laptop rarely has a UPS). SQLite's own FULL syncs the WAL
  inside COMMIT, while the write lock is held: every writer of the database then waits for each
  other's disk flush (4 ms on a virtual disk, 10+ on a laptop's), and one database serialises
  at most 1 / (flush + the save's statements) saves per second. Here SQLite runs at NORMAL
  (a commit writes its WAL frames, syncs nothing) and the writer then syncs the WAL file
  itself, after COMMIT has released the lock and before the commit returns to the request: a
  group commit, since concurrent writers' flushes overlap and one flush covers every frame
  written before it. What a synced commit needs after a crash is in the WAL: frames carry
  cumulative checksums, so recovery keeps every transaction up to the last synced one; a
  checkpoint syncs the WAL before copying it and the database after (NORMAL's rule), so frames
  overwritten after a checkpoint are already in the database file.
- NORMAL: no sync at commit, only at checkpoints: a killed process still loses nothing
  acknowledged, a power cut can (the tests run so: their databases are throwaway).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL")
SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.split(".")[0] in ("sqlite3", "pysqlite2")


def sqlite_synchronous() -> str:
    """The durability asked for: FULL (default) or NORMAL (module docstring)."""
    chosen = os.environ.get("KIEMPHIEU_SQLITE_SYNCHRONOUS", "FULL").strip().upper()
    return chosen if chosen in SQLITE_SYNCHRONOUS_LEVELS else "FULL"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL (readers never block the writer), wait instead of 'database is locked', FKs on;
    SQLite's own sync level NORMAL either way (FULL's flush is made after the lock: above)."""
    if not is_sqlite(dbapi_connection):
        return
    # SQLAlchemy emits BEGIN itself (below) instead of the sqlite3 module's implicit one,
    # so that write operations can ask for BEGIN IMMEDIATE (extensions.begin_write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def engine_options(uri: str, options: dict | None) -> dict:
    """SQLite: no ping when a connection is taken from the pool (a file does not drop
    connections; the ping was one more statement per request)."""
    options = dict(options or {})
    if uri.startswith("sqlite"):
        options["pool_pre_ping"] = False
    return options


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    if not connection.get_execution_options().get("kiemphieu_immediate"):
        connection.exec_driver_sql("BEGIN")
    elif not take_sqlite_write_lock(connection.connection.dbapi_connection, WRITE_LOCK_POLLING_SECONDS):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite's own busy handler backs off to sleeps of 100 ms: under a steady stream of short writes
# (a save holds the lock ~2 ms) a writer that has waited a while keeps missing the free moments
# that newcomers, retrying after 1-5 ms, take first (load test, the lock busy under half the
# time: waits p99 430-530 ms, up to 1.8 s). Polling every 0.5-2 ms lets every waiter see the
# lock free within 2 ms of its release (benchmarks/sqlite_lock_benchmark.py: lock wait p99
# 106-133 -> 28-29 ms).
WRITE_LOCK_POLLING_SECONDS = 5.0
WRITE_LOCK_POLLS = (0.0005, 0.001, 0.002)  # then every 2 ms


def take_sqlite_write_lock(raw, seconds: float) -> bool:
    """BEGIN IMMEDIATE on the raw sqlite3 connection, polled for up to ``seconds``; True when
    begun. False leaves SQLite's own busy handler the last wait (its error is the one the 503
    page knows)."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + seconds
        tries = 0
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    return False
            time.sleep(WRITE_LOCK_POLLS[min(tries, len(WRITE_LOCK_POLLS) - 1)])
            tries += 1
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


# --- commits synced after the lock -------------------------------------------------------------

_KNOWN_CONNECTIONS = 1000  # sqlite3 connections take no weak reference: the map is kept bounded


class WalSync:
    """Syncs a database's WAL file after each commit that wrote (FULL durability, above).

    A connection's ``total_changes`` counts the rows it ever wrote: a commit that added none
    (a read, or a save refused before its INSERT) is not synced. A sync covers every commit
    made before it began: a commit that arrives while one is under way waits for it to end,
    then one of the waiters syncs for all of them (one flush per process for a burst of
    commits, not one each: the threads waiting on overlapping flushes of one file were slower
    than SQLite's own sync in the lock, benchmarks/sqlite_lock_benchmark.py). The WAL stays open here, so
    its inode cannot be reused while it is known; when the file at the WAL's path is another
    one (the last connection closed and removed it, a later one made it anew), the folder is
    synced too, so that the new file's name survives a power cut."""

    def __init__(self, database_path: str):
        self.wal_path = database_path + "-wal"
        self.directory = os.path.dirname(os.path.abspath(database_path))
        self._synced_changes: dict[int, int] = {}  # id(raw connection) -> total_changes last synced
        self._wal: int | None = None  # descriptor of the WAL file last synced
        self._turn = threading.Condition()
        self._committed = 0  # commits counted so far (each one's frames were written before)
        self._synced = 0  # the commits a finished sync covers
        self._syncing = False

    def after_commit(self, connection) -> None:
        raw = getattr(connection, "dbapi_connection", connection)  # under the pool's proxy
        changes = raw.total_changes
        if self._synced_changes.get(id(raw)) == changes:
            return
        self.sync_covering_this_commit()
        if len(self._synced_changes) >= _KNOWN_CONNECTIONS:  # ids of closed connections pile up
            self._synced_changes.clear()  # (each connection then syncs once more: harmless)
        self._synced_changes[id(raw)] = changes

    def sync_covering_this_commit(self) -> None:
        with self._turn:
            self._committed += 1
            mine = self._committed
            while self._synced < mine:
                if self._syncing:
                    self._turn.wait()
                    continue
                self._syncing, covers = True, self._committed
                self._turn.release()
                try:
                    self.sync()
                finally:
                    self._turn.acquire()
                    self._syncing = False
                    self._turn.notify_all()
                self._synced = max(self._synced, covers)

    def sync(self) -> None:
        """One flush of the WAL file (one caller at a time: sync_covering_this_commit)."""
        wal = self._current_wal()
        if wal is not None:  # (None: checkpointed and removed by the last connection's close)
            # As SQLite syncs its files: the data and the size, not the times (a reused WAL
            # keeps its size, so no journal commit of the file system at each flush).
            os.fdatasync(wal)

    def _current_wal(self) -> int | None:
        """The descriptor of the file now at the WAL's path (opened anew, and its folder synced,
        when that is another file than the one held)."""
        try:
            on_disk = os.stat(self.wal_path)
        except FileNotFoundError:
            return None
        if self._wal is None or not os.path.samestat(os.fstat(self._wal), on_disk):
            if self._wal is not None:
                os.close(self._wal)
                self._wal = None
            wal = os.open(self.wal_path, os.O_RDONLY)
            self._sync_directory()
            self._wal = wal
        return self._wal

    def _sync_directory(self) -> None:
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def install_wal_sync(engine: Engine) -> WalSync | None:
    """FULL durability on a SQLite file database: the dialect's commit is followed by the WAL's
    sync (after COMMIT released the write lock, before the commit returns). None otherwise."""
    if engine.dialect.name != "sqlite" or sqlite_synchronous() != "FULL":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    wal_sync = WalSync(database)
    commit = engine.dialect.do_commit

    def do_commit(dbapi_connection) -> None:
        commit(dbapi_connection)
        wal_sync.after_commit(dbapi_connection)

    engine.dialect.do_commit = do_commit  # this engine's own dialect instance
    return wal_sync
