"""The load test's clients: counters typing ballots, viewers refreshing dashboards, the scan
upload and its progress (benchmarks/load_test.py)."""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from load_servers import Node

PASSWORD = "mat-khau-tai-thu-2025"
RETRY_FOR_SECONDS = 20.0


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    save_times: list[float] = field(default_factory=list)
    save_ends: list[float] = field(default_factory=list)  # time.monotonic() at each acknowledgement
    dashboard_times: list[float] = field(default_factory=list)
    acknowledged: dict[str, tuple[int, str, int]] = field(default_factory=dict)  # key -> (round, pass, sequence)
    server_errors: int = 0
    server_error_codes: dict[int, int] = field(default_factory=dict)
    login_server_errors: int = 0
    connection_errors: int = 0
    retried_saves: int = 0
    failures: list[str] = field(default_factory=list)


def log_in(session: requests.Session, base: str, username: str, tally: Tally) -> None:
    """The login form, sent again after a 503 (SQLite busy when 60 clerks log in at once)."""
    for _ in range(20):
        page = session.get(f"{base}/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        reply = session.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                             allow_redirects=False, timeout=30)
        if reply.status_code == 302:
            return
        if reply.status_code < 500:
            break
        with tally.lock:
            tally.login_server_errors += 1
        time.sleep(0.5)
    raise RuntimeError(f"login of {username} failed: {reply.status_code}")


class Counter(threading.Thread):
    """One clerk at one entry screen: types ballot after ballot, each sent until acknowledged.

    The log-in goes through the form (requests); the saves go over one keep-alive
    ``http.client`` connection with the session cookie and the CSRF header, so that the client,
    which shares the machine's cores with the servers, costs little per save."""

    def __init__(self, nodes: list[Node], home: int, round_info: dict, entry_pass: str, stop_at: float,
                 tally: Tally, start_gate: threading.Barrier):
        super().__init__(daemon=True)
        self.nodes, self.home, self.info, self.entry_pass = nodes, home, round_info, entry_pass
        self.stop_at, self.tally, self.gate = stop_at, tally, start_gate
        self.session = requests.Session()
        self.connection: http.client.HTTPConnection | None = None
        self.interval = 0.0  # seconds between this clerk's saves (--rate); 0: one after another
        self.headers: dict[str, str] = {}
        # Both clerks of a round type the same stack (a seeded generator per round).
        self.rng = random.Random(round_info["round_id"])

    def node_base(self) -> str:
        return self.nodes[self.home].base

    def fail_over(self) -> None:
        self.home = (self.home + 1) % len(self.nodes)
        self.disconnect()

    def disconnect(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def run(self) -> None:
        try:
            self.work()
        except Exception as exc:  # reported, never silent
            with self.tally.lock:
                self.tally.failures.append(f"{self.info['clerks'][self.entry_pass]}: {exc!r}")
        finally:
            self.session.close()
            self.disconnect()

    def work(self) -> None:
        round_id = self.info["round_id"]
        log_in(self.session, self.node_base(), self.info["clerks"][self.entry_pass], self.tally)
        for _ in range(20):
            screen = self.session.get(f"{self.node_base()}/rounds/{round_id}/entry/{self.entry_pass}", timeout=30)
            if screen.status_code < 500:
                break
            time.sleep(0.5)
        self.headers = {
            "Content-Type": "application/json",
            # The browser that logged in: Flask-Login's session protection compares it, and a
            # request from "another browser" has its session cookie rewritten on every answer.
            "User-Agent": self.session.headers["User-Agent"],
            "X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', screen.text).group(1),
            "Cookie": "; ".join(f"{c.name}={c.value}" for c in self.session.cookies),
        }
        self.path = f"/rounds/{round_id}/entry/{self.entry_pass}/ballots"
        codes = self.info["codes"]
        self.gate.wait()
        sequence = 0
        # --rate: this clerk's ballots are due every `interval` seconds (phases spread); a save
        # that falls behind is sent at once and timed from when it was due, so queueing shows.
        due = time.perf_counter() + (self.interval * self.rng.random() if self.interval else 0.0)
        while time.monotonic() < self.stop_at:
            sequence += 1
            marks = {"struck": sorted(self.rng.sample(codes, 2))}
            key = uuid.uuid4().hex
            if self.interval:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                started = due
                due += self.interval
            else:
                started = time.perf_counter()
            self.send_until_acknowledged({"key": key, "marks": marks, "sequence": sequence})
            elapsed = time.perf_counter() - started
            with self.tally.lock:
                self.tally.save_times.append(elapsed)
                self.tally.save_ends.append(time.monotonic())
                self.tally.acknowledged[key] = (round_id, self.entry_pass, sequence)

    def post(self, body: bytes) -> tuple[int, bytes]:
        """One POST on the keep-alive connection (opened again after a failure)."""
        if self.connection is None:
            node = self.nodes[self.home]
            self.connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
        try:
            self.connection.request("POST", self.path, body=body, headers=self.headers)
            reply = self.connection.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException):
            self.disconnect()
            raise

    def send_until_acknowledged(self, body: dict) -> None:
        give_up = time.monotonic() + RETRY_FOR_SECONDS
        payload = json.dumps(body).encode()
        attempts = 0
        while True:
            attempts += 1
            try:
                status, answer = self.post(payload)
            except (OSError, http.client.HTTPException):
                with self.tally.lock:
                    self.tally.connection_errors += 1
                status, answer = None, b""
            if status in (200, 201):
                stored_at = json.loads(answer)["sequence"]
                if stored_at != body["sequence"]:
                    raise RuntimeError(f"acknowledged at {stored_at}, typed at {body['sequence']}")
                if attempts > 1:
                    with self.tally.lock:
                        self.tally.retried_saves += 1
                return
            if status is not None and status < 500:
                raise RuntimeError(f"save refused: {status} {answer[:200]!r}")
            if status is not None:
                with self.tally.lock:
                    self.tally.server_errors += 1
                    codes = self.tally.server_error_codes
                    codes[status] = codes.get(status, 0) + 1
            if time.monotonic() > give_up:
                raise RuntimeError("no node acknowledged the save")
            if len(self.nodes) > 1:
                self.fail_over()  # same key on the other node: stored once whatever happened
            else:
                time.sleep(0.2)  # the master is starting a new worker


class Viewer(threading.Thread):
    """The season dashboard and a round's entry state, refreshed every couple of seconds."""

    def __init__(self, nodes: list[Node], round_info: dict, stop_at: float, tally: Tally):
        super().__init__(daemon=True)
        self.nodes, self.info, self.stop_at, self.tally = nodes, round_info, stop_at, tally
        self.session = requests.Session()

    def log_in(self) -> None:
        """Before the run, as the counters do (a log-in's password hash is ~150 ms of CPU)."""
        log_in(self.session, self.nodes[0].base, "xem", self.tally)

    def run(self) -> None:
        index = 0
        base = lambda: self.nodes[index % len(self.nodes)].base  # noqa: E731
        while time.monotonic() < self.stop_at:
            for path in ("/", f"/rounds/{self.info['round_id']}/entry/A/state"):
                started = time.perf_counter()
                try:
                    reply = self.session.get(base() + path, timeout=30)
                except requests.ConnectionError:
                    index += 1
                    continue
                if path == "/" and reply.status_code == 200:
                    with self.tally.lock:
                        self.tally.dashboard_times.append(time.perf_counter() - started)
                elif reply.status_code >= 500:
                    index += 1
            time.sleep(2)


def upload_scans(session: requests.Session, base: str, round_id: int, archive: Path) -> None:
    """One zip of generated ballots uploaded through the scans page, as an office would."""
    page = session.get(f"{base}/rounds/{round_id}/scans", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with archive.open("rb") as handle:
        reply = session.post(f"{base}/rounds/{round_id}/scans", data={"csrf_token": token, "profile": ""},
                             files={"files": ("phieu.zip", handle, "application/zip")}, allow_redirects=False,
                             timeout=300)
    if reply.status_code != 302:
        raise SystemExit(f"the scan upload failed: {reply.status_code}")


def worker_health_text(base: str, round_id: int, tally: Tally) -> str:
    """What a node's scans page says about the scan worker."""
    session = requests.Session()
    log_in(session, base, "xem", tally)
    page = session.get(f"{base}/rounds/{round_id}/scans", timeout=30).text
    found = re.search(r'id="worker-health">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip() if found else "(not shown)"


class ScanWatcher(threading.Thread):
    """Uploads the zip when the run starts, then reads the scanned round's progress (the scans
    page's poll) every 2 s; notes when the queue is empty."""

    def __init__(self, base: str, round_id: int, archive: Path, tally: Tally, stop_at: float):
        super().__init__(daemon=True)
        self.base, self.round_id, self.archive, self.tally = base, round_id, archive, tally
        self.url, self.stop_at = f"{base}/api/rounds/{round_id}/scans/progress", stop_at
        self.started = time.monotonic()
        self.uploaded_in = 0.0
        self.finished_at: float | None = None
        self.counts: dict[str, int] = {}
        self.session = requests.Session()

    def log_in(self) -> None:
        log_in(self.session, self.base, "xem", self.tally)

    def run(self) -> None:
        self.started = time.monotonic()
        try:
            upload_scans(self.session, self.base, self.round_id, self.archive)
        except BaseException as exc:
            self.tally.failures.append(f"scan upload: {exc!r}")
            return
        self.uploaded_in = time.monotonic() - self.started
        while time.monotonic() < self.stop_at and self.finished_at is None:
            try:
                reply = self.session.get(self.url, timeout=30)
                if reply.status_code == 200:
                    data = reply.json()
                    self.counts = data["counts"]
                    if data["total"] and not data["waiting"]:
                        self.finished_at = time.monotonic()
            except requests.RequestException:
                pass
            time.sleep(2)

    @property
    def read(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in ("pending", "processing"))
