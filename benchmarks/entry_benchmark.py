"""Ballot entry through the HTTP layer: latency of each save, as the entry screen posts it.

Starts the app on a temporary SQLite file (WAL) behind gunicorn with the production settings
(gunicorn.conf.py: gthread workers) or werkzeug's threaded server, logs in through the login
form (CSRF on), and posts N ballots of a 17-candidate / 15-seat committee election as JSON
with the CSRF header and an idempotency key, one after the other like one clerk. Prints the
median, p95, p99 and max of the save latency, the same for /judge (the verdict shown while
typing), and checks that every ballot was stored once.

    .venv/bin/python benchmarks/entry_benchmark.py [--ballots 2000] [--server gunicorn|werkzeug]

Targets (issue 3): median < 15 ms, p99 < 60 ms on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-benchmark"
NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Vũ Thị Giang",
    "Đặng Văn Hải", "Bùi Thị Hạnh", "Đỗ Văn Hùng", "Ngô Thị Lan", "Dương Văn Long", "Lý Thị Mai",
    "Trịnh Văn Nam", "Đinh Thị Oanh", "Mai Văn Phúc", "Tạ Thị Quỳnh", "Cao Văn Sơn",
]


def seed(instance: Path) -> int:
    """A congress and an election in entry status; returns the round id."""
    from kiemphieu import create_app
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services
    from kiemphieu.extensions import db
    from kiemphieu.models import Role
    from kiemphieu.tally import Kind

    # One clerk warms up on pass B and measures pass A: allow it, as a one-clerk office would.
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text("DOUBLE_ENTRY_SEPARATE_CLERKS = False\n", encoding="utf-8")
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db.create_all()
        users.create_user("nhap", PASSWORD, Role.COUNTER)
        org = services.create_organisation("Đảng bộ xã Yên Lập")
        congress = services.create_congress(org, convened=3000, start_date=date(2025, 6, 20))
        services.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
        users.assign(users.authenticate("nhap", PASSWORD), congress, Role.COUNTER)
        election = services.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 15)
        services.add_candidates(election, [(n, None) for n in NAMES])
        round_ = election.rounds[0]
        services.set_round_numbers(round_, 3000, 3000)
        services.start_entry(round_)
        round_id = round_.id
        mode = db.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar()
        db.session.remove()
        db.engine.dispose()
    print(f"SQLite journal mode: {mode}")
    return round_id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(kind: str, instance: Path, port: int) -> subprocess.Popen:
    # No scan worker beside the server: this measures entry alone (and gunicorn stops at once).
    env = {**os.environ, "KIEMPHIEU_INSTANCE": str(instance), "KIEMPHIEU_NO_WORKER": "1"}
    env.pop("DATABASE_URL", None)
    if kind == "gunicorn":
        command = [str(REPO / ".venv/bin/gunicorn"), "-c", str(REPO / "gunicorn.conf.py"),
                   "--bind", f"127.0.0.1:{port}", "kiemphieu:create_app()"]
    else:
        command = [sys.executable, "-c",
                   "import sys; from werkzeug.serving import run_simple; from kiemphieu import create_app; "
                   f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def log_in(base: str, round_id: int) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    reply = session.post(f"{base}/login", data={"username": "nhap", "password": PASSWORD, "csrf_token": token},
                         allow_redirects=False)
    assert reply.status_code == 302, reply.text[:500]
    screen = session.get(f"{base}/rounds/{round_id}/entry/A").text
    return session, re.search(r'name="csrf-token" content="([^"]+)"', screen).group(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(label: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(f"{label:<22} n={len(ms):>5}  median {statistics.median(ms):6.2f} ms  p95 {percentile(ms, .95):6.2f} ms  "
          f"p99 {percentile(ms, .99):6.2f} ms  max {max(ms):7.2f} ms  mean {statistics.fmean(ms):6.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kiemphieu-bench-") as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        round_id = seed(instance)
        port = free_port()
        server = start_server(args.server, instance, port)
        base = f"http://127.0.0.1:{port}"
        try:
            session, token = log_in(base, round_id)
            headers = {"X-CSRFToken": token}
            codes = [f"c{i:02d}" for i in range(1, len(NAMES) + 1)]
            rng = random.Random(2025)
            save_url = f"{base}/rounds/{round_id}/entry/A/ballots"
            for _ in range(20):  # warm-up on pass B: imports, connection pools, first-request work
                session.post(f"{base}/rounds/{round_id}/entry/B/ballots", headers=headers,
                             json={"key": uuid.uuid4().hex, "marks": {"struck": codes[:2]}})
            saves, keys = [], []
            started = time.perf_counter()
            for n in range(1, args.ballots + 1):
                if rng.random() < 0.02:
                    marks = {"invalid": "no_stamp"}
                else:
                    marks = {"struck": sorted(rng.sample(codes, 2))}
                key = uuid.uuid4().hex
                t0 = time.perf_counter()
                reply = session.post(save_url, headers=headers, json={"key": key, "marks": marks})
                saves.append(time.perf_counter() - t0)
                if reply.status_code != 201 or reply.json()["sequence"] != n:
                    raise SystemExit(f"save {n} failed: {reply.status_code} {reply.text[:300]}")
                keys.append(key)
            elapsed = time.perf_counter() - started

            judges = []
            for _ in range(200):
                t0 = time.perf_counter()
                session.post(f"{base}/rounds/{round_id}/judge", headers=headers,
                             json={"marks": {"struck": sorted(rng.sample(codes, 2))}})
                judges.append(time.perf_counter() - t0)

            again = session.post(save_url, headers=headers, json={"key": keys[41], "marks": {"struck": codes[:2]}})
            state = session.get(f"{base}/rounds/{round_id}/entry/A/state").json()
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(f"server: {args.server} (127.0.0.1, SQLite WAL, CSRF on, one clerk posting in sequence)")
    report("save ballot (POST)", saves)
    report("judge (POST)", judges)
    print(f"throughput: {args.ballots / elapsed:.0f} saves/s over {elapsed:.1f} s")
    print(f"repeated key -> HTTP {again.status_code}, sequence {again.json()['sequence']} (stored once: "
          f"{state['totals']['counted']} ballots in pass A)")
    ok = again.status_code == 200 and again.json()["sequence"] == 42 and state["totals"]["counted"] == args.ballots
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
