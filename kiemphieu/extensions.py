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


def begin_write() -> None:
    """Start a write transaction now, holding SQLite's write lock from its first statement.

    Call it first in every write operation, before reading what the write depends on (the
    last audit hash, the next ballot number). With SQLite's default deferred BEGIN, two
    requests that both read and then write would have one fail with "database is locked";
    with BEGIN IMMEDIATE the second waits (busy_timeout) and then reads fresh data. Any
    open read transaction is ended first (objects loaded by the view are reloaded on use).
    On PostgreSQL this is an ordinary transaction.
    """
    session = db.session()  # the request's Session behind the scoped_session proxy
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"kiemphieu_immediate": True})


def write_operation(func):
    """Decorator for service functions: BEGIN IMMEDIATE first, roll back on any exception.

    The function commits itself (after writing its audit entry); a refusal (exception)
    leaves nothing half-written in the session.
    """
    from functools import wraps

    @wraps(func)
    def run(*args, **kwargs):
        begin_write()
        try:
            return func(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return run
