"""Crash test of the real stack (`kiemphieu run`: gunicorn + the scan worker, supervised).

On a free port with a temporary instance: a zip of real printed-and-marked ballots is uploaded
and a clerk posts ballots to the entry API (retrying the same key until acknowledged, as
entry.js does) while the scan worker, a web worker and the gunicorn master are killed with
SIGKILL mid-work. Nobody touches the server afterwards. Then: every scan was read and stored
once, every acknowledged ballot is stored once, the server serves again, and a SIGTERM stops
everything in seconds.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest
import requests

from kiemphieu.supervisor import group_members

pytestmark = pytest.mark.slow

PASSWORD = "mat-khau-thu-sap"
SCANS = 60
DPI = 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(instance: Path) -> int:
    """A counter, a strike-form round (3 candidates, 2 seats, single entry) in entry."""
    env = {**os.environ, "KIEMPHIEU_INSTANCE": str(instance)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "kiemphieu.cli", "db-upgrade"], env=env, check=True,
                   capture_output=True)
    from kiemphieu import create_app
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services as setup
    from kiemphieu.extensions import db
    from kiemphieu.models import Role
    from kiemphieu.tally import Kind

    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        counter = users.create_user("nhapphieu", PASSWORD, Role.COUNTER)
        organisation = setup.create_organisation("Đảng bộ xã Yên Lập")
        congress = setup.create_congress(organisation, name="Đại hội", convened=200)
        users.assign(counter, congress, Role.COUNTER)
        election = setup.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 2)
        setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None), ("Lê Văn Cường", None)])
        round_ = election.rounds[0]
        setup.set_round_numbers(round_, 190, 190)
        round_.entry_mode = "single"
        setup.start_entry(round_)
        scans = scan_zip(round_.to_election())
        round_id = round_.id
        db.session.remove()
    (instance / "scans.zip").write_bytes(scans)
    return round_id


def scan_zip(election) -> bytes:
    """SCANS distinct 200 dpi JPEGs of the round's ballot: sealed, one name struck on most."""
    import cv2

    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.printing import render_ballot_image

    def px(mm: float) -> int:
        return int(round(mm * DPI / 25.4))

    blank = np.asarray(render_ballot_image(election, dpi=DPI))
    layout = layout_for(election)
    x, y, w, h = layout.stamp_mm
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(SCANS):
            image = blank.copy()
            centre, radius = (px(x + w / 2), px(y + h / 2)), px(min(w, h) / 2 - 2)
            cv2.circle(image, centre, radius, (40, 40, 210), px(1.2))
            cv2.circle(image, (centre[0] + index % 7, centre[1]), radius // 2, (40, 40, 210), px(0.8))
            row = layout.rows[index % 3]
            rx, _, rw, _ = row.name_mm
            ry = row.name.baseline - 0.3 * row.name.size
            cv2.line(image, (px(rx - 1), px(ry)), (px(rx + rw + 1), px(ry + 0.4)), (150, 40, 20), px(0.5))
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90 - index % 5])
            archive.writestr(f"scan-{index:03d}.jpg", encoded.tobytes())
    return buffer.getvalue()


class Clerk(threading.Thread):
    """Posts ballots to pass A; a key is retried until the server acknowledges it."""

    def __init__(self, base: str, round_id: int, session: requests.Session, csrf: str):
        super().__init__(daemon=True)
        self.url = f"{base}/rounds/{round_id}/entry/A/ballots"
        self.session, self.csrf = session, csrf
        self.acknowledged: list[str] = []
        self.failures = 0
        self.finish = threading.Event()

    def run(self) -> None:
        while not self.finish.is_set():
            key = uuid.uuid4().hex
            marks = {"struck": [f"c0{len(self.acknowledged) % 3 + 1}"]}
            while True:
                try:
                    response = self.session.post(self.url, json={"key": key, "marks": marks}, timeout=10,
                                                 headers={"X-CSRFToken": self.csrf, "Accept": "application/json"})
                    if response.status_code in (200, 201):
                        self.acknowledged.append(key)
                        break
                except requests.RequestException:
                    pass
                self.failures += 1
                time.sleep(0.05)


