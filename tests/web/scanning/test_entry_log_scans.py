"""The entry log lists scanned ballots and the committee's rulings on them, with who ruled."""

from __future__ import annotations

import re

from kiemphieu.extensions import db
from kiemphieu.minutes import verify_document
from kiemphieu.scanning import services
from kiemphieu.worker import run_once

from ..conftest import flat_pdf_text, get_document
from .conftest import png_bytes, reading
from .test_worker import store


def test_scans_and_rulings_are_in_the_entry_log(client, scan_round, counter, fake_reader):
    counter.full_name = "Phan Văn Tuấn"
    db.session.commit()
    clear, doubtful = png_bytes(31), png_bytes(32)
    fake_reader.set(doubtful, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}))
    store(scan_round, clear, "0001.png")
    [scan] = store(scan_round, doubtful, "0002.png")
    assert run_once() == 2
    services.adjudicate(scan, {"c01": "struck"}, None, counter)
    pdf = get_document(client, f"/rounds/{scan_round.id}/entry-log.pdf").data
    text = flat_pdf_text(pdf)
    assert "Phiếu quét (máy đọc và Ban kiểm phiếu phân xử) (2 lần lưu)" in text
    assert "ảnh 1 (0001.png, trang 1)" in text and "máy đọc phiếu" in text
    assert "Phân xử phiếu quét (1 quyết định)" in text
    assert re.search(r"ảnh \d+ \(0002\.png, trang 1\) \S+ \S+ Phan Văn Tuấn 1\. \S.*?: gạch", text), text
    report = verify_document(pdf)
    assert report.ok, report.text()
