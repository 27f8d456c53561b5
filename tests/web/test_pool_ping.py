"""A pooled connection is pinged before use only after it sat idle (kiemphieu.pool_ping): the
ping on every checkout was one more round trip per request on PostgreSQL."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from kiemphieu import pool_ping

from .conftest import TEST_DATABASE_URL


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def engine(tmp_path):
    url = TEST_DATABASE_URL if TEST_DATABASE_URL != "sqlite://" else f"sqlite:///{tmp_path / 'ping.sqlite'}"
    engine = create_engine(url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _count_pings(engine, monkeypatch, fail_first=0):
    pings = []
    real_ping = engine.dialect.do_ping

    def ping(dbapi_connection):
        pings.append(dbapi_connection)
        if len(pings) <= fail_first:
            raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection")
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    return pings


def _use(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar(), conn.connection.dbapi_connection


def test_a_connection_used_moments_ago_is_not_pinged_an_idle_one_is(engine, monkeypatch):
    clock = Clock()
    pool_ping.install_idle_ping(engine, 10, clock=clock)
    pings = _count_pings(engine, monkeypatch)
    _use(engine)  # a new connection: nothing to check
    for _ in range(5):
        clock.now += 2
        _use(engine)
    assert pings == []
    clock.now += 10.5
    _use(engine)
    assert len(pings) == 1


def test_an_idle_connection_that_fails_its_ping_is_replaced_and_the_request_goes_on(engine, monkeypatch):
    clock = Clock()
    pool_ping.install_idle_ping(engine, 10, clock=clock)
    _, first = _use(engine)
    pings = _count_pings(engine, monkeypatch, fail_first=1)
    clock.now += 60
    value, second = _use(engine)
    assert value == 1
    assert len(pings) == 1  # the dead one's ping; its replacement was just made, not pinged
    assert second is not first


def test_a_server_database_gets_the_idle_ping_instead_of_a_ping_at_every_checkout(monkeypatch):
    monkeypatch.delenv("KIEMPHIEU_DB_PING_AFTER", raising=False)
    url = "postgresql+psycopg://kiemphieu@/kiemphieu"
    assert pool_ping.engine_options(url, {"pool_pre_ping": True, "pool_size": 5}) == (
        {"pool_pre_ping": False, "pool_size": 5}, pool_ping.DEFAULT_PING_AFTER_SECONDS)
    # SQLite, pinging turned off by the office, or asked for at every checkout: left as it is.
    assert pool_ping.engine_options("sqlite:///x.sqlite", {"pool_pre_ping": True}) == ({"pool_pre_ping": True}, None)
    assert pool_ping.engine_options(url, {"pool_pre_ping": False}) == ({"pool_pre_ping": False}, None)
    monkeypatch.setenv("KIEMPHIEU_DB_PING_AFTER", "0")
    assert pool_ping.engine_options(url, {"pool_pre_ping": True}) == ({"pool_pre_ping": True}, None)


def test_the_app_on_a_server_database_pings_idle_connections_only(app):
    """The app's own engine: on PostgreSQL the idle ping is installed and pool_pre_ping is off."""
    from kiemphieu.extensions import db

    with app.app_context():
        is_server = db.engine.dialect.name != "sqlite"
        assert db.engine.pool._pre_ping is False
        assert any(getattr(fn, "__name__", "") == "_ping_if_idle"
                   for fn in db.engine.pool.dispatch.checkout) is is_server


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"), reason="a server connection to end")
def test_an_idle_connection_the_server_ended_is_replaced_before_the_request_uses_it(engine):
    clock = Clock()
    pool_ping.install_idle_ping(engine, 10, clock=clock)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(engine.url, poolclass=QueuePool)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()
    clock.now += 30
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
