"""End to end with the real OCR reader: a printed ballot of the round, marked with synthetic
ink, uploaded, read by the worker, counted; a doubtful one goes to review with a preview."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import Ballot, ScanImage
from kiemphieu.worker import run_once

from .conftest import upload

cv2 = pytest.importorskip("cv2")
pytest.importorskip("kiemphieu.ocr.reader")

DPI = 200


def px(mm: float) -> int:
    return int(round(mm * DPI / 25.4))


def marked_ballot(round_, *, struck=(), seal=True) -> bytes:
    """A 200 dpi colour JPEG of the round's printed ballot with the given names struck
    through (a 0.5 mm blue ball-pen line across the lowercase letters) and a red seal."""
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.printing import render_ballot_image

    election = round_.to_election()
    image = np.array(render_ballot_image(election, dpi=DPI), copy=True)
    layout = layout_for(election)
    if seal:
        x, y, w, h = layout.stamp_mm
        centre, radius = (px(x + w / 2), px(y + h / 2)), px(min(w, h) / 2 - 2)
        cv2.circle(image, centre, radius, (40, 40, 210), px(1.2))
        cv2.circle(image, centre, radius // 2, (40, 40, 210), px(0.8))
    for row in layout.rows:
        if row.id in struck:
            x, _, w, _ = row.name_mm
            y = row.name.baseline - 0.3 * row.name.size
            cv2.line(image, (px(x - 1), px(y)), (px(x + w + 1), px(y + 0.4)), (150, 40, 20), px(0.5))
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return encoded.tobytes()


@pytest.mark.slow
def test_a_printed_and_marked_ballot_is_read_and_counted(app, client, scan_round, counter):
    data = marked_ballot(scan_round, struck=("c02",))
    upload(client, scan_round, ("0001.jpg", data))
    assert run_once() == 1
    scan = db.session.scalar(select(ScanImage))
    assert scan.reading["marks"] == {"c01": "kept", "c02": "struck", "c03": "kept"}, scan.reading
    assert scan.status == "read"
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.entry_pass, ballot.marks) == ("scan", {"struck": ["c02"]})


@pytest.mark.slow
def test_a_doubtful_ballot_goes_to_review_with_an_aligned_preview(app, client, scan_round, counter):
    data = marked_ballot(scan_round, struck=("c01",), seal=False)
    upload(client, scan_round, ("0002.jpg", data))
    run_once()
    scan = db.session.scalar(select(ScanImage))
    assert scan.status == "review" and "no_stamp" in scan.reading["flags"], scan.reading
    assert db.session.scalar(select(Ballot)) is None
    response = client.get(f"/scans/{scan.id}/preview.jpg")
    assert response.status_code == 200
    preview = cv2.imdecode(np.frombuffer(response.data, np.uint8), cv2.IMREAD_COLOR)
    from kiemphieu.ocr.geometry import layout_for

    paper = layout_for(scan_round.to_election()).paper
    height, width = preview.shape[:2]
    # The reader's own page warped onto the layout: boxes in millimetres fit it exactly.
    assert abs(width / height - paper.width / paper.height) < 0.005 and width >= paper.width * 100 / 25.4
    assert scan.reading["preview"] == "aligned"
    page = client.get(f"/scans/{scan.id}").get_data(as_text=True)
    assert "Không thấy dấu đỏ" in page
    client.post(f"/scans/{scan.id}", data={"ballot": "invalid", "invalid_reason": "no_stamp"})
    assert db.session.scalar(select(Ballot)).marks == {"invalid": "no_stamp"}


@pytest.mark.slow
def test_a_page_that_is_not_a_ballot_is_rejected_with_a_reason(app, client, scan_round, counter):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1654, 2339), (250, 250, 250)).save(buffer, "PNG")
    upload(client, scan_round, ("blank.png", buffer.getvalue()))
    run_once()
    scan = db.session.scalar(select(ScanImage))
    assert scan.status == "rejected" and scan.reading["reason"] == "blank_page"
    page = client.get(f"/rounds/{scan_round.id}/scans/rejected").get_data(as_text=True)
    assert "Trang trắng" in page


def test_the_reader_is_prepared_by_reading_the_round_blank_ballot_through(app, scan_round, monkeypatch):
    """warm_reader reads the round's blank ballot as a scanned file is read, to the end (the
    markers, the QR codes and the rows are found: not refused on the way), so every stage has
    built what it keeps before the reader processes are forked."""
    import kiemphieu.ocr
    import kiemphieu.worker as worker

    read = []
    original = kiemphieu.ocr.read_page
    monkeypatch.setattr(kiemphieu.ocr, "read_page", lambda *args, **kwargs: read.append(original(*args, **kwargs))
                        or read[-1])
    worker.warm_reader(scan_round.to_election(), "")
    [reading] = read
    assert reading.status != "rejected", reading.reason
    assert set(reading.marks) == {"c01", "c02", "c03"}
