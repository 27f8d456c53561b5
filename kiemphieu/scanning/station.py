"""The scanner station: watch a folder, read each new scan locally, send it to the server.

``kiemphieu scan watch DIR --server URL --round ROUND``. Pure client code (requests, no Flask):
the station logs in like a person (or with a station token), reads every new image with the
same reader and election as the server (so the operator sees each ballot's result at once),
and posts the image with its reading. Idempotent by SHA-256: what was sent is remembered in
``DIR/.kiemphieu-sent.json`` and the server refuses nothing twice. When the server is away the
station waits and retries with backoff; an image is marked sent only after the server said so.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from .intake import sniff
from .reasons import STATUS_LABELS, reject_text

STATE_FILE = ".kiemphieu-sent.json"
STATUS_WORDS = {"read": "đọc được", "review": "cần xem lại", "rejected": "từ chối", None: "chưa đọc"}


class ServerAway(Exception):
    """The server did not answer (or answered 5xx): try again later."""


class Refused(Exception):
    """The server refused this file for good (bad file, wrong round...): do not resend."""


class AuthFailed(Exception):
    """Wrong user name, password or token."""


class StationClient:
    """Talks to the kiemphieu server's station API with one requests.Session."""

    def __init__(self, server: str, round_id: int, *, user: str | None = None, password: str | None = None,
                 token: str | None = None, timeout: float = 60.0):
        self.server = server.rstrip("/")
        self.round_id = round_id
        self.user, self.password, self.token = user, password, token
        self.timeout = timeout
        self.session = requests.Session()
        self.csrf_token: str | None = None

    def _url(self, path: str) -> str:
        return self.server + path

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, self._url(path), timeout=self.timeout,
                                            allow_redirects=False, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerAway(f"máy chủ không trả lời ({type(exc).__name__})") from None
        if response.status_code >= 500:
            raise ServerAway(f"máy chủ lỗi {response.status_code}")
        return response

    def login(self) -> None:
        if self.token:
            self.session.headers["Authorization"] = f"Bearer {self.token}"
            info = self._session_info()
            if not info.get("user"):
                raise AuthFailed("mã thiết bị không hợp lệ hoặc đã hết hạn")
            return
        if not (self.user and self.password):
            raise AuthFailed("cần --user và --password, hoặc --token")
        csrf = self._session_info()["csrf_token"]
        response = self._request("POST", "/login", data={
            "username": self.user, "password": self.password, "csrf_token": csrf,
        })
        info = self._session_info()
        if response.status_code != 302 or info.get("user") != self.user:
            raise AuthFailed(f"đăng nhập thất bại cho “{self.user}”")

    def _session_info(self) -> dict[str, Any]:
        response = self._request("GET", "/api/session")
        if response.status_code != 200:
            raise ServerAway(f"máy chủ trả lời {response.status_code} cho /api/session")
        info = response.json()
        self.csrf_token = info.get("csrf_token")
        return info

    def round_info(self) -> dict[str, Any]:
        response = self._authed("GET", f"/api/rounds/{self.round_id}")
        return response.json()

    def election(self):
        from kiemphieu.tally import parse_election

        info = self.round_info()
        return parse_election(json.dumps(info["election"], ensure_ascii=False), f"round {self.round_id}")

    def send(self, data: bytes, name: str, sha256: str, readings: list[dict] | None,
             profile: str | None = None) -> dict[str, Any]:
        form = {"sha256": sha256}
        if readings is not None:
            form["reading"] = json.dumps(readings, ensure_ascii=False)
        if profile:
            form["profile"] = profile
        response = self._authed(
            "POST", f"/api/rounds/{self.round_id}/scans",
            data=form, files={"image": (name, data, "application/octet-stream")},
        )
        return response.json()

    def progress(self) -> dict[str, Any]:
        """The server's reading progress of this round (what the scans page shows)."""
        return self._authed("GET", f"/api/rounds/{self.round_id}/scans/progress").json()

    def _authed(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request that needs the login; logs in again once if the session was lost."""
        for attempt in (1, 2):
            if self.csrf_token is None:
                self.login()
            headers = {"X-CSRFToken": self.csrf_token or "", "Accept": "application/json"}
            response = self._request(method, path, headers=headers, **kwargs)
            if response.status_code in (200, 201):
                return response
            is_json = response.headers.get("Content-Type", "").startswith("application/json")
            if response.status_code == 409:  # the round takes no ballots right now: wait
                raise ServerAway(response.json().get("error") if is_json else "vòng bầu chưa nhận phiếu")
            lost_login = response.status_code in (302, 401) or (response.status_code == 400 and not is_json)
            if lost_login and attempt == 1:
                self.csrf_token = None
                continue
            if lost_login:
                raise AuthFailed(f"máy chủ từ chối đăng nhập ({response.status_code})")
            message = response.json().get("error") if is_json else f"HTTP {response.status_code}"
            raise Refused(message or f"HTTP {response.status_code}")
        raise AssertionError("unreachable")


# ------------------------------------------------------------------ the state file


@dataclass
class SentState:
    """What this folder has sent, by SHA-256 (and what the server refused for good)."""

    path: Path
    sent: dict[str, dict] = field(default_factory=dict)
    refused: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> SentState:
        path = directory / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError):
            # Never start from scratch silently: keep the damaged file aside; resending is
            # harmless anyway (the server is idempotent by SHA-256).
            path.replace(path.with_suffix(f".damaged-{int(time.time())}"))
            return cls(path)
        return cls(path, dict(data.get("sent", {})), dict(data.get("refused", {})))

    def knows(self, sha256: str) -> bool:
        return sha256 in self.sent or sha256 in self.refused

    def save(self) -> None:
        payload = {"schema": "kiemphieu/station-state-1", "sent": self.sent, "refused": self.refused}
        temporary = self.path.with_name(self.path.name + ".part")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


# ------------------------------------------------------------------ reading and reporting


def read_locally(data: bytes, name: str, election, profile: str | None) -> list[dict] | None:
    """The station's own reading of every page; None when the reader cannot run here."""
    try:
        from kiemphieu.ocr.reader import read_images
    except ImportError:
        return None
    return [r.to_json() for r in read_images(data, election, profile or None, file_name=name)]


def summary(reading: dict | None) -> str:
    """One line about one ballot: its status and its marks."""
    if reading is None:
        return STATUS_WORDS[None]
    status = reading.get("status")
    words = STATUS_WORDS.get(status, str(status))
    if status == "rejected":
        return f"{words} ({reject_text(reading.get('reason'), reading.get('detail'))})"
    parts = [words]
    if isinstance(reading.get("marks"), dict):
        marks = reading["marks"]
        struck = sorted(c for c, m in marks.items() if m == "struck")
        parts.append(f"gạch {len(struck)}/{len(marks)}" + (f" [{' '.join(struck)}]" if struck else ""))
    elif isinstance(reading.get("boxes"), dict):
        boxes = list(reading["boxes"].values())
        labels = (("agree", "đồng ý"), ("disagree", "không đồng ý"), ("both", "cả hai"), ("none", "trống"))
        parts.append(", ".join(f"{label} {boxes.count(key)}" for key, label in labels if boxes.count(key)))
    uncertain = [c for c, m in {**(reading.get("marks") or {}), **(reading.get("boxes") or {})}.items()
                 if m == "uncertain"]
    if uncertain:
        parts.append("chưa rõ: " + " ".join(sorted(uncertain)))
    if reading.get("flags"):
        parts.append("cờ: " + ", ".join(reading["flags"]))
    return " · ".join(parts)


PROGRESS_ORDER = ("pending", "processing", "read", "review", "adjudicated", "rejected")


def progress_line(state: dict) -> str:
    """The scans page's progress as one line: the round's counts and the latest upload."""
    labels, counts = state.get("labels") or STATUS_LABELS, state.get("counts") or {}
    figures = " · ".join(f"{labels[key].lower()} {counts.get(key, 0)}" for key in PROGRESS_ORDER)
    line = f"Máy chủ: {state.get('total', 0)} ảnh — {figures}"
    uploads = state.get("uploads") or []
    if uploads:
        latest = uploads[0]
        line += f" | lượt tải mới nhất: đã đọc {latest['done']}/{latest['total']}"
    return line


# ------------------------------------------------------------------ the watch loop


@dataclass
class Station:
    directory: Path
    client: StationClient
    profile: str | None = None
    interval: float = 1.0  # seconds between polls of the folder
    backoff_start: float = 1.0
    backoff_max: float = 30.0
    give_up_after: float | None = None  # seconds of server absence before --once gives up
    out: Callable[[str], None] = print
    reader: Callable[..., list[dict] | None] = read_locally
    election: Any = None
    # Print the server's reading progress (the scans page's figures) after sending, and while
    # the server is still reading, at most every ``progress_every`` seconds.
    progress: bool = False
    progress_every: float = 3.0
    _last_progress: str | None = None
    _progress_at: float = 0.0
    _server_busy: bool = False
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    _done: dict[str, tuple[int, int]] = field(default_factory=dict)  # files finished, by name

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.state = SentState.load(self.directory)

    def candidates(self) -> list[Path]:
        return sorted(
            p for p in self.directory.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith((".part", ".tmp"))
        )

    def stable_files(self, wait: bool) -> list[Path]:
        """Files whose size and time did not change since the last look (the scanner is done)."""
        ready = []
        for path in self.candidates():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            key = (stat.st_size, stat.st_mtime_ns)
            if self._done.get(path.name) == key:
                continue
            if stat.st_size > 0 and self._seen.get(path.name) == key:
                ready.append(path)
            self._seen[path.name] = key
        if wait and not ready and self._seen:
            time.sleep(min(self.interval, 0.5))
            return self.stable_files(wait=False)
        return ready

    def ensure_election(self) -> None:
        if self.election is None:
            self.election = self._with_retries(self.client.election, "tải danh sách ứng cử viên")

    def _with_retries(self, action: Callable[[], Any], what: str) -> Any:
        delay, waited = self.backoff_start, 0.0
        while True:
            try:
                return action()
            except ServerAway as exc:
                if self.give_up_after is not None and waited >= self.give_up_after:
                    raise
                self.out(f"… {what}: {exc}; thử lại sau {delay:.0f} giây")
                time.sleep(delay)
                waited += delay
                delay = min(delay * 2, self.backoff_max)

    def process(self, path: Path) -> str:
        """Read and send one file; returns 'sent', 'known', 'refused' or 'skipped'."""
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if self.state.knows(sha):
            return "known"
        if sniff(data) not in ("jpeg", "png", "tiff", "pdf"):
            self.state.refused[sha] = {"file": path.name, "error": "không phải ảnh phiếu", "at": _now()}
            self.state.save()
            self.out(f"{path.name}: bỏ qua (không phải ảnh JPEG, PNG, TIFF hay PDF)")
            return "skipped"
        self.ensure_election()
        try:
            readings = self.reader(data, path.name, self.election, self.profile)
        except Exception as exc:  # the local reading is a convenience; the server reads again
            self.out(f"{path.name}: không đọc được tại máy trạm ({type(exc).__name__}), vẫn gửi ảnh")
            readings = None
        try:
            answer = self._with_retries(
                lambda: self.client.send(data, path.name, sha, readings, self.profile), f"gửi {path.name}"
            )
        except Refused as exc:
            self.state.refused[sha] = {"file": path.name, "error": str(exc), "at": _now()}
            self.state.save()
            self.out(f"{path.name}: máy chủ từ chối: {exc}")
            return "refused"
        self.state.sent[sha] = {
            "file": path.name, "at": _now(), "created": answer.get("created"),
            "scan_ids": [s["id"] for s in answer.get("scans", [])],
        }
        self.state.save()
        note = "mới" if answer.get("created") else "đã có trên máy chủ"
        for index, reading in enumerate(readings or [None]):
            page = f" trang {index + 1}" if readings and len(readings) > 1 else ""
            self.out(f"{path.name}{page}: {summary(reading)} → máy chủ: {note}")
        return "sent"

    def report_progress(self) -> None:
        """Print the server's progress when it changed (nothing if the server cannot say)."""
        self._progress_at = time.monotonic()
        try:
            state = self.client.progress()
        except (ServerAway, Refused, AuthFailed, ValueError):
            return
        self._server_busy = bool(state.get("waiting"))
        line = progress_line(state)
        if line != self._last_progress:
            self.out(line)
            self._last_progress = line

    def run(self, once: bool = False) -> dict[str, int]:
        counts = {"sent": 0, "known": 0, "refused": 0, "skipped": 0}
        while True:
            sent = 0
            for path in self.stable_files(wait=once):
                key = self._seen[path.name]
                outcome = self.process(path)
                counts[outcome] += 1
                sent += outcome == "sent"
                self._done[path.name] = key
            due = self._server_busy and time.monotonic() - self._progress_at >= self.progress_every
            if self.progress and (sent or due):
                self.report_progress()
            if once:
                return counts
            time.sleep(self.interval)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

