"""Province load test: many counters saving ballots on two nodes (PostgreSQL) and one (SQLite).

For each database, bounded in time and on loopback only:
1. a season of 300 congresses is written as a season CSV and imported with `kiemphieu import`;
2. the open rounds of the first N/2 congresses get a count committee, their numbers and entry
   started; each has two counters, one typing pass A and one pass B (separate clerks, as the
   default rules ask), so N counters type in double entry across N/2 rounds;
3. the servers start with the production gunicorn settings (gunicorn.conf.py): on PostgreSQL
   two nodes, each with its own instance folder and the same SECRET_KEY, on a throwaway cluster
   (unix socket in a temporary folder, like scripts/test); on SQLite one node;
4. N counter threads (a requests.Session each: log-in form, CSRF token from the entry screen)
   post ballots one after another with an idempotency key and the stack position, while
   viewers refresh the season dashboard and the round's entry state;
5. half-way one node is killed with SIGKILL (PostgreSQL: the whole second node, its counters
   move to the first; SQLite: one gunicorn worker of the only node, the master starts another):
   a request without an answer is sent again with the same key;
6. then it prints throughput, median / p95 / p99 of an acknowledged save (from the first send to
   the answer, retries included), the 5xx and connection-error counts, and checks from the
   database that every acknowledged ballot is stored exactly once and nothing else is stored.

    .venv/bin/python benchmarks/load_test.py [--databases postgresql,sqlite] [--counters 60]
                                             [--seconds 60] [--congresses 300]

Targets (issue 12): >= 200 acknowledged saves/s, p99 < 150 ms, 0 lost, 0 doubled. A benchmark,
not a test: it prints figures and exits 1 only when a ballot is lost or doubled.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-tai-thu-2025"
CANDIDATES = 17  # a 15-seat committee with two spare names
SEATS = 15
ISSUED = 5000
RETRY_FOR_SECONDS = 20.0
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


# --- servers ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_node(name: str, instance: Path, env: dict) -> Node:
    port = free_port()
    instance.mkdir(parents=True, exist_ok=True)
    command = [str(REPO / ".venv/bin/gunicorn"), "-c", str(REPO / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--access-logfile", "/dev/null", "kiemphieu:create_app()"]
    process = subprocess.Popen(command, cwd=REPO, env={**env, "KIEMPHIEU_INSTANCE": str(instance)},
                               stdout=subprocess.DEVNULL, stderr=open(instance / "gunicorn.log", "wb"),
                               start_new_session=True)  # its own process group: kill -9 takes the node
    node = Node(name, port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{node.base}/login", timeout=5)
            return node
        except requests.RequestException:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    stop_node(node)
    raise SystemExit(f"node {name} did not start; see {instance / 'gunicorn.log'}")


def stop_node(node: Node) -> None:
    if node.process.poll() is None:
        try:
            os.killpg(node.process.pid, signal.SIGTERM)
            node.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(node.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            node.process.wait()


def gunicorn_workers(node: Node) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(node.process.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


class CpuSampler(threading.Thread):
    """CPU used during the run by each group of processes (the nodes' gunicorn masters and
    workers, PostgreSQL, the scan worker), sampled from /proc every half second: a process
    killed mid-run keeps what it used until its last sample, one started mid-run counts from
    zero, and nothing used before the run (log-ins, start-up) counts."""

    def __init__(self, roots: dict[str, list[int]]):
        super().__init__(daemon=True)
        self.roots = roots
        self.first: dict[int, float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.stopping = threading.Event()
        self.sample(baseline=True)

    @staticmethod
    def family(root: int) -> list[int]:
        """The process and its children (from /proc: no ps process every half second)."""
        children = []
        try:
            for task in Path(f"/proc/{root}/task").iterdir():
                children += map(int, (task / "children").read_text().split())
        except OSError:
            pass
        return [root, *children]

    def sample(self, baseline: bool = False) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        for group, roots in self.roots.items():
            for root in roots:
                for pid in self.family(root):
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    used = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
                    if baseline:
                        self.first[pid] = used
                    self.last[(group, pid)] = used

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        self.join()
        self.sample()
        used: dict[str, float] = {group: 0.0 for group in self.roots}
        for (group, pid), value in self.last.items():
            used[group] += value - self.first.get(pid, 0.0)
        return used


class Postgres:
    """A throwaway cluster on a unix socket in a temporary folder (as scripts/test starts one)."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)])
        if not bins:
            raise SystemExit("PostgreSQL is missing (scripts/install --test installs it as root)")
        self.bin = bins[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="kiemphieu-pg-"))
        self.as_owner: list[str] = []
        if os.getuid() == 0:  # initdb refuses root: the cluster belongs to Debian's postgres user
            shutil.chown(self.folder, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_owner, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, durable: bool = True) -> str:
        data = self.folder / "data"
        self.run(str(self.bin / "initdb"), "-D", str(data), "-U", "kiemphieu", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")
        # Durable commits as in production unless --no-sync (to see what the disk's flushes cost).
        options = f"-k {self.folder} -c listen_addresses='' -c max_connections=120 -c shared_buffers=128MB"
        if not durable:
            options += " -c synchronous_commit=off"
        self.run(str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.folder / "server.log"), "-o",
                 options, "start")
        self.run(str(self.bin / "createdb"), "-h", str(self.folder), "-U", "kiemphieu", "kiemphieu")
        return f"postgresql+psycopg://kiemphieu@/kiemphieu?host={self.folder}"

    def postmaster(self) -> int:
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        try:
            self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start_worker(instance: Path, env: dict) -> subprocess.Popen:
    """The scan worker of a node (``kiemphieu worker``; one reader thread: it shares the cores)."""
    return subprocess.Popen([str(REPO / ".venv/bin/kiemphieu"), "worker"], cwd=REPO,
                            env={**env, "KIEMPHIEU_INSTANCE": str(instance), "KIEMPHIEU_READERS": "1"},
                            stdout=subprocess.DEVNULL, stderr=open(instance / "worker.log", "wb"),
                            start_new_session=True)


