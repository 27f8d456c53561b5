"""The supervisor's parts without the whole stack: stale processes, the port, the heartbeat,
the scan worker's health on the scans page, gunicorn's per-instance control socket."""

from __future__ import annotations

import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from kiemphieu import heartbeat
from kiemphieu.supervisor import SupervisorError, Supervisor, bind_with_retry, group_members, stop_stale


def _sleeper() -> subprocess.Popen:
    """A process group like the ones the supervisor starts (its command line names kiemphieu)."""
    return subprocess.Popen([sys.executable, "-c", "import time  # kiemphieu\ntime.sleep(60)"],
                            start_new_session=True)


def test_stale_process_groups_recorded_in_pidfiles_are_stopped(tmp_path):
    stale = _sleeper()
    (tmp_path / "web.pid").write_text(f"{stale.pid}\n")
    (tmp_path / "scan-worker.pid").write_text("999999999\n")  # long gone
    stopped = stop_stale(tmp_path, out=lambda line: None)
    assert stopped == [stale.pid]
    assert stale.wait(timeout=5) is not None and not group_members(stale.pid)
    assert not list(tmp_path.glob("*.pid"))


def test_a_recycled_pid_that_is_not_ours_is_left_alone(tmp_path):
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        (tmp_path / "web.pid").write_text(f"{stranger.pid}\n")
        assert stop_stale(tmp_path, out=lambda line: None) == []
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_the_port_is_retried_while_an_orphan_still_holds_it():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    threading.Timer(1.0, holder.close).start()
    said = []
    started = time.monotonic()
    listener = bind_with_retry("127.0.0.1", port, wait=10, out=said.append)
    listener.close()
    assert time.monotonic() - started >= 0.9 and "đang bị chiếm" in said[0]


def test_a_port_held_too_long_is_a_clear_error():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        with pytest.raises(SupervisorError, match="Không mở được cổng"):
            bind_with_retry("127.0.0.1", holder.getsockname()[1], wait=0.3, out=lambda line: None)
    finally:
        holder.close()


def test_a_second_supervisor_on_the_same_instance_is_refused(tmp_path):
    first = Supervisor(tmp_path)
    lock = first._lock()
    try:
        with pytest.raises(SupervisorError, match="đang chạy"):
            Supervisor(tmp_path)._lock()
    finally:
        lock.close()


def test_a_silent_worker_is_restarted(tmp_path):
    supervisor = Supervisor(tmp_path, hang_after=0.5, out=lambda line: None)
    worker = _sleeper()
    from kiemphieu.supervisor import Child

    child = Child("scan-worker", [], process=worker, started=time.monotonic() - 1)
    supervisor.children = [child]
    heartbeat.write(supervisor.folder, "reading", 0)
    data = json.loads(heartbeat.path(supervisor.folder).read_text())
    heartbeat.path(supervisor.folder).write_text(json.dumps({**data, "pid": worker.pid, "at": time.time() - 5}))
    supervisor.tick()
    assert worker.poll() == -signal.SIGKILL and child.process is None and child.restarts == 1


def test_the_heartbeat_says_alive_then_stale(tmp_path):
    assert heartbeat.read(tmp_path) is None
    beat = heartbeat.Beater(tmp_path, every=10)
    beat("idle")
    first = heartbeat.read(tmp_path)
    assert first.pid == os.getpid() and first.state == "idle" and first.alive
    beat("reading", 3)  # a change of state is written at once
    assert heartbeat.read(tmp_path).state == "reading" and heartbeat.read(tmp_path).pages == 3
    assert not heartbeat.Beat(1, time.time() - heartbeat.ALIVE_WITHIN - 1, "idle", 0).alive


def test_the_scans_page_shows_the_workers_health(app, client, scan_round, counter):
    from pathlib import Path

    folder = Path(app.instance_path) / "run"
    heartbeat.clear(folder)
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert "Máy đọc phiếu: <strong>chưa chạy" in page
    heartbeat.write(folder, "reading", 0)
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert "Máy đọc phiếu: <strong>hoạt động, đang đọc phiếu" in page
    folder.joinpath(heartbeat.BEAT_FILE).write_text(json.dumps({"pid": 1, "at": 1_700_000_000, "state": "idle"}))
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert "Máy đọc phiếu: <strong>không phản hồi từ" in page and "05:13:20 15/11/2023" in page  # local time (UTC+7)


