"""The load test's servers: gunicorn nodes, a throwaway PostgreSQL cluster, the scan worker,
and the CPU each uses during the run (benchmarks/load_test.py)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


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
               "kiemphieu:create_app()"]  # gunicorn.conf.py as deployed (no access log unless asked)
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


def start_profiler(node: Node, output: Path, seconds: int) -> subprocess.Popen:
    """py-spy (the test extras) sampling a node's master and workers for the run: where a live
    node's CPU goes, gunicorn's HTTP handling and thread hand-offs included. Raw collapsed
    stacks (one line per stack and its sample count); --gil: only threads running Python (CPU,
    not lock waits); --nonblocking: the node is not paused."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(REPO / ".venv/bin/py-spy"), "record", "--pid", str(node.process.pid), "--subprocesses", "--gil",
                            
                             "--nonblocking", "--format", "raw", "--rate", "200", "--duration", str(seconds),
                             "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_process(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