def stop_process(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def upload_scans(base: str, round_id: int, archive: Path, tally: "Tally") -> requests.Session:
    """One zip of generated ballots uploaded through the scans page, as an office would."""
    session = requests.Session()
    log_in(session, base, "xem", tally)
    page = session.get(f"{base}/rounds/{round_id}/scans", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with archive.open("rb") as handle:
        reply = session.post(f"{base}/rounds/{round_id}/scans", data={"csrf_token": token, "profile": ""},
                             files={"files": ("phieu.zip", handle, "application/zip")}, allow_redirects=False,
                             timeout=300)
    if reply.status_code != 302:
        raise SystemExit(f"the scan upload failed: {reply.status_code}")
    return session


def worker_health_text(base: str, round_id: int, tally: "Tally") -> str:
    """What a node's scans page says about the scan worker."""
    session = requests.Session()
    log_in(session, base, "xem", tally)
    page = session.get(f"{base}/rounds/{round_id}/scans", timeout=30).text
    found = re.search(r'id="worker-health">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip() if found else "(not shown)"


class ScanWatcher(threading.Thread):
    """Uploads the zip when the run starts, then reads the scanned round's progress (the scans
    page's poll) every 2 s; notes when the queue is empty."""

    def __init__(self, base: str, round_id: int, archive: Path, tally: "Tally", stop_at: float):
        super().__init__(daemon=True)
        self.base, self.round_id, self.archive, self.tally = base, round_id, archive, tally
        self.url, self.stop_at = f"{base}/api/rounds/{round_id}/scans/progress", stop_at
        self.started = time.monotonic()
        self.uploaded_in = 0.0
        self.finished_at: float | None = None
        self.counts: dict[str, int] = {}

    def run(self) -> None:
        try:
            self.session = upload_scans(self.base, self.round_id, self.archive, self.tally)
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


# --- clients ----------------------------------------------------------------------------------

@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    save_times: list[float] = field(default_factory=list)
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

    def run(self) -> None:
        index = 0
        base = lambda: self.nodes[index % len(self.nodes)].base  # noqa: E731
        try:
            log_in(self.session, base(), "xem", self.tally)
        except Exception as exc:
            self.tally.failures.append(f"viewer: {exc!r}")
            return
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


# --- the run ----------------------------------------------------------------------------------

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
        watcher = None
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
        stop_at = started + args.seconds
        for counter in counters:
            counter.stop_at = stop_at
        viewers = [Viewer(nodes, rounds[i % len(rounds)], stop_at, tally) for i in range(args.viewers)]
        for viewer in viewers:
            viewer.start()
        if archive:
            watcher = ScanWatcher(nodes[0].base, scanned["round_id"], archive, tally, stop_at)
            watcher.start()

        time.sleep(args.seconds / 2)
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
    parser.add_argument("--no-sync", action="store_true", help="PostgreSQL with synchronous_commit=off")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run_one(args.one, args)
    status = 0
    for database in args.databases.split(","):
        # One process per database: each gets a fresh app, engine and environment.
        status |= subprocess.call([sys.executable, __file__, "--one", database, "--counters", str(args.counters),
                                   "--viewers", str(args.viewers), "--seconds", str(args.seconds),
                                   "--congresses", str(args.congresses), "--scans", str(args.scans), "--rate", str(args.rate), *(["--no-sync"] if args.no_sync else [])])
    return status


if __name__ == "__main__":
    sys.exit(main())
