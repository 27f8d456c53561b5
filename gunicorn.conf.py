"""gunicorn settings for a LAN server: a few threaded workers, long timeout for PDFs.

Run it through `kiemphieu run` (scripts/start does): the supervisor hands gunicorn its
listening socket (`--bind fd://N`) and runs the scan worker beside it as a sibling process.
"""
import gc
import os
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("KIEMPHIEU_THREADS", "4"))
timeout = 120
# A stop takes seconds: requests in flight get this long, then the workers are killed (entry
# posts are idempotent and acknowledged only after their commit, so nothing is lost).
graceful_timeout = int(os.environ.get("KIEMPHIEU_GRACEFUL_TIMEOUT", "5"))
# A worker is replaced after this many requests (bounds any slow leak, e.g. in PDF rendering).
# Not much lower: a new worker costs ~1.5 s of CPU to start, and 60 clerks saving make 100+
# requests a second (2,000 recycled each worker every ~20 s: about 1.5 ms of CPU per save).
max_requests = 20000
max_requests_jitter = 2000
# The app is imported once, in the master, and every worker is forked from it: a worker that
# replaces a killed or recycled one serves at once instead of importing the app again (1.5-3 s
# of CPU each time, measured: a third of a node's CPU in a 20-s load test with one worker
# killed). A new release needs a restart of `kiemphieu run`, not a HUP.
preload_app = True
# No access log unless asked for (KIEMPHIEU_ACCESS_LOG=- for stdout, or a file): a line per
# request is 5 % of a node's CPU with 60 clerks saving (gunicorn formats it even for
# /dev/null), and every write is in the audit log anyway. Errors always go to the error log.
accesslog = os.environ.get("KIEMPHIEU_ACCESS_LOG") or None
errorlog = "-"

# gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl, one per user: a second server
# would take it over. Each instance gets its own in instance/run/ (none when that path is too
# long for a Unix socket).
_instance = Path(os.environ.get("KIEMPHIEU_INSTANCE") or Path(__file__).resolve().parent / "instance").resolve()
_control = _instance / "run" / "gunicorn.ctl"
if len(str(_control)) < 100:
    _control.parent.mkdir(parents=True, exist_ok=True)
    control_socket = str(_control)
else:
    control_socket_disable = True


# A kept-alive connection stays with the worker that accepted it, and clerks saving every few
# seconds keep theirs open: one worker can end up with most of a node's clerks (measured in the
# load test: 52 of 64 connections on one worker after the other was killed and replaced, that
# worker at the GIL's limit while its sibling idled). As nginx's keepalive_requests does, a
# connection is closed after this many requests; the client opens a new one, which the worker
# free first accepts.
_keepalive_requests = int(os.environ.get("KIEMPHIEU_KEEPALIVE_REQUESTS", "25"))


def pre_request(worker, req):
    """gunicorn answers this request with "Connection: close" once the connection has served
    its share (a module-level name of our own, not a gunicorn setting)."""
    if req.req_number >= _keepalive_requests:
        req.force_close()


def pre_fork(server, worker):
    """Everything the preloaded app made is moved out of the collector's reach before a worker
    is forked: the workers' full collections then walk only what they made themselves, not the
    hundreds of thousands of imported objects (each such walk held the worker's GIL 160-240 ms,
    measured in the load test, stalling every save that worker had in hand), and never write
    to the shared pages (copy-on-write). What the workers will need at once is built first, so
    that it is shared (and frozen) too."""
    _warm(server)
    gc.collect()
    gc.freeze()


def _warm(server):
    """The page templates compiled and the judging elections of the rounds in entry built, in
    the master: a worker forked after a restart (or to replace a killed one) in the middle of a
    count serves its clerks at once. The master then closes every connection it opened."""
    from kiemphieu.entry.services import warm_judging_elections
    from kiemphieu.extensions import db
    from kiemphieu.factory import compile_templates

    app = server.app.wsgi()
    compile_templates(app)
    with app.app_context():
        try:
            warm_judging_elections()
        except Exception:  # a worker must start even when warming fails (e.g. no tables yet)
            server.log.warning("could not build the judging elections ahead", exc_info=True)
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


def post_fork(server, worker):
    """A worker never uses a database connection of the master's (SQLAlchemy's rule for forked
    processes): create_app opens none, and any the master's pool held are dropped unclosed."""
    from kiemphieu.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)

