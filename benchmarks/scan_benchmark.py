"""Scanned ballots through the web pipeline: one zip of a provincial congress's stack, uploaded
over HTTP, read by the scan worker and counted.

Seeds a temporary instance (SQLite, WAL) with a strike-form round of 62 candidates for 55
seats (`--candidates`: another size; 17 names are a district's ballot, read at 100 dpi where
62 small-print names are read at 150), generates N marked A4 scans of that round at 200 dpi (kiemphieu.ocr.synthetic, level L1:
JPEG, mostly plain ballots with the usual share of doubtful ones; cached in benchmarks/out/),
starts the real stack (`kiemphieu run`: gunicorn + the supervised scan worker) on loopback,
logs in through the login form and uploads ONE zip of all the scans (once the worker is idle,
as it is long before a real upload). Prints the wall time of the upload, of reading and storing
(upload acknowledged -> every scan read and stored), when the first file was queued and read,
the CPU per ballot of each process group (gunicorn, the worker's storing loop, its reader
processes, the supervisor; from /proc, during the upload and after it), the worker's own split
by stage (decode, read_page, preview; claiming, storing: from its heartbeat), the storing
transactions, and ballots per second, with the machine's load average.

    .venv/bin/python benchmarks/scan_benchmark.py [--scans 350] [--level L1] [--candidates 62 [--seats 55]]

Target (issues 11 and 14): >= 30 ballots/s upload -> counted on the 2-core machine.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing as mp
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

import requests
from machine_reference import reference_line

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
PASSWORD = "mat-khau-benchmark"
CANDIDATES, SEATS = 62, 55


def default_seats(candidates: int) -> int:
    """The round's seats when not given: 55 for the province's 62 names, else four fifths of the names."""
    return SEATS if candidates == CANDIDATES else max(1, round(0.8 * candidates))


def seed(instance: Path, delegates: int, candidates: int = CANDIDATES, seats: int = SEATS) -> tuple[int, object]:
    """A congress and its strike round of `candidates` names in entry; returns (round id, its Election)."""
    from kiemphieu import create_app
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services
    from kiemphieu.extensions import db
    from kiemphieu.models import Role
    from kiemphieu.ocr.synthetic import demo_election
    from kiemphieu.tally import Kind

    names = demo_election(candidates, seats, seed=7)
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        counter = users.create_user("nhap", PASSWORD, Role.COUNTER)
        org = services.create_organisation("Đảng bộ tỉnh Phú Thọ")
        congress = services.create_congress(org, convened=delegates, start_date=date(2025, 10, 1))
        services.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
        users.assign(counter, congress, Role.COUNTER)
        election = services.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành Đảng bộ tỉnh khóa XX", seats,
                                            entry_mode="single")
        services.add_candidates(election, [(c.name, c.born) for c in names.candidates])
        round_ = election.rounds[0]
        services.set_round_numbers(round_, delegates, delegates)
        services.start_entry(round_)
        result = round_.id, round_.to_election()
        db.session.remove()
    return result


def _one_scan(args) -> tuple[str, bytes]:
    import cv2

    from kiemphieu.ocr.synthetic import make_ballot_file

    election, index, level = args
    cv2.setNumThreads(1)
    data, ext, _ = make_ballot_file(election, index, level)
    return f"{index:04d}{ext}", data


def scan_zip(election, scans: int, level: str) -> Path:
    """The zip of N generated scans of this round (made once per election and level)."""
    from kiemphieu.ocr.geometry import election_fingerprint, layout_for
    from kiemphieu.ocr.synthetic import GENERATOR_VERSION

    made_of = f"{election_fingerprint(election)}:{layout_for(election).digest}:{GENERATOR_VERSION}:{scans}:{level}"
    key = hashlib.sha256(made_of.encode()).hexdigest()[:12]
    path = OUT / f"scan-benchmark-{scans}-{level}-{key}.zip"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with mp.get_context("fork").Pool(2) as pool:
        files = pool.map(_one_scan, [(election, i, level) for i in range(scans)], chunksize=4)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # JPEGs: storing is as small
        for name, data in files:
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    print(f"generated {scans} scans in {time.perf_counter() - started:.0f} s -> {path.name}", file=sys.stderr)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout} s")


def serving(base: str) -> bool:
    try:
        return requests.get(f"{base}/login", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a live process used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


GROUPS = ("web server (gunicorn)", "worker: storing loop", "worker: reader processes", "supervisor")


def cpu_by_group(instance: Path, supervisor: int) -> dict[str, float]:
    """CPU seconds so far per process group of `kiemphieu run`: gunicorn (master and web
    workers), the scan worker's main process (the storing loop, SQLite in process), its reader
    processes (forked children) and the supervisor. Processes are still alive when sampled."""
    from kiemphieu.supervisor import group_members

    run = instance / "run"
    web, worker = (int((run / f"{name}.pid").read_text()) for name in ("web", "scan-worker"))
    readers = [pid for pid in group_members(worker) if pid != worker]
    return {GROUPS[0]: sum(_cpu_of(pid) for pid in group_members(web)), GROUPS[1]: _cpu_of(worker),
            GROUPS[2]: sum(_cpu_of(pid) for pid in readers), GROUPS[3]: _cpu_of(supervisor)}


def settle(instance: Path, supervisor: int, timeout: float = 60.0) -> None:
    """Wait until the worker is idle (it prepares the reader for the rounds in entry when it
    starts, as it would long before a real upload): under 20 ms of its CPU in half a second."""
    deadline = time.monotonic() + timeout
    last = cpu_by_group(instance, supervisor)[GROUPS[1]]
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_by_group(instance, supervisor)[GROUPS[1]]
        if now - last < 0.02:
            return
        last = now


class Timeline:
    """Polls the scan table while the upload runs: when the first file was queued and the first
    read, so the overlap of intake and reading shows."""

    def __init__(self, database: Path, started: float):
        import threading

        self.database, self.started = database, started
        self.first_queued = self.first_read = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self) -> None:
        while not self.stopping.is_set() and self.first_read is None:
            try:
                seen = counts(self.database)
            except sqlite3.Error:
                seen = {}
            now = time.perf_counter() - self.started
            if seen and self.first_queued is None:
                self.first_queued = now
            if set(seen) - {"pending", "processing"}:
                self.first_read = now
            time.sleep(0.05)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        return dict(connection.execute("SELECT status, count(*) FROM scan_image GROUP BY status").fetchall())


def print_cpu(before, at_ack, at_done, stats, scans: int, work_s: float) -> None:
    """CPU ms per ballot per process group, during the upload and after it, and the worker's
    own split of its time by stage (from its heartbeat)."""
    per = 1000 / scans
    print(f"  CPU per ballot (ms), by process group:       upload   after    total")
    for group in GROUPS:
        up, after = at_ack[group] - before[group], at_done[group] - at_ack[group]
        print(f"    {group:<40} {up * per:7.1f} {after * per:7.1f} {(up + after) * per:7.1f}")
    total = sum(at_done[g] - before[g] for g in GROUPS)
    print(f"    {'all':<40} {'':7} {'':7} {total * per:7.1f}")
    readers = at_done[GROUPS[2]] - before[GROUPS[2]]
    print(f"  reader processes busy {readers / work_s:.2f} cores over reading and storing "
          f"(everything else: {(total - readers) * per:.1f} ms per ballot)")
    stages = [(name, stats.get(key, 0.0)) for name, key in (
        ("decode", "decode_cpu"), ("read_page", "page_cpu"), ("preview encode", "preview_cpu"), ("preview write", "write_cpu"),
        ("reading in all (read_job)", "read_cpu"))]
    print("  worker stages, CPU per ballot (ms): " + ", ".join(f"{name} {t * per:.1f}" for name, t in stages))
    loop = at_done[GROUPS[1]] - before[GROUPS[1]]
    claim, store = stats.get("claim_cpu", 0.0), stats.get("store_cpu", 0.0)
    print(f"    storing loop: claiming {claim * per:.1f}, storing {store * per:.1f}, "
          f"the rest (queues, heartbeat, polls) {(loop - claim - store) * per:.1f}; "
          f"reader processes outside read_job {(readers - stats.get('read_cpu', 0.0)) * per:.1f}; "
          f"{stats.get('batches', 0)} storing transactions")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=350)
    parser.add_argument("--level", default="L1", help="synthetic degradation level (L0-L3)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--candidates", type=int, default=CANDIDATES,
                        help="names on the ballot (62: a province's stack, small print; 17: a district's)")
    parser.add_argument("--seats", type=int, default=None, help="seats (default: 55 for 62 names, else four fifths of the names)")
    args = parser.parse_args(argv)
    seats = args.seats or default_seats(args.candidates)

    with tempfile.TemporaryDirectory(prefix="kiemphieu-scan-bench-") as folder:
        instance = Path(folder) / "instance"
        env = {**os.environ, "KIEMPHIEU_INSTANCE": str(instance)}
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "kiemphieu.cli", "db-upgrade"], env=env, check=True, capture_output=True)
        load_before = os.getloadavg()[0]
        reference = reference_line()
        round_id, election = seed(instance, args.scans, args.candidates, seats)
        archive = scan_zip(election, args.scans, args.level)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(Path(folder) / "server.log", "wb")
        server = subprocess.Popen([sys.executable, "-m", "kiemphieu.cli", "run", "--host", "127.0.0.1", "--port",
                                   str(port), "--web-workers", str(args.web_workers)],
                                  env=env, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_for(lambda: serving(base), 60)
            wait_for(lambda: (instance / "run" / "scan-worker.beat").exists(), 60)
            settle(instance, server.pid)
            session = requests.Session()
            csrf = session.get(f"{base}/api/session").json()["csrf_token"]
            session.post(f"{base}/login", data={"username": "nhap", "password": PASSWORD, "csrf_token": csrf})
            csrf = session.get(f"{base}/api/session").json()["csrf_token"]
            size = archive.stat().st_size
            database = instance / "kiemphieu.sqlite"
            before = cpu_by_group(instance, server.pid)
            started = time.perf_counter()
            timeline = Timeline(database, started)
            with open(archive, "rb") as handle:
                response = session.post(f"{base}/rounds/{round_id}/scans", data={"csrf_token": csrf, "profile": ""},
                                        files={"files": ("phieu.zip", handle, "application/zip")},
                                        allow_redirects=False, timeout=600)
            uploaded = time.perf_counter()
            at_ack = cpu_by_group(instance, server.pid)
            assert response.status_code == 302, response.status_code
            wait_for(lambda: not ({"pending", "processing"} & set(counts(database))), 1200)
            done = time.perf_counter()
            at_done = cpu_by_group(instance, server.pid)
            timeline.stop()
            time.sleep(1.2)  # the heartbeat's next write carries the worker's totals
            stats = json.loads((instance / "run" / "scan-worker.beat").read_text())
            final = counts(database)
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
                ballots = connection.execute("SELECT count(*) FROM ballot WHERE entry_pass = 'scan'").fetchone()[0]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            log.close()

    upload_s, work_s, total_s = uploaded - started, done - uploaded, done - started
    print(f"scan benchmark: {args.scans} A4 scans at 200 dpi ({args.level}), {args.candidates} names / {seats} seats, "
          f"one zip of {size / 1e6:.0f} MB over HTTP (gunicorn on loopback, {os.cpu_count()} cores; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after: other work on the machine "
          f"stretches the wall times, far less the CPU figures)")
    print(f"  {reference}")
    print(f"  upload (stored and queued, acknowledged)   {upload_s:6.1f} s")
    print(f"  reading and storing (ack -> all stored)     {work_s:6.1f} s   "
          f"worker busy: reading {stats.get('read_s', 0):.1f} s, storing {stats.get('store_s', 0):.1f} s, "
          f"claiming {stats.get('claim_s', 0):.1f} s (overlapped)")
    if timeline.first_queued is not None:
        print(f"  first file queued {timeline.first_queued:.1f} s, first read {timeline.first_read or 0:.1f} s "
              f"after the upload began")
    print_cpu(before, at_ack, at_done, stats, args.scans, work_s)
    print(f"  upload -> counted                           {total_s:6.1f} s")
    print(f"  ballots per second: {args.scans / total_s:.1f} upload -> counted, "
          f"{args.scans / work_s:.1f} reading and storing")
    print(f"  outcome: {final} ; scan ballots counted: {ballots}")
    if final.get("rejected", 0) > args.scans // 4:
        print("  warning: most scans rejected (a stale cached zip? remove benchmarks/out/scan-benchmark-*)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
