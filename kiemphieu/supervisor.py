"""`kiemphieu run`: the web server (gunicorn) and the scan worker as sibling processes.

A small supervisor of their own, not a thread of gunicorn's forking master (forked web
workers inherited that thread's pipes and hung it):

- It owns the listening socket and hands it to gunicorn (``--bind fd://N``): when the gunicorn
  master dies, a new one serves on the same socket at once, whatever orphaned web worker is
  still finishing a request.
- Each child runs in its own session (process group): a dead master's orphaned web workers are
  stopped with the group, and a stale group from a crashed supervisor is found by the pid in
  its pidfile (``instance/run/*.pid``) and stopped before anything starts.
- The scan worker writes a heartbeat (``instance/run/scan-worker.beat``, see ``heartbeat``);
  a worker that exits or stops beating is restarted within seconds.
- SIGTERM / SIGINT stop everything in seconds (gunicorn's graceful timeout is short; the scan
  worker stores what it has read and hands the rest of its claim back to the queue).

Pure standard library, Linux (/proc): no Flask is imported here.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import heartbeat

REPO_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO_ROOT / "gunicorn.conf.py"
STOP_WAIT = 8.0  # seconds a child gets after SIGTERM before SIGKILL
HANG_AFTER = 120.0  # a scan worker silent this long is killed and restarted
MAX_BACKOFF = 10.0


class SupervisorError(RuntimeError):
    """Cannot start (the message is for the operator, in Vietnamese)."""


def run_folder(instance: Path) -> Path:
    folder = Path(instance) / "run"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ------------------------------------------------------------------ processes by pid and group


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # after "pid (comm) "


def _alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (its leader may be gone)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def _ours(pid: int) -> bool:
    """A process we started: a gunicorn or kiemphieu command line (a recycled pid is not)."""
    line = _cmdline(pid)
    return "kiemphieu" in line or "gunicorn" in line


def stop_group(pgid: int, wait: float = STOP_WAIT, first=signal.SIGTERM) -> None:
    """SIGTERM the group, then SIGKILL what is left after ``wait`` seconds."""
    for sig, patience in ((first, wait), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if not group_members(pgid):
                return
            time.sleep(0.05)


def stop_stale(folder: Path, out=print) -> list[int]:
    """Stop the process groups recorded by a supervisor that died without cleaning up."""
    stopped = []
    for pidfile in sorted(folder.glob("*.pid")):
        if pidfile.name == "supervisor.pid":
            continue  # a live supervisor holds the lock; a dead one has nothing left to stop
        try:
            pgid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            pidfile.unlink(missing_ok=True)
            continue
        members = [pid for pid in group_members(pgid) if _ours(pid)]
        if members and pgid != os.getpgid(0):
            out(f"kiemphieu run: dừng tiến trình cũ còn sót ({pidfile.stem}, nhóm {pgid}: {len(members)} tiến trình)")
            stop_group(pgid, wait=3.0)
            stopped.append(pgid)
        pidfile.unlink(missing_ok=True)
    return stopped


def bind_with_retry(host: str, port: int, wait: float, out=print) -> socket.socket:
    """The listening socket; while another process still holds the port, try again."""
    deadline = time.monotonic() + wait
    said = False
    while True:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(2048)
            sock.set_inheritable(True)
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise SupervisorError(f"Không mở được cổng {host}:{port}: {exc.strerror}.") from None
            if not said:
                out(f"kiemphieu run: cổng {port} đang bị chiếm, thử lại trong tối đa {wait:.0f} giây…")
                said = True
            time.sleep(0.5)


# ------------------------------------------------------------------ the supervisor


@dataclass
class Child:
    name: str  # "web" or "scan-worker"
    command: list[str]
    pass_fds: tuple[int, ...] = ()
    process: subprocess.Popen | None = None
    started: float = 0.0
    failures: int = 0
    next_start: float = 0.0
    restarts: int = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


@dataclass
class Supervisor:
    instance: Path
    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = 2
    with_worker: bool = True
    port_wait: float = 60.0
    hang_after: float = HANG_AFTER
    out: object = print
    env: dict = field(default_factory=lambda: dict(os.environ))
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def __post_init__(self):
        self.instance = Path(self.instance).resolve()
        self.folder = run_folder(self.instance)

    # -- start and stop

    def run(self) -> int:
        lock = self._lock()
        try:
            stop_stale(self.folder, self.out)
            listener = bind_with_retry(self.host, self.port, self.port_wait, self.out)
            self._install_signals()
            self.children = [self._web_child(listener.fileno())]
            if self.with_worker:
                self.children.append(self._worker_child())
            (self.folder / "supervisor.pid").write_text(f"{os.getpid()}\n")
            self.out(f"kiemphieu run: phục vụ tại http://{self.host}:{self.port}/ "
                     f"(dừng: Ctrl+C hoặc kill {os.getpid()})")
            try:
                while not self.stopping:
                    self.tick()
                    time.sleep(0.2)
            finally:
                self.stop()
                listener.close()
        finally:
            (self.folder / "supervisor.pid").unlink(missing_ok=True)
            lock.close()
        return 0

    def _lock(self):
        handle = open(self.folder / "supervisor.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise SupervisorError(
                f"Một máy chủ kiemphieu khác đang chạy với thư mục {self.instance} "
                f"(pid {self._recorded('supervisor')}). Dừng nó trước."
            ) from None
        return handle

    def _recorded(self, name: str) -> str:
        try:
            return (self.folder / f"{name}.pid").read_text().strip()
        except OSError:
            return "?"

    def _install_signals(self) -> None:
        def request_stop(signum, frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGHUP, request_stop)

    def stop(self) -> None:
        """SIGTERM every child, wait for all together, SIGKILL what is left."""
        self.stopping = True
        live = [c for c in self.children if c.process is not None]
        for child in live:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for child in live:
            stop_group(child.pid, wait=STOP_WAIT)
            child.process.wait()
            (self.folder / f"{child.name}.pid").unlink(missing_ok=True)
        heartbeat.clear(self.folder)

    # -- children

    def _web_child(self, fd: int) -> Child:
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"fd://{fd}",
                   "--workers", str(self.web_workers), "kiemphieu:create_app()"]
        return Child("web", command, pass_fds=(fd,))

    def _worker_child(self) -> Child:
        return Child("scan-worker", [sys.executable, "-m", "kiemphieu.cli", "worker", "--take-over-claims"])

    def _start(self, child: Child) -> None:
        env = {**self.env, "KIEMPHIEU_INSTANCE": str(self.instance)}
        child.process = subprocess.Popen(child.command, pass_fds=child.pass_fds, start_new_session=True,
                                         env=env, cwd=str(REPO_ROOT), stdin=subprocess.DEVNULL)
        child.started = time.monotonic()
        (self.folder / f"{child.name}.pid").write_text(f"{child.pid}\n")

    def tick(self) -> None:
        """Start what is not running, restart what died or hangs (with a short back-off)."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None:
                if now >= child.next_start:
                    self._start(child)
                continue
            code = child.process.poll()
            if code is None and child.name == "scan-worker" and self._hung(child, now):
                self.out(f"kiemphieu run: máy đọc phiếu không phản hồi {self.hang_after:.0f} giây, khởi động lại")
                stop_group(child.pid, wait=0, first=signal.SIGKILL)
                code = child.process.wait()
            if code is not None:
                self._died(child, code, now)

    def _hung(self, child: Child, now: float) -> bool:
        if now - child.started < self.hang_after:
            return False
        beat = heartbeat.read(self.folder)
        return beat is None or beat.pid != child.pid or beat.age() > self.hang_after

    def _died(self, child: Child, code: int, now: float) -> None:
        # The dead master's web workers may still hold requests (and the socket): stop the group.
        stop_group(child.pid, wait=2.0)
        child.failures = 0 if now - child.started > 30 else child.failures + 1
        delay = min(0.5 * (2 ** max(child.failures - 1, 0)), MAX_BACKOFF) if child.failures else 0.2
        self.out(f"kiemphieu run: {child.name} (pid {child.pid}) dừng với mã {code}; khởi động lại sau {delay:.1f} giây")
        child.process = None
        child.restarts += 1
        child.next_start = now + delay
        (self.folder / f"{child.name}.pid").unlink(missing_ok=True)
