"""The scanner station client against a live test server (werkzeug in a thread)."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest
from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import ScanImage
from kiemphieu.scanning.station import STATE_FILE, AuthFailed, ServerAway, Station, StationClient, summary

from .conftest import PASSWORD, LiveServer, free_port, png_bytes

def fake_reader(data, name, election, profile):
    assert [c.id for c in election.candidates] == ["c01", "c02", "c03"]  # the round's list, from the API
    return [{"file": name, "page": 0, "status": "read", "marks": {"c01": "struck", "c02": "kept", "c03": "kept"},
             "boxes": None, "flags": [], "scores": {}, "reason": None}]


def make_station(folder, url, round_id, lines, **kwargs):
    client = StationClient(url, round_id, user="tram1", password=PASSWORD, timeout=5)
    return Station(folder, client, reader=fake_reader, out=lines.append, backoff_start=0.1, backoff_max=0.5,
                   **kwargs)


def stored_scans(app):
    with app.app_context():
        scans = db.session.scalars(select(ScanImage).order_by(ScanImage.id)).all()
        result = [(s.sha256, s.station_reading["status"] if s.station_reading else None) for s in scans]
        db.session.remove()
    return result


def test_the_station_sends_each_image_once_and_remembers_it(tmp_path, server_app, live):
    folder = tmp_path / "scans"
    folder.mkdir()
    images = {"0001.png": png_bytes(1), "0002.png": png_bytes(2)}
    for name, data in images.items():
        (folder / name).write_bytes(data)
    (folder / "readme.txt").write_text("not a ballot")
    lines: list[str] = []
    counts = make_station(folder, live.url, server_app.config["ROUND_ID"], lines).run(once=True)
    assert counts == {"sent": 2, "known": 0, "refused": 0, "skipped": 1}
    assert [line.split(":")[0] for line in lines if "máy chủ" in line] == ["0001.png", "0002.png"]
    assert "đọc được · gạch 1/3 [c01] → máy chủ: mới" in lines[0]
    stored = stored_scans(server_app)
    assert stored == [(hashlib.sha256(d).hexdigest(), "read") for d in images.values()]
    state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    assert set(state["sent"]) == {hashlib.sha256(d).hexdigest() for d in images.values()}

    # Run again (a new station process, same folder): nothing is sent twice.
    again = make_station(folder, live.url, server_app.config["ROUND_ID"], []).run(once=True)
    assert again == {"sent": 0, "known": 3, "refused": 0, "skipped": 0}  # the text file is remembered too
    assert len(stored_scans(server_app)) == 2


def test_a_lost_state_file_resends_but_the_server_stores_once(tmp_path, server_app, live):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "0001.png").write_bytes(png_bytes(3))
    make_station(folder, live.url, server_app.config["ROUND_ID"], []).run(once=True)
    (folder / STATE_FILE).unlink()
    lines: list[str] = []
    counts = make_station(folder, live.url, server_app.config["ROUND_ID"], lines).run(once=True)
    assert counts["sent"] == 1 and "đã có trên máy chủ" in lines[-1]
    assert len(stored_scans(server_app)) == 1


def test_the_station_waits_for_the_server_and_loses_nothing(tmp_path, server_app):
    folder = tmp_path / "scans"
    folder.mkdir()
    data = png_bytes(4)
    (folder / "0001.png").write_bytes(data)
    server = LiveServer(server_app, free_port())  # not started yet: the server is away
    lines: list[str] = []
    station = make_station(folder, server.url, server_app.config["ROUND_ID"], lines, give_up_after=30)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(station.run(once=True)))
    worker.start()
    time.sleep(1.0)
    assert worker.is_alive() and any("thử lại" in line for line in lines)
    assert not (folder / STATE_FILE).exists()  # nothing is marked sent while the server is away
    server.start()
    try:
        worker.join(timeout=30)
        assert result["sent"] == 1
        assert stored_scans(server_app) == [(hashlib.sha256(data).hexdigest(), "read")]
    finally:
        server.stop()


def test_the_station_gives_up_only_when_told_and_marks_nothing_sent(tmp_path, server_app):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "0001.png").write_bytes(png_bytes(5))
    station = make_station(folder, f"http://127.0.0.1:{free_port()}", server_app.config["ROUND_ID"], [],
                           give_up_after=0.5)
    with pytest.raises(ServerAway):
        station.run(once=True)
    assert not (folder / STATE_FILE).exists()


def test_a_wrong_password_is_reported(tmp_path, server_app, live):
    client = StationClient(live.url, server_app.config["ROUND_ID"], user="tram1", password="sai-mat-khau")
    with pytest.raises(AuthFailed):
        client.login()


def test_a_station_token_works_without_a_password(tmp_path, server_app, live):
    from kiemphieu.models import User
    from kiemphieu.scanning import tokens

    with server_app.test_request_context():
        token = tokens.make_token(db.session.scalar(select(User).where(User.username == "tram1")))
        db.session.remove()
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "0001.png").write_bytes(png_bytes(6))
    client = StationClient(live.url, server_app.config["ROUND_ID"], token=token, timeout=5)
    counts = Station(folder, client, reader=fake_reader, out=lambda line: None).run(once=True)
    assert counts["sent"] == 1 and len(stored_scans(server_app)) == 1


def test_a_file_still_being_written_waits_for_a_stable_size(tmp_path, server_app, live):
    folder = tmp_path / "scans"
    folder.mkdir()
    station = make_station(folder, live.url, server_app.config["ROUND_ID"], [])
    target = folder / "0001.png"
    target.write_bytes(png_bytes(7)[:20])  # the scanner has written part of it
    assert station.stable_files(wait=False) == []
    target.write_bytes(png_bytes(7))
    assert station.stable_files(wait=False) == []  # changed since the last look
    assert station.stable_files(wait=False) == [target]


def test_the_cli_runs_the_station_once(tmp_path, server_app, live, capsys, monkeypatch):
    """With the real local reader: a plain colour square is no ballot, but it is still sent."""
    from kiemphieu.cli import main

    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "0001.png").write_bytes(png_bytes(8))
    monkeypatch.setenv("KIEMPHIEU_PASSWORD", PASSWORD)
    code = main(["scan", "watch", str(folder), "--server", live.url, "--round", str(server_app.config["ROUND_ID"]),
                 "--user", "tram1", "--once", "--interval", "0.2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0001.png: " in out and "→ máy chủ: mới" in out and "Đã gửi 1" in out


def test_the_summary_line_of_each_form():
    assert summary({"status": "rejected", "reason": "wrong_election"}) == "từ chối (Phiếu của cuộc bầu hoặc vòng bầu khác)"
    boxes = {"status": "review", "boxes": {"c01": "agree", "c02": "uncertain"}, "flags": ["no_stamp"]}
    assert summary(boxes) == "cần xem lại · đồng ý 1 · chưa rõ: c02 · cờ: no_stamp"
    assert summary(None) == "chưa đọc"