def test_a_node_without_a_worker_shows_the_worker_of_another_node(app, client, scan_round, counter):
    """Several nodes on one database: each worker also beats in the shared upload folder, so
    the scans page of a node without a worker says whether another node's worker reads."""
    from pathlib import Path

    heartbeat.clear(Path(app.instance_path) / "run")
    shared = heartbeat.shared_folder(app.config["UPLOAD_FOLDER"])
    other = shared / "nut-2-4242.beat"
    shared.mkdir(parents=True, exist_ok=True)
    other.write_text(json.dumps({"pid": 4242, "at": time.time(), "state": "reading", "pages": 9, "host": "nut-2"}))
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert ("Máy đọc phiếu: <strong>chưa chạy trên máy chủ này; 1 máy đọc phiếu trên máy chủ khác (nut-2) "
            "đang hoạt động, đang đọc phiếu") in page
    assert "flash-success" in page.split('id="worker-health"')[0].rsplit("<p", 1)[1]
    # A beat that stopped long ago is no worker: the page says none runs.
    other.write_text(json.dumps({"pid": 4242, "at": time.time() - heartbeat.ALIVE_WITHIN - 5, "state": "idle",
                                 "host": "nut-2"}))
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert "Máy đọc phiếu: <strong>chưa chạy (khởi động" in page


def test_a_worker_beats_in_the_shared_folder_and_leaves_it_when_it_stops(tmp_path):
    beat = heartbeat.Beater(tmp_path / "run", shared=tmp_path / "shared")
    beat("idle")
    (mine,) = heartbeat.others(tmp_path / "shared")
    assert mine.pid == os.getpid() and mine.host and mine.alive
    assert heartbeat.others(tmp_path / "shared", own_pid=os.getpid()) == []  # this node's own worker
    beat.close()
    assert heartbeat.others(tmp_path / "shared") == []


def test_each_instance_gets_its_own_gunicorn_control_socket_and_a_short_graceful_stop(tmp_path, monkeypatch):
    from kiemphieu.config import REPO_ROOT

    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path / "a"))
    first = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path / "b"))
    second = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    assert first["control_socket"] == str(tmp_path / "a" / "run" / "gunicorn.ctl")
    assert second["control_socket"] != first["control_socket"]
    assert first["graceful_timeout"] <= 5
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path / ("x" * 120)))
    assert runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))["control_socket_disable"] is True


def test_a_worker_is_forked_with_the_preloaded_app_out_of_the_collectors_reach(tmp_path, monkeypatch):
    """gunicorn's pre_fork freezes what the master made: a worker's full collection must not walk
    the imported app (it held the GIL ~200 ms a time under load) nor write to the shared pages."""
    import gc

    from kiemphieu.config import REPO_ROOT

    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path))
    config = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    monkeypatch.setitem(config["pre_fork"].__globals__, "_warm", lambda server: None)  # tested apart
    made_by_the_master = [{"preloaded": index} for index in range(1000)]
    assert any(item is made_by_the_master for item in gc.get_objects())
    try:
        config["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() >= 1000
        assert not any(item is made_by_the_master for item in gc.get_objects())
    finally:
        gc.unfreeze()


def test_a_kept_alive_connection_is_closed_after_its_share_of_requests(tmp_path, monkeypatch):
    """So that clerks' connections spread over the workers again (one worker held 52 of 64)."""
    from types import SimpleNamespace

    from kiemphieu.config import REPO_ROOT

    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path))
    monkeypatch.setenv("KIEMPHIEU_KEEPALIVE_REQUESTS", "3")
    config = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    closed = []
    for number in (1, 2, 3, 4):
        request = SimpleNamespace(req_number=number, force_close=lambda number=number: closed.append(number))
        config["pre_request"](worker=None, req=request)
    assert closed == [3, 4]
