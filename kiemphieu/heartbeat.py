"""The scan worker's heartbeat: a small JSON file in ``instance/run/`` rewritten every second
or so while the worker lives, read by the supervisor (hang detection) and the scans page.

With several nodes on one database a worker may run on another node: each worker also writes
its beat to the upload folder every node shares (``<upload folder>/run/workers/<host>-<pid>.beat``,
see README: Deployment on PostgreSQL), so a node without a worker of its own still tells
whether the queue is being read (``others``)."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

BEAT_FILE = "scan-worker.beat"
ALIVE_WITHIN = 15.0  # seconds: a beat older than this means the worker is not answering
SHARED_SUFFIX = ".beat"
FORGET_AFTER = 24 * 3600.0  # a shared beat this old is from a worker long gone: not listed


@dataclass(frozen=True)
class Beat:
    pid: int
    at: float  # time.time() of the beat
    state: str  # "idle" | "reading" | "document" (making a generated document) | "stopping"
    pages: int  # pages read since the worker started
    host: str = ""  # the node's host name (beats in the shared folder)

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.at

    @property
    def alive(self) -> bool:
        return self.age() <= ALIVE_WITHIN


def path(folder: Path) -> Path:
    return Path(folder) / BEAT_FILE


def write(folder: Path, state: str, pages: int, stats: dict | None = None, target: Path | None = None) -> None:
    """``stats``: the worker's busy seconds (reading, storing), for the scan benchmark."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = target or path(folder)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    temporary.write_text(json.dumps({"pid": os.getpid(), "at": time.time(), "state": state, "pages": pages,
                                     "host": socket.gethostname(), **(stats or {})}))
    os.replace(temporary, target)


def shared_folder(upload_folder: str | Path) -> Path:
    """Where every node reads the scan workers' beats: inside the upload folder they share."""
    return Path(upload_folder) / "run" / "workers"


def shared_path(shared: Path) -> Path:
    """This worker's beat in the shared folder (one file per worker: host and process)."""
    return Path(shared) / f"{socket.gethostname()}-{os.getpid()}{SHARED_SUFFIX}"


def _parse(data: dict) -> Beat:
    return Beat(int(data["pid"]), float(data["at"]), str(data["state"]), int(data.get("pages", 0)),
                str(data.get("host", "")))


def others(shared: Path, own_pid: int | None = None) -> list[Beat]:
    """The beats of every worker that wrote to the shared folder in the last day, newest first
    (``own_pid``: this node's worker, left out)."""
    beats = []
    try:
        files = list(Path(shared).glob(f"*{SHARED_SUFFIX}"))
    except OSError:
        return []
    for file in files:
        try:
            beat = _parse(json.loads(file.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if beat.age() <= FORGET_AFTER and not (beat.pid == own_pid and beat.host == socket.gethostname()):
            beats.append(beat)
    return sorted(beats, key=lambda b: -b.at)


def read_raw(folder: Path) -> dict:
    try:
        return json.loads(path(folder).read_text())
    except (OSError, ValueError):
        return {}


def read(folder: Path) -> Beat | None:
    try:
        return _parse(json.loads(path(folder).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(folder: Path) -> None:
    path(folder).unlink(missing_ok=True)


class Beater:
    """Writes a beat at most every ``every`` seconds (and at once when the state changes), in
    the node's run folder and, given ``shared``, in the folder every node reads."""

    def __init__(self, folder: Path, every: float = 1.0, shared: Path | None = None):
        self.folder, self.every = Path(folder), every
        self.shared = Path(shared) if shared else None
        self.last, self.state, self.pages = 0.0, "", 0
        self.stats: dict = {}

    def __call__(self, state: str, pages_done: int = 0) -> None:
        self.pages += pages_done
        now = time.monotonic()
        if state != self.state or now - self.last >= self.every:
            try:
                write(self.folder, state, self.pages, self.stats)
                if self.shared is not None:
                    write(self.shared, state, self.pages, target=shared_path(self.shared))
            except OSError:
                return  # a full disk must not stop the reading; the page will say "not answering"
            self.last, self.state = now, state

    def close(self) -> None:
        """The worker stops: its shared beat goes (the local one says "stopping")."""
        if self.shared is not None:
            shared_path(self.shared).unlink(missing_ok=True)