def login(base: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    csrf = session.get(f"{base}/api/session", timeout=10).json()["csrf_token"]
    response = session.post(f"{base}/login", data={"username": "nhapphieu", "password": PASSWORD,
                                                   "csrf_token": csrf}, timeout=10)
    assert response.status_code == 200
    return session, session.get(f"{base}/api/session", timeout=10).json()["csrf_token"]


def wait_for(condition, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not reached within {timeout} s: {condition.__doc__ or condition}")


def serving(base: str) -> bool:
    try:
        return requests.get(f"{base}/login", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def query(database: Path, sql: str, *args):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        return connection.execute(sql, args).fetchall()


def pid_of(instance: Path, name: str) -> int:
    """The pid recorded by the supervisor (0 while the process is being restarted)."""
    try:
        return int((instance / "run" / f"{name}.pid").read_text())
    except (OSError, ValueError):
        return 0


def test_kill_9_of_worker_web_worker_and_master_loses_and_doubles_nothing(tmp_path):
    instance = tmp_path / "instance"
    round_id = seed(instance)
    database = instance / "kiemphieu.sqlite"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KIEMPHIEU_INSTANCE": str(instance)}
    env.pop("DATABASE_URL", None)
    supervisor = subprocess.Popen([sys.executable, "-m", "kiemphieu.cli", "run", "--host", "127.0.0.1",
                                   "--port", str(port), "--web-workers", "2"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=open(tmp_path / "run.log", "wb"),
                                  start_new_session=True)
    try:
        wait_for(lambda: serving(base), 30)
        session, csrf = login(base)
        page = session.get(f"{base}/rounds/{round_id}/scans", timeout=10).text
        assert "Máy đọc phiếu: <strong>hoạt động" in page

        response = session.post(f"{base}/rounds/{round_id}/scans", timeout=60, data={"csrf_token": csrf, "profile": ""},
                                files={"files": ("scans.zip", (instance / "scans.zip").read_bytes(), "application/zip")})
        assert response.status_code == 200 and f"Đã nhận {SCANS} tệp" in response.text
        clerk = Clerk(base, round_id, session, csrf)
        clerk.start()

        def mid_reading():
            """some scans stored, others still waiting"""
            (done,), (left,) = (query(database, "SELECT count(*) FROM scan_image WHERE status NOT IN "
                                                "('pending', 'processing')")[0],
                                query(database, "SELECT count(*) FROM scan_image WHERE status IN "
                                                "('pending', 'processing')")[0])
            return done >= 3 and left >= 20

        wait_for(mid_reading, 30, step=0.01)
        old_worker = pid_of(instance, "scan-worker")
        os.kill(old_worker, signal.SIGKILL)
        master = pid_of(instance, "web")
        web_worker = next(pid for pid in group_members(master) if pid != master)
        os.kill(web_worker, signal.SIGKILL)
        time.sleep(1.0)
        acknowledged_before = len(clerk.acknowledged)
        os.kill(master, signal.SIGKILL)
        killed_at = time.monotonic()

        # Nobody helps from here on.
        wait_for(lambda: pid_of(instance, "web") not in (0, master) and serving(base), 30)
        back_after = time.monotonic() - killed_at
        wait_for(lambda: query(database, "SELECT count(*) FROM scan_image WHERE status IN "
                                         "('pending', 'processing')")[0][0] == 0, 40)
        wait_for(lambda: len(clerk.acknowledged) > acknowledged_before + 5, 20)
        clerk.finish.set()
        clerk.join(15)
        assert pid_of(instance, "scan-worker") != old_worker
        assert back_after < 20

        # Every scan read and stored once; every read one counted once.
        scans = query(database, "SELECT id, status FROM scan_image")
        assert len(scans) == SCANS and {status for _, status in scans} <= {"read", "review", "rejected"}
        reads = dict(query(database, "SELECT json_extract(detail, '$.scan_id'), count(*) FROM audit_entry "
                                     "WHERE action = 'scan.read' GROUP BY 1"))
        assert reads == {scan_id: 1 for scan_id, _ in scans}
        per_scan = query(database, "SELECT scan_id, count(*) FROM ballot WHERE scan_id IS NOT NULL GROUP BY 1")
        assert all(count == 1 for _, count in per_scan)
        read_ids = {scan_id for scan_id, status in scans if status == "read"}
        assert {scan_id for scan_id, _ in per_scan} == read_ids and len(read_ids) > SCANS // 2

        # Every acknowledged ballot stored once, nothing stored that was not asked for.
        stored = [key for (key,) in query(database, "SELECT idempotency_key FROM ballot WHERE entry_pass = 'A'")]
        assert len(stored) == len(set(stored))
        assert set(clerk.acknowledged) <= set(stored)
        assert len(stored) - len(clerk.acknowledged) <= 1  # at most the one in flight at the end
        sequences = [s for (s,) in query(database, "SELECT sequence FROM ballot WHERE entry_pass = 'A' ORDER BY 1")]
        assert sequences == list(range(1, len(sequences) + 1))
        # The clerk was typing through the kills: acknowledged saves before and after them. (Whether
        # a request of theirs failed depends on timing: the supervisor keeps the listening socket,
        # so a connection made while the master is down may simply wait for the new one.)
        assert acknowledged_before > 0

        groups = (master, old_worker, pid_of(instance, "web"), pid_of(instance, "scan-worker"))
        started = time.monotonic()
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=20)
        assert time.monotonic() - started < 15
        assert not any(group_members(group) for group in groups)
        assert not (instance / "run" / "web.pid").exists()
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            for name in ("web", "scan-worker"):
                if pid_of(instance, name):
                    try:
                        os.killpg(pid_of(instance, name), signal.SIGKILL)
                    except OSError:
                        pass
        print((tmp_path / "run.log").read_text(errors="replace")[-4000:])
