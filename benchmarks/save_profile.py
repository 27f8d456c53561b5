"""Where the server's time goes in one acknowledged double-entry save (no network, no gunicorn).

Seeds one congress with a 17-candidate / 15-seat round in entry (SQLite file in WAL, or the
database of ``DATABASE_URL``), logs a counter in through the login form with Flask's test
client, then posts N ballots as the entry screen does (JSON, CSRF header, idempotency key,
stack position) and prints:
- wall time per save (median, p95) and SQL statements and SQL time per save (SQLAlchemy
  events: cursor execute, commit);
- with ``--profile``, the cProfile of the loop grouped by stage (framework / session and
  log-in / CSRF / access check / rules and tally / audit append / ORM inserts / commit).

    .venv/bin/python benchmarks/save_profile.py [--ballots 500] [--profile] [--statements] [--postgres]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PASSWORD = "mat-khau-profile"
NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Vũ Thị Giang",
    "Đặng Văn Hải", "Bùi Thị Hạnh", "Đỗ Văn Hùng", "Ngô Thị Lan", "Dương Văn Long", "Lý Thị Mai",
    "Trịnh Văn Nam", "Đinh Thị Oanh", "Mai Văn Phúc", "Tạ Thị Quỳnh", "Cao Văn Sơn",
]

# The stages of one save, as cumulative time of the function that does each (cProfile):
# (label, path suffix, function name). Nested stages are listed under their parent.
STAGES = [
    ("whole request (WSGI app)", "flask/app.py", "wsgi_app"),
    ("  session cookie open (signature, JSON)", "flask/sessions.py", "open_session"),
    ("  CSRF header check", "flask_wtf/csrf.py", "protect"),
    ("  view with access check", "kiemphieu/auth/access.py", "guarded"),
    ("    log-in: user + scopes (1 query)", "kiemphieu/factory.py", "load_user"),
    ("    round, election, congress (1 query)", "kiemphieu/auth/access.py", "_congress_from_view_args"),
    ("    round, election, congress (1 query)", "kiemphieu/auth/lean.py", "load_entry_round"),  # the save's (lean)
    ("    write lock (BEGIN IMMEDIATE / advisory)", "kiemphieu/extensions.py", "begin_write"),
    ("    save_ballot", "kiemphieu/entry/services.py", "save_ballot"),
    ("      rules: parse + judge", "kiemphieu/entry/services.py", "parse_marks"),
    ("      round state, key, other pass, last position, chain head", "kiemphieu/entry/services.py", "_read_save_facts"),
    ("      ballot INSERT", "kiemphieu/entry/services.py", "_insert_ballot"),
    ("      audit append (hash, insert, move the head)", "kiemphieu/audit/__init__.py", "record"),
    ("      commit", "kiemphieu/extensions.py", "commit_keeping_loaded"),
    ("    answer JSON", "kiemphieu/entry/routes.py", "_ballot_json"),
    ("  session cookie save", "flask/sessions.py", "save_session"),
]


def seed(app) -> int:
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services
    from kiemphieu.extensions import db
    from kiemphieu.models import Role
    from kiemphieu.tally import Kind

    with app.app_context():
        db.create_all()
        users.create_user("nhap", PASSWORD, Role.COUNTER)
        org = services.create_organisation("Đảng bộ xã Yên Lập")
        congress = services.create_congress(org, convened=30000, start_date=date(2025, 6, 20))
        services.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
        users.assign(users.authenticate("nhap", PASSWORD), congress, Role.COUNTER)
        election = services.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 15)
        services.add_candidates(election, [(n, None) for n in NAMES])
        round_ = election.rounds[0]
        services.set_round_numbers(round_, 30000, 30000)
        services.start_entry(round_)
        codes = [c.code for c in round_.candidates]
        return round_.id, codes


def database_seconds(postmaster: int | None) -> float:
    """CPU used so far by the PostgreSQL server's processes (the postmaster and its children:
    the backend serving this process, the WAL writer...), from /proc."""
    if not postmaster:
        return 0.0
    from load_servers import CpuSampler

    ticks, used = os.sysconf("SC_CLK_TCK"), 0
    for pid in CpuSampler.family(postmaster):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used += int(fields[11]) + int(fields[12])
    return used / ticks


class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.seconds, self.texts = 0, 0.0, Counter()
        self.started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        event.listen(engine, "commit", self.on_commit)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self.started[id(cursor)] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.seconds += time.perf_counter() - self.started.pop(id(cursor), time.perf_counter())
        self.texts[" ".join(statement.split())[:110]] += 1

    def on_commit(self, conn):
        self.texts["COMMIT"] += 1

    def reset(self):
        self.count, self.seconds, self.texts = 0, 0.0, Counter()


def print_stages(profile: cProfile.Profile, saves: int, cpu_ms: float) -> None:
    stats = pstats.Stats(profile).stats
    cumulative: Counter = Counter()
    for (filename, _, name), (_, _, _, cum, _) in stats.items():
        for label, suffix, function in STAGES:
            if name == function and filename.endswith(suffix):
                cumulative[label] += cum
    whole = cumulative[STAGES[0][0]] or 1.0
    print(f"  stages (cumulative, cProfile; scaled to the unprofiled {cpu_ms:.2f} ms CPU per save):")
    for label in dict.fromkeys(label for label, _, _ in STAGES):
        share = cumulative[label] / whole
        print(f"    {label:62s} {share * cpu_ms:6.2f} ms  {100 * share:5.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true", help="list the SQL statements of one save")
    parser.add_argument("--top", type=int, default=0, help="also print cProfile's top N by cumulative time")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL cluster (as load_test.py)")
    args = parser.parse_args()
    from machine_reference import reference_line

    print(reference_line())  # the same code took twice the CPU on a slower day: compare through it
    if args.postgres:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from load_test import Postgres

        postgres = Postgres()
        try:
            os.environ["DATABASE_URL"] = postgres.start()
            args.database_pid = postgres.postmaster()
            return measure(args)
        finally:
            postgres.stop()
    return measure(args)


def measure(args: argparse.Namespace) -> int:
    import shutil

    folder = Path(tempfile.mkdtemp(prefix="kiemphieu-profile-"))
    try:
        return measure_in(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure_in(folder: Path, args: argparse.Namespace) -> int:

    os.environ.setdefault("SECRET_KEY", "profile-" + uuid.uuid4().hex)
    config = {"INSTANCE_PATH": str(folder)}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'kiemphieu.db'}"
    from kiemphieu import create_app
    from kiemphieu.extensions import db

    app = create_app(config)
    round_id, codes = seed(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "nhap", "password": PASSWORD, "csrf_token": token}).status_code == 302
    screen = client.get(f"/rounds/{round_id}/entry/A").get_data(as_text=True)
    header = {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', screen).group(1)}
    url = f"/rounds/{round_id}/entry/A/ballots"
    with app.app_context():
        counter = StatementCounter(db.engine)
        dialect = db.engine.dialect.name
    bodies = [{"key": uuid.uuid4().hex, "marks": {"struck": [codes[i % 17], codes[(i + 5) % 17]]},
               "sequence": i + 1} for i in range(args.ballots + 20)]
    for body in bodies[:20]:  # warm-up: caches, first compilations
        assert client.post(url, json=body, headers=header).status_code == 201
    counter.reset()
    n = args.ballots
    half = n // 2 if args.profile else n  # with --profile: half measured plain, half profiled
    times = []
    chunk_cpu = []  # CPU per save of each run of 50: the least is the figure least disturbed by a shared machine
    database_cpu = database_seconds(getattr(args, "database_pid", None))
    cpu = time.process_time()
    for index, body in enumerate(bodies[20:20 + half]):
        if index % 50 == 0:
            chunk_started = time.process_time()
        started = time.perf_counter()
        reply = client.post(url, json=body, headers=header)
        times.append(time.perf_counter() - started)
        assert reply.status_code == 201, reply.get_data(as_text=True)
        if index % 50 == 49:
            chunk_cpu.append((time.process_time() - chunk_started) / 50)
    cpu = time.process_time() - cpu
    database_cpu = database_seconds(getattr(args, "database_pid", None)) - database_cpu
    profile = None
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for body in bodies[20 + half:20 + n]:
            assert client.post(url, json=body, headers=header).status_code == 201
        profile.disable()
    statements = counter.count / n
    n = half
    ms = [t * 1000 for t in times]
    print(f"== {dialect}: {n} saves through the test client" + (f" (and {args.ballots - n} profiled)" if profile else ""))
    print(f"  per save: median {statistics.median(ms):.2f} ms, p95 {sorted(ms)[int(.95 * n)]:.2f} ms, "
          f"CPU {cpu * 1000 / n:.2f} ms (this process; least of runs of 50: "
          f"{min(chunk_cpu, default=cpu / n) * 1000:.2f} ms)")
    if getattr(args, "database_pid", None):
        print(f"  PostgreSQL's CPU (its server processes): {database_cpu * 1000 / n:.2f} ms per save")
    total = args.ballots
    print(f"  SQL: {statements:.1f} statements and {counter.texts['COMMIT'] / total:.1f} commits per save, "
          f"{counter.seconds * 1000 / total:.2f} ms in cursor.execute")
    if args.statements:
        for text, count in counter.texts.most_common():
            print(f"    {count / total:4.1f}x {text}")
    if profile:
        print_stages(profile, args.ballots - n, cpu * 1000 / n)
        if args.top:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
