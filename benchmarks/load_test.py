"""Province load test: many counters saving ballots on two nodes (PostgreSQL) and one (SQLite).

For each database, bounded in time and on loopback only:
1. a season of 300 congresses is written as a season CSV and imported with `kiemphieu import`;
2. the open rounds of the first N/2 congresses get a count committee, their numbers and entry
   started; each has two counters, one typing pass A and one pass B (separate clerks, as the
   default rules ask), so N counters type in double entry across N/2 rounds;
3. the servers start with the production gunicorn settings (gunicorn.conf.py): on PostgreSQL
   two nodes, each with its own instance folder and the same SECRET_KEY, on a throwaway cluster
   (unix socket in a temporary folder, like scripts/test); on SQLite one node; node1 also runs
   the scan worker, and each node's scans page is asked what it knows of it;
4. N counter threads (log-in form and CSRF token through requests, then one keep-alive
   http.client connection each) post ballots with an idempotency key and the stack position,
   one after another or at --rate saves/s in all, while viewers refresh the season dashboard and
   the round's entry state and a zip of generated ballots uploaded to node1 is read;
5. half-way one node is killed with SIGKILL (PostgreSQL: the whole second node, its counters
   move to the first; SQLite: one gunicorn worker of the only node, the master starts another):
   a request without an answer is sent again with the same key;
6. then it prints throughput, median / p95 / p99 of an acknowledged save (from the first send,
   or from when it was due, to the answer, retries included), the 5xx and connection-error
   counts, the CPU of each group of processes during the run, the scans' rate, and checks from
   the database that every acknowledged ballot is stored exactly once and nothing else is stored.

Servers: load_servers.py; clients: load_clients.py.

    .venv/bin/python benchmarks/load_test.py [--databases postgresql,sqlite] [--counters 60]
                                             [--seconds 60] [--congresses 300] [--scans 100]
                                             [--viewers 4] [--rate 0]

Targets (issue 12): >= 200 acknowledged saves/s, p99 < 150 ms, 0 lost, 0 doubled. A benchmark,
not a test: it prints figures and exits 1 only when a ballot is lost or doubled.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from load_clients import PASSWORD, RETRY_FOR_SECONDS, Counter, ScanWatcher, Tally, Viewer, worker_health_text
from load_servers import REPO, CpuSampler, Node, Postgres, gunicorn_workers, start_node, start_profiler, start_worker, \
    stop_node, stop_process

CANDIDATES = 17  # a 15-seat committee with two spare names
SEATS = 15
ISSUED = 5000
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Hữu", "Xuân"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Đức", "Hà", "Hải", "Hạnh", "Lan", "Long", "Minh", "Nam",
         "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Yến"]
# (title, kind, seats, candidates) of each congress's elections; the first is the one counted.
ELECTIONS = [
    ("Bầu Ban Chấp hành khóa mới", "committee", SEATS, CANDIDATES),
    ("Bầu Ủy ban Kiểm tra", "inspection_committee", 5, 6),
    ("Bầu đại biểu dự Đại hội cấp trên", "delegates", 10, 12),
]
HEADER = ["Tổ chức", "Đại hội", "Hình thức", "Ngày", "Địa điểm", "Triệu tập", "Cuộc bầu", "Loại", "Số lượng",
          "Họ và tên", "Ngày sinh"]


# --- the season -------------------------------------------------------------------------------

def write_season(path: Path, congresses: int) -> int:
    rng = random.Random(300)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(congresses):
            organisation = f"Đảng bộ tỉnh Hà Tĩnh / Đảng bộ huyện số {n % 20 + 1} / Đảng bộ xã số {n + 1}"
            for title, kind, seats, count in ELECTIONS:
                for i in range(count):
                    # Namesakes are allowed: the birth date (distinct within an election) tells them apart.
                    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                    writer.writerow([organisation, f"Đại hội Đảng bộ xã số {n + 1}", "đại biểu",
                                     f"{1 + n % 28:02d}/06/2025", "Hội trường", ISSUED, title, kind, seats, name,
                                     f"{1 + n % 28:02d}/{1 + i % 12:02d}/{1960 + i}"])
                    rows += 1
    return rows


def seed(season: Path, counting_rounds: int) -> tuple[list[dict], dict]:
    """Import the season (the CLI, as an office would), then open entry in the first rounds.
    Returns one dict per counting round (its id and its two counters' user names) and the
    round whose scans are read meanwhile (the next congress's: its id and its Election)."""
    from sqlalchemy import select

    from kiemphieu import create_app
    from kiemphieu.auth import services as users
    from kiemphieu.cli import main as cli
    from kiemphieu.congress import services as setup
    from kiemphieu.extensions import db
    from kiemphieu.models import Congress, Role

    assert cli(["db-upgrade"]) == 0
    started = time.perf_counter()
    code = cli(["import", str(season)])
    print(f"  kiemphieu import: exit {code} in {time.perf_counter() - started:.1f} s")
    if code != 0:
        raise SystemExit("the season did not import")
    app = create_app()
    rounds = []
    with app.app_context():
        users.create_user("xem", PASSWORD, Role.ADMIN)
        congresses = db.session.scalars(select(Congress).order_by(Congress.id).limit(counting_rounds + 1)).all()
        for index, congress in enumerate(congresses):
            setup.add_committee_member(congress, "Hà Văn Tâm", "Trưởng ban")
            round_ = congress.elections[0].rounds[0]
            setup.set_round_numbers(round_, ISSUED, ISSUED)
            setup.start_entry(round_)
            if index == counting_rounds:  # the scanned round: no clerks, the worker reads it
                scanned = {"round_id": round_.id, "election": round_.to_election()}
                break
            clerks = {}
            for entry_pass in ("A", "B"):
                name = f"nhap{index:03d}{entry_pass.lower()}"
                users.assign(users.create_user(name, PASSWORD, Role.COUNTER), congress, Role.COUNTER)
                clerks[entry_pass] = name
            rounds.append({"round_id": round_.id, "clerks": clerks,
                           "codes": [c.code for c in round_.candidates]})
        db.session.remove()
        db.engine.dispose()
    return rounds, scanned


# --- the run ----------------------------------------------------------------------------------

def print_latency_by_window(tally, started: float, killed_at: float, stop_at: float) -> None:
    """Where the tail comes from: the saves acknowledged in each stretch of the run (the scan
    upload and its reading fall in the first 10 s; the kill's retries and backlog after it)."""
    windows = [("first 10 s (scan upload, reading)", started, started + 10),
               ("10 s until the kill", started + 10, killed_at),
               ("the 10 s after the kill", killed_at, killed_at + 10),
               ("from then to the end", killed_at + 10, stop_at + RETRY_FOR_SECONDS)]
    for name, begin, end in windows:
        times = [t * 1000 for t, at in zip(tally.save_times, tally.save_ends) if begin <= at < end]
        if times:
            print(f"    {name}: n={len(times)} median {statistics.median(times):.1f} ms  "
                  f"p99 {percentile(times, .99):.1f} ms  max {max(times):.0f} ms")


def print_timeline(tally, started: float) -> None:
    """--timeline: the saves by the second they were due (acknowledged time minus latency)."""
    seconds: dict[int, list[float]] = {}
    for took, at in zip(tally.save_times, tally.save_ends):
        seconds.setdefault(int(at - took - started), []).append(took * 1000)
    for second in sorted(seconds):
        times = seconds[second]
        print(f"    due at {second:3d} s: n={len(times):4d} median {statistics.median(times):6.1f} ms  "
              f"p99 {percentile(times, .99):6.1f} ms  max {max(times):5.0f} ms")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def check_stored(rounds: list[dict], tally: Tally) -> tuple[int, int, int, int]:
    """(lost, doubled, unacknowledged extra rows, out-of-place) from the database itself."""
    from sqlalchemy import func, select

    from kiemphieu import create_app
    from kiemphieu.extensions import db
    from kiemphieu.models import Ballot

    app = create_app()
    with app.app_context():
        ids = [r["round_id"] for r in rounds]
        rows = db.session.execute(
            select(Ballot.idempotency_key, func.count(), func.min(Ballot.round_id), func.min(Ballot.entry_pass),
                   func.min(Ballot.sequence)).where(Ballot.round_id.in_(ids)).group_by(Ballot.idempotency_key)
        ).all()
        db.session.remove()
        db.engine.dispose()
    stored = {key: (count, (round_id, entry_pass, sequence)) for key, count, round_id, entry_pass, sequence in rows}
    lost = sum(1 for key in tally.acknowledged if key not in stored)
    doubled = sum(1 for key in tally.acknowledged if key in stored and stored[key][0] > 1)
    extra = sum(1 for key in stored if key not in tally.acknowledged)
    misplaced = sum(1 for key, place in tally.acknowledged.items() if key in stored and stored[key][1] != place)
    return lost, doubled, extra, misplaced


def run_one(database: str, args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix=f"kiemphieu-load-{database}-"))
    postgres = Postgres() if database == "postgresql" else None
    nodes: list[Node] = []
    scan_worker = None
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env["SECRET_KEY"] = secrets.token_hex(32)
    env["KIEMPHIEU_UPLOAD_FOLDER"] = str(folder / "shared-uploads")  # one folder every node mounts
    try:
        if postgres:
            env["DATABASE_URL"] = postgres.start(durable=not args.no_sync)
        os.environ.update(env)
        os.environ["KIEMPHIEU_INSTANCE"] = str(folder / "node1")
        print(f"== {database}: {args.congresses} congresses, {args.counters} counters, {args.seconds} s, "
              + (f"{args.rate:g} saves/s offered" if args.rate else "each counter saves again once acknowledged"))
        season = folder / "mua-dai-hoi.csv"
        rows = write_season(season, args.congresses)
        print(f"  season file: {rows} rows")
        rounds, scanned = seed(season, args.counters // 2)
        archive = None
        if args.scans:
            sys.path.insert(0, str(REPO / "benchmarks"))
            from scan_benchmark import scan_zip

            archive = scan_zip(scanned["election"], args.scans, "L1")
        node_count = 2 if postgres else 1
        nodes = [start_node(f"node{i + 1}", folder / f"node{i + 1}", env) for i in range(node_count)]
        print(f"  nodes: {', '.join(f'{n.name} :{n.port}' for n in nodes)} (gunicorn.conf.py: "
              f"{os.environ.get('WEB_CONCURRENCY', '2')} gthread workers each)")

        tally = Tally()
        if archive:
            scan_worker = start_worker(folder / "node1", env)
            time.sleep(3)  # its first heartbeat
            for node in nodes:
                print(f"  {node.name}'s scans page: "
                      f"{worker_health_text(node.base, scanned['round_id'], tally)}")
        stop_at = time.monotonic() + 3600  # replaced once everyone is logged in
        counters = []
        gate = threading.Barrier(args.counters + 1)
        for index, info in enumerate(rounds):
            for offset, entry_pass in enumerate("AB"):
                counters.append(Counter(nodes, (index + offset) % node_count, info, entry_pass, stop_at, tally, gate))
        for counter in counters:
            counter.interval = len(counters) / args.rate if args.rate else 0.0
            counter.start()
        # The viewers and the scan uploader log in before the run too, as the counters do.
        viewers = [Viewer(nodes, rounds[i % len(rounds)], stop_at, tally) for i in range(args.viewers)]
        watcher = ScanWatcher(nodes[0].base, scanned["round_id"], archive, tally, stop_at) if archive else None
        for client in viewers + ([watcher] if watcher else []):
            client.log_in()
        try:
            gate.wait(timeout=120)
        except threading.BrokenBarrierError:
            raise SystemExit(f"counters could not log in: {tally.failures[:3]}")
        started = time.monotonic()
        client_cpu = time.process_time()
        sampler = CpuSampler({"nodes": [n.process.pid for n in nodes],
                              "database": [postgres.postmaster()] if postgres else [],
                              "scan worker": [scan_worker.pid] if scan_worker else []})
        sampler.start()
        profilers = [start_profiler(n, Path(args.py_spy) / f"{database}-{n.name}.txt", args.seconds)
                     for n in nodes] if args.py_spy else []
        stop_at = started + args.seconds
        for client in counters + viewers + ([watcher] if watcher else []):
            client.stop_at = stop_at
        for viewer in viewers:
            viewer.start()
        if watcher:
            watcher.start()

        time.sleep(args.seconds / 2)
        killed_at = time.monotonic()
        if postgres:
            victim = nodes[-1]
            os.killpg(victim.process.pid, signal.SIGKILL)
            print(f"  {time.monotonic() - started:.0f} s: kill -9 of {victim.name} (master and workers)")
        else:
            worker = gunicorn_workers(nodes[0])[0]
            os.kill(worker, signal.SIGKILL)
            print(f"  {time.monotonic() - started:.0f} s: kill -9 of gunicorn worker {worker} of {nodes[0].name}")
        for thread in counters + viewers + ([watcher] if watcher else []):
            thread.join(timeout=args.seconds + RETRY_FOR_SECONDS + 60)
        elapsed = time.monotonic() - started
        client_cpu = time.process_time() - client_cpu
        used = sampler.stop()
        node_cpu, database_cpu, worker_cpu = used["nodes"], used["database"], used["scan worker"]

        saves = [t * 1000 for t in tally.save_times]
        print(f"  acknowledged saves: {len(saves)} in {elapsed:.1f} s = {len(saves) / elapsed:.0f} saves/s")
        if saves:
            print(f"  save latency: median {statistics.median(saves):.1f} ms  p95 {percentile(saves, .95):.1f} ms  "
                  f"p99 {percentile(saves, .99):.1f} ms  max {max(saves):.0f} ms")
            print_latency_by_window(tally, started, killed_at, stop_at)
            if args.timeline:
                print_timeline(tally, started)
        if tally.dashboard_times:
            board = [t * 1000 for t in tally.dashboard_times]
            print(f"  dashboard ({args.congresses} congresses) under load: n={len(board)} median "
                  f"{statistics.median(board):.0f} ms  p95 {percentile(board, .95):.0f} ms")
        print(f"  5xx answers to saves: {tally.server_errors} {tally.server_error_codes or ''} (to log-ins, before the run: "
              f"{tally.login_server_errors}); connection errors: {tally.connection_errors}; "
              f"saves acknowledged after a retry: {tally.retried_saves}")
        if saves:
            # The surviving node's CPU over the whole run (its work since start-up included).
            # Every node process's CPU during the run (dashboards, the scan upload's tail and
            # progress polls included), divided by the saves.
            total = node_cpu + database_cpu + worker_cpu + client_cpu
            print(f"  CPU during the run: nodes {node_cpu:.1f} s ({node_cpu * 1000 / len(saves):.1f} ms per save), "
                  f"database {database_cpu:.1f} s ({database_cpu * 1000 / len(saves):.1f} ms per save), "
                  f"scan worker {worker_cpu:.1f} s, this client {client_cpu:.1f} s "
                  f"({client_cpu * 1000 / len(saves):.1f} ms per save); {total:.0f} s of the "
                  f"{elapsed * (os.cpu_count() or 1):.0f} core-seconds; load average now {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} cores")
        if watcher:
            took = (watcher.finished_at or time.monotonic()) - watcher.started
            print(f"  scans read meanwhile: {args.scans} uploaded to node1 (one zip, {watcher.uploaded_in:.0f} s) when "
                  f"the run started; node1's worker (1 reader) read {watcher.read} in {took:.0f} s = "
                  f"{watcher.read / took:.1f} scans/s ({watcher.counts})")
        for profiler in profilers:
            profiler.wait(timeout=30)
        if profilers:
            print(f"  py-spy stacks of each node: {args.py_spy}/{database}-node*.txt")
        for failure in tally.failures[:5]:
            print(f"  counter failure: {failure}")
        for node in nodes:
            stop_node(node)
        lost, doubled, extra, misplaced = check_stored(rounds, tally)
        print(f"  check: {len(tally.acknowledged)} acknowledged; lost {lost}, doubled {doubled}, "
              f"stored but never acknowledged {extra}, at another position {misplaced}")
        return 1 if lost or doubled or misplaced or tally.failures else 0
    finally:
        stop_process(scan_worker)
        for node in nodes:
            stop_node(node)
        if postgres:
            postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--counters", type=int, default=60, help="an even number: two clerks per round")
    parser.add_argument("--viewers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--congresses", type=int, default=300)
    parser.add_argument("--scans", type=int, default=100, help="scans uploaded at the start and read meanwhile (0: none)")
    parser.add_argument("--rate", type=float, default=0,
                        help="saves per second offered by all counters together (0: each saves again as soon as "
                             "acknowledged, the machine's saturation)")
    parser.add_argument("--timeline", action="store_true", help="latency of the saves due in each second of the run")
    parser.add_argument("--no-sync", action="store_true", help="PostgreSQL with synchronous_commit=off")
    parser.add_argument("--py-spy", metavar="FOLDER",
                        help="sample each node with py-spy during the run (raw stacks in FOLDER; test extras)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run_one(args.one, args)
    from machine_reference import reference_line

    print(reference_line(), flush=True)  # figures of another day compare through it
    status = 0
    for database in args.databases.split(","):
        # One process per database: each gets a fresh app, engine and environment.
        status |= subprocess.call([sys.executable, __file__, "--one", database, "--counters", str(args.counters),
                                   "--viewers", str(args.viewers), "--seconds", str(args.seconds),
                                   "--congresses", str(args.congresses), "--scans", str(args.scans), "--rate", str(args.rate), *(["--no-sync"] if args.no_sync else []),
                                   *(["--timeline"] if args.timeline else []),
                                   *(["--py-spy", str(Path(args.py_spy).resolve())] if args.py_spy else [])])
    return status


if __name__ == "__main__":
    sys.exit(main())
