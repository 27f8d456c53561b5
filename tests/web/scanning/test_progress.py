"""Live scan progress: the JSON the scans page and the station poll; refusals in Vietnamese."""

from __future__ import annotations

from kiemphieu.scanning import reasons
from kiemphieu.scanning.station import progress_line, summary
from kiemphieu.worker import run_once

from .conftest import png_bytes, reading
from .test_worker import store

READER_REASONS = ("unreadable_file", "blank_page", "no_markers", "bad_geometry", "qr_unreadable",
                  "wrong_election", "wrong_layout")


def progress(client, round_):
    reply = client.get(f"/api/rounds/{round_.id}/scans/progress")
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    return reply.get_json()


def test_progress_moves_from_queued_to_read(client, scan_round, counter, fake_reader):
    images = [png_bytes(i) for i in range(1, 6)]
    fake_reader.set(images[3], reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}))
    fake_reader.set(images[4], {**reading("rejected", reason="wrong_election"),
                                "detail": "ballot of another election or round (its round: 1)"})
    for i, data in enumerate(images):
        store(scan_round, data, f"{i:04d}.png")
    before = progress(client, scan_round)
    assert before["counts"]["pending"] == 5 and before["waiting"] == 5 and before["total"] == 5
    [upload] = before["uploads"]
    assert (upload["done"], upload["total"], upload["finished"]) == (0, 5, False)
    assert {row["status_label"] for row in before["recent"]} == {"Chờ đọc"}

    assert run_once() == 5
    after = progress(client, scan_round)
    assert after["waiting"] == 0
    assert (after["counts"]["read"], after["counts"]["review"], after["counts"]["rejected"]) == (3, 1, 1)
    [upload] = after["uploads"]
    assert (upload["done"], upload["total"], upload["finished"]) == (5, 5, True)
    rejected = next(row for row in after["recent"] if row["status"] == "rejected")
    assert rejected["note"] == "Phiếu của cuộc bầu hoặc vòng bầu khác (phiếu in cho vòng 1)"
    assert "another election" not in str(after)


def test_the_scans_page_renders_the_same_progress_and_polls(client, scan_round, counter, fake_reader):
    store(scan_round, png_bytes(7), "a.png")
    html = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert 'id="count-pending">1<' in html and '<progress value="0" max="1">' in html
    assert f'data-src="/api/rounds/{scan_round.id}/scans/progress"' in html and "/static/scans.js" in html
    assert "<script>" not in html  # no inline script


def test_progress_needs_a_counter_of_the_congress(client, scan_round, auth):
    assert client.get(f"/api/rounds/{scan_round.id}/scans/progress",
                      headers={"Accept": "application/json"}).status_code == 401


def test_uploads_are_told_apart_by_pauses(app, client, scan_round, counter, fake_reader):
    from datetime import timedelta

    from kiemphieu.extensions import db

    first = store(scan_round, png_bytes(8), "a.png")[0]
    second = store(scan_round, png_bytes(9), "b.png")[0]
    first.uploaded_at = second.uploaded_at - timedelta(minutes=5)
    db.session.commit()
    assert [u["total"] for u in progress(client, scan_round)["uploads"]] == [1, 1]


def test_every_reader_reason_has_vietnamese_words():
    codes = set(READER_REASONS)
    try:  # the reader's own list of reasons, when it publishes one (a StrEnum of these strings)
        from kiemphieu.ocr import reader

        enum = getattr(reader, "RejectReason", None) or getattr(reader, "Reason", None)
        codes |= {str(member) for member in enum} if enum else set()
    except ImportError:
        pass
    for code in codes:
        assert reasons.reject_label(code) != code, code


def test_the_station_prints_the_pages_figures():
    state = {"total": 5, "waiting": 1, "labels": reasons.STATUS_LABELS,
             "counts": {"pending": 1, "processing": 0, "read": 3, "review": 1, "adjudicated": 0, "rejected": 0},
             "uploads": [{"done": 4, "total": 5}]}
    assert progress_line(state) == ("Máy chủ: 5 ảnh — chờ đọc 1 · đang đọc 0 · đọc được 3 · cần phân xử 1 · "
                                    "đã phân xử 0 · bị từ chối 0 | lượt tải mới nhất: đã đọc 4/5")
    refused = {**reading("rejected", reason="no_markers"), "detail": "corner markers found: none"}
    assert summary(refused) == "từ chối (Không tìm thấy dấu định vị ở bốn góc (không thấy dấu góc nào))"


def test_progress_carries_the_workers_state_so_the_page_line_follows_it(app, client, scan_round, counter):
    """The scans page's "Máy đọc phiếu" line was drawn once, with the page: right after an
    upload it went on saying "chờ ảnh mới" while the worker read. The polled JSON now says
    what the worker does, and scans.js redraws the line from it."""
    from pathlib import Path

    from kiemphieu import heartbeat

    folder = Path(app.instance_path) / "run"
    assert progress(client, scan_round)["worker"]["ok"] is False  # no worker has beaten here
    folder.mkdir(parents=True, exist_ok=True)
    heartbeat.write(folder, "reading", 3)
    worker = progress(client, scan_round)["worker"]
    assert worker == {"ok": True, "text": "hoạt động, đang đọc phiếu"}
    heartbeat.write(folder, "idle", 3)
    assert progress(client, scan_round)["worker"]["text"] == "hoạt động, chờ ảnh mới"
    script = (Path(__file__).resolve().parents[3] / "kiemphieu" / "static" / "scans.js").read_text()
    assert 'getElementById("worker-health")' in script and "state.worker.text" in script
