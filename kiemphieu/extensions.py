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


def begin_write(congress_id: int | None | object = UNKNOWN) -> None:
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
    """
    session = db.session()  # the request's Session behind the scoped_session proxy
    if session.in_transaction():
        session.commit()
    connection = session.connection(execution_options={"kiemphieu_immediate": True})
    if connection.dialect.name == "postgresql" and congress_id is not UNKNOWN:
        key = SYSTEM_SCOPE if congress_id is None else int(congress_id)
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_NAMESPACE, key))


def congress_scope(values) -> int | None | object:
    """The congress a write operation's arguments belong to (UNKNOWN when none says)."""
    from .models import Ballot, Congress, Election, Organisation, Round, ScanImage, User

    for value in values:
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


def write_operation(func):
    """Decorator for service functions: the write lock first, roll back on any exception.

    On PostgreSQL the lock is the congress of the first model argument (Congress, Election,
    Round, ScanImage, Ballot; an Organisation or User is the system scope). The function
    commits itself (after writing its audit entry); a refusal (exception) leaves nothing
    half-written in the session.
    """
    from functools import wraps

    @wraps(func)
    def run(*args, **kwargs):
        scope = congress_scope([*args, *kwargs.values()]) if _is_postgresql() else UNKNOWN
        begin_write(scope)
        try:
            return func(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return run
