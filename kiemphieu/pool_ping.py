"""A pooled database connection is pinged before use only when it has been idle a while.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: on PostgreSQL that is one
more round trip per request (a save is seven statements; in the load test the ping was 2.6 % of
a node's CPU, a quarter of the log-in's, py-spy at 7d29fde's parent). A connection handed back
a moment ago was working a moment ago; the ones that may have died unnoticed are those left in
the pool while the server restarted or a firewall forgot them, i.e. the idle ones. So a connection idle
for longer than ``KIEMPHIEU_DB_PING_AFTER`` seconds (default 10; 0 pings every checkout, as
``pool_pre_ping`` does) is pinged, and a failed ping makes the pool replace it
(``DisconnectionError``: SQLAlchemy's documented way, tried up to three times).

What a restart of PostgreSQL costs: a connection used within the last seconds is not pinged,
so one request per such connection may fail on its first statement; SQLAlchemy then throws away
every connection the pool made before (``invalidate_pool_on_disconnect``), so the next ones
reconnect. A failed save is not acknowledged, and the entry screen sends it again with its key.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

DEFAULT_PING_AFTER_SECONDS = 10.0
_LAST_CHECKIN = "kiemphieu_last_checkin"


def ping_after_seconds() -> float:
    raw = os.environ.get("KIEMPHIEU_DB_PING_AFTER", "").strip()
    return float(raw) if raw else DEFAULT_PING_AFTER_SECONDS


def engine_options(uri: str, options: dict) -> tuple[dict, float | None]:
    """A server database's engine gets the idle ping instead of ``pool_pre_ping`` (which pings
    at every checkout), unless the office turned pinging off or asked for it every time.
    Returns the options for SQLAlchemy and the idle seconds to install, if any."""
    idle = ping_after_seconds()
    if uri.startswith("sqlite") or not options.get("pool_pre_ping") or idle <= 0:
        return options, None
    return {**options, "pool_pre_ping": False}, idle


def install_idle_ping(engine: Engine, idle_seconds: float, clock=time.monotonic) -> None:
    pool = engine.pool

    @event.listens_for(pool, "checkin")
    def _remember_checkin(dbapi_connection, record) -> None:
        if record is not None:
            record.info[_LAST_CHECKIN] = clock()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        # A connection made just now has no checkin yet (``record.info`` is emptied when a
        # connection is replaced): nothing to check.
        last = record.info.get(_LAST_CHECKIN)
        if last is None or clock() - last <= idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the driver's error on a dead socket
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()
