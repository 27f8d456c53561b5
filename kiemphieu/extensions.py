"""Flask extensions, created unbound and initialised in the app factory."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so Alembic batch migrations on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


# pg_advisory_xact_lock(namespace, key): the namespace keeps kiemphieu's locks apart from others'.
ADVISORY_NAMESPACE = 0x6B70
SYSTEM_SCOPE = 0  # writes that belong to no congress (users, organisations)
UNKNOWN = object()


def begin_write(congress_id: int | None | object = UNKNOWN, *, keep_loaded: bool = False) -> None:
    """Start a write transaction now, holding the write lock of its scope from the start.

    Call it first in every write operation, before reading what the write depends on (the
    last audit hash, the next ballot number). SQLite: BEGIN IMMEDIATE takes the database's
    one write lock (with a deferred BEGIN, two requests that both read and then write would
    have one fail with "database is locked"; this way the second waits, busy_timeout, and
    reads fresh data). PostgreSQL: a transaction-level advisory lock on the congress (or on
    the system scope), so writers of one congress queue as on SQLite while other congresses
    go on in parallel; an unknown scope takes no lock (the audit head row still serialises
    the chain). Any open read transaction is ended first (objects loaded by the view are
    reloaded on use).

    ``keep_loaded`` (the ballot save, the hot path): the objects the view loaded stay as they
    were read instead of being reloaded one query each; the caller re-reads what its checks
    depend on after the lock (``save_ballot`` refreshes the round's status). On PostgreSQL the
    read transaction then simply goes on (READ COMMITTED: every statement after the lock sees
    what committed before it).
    """
    session = db.session()  # the request's Session behind the scoped_session proxy
    postgresql = session.get_bind().dialect.name == "postgresql"
    if session.in_transaction() and not (keep_loaded and postgresql):
        if keep_loaded:
            commit_keeping_loaded()
        else:
            session.commit()
    if session.in_transaction():  # PostgreSQL, keep_loaded: the transaction goes on
        connection = session.connection()
    else:
        connection = session.connection(execution_options={"kiemphieu_immediate": True})
    if postgresql and congress_id is not UNKNOWN:
        key = SYSTEM_SCOPE if congress_id is None else int(congress_id)
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_NAMESPACE, key))


def commit_keeping_loaded() -> None:
    """Commit without expiring the session's objects (no reload query per object after it):
    for a request that has nothing left to read but what it just wrote."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def congress_scope(values) -> int | None | object:
    """The congress a write operation's arguments belong to (UNKNOWN when none says)."""
    from .auth.lean import EntryRound
    from .models import Ballot, Congress, Election, Organisation, Round, ScanImage, User

    for value in values:
        if isinstance(value, EntryRound):  # the ballot save's round, read as a row
            return value.election.congress_id
        if isinstance(value, Congress):
            return value.id
        if isinstance(value, Election):
            return value.congress_id
        if isinstance(value, Round):
            return value.election.congress_id
        if isinstance(value, (ScanImage, Ballot)):
            return value.round.election.congress_id
        if isinstance(value, (Organisation, User)):
            return None
    return UNKNOWN


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def write_operation(func=None, *, keep_loaded: bool = False):
    """Decorator for service functions: the write lock first, roll back on any exception.

    On PostgreSQL the lock is the congress of the first model argument (Congress, Election,
    Round, ScanImage, Ballot; an Organisation or User is the system scope). The function
    commits itself (after writing its audit entry); a refusal (exception) leaves nothing
    half-written in the session. ``@write_operation(keep_loaded=True)``: see ``begin_write``.
    """
    from functools import wraps

    if func is None:
        return lambda f: write_operation(f, keep_loaded=keep_loaded)

    @wraps(func)
    def run(*args, **kwargs):
        scope = congress_scope([*args, *kwargs.values()]) if _is_postgresql() else UNKNOWN
        begin_write(scope, keep_loaded=keep_loaded)
        try:
            return func(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return run
