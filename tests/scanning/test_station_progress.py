"""The scanner station prints the server's reading progress (the scans page's figures)."""

from __future__ import annotations

from kiemphieu.scanning.station import Station, StationClient

from .conftest import PASSWORD, png_bytes


def fake_reader(data, name, election, profile):
    return [{"file": name, "page": 0, "status": "read", "marks": {"c01": "struck", "c02": "kept", "c03": "kept"},
             "boxes": None, "flags": [], "scores": {}, "reason": None}]


def test_after_sending_the_station_prints_the_servers_progress(tmp_path, server_app, live):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in (1, 2):
        (folder / f"{i:04d}.png").write_bytes(png_bytes(20 + i))
    lines: list[str] = []
    client = StationClient(live.url, server_app.config["ROUND_ID"], user="tram1", password=PASSWORD, timeout=5)
    station = Station(folder, client, reader=fake_reader, out=lines.append, progress=True)
    assert station.run(once=True)["sent"] == 2
    assert lines[-1] == ("Máy chủ: 2 ảnh — chờ đọc 2 · đang đọc 0 · đọc được 0 · cần phân xử 0 · "
                         "đã phân xử 0 · bị từ chối 0 | lượt tải mới nhất: đã đọc 0/2")
    assert station._server_busy  # the watch loop keeps reporting until the server has read them
