"""How long writers wait for SQLite's write lock: SQLite's busy handler against polling.

A save-shaped writer, without HTTP: PROCESSES processes of THREADS threads (gunicorn's shape)
offer RATE transactions a second in all, each due at a fixed interval. A transaction works
~3 ms of Python outside the lock (the request around it: it holds the GIL, as a request
does), then takes the write lock (``BEGIN IMMEDIATE``), inserts two rows with ``--inside`` ms (1.5)
of Python between them, and commits (WAL, synchronous=FULL). It prints the latency from when
each transaction was due to its commit, and the wait for the lock, for each way of taking it:

- ``busy``: SQLite's own busy handler (``busy_timeout``, 5 s: sleeps of 1, 2, 5 … 100 ms);
- ``poll``: ``sqlite_engine.take_sqlite_write_lock`` (polled every 0.5-2 ms).

    .venv/bin/python benchmarks/sqlite_lock_benchmark.py [--rate 200] [--seconds 20] [--inside 1.5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def busy_python(milliseconds: float) -> None:
    until = time.thread_time() + milliseconds / 1000
    while time.thread_time() < until:
        sum(range(200))


def writer(path: str, mode: str, interval: float, phase: float, stop_at: float, out: list,
           inside_ms: float, durability: str, wal_sync) -> None:
    from kiemphieu.sqlite_engine import SQLITE_BUSY_TIMEOUT_MS, WRITE_LOCK_POLLING_SECONDS, take_sqlite_write_lock

    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute(f"PRAGMA synchronous={'FULL' if durability == 'in-lock' else 'NORMAL'}")
    due = time.perf_counter() + phase
    while time.perf_counter() < stop_at:
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        started = due
        due += interval
        busy_python(3.0)
        asked = time.perf_counter()
        if mode == "busy" or not take_sqlite_write_lock(connection, WRITE_LOCK_POLLING_SECONDS):
            connection.execute("BEGIN IMMEDIATE")
        got = time.perf_counter()
        connection.execute("INSERT INTO ballot (marks) VALUES ('x')")
        busy_python(inside_ms)
        connection.execute("INSERT INTO audit (entry) VALUES ('y')")
        connection.execute("COMMIT")
        if durability == "after-lock":
            wal_sync.after_commit(connection)
        out.append((time.perf_counter() - started, got - asked))


def reader(path: str, stop_at: float) -> None:
    """A page being read meanwhile (a dashboard, a results screen): its snapshot keeps the WAL
    from being restarted at a checkpoint, so the WAL file grows, as under the load test's viewers."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    while time.perf_counter() < stop_at:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM ballot").fetchone()
        time.sleep(0.05)
        connection.execute("COMMIT")
        time.sleep(0.01)


def process(path: str, mode: str, threads: int, interval: float, stop_at: float, index: int, queue, inside: float,
            durability: str, readers: int) -> None:
    from kiemphieu.sqlite_engine import WalSync

    results: list = []
    wal_sync = WalSync(path)  # one per process, as one per engine in a gunicorn worker
    workers = [threading.Thread(target=writer, args=(path, mode, interval, interval * (index * threads + t) / (threads * 2),
                                                      stop_at, results, inside, durability, wal_sync))
               for t in range(threads)]
    workers += [threading.Thread(target=reader, args=(path, stop_at)) for _ in range(readers)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    queue.put(results)


def run(mode: str, durability: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "lock.db")
        setup = sqlite3.connect(path)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE ballot (id INTEGER PRIMARY KEY, marks TEXT)")
        setup.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, entry TEXT)")
        setup.commit()
        setup.close()
        writers = args.processes * args.threads
        interval = writers / args.rate
        stop_at = time.perf_counter() + args.seconds
        queue = multiprocessing.get_context("fork").Queue()
        children = [multiprocessing.get_context("fork").Process(
            target=process, args=(path, mode, args.threads, interval, stop_at, index, queue, args.inside, durability, args.readers))
            for index in range(args.processes)]
        for child in children:
            child.start()
        results = [item for _ in children for item in queue.get()]
        for child in children:
            child.join()
    latency = sorted(r[0] * 1000 for r in results)
    waits = sorted(r[1] * 1000 for r in results)
    pick = lambda values, share: values[min(len(values) - 1, round(share * (len(values) - 1)))]  # noqa: E731
    print(f"  {mode}, synced {durability}: {len(results) / args.seconds:.0f} commits/s; due -> committed median {statistics.median(latency):.1f} "
          f"p99 {pick(latency, .99):.1f} max {latency[-1]:.0f} ms; wait for the lock median "
          f"{statistics.median(waits):.2f} p99 {pick(waits, .99):.1f} max {waits[-1]:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--inside", type=float, default=1.5, help="ms of Python while holding the lock")
    parser.add_argument("--rounds", type=int, default=2, help="the combinations alternated this many times")
    parser.add_argument("--readers", type=int, default=0, help="threads per process reading meanwhile")
    parser.add_argument("--modes", default="busy,poll", help="how the lock is waited for: busy (SQLite's handler), poll")
    parser.add_argument("--durability", default="in-lock",
                        help="in-lock (SQLite's synchronous=FULL), after-lock (NORMAL, then sqlite_engine.WalSync), "
                             "normal (no sync at commit); several: comma-separated")
    args = parser.parse_args()
    print(f"SQLite write lock: {args.processes} processes x {args.threads} threads, {args.rate:.0f} transactions/s "
          f"offered, {args.seconds:.0f} s each")
    for _ in range(args.rounds):
        for mode in args.modes.split(","):
            for durability in args.durability.split(","):
                run(mode, durability, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
