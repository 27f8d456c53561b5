"""The scan worker's heartbeat: a small JSON file in ``instance/run/`` rewritten every second
or so while the worker lives, read by the supervisor (hang detection) and the scans page."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

BEAT_FILE = "scan-worker.beat"
ALIVE_WITHIN = 15.0  # seconds: a beat older than this means the worker is not answering


@dataclass(frozen=True)
class Beat:
    pid: int
    at: float  # time.time() of the beat
    state: str  # "idle" | "reading" | "document" (making a generated document) | "stopping"
    pages: int  # pages read since the worker started

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.at

    @property
    def alive(self) -> bool:
        return self.age() <= ALIVE_WITHIN


def path(folder: Path) -> Path:
    return Path(folder) / BEAT_FILE


def write(folder: Path, state: str, pages: int, stats: dict | None = None) -> None:
    """``stats``: the worker's busy seconds (reading, storing), for the scan benchmark."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = path(folder)
    temporary = target.with_name(f".{BEAT_FILE}.{os.getpid()}")
    temporary.write_text(json.dumps({"pid": os.getpid(), "at": time.time(), "state": state, "pages": pages,
                                     **(stats or {})}))
    os.replace(temporary, target)


def read_raw(folder: Path) -> dict:
    try:
        return json.loads(path(folder).read_text())
    except (OSError, ValueError):
        return {}


def read(folder: Path) -> Beat | None:
    try:
        data = json.loads(path(folder).read_text())
        return Beat(int(data["pid"]), float(data["at"]), str(data["state"]), int(data.get("pages", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(folder: Path) -> None:
    path(folder).unlink(missing_ok=True)


class Beater:
    """Writes a beat at most every ``every`` seconds (and at once when the state changes)."""

    def __init__(self, folder: Path, every: float = 1.0):
        self.folder, self.every = Path(folder), every
        self.last, self.state, self.pages = 0.0, "", 0
        self.stats: dict = {}

    def __call__(self, state: str, pages_done: int = 0) -> None:
        self.pages += pages_done
        now = time.monotonic()
        if state != self.state or now - self.last >= self.every:
            try:
                write(self.folder, state, self.pages, self.stats)
            except OSError:
                return  # a full disk must not stop the reading; the page will say "not answering"
            self.last, self.state = now, state
