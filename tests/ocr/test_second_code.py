"""The second QR code (issue 11, class 3): printed in the corner opposite the first, the same
payload; a page whose first code is cut off is identified by the second, two codes that disagree
reject the page, and ballots printed before the second code still read."""

import json

import cv2
import numpy as np
import pikepdf
import pytest

from kiemphieu.ocr import Reason
from kiemphieu.ocr.geometry import QR_QUIET, layout_for, legacy_layout_for, qr_box, second_qr_box
from kiemphieu.ocr.printing import qr_cells, render_ballot_image, render_ballot_pdf, render_layout_image
from kiemphieu.ocr.reader import read_images, read_page
from kiemphieu.ocr.decode import decode_pages
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.tally import Form

from . import marks as m
from .conftest import make_election

DPI = 150


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def grown(box, by):
    x, y, w, h = box
    return (x - by, y - by, w + 2 * by, h + 2 * by)


def marked_strike_ballot(election, image=None):
    """A sealed ballot with the first and third names struck; (image, expected marks)."""
    layout = layout_for(election)
    img = render_ballot_image(election, DPI) if image is None else image
    m.seal(img, layout, DPI)
    ids = election.candidate_ids
    m.strike(img, layout, DPI, ids[0])
    m.strike(img, layout, DPI, ids[2], slope=0.03)
    return img, {cid: ("struck" if cid in (ids[0], ids[2]) else "kept") for cid in ids}


def draw_code(img, payload, box, dpi=DPI):
    """Print a QR code of `payload` over `box` (mm), white quiet zone included."""
    x, y, size, _ = box
    k = dpi / 25.4
    q = QR_QUIET
    cv2.rectangle(img, (int((x - q) * k), int((y - q) * k)), (int((x + size + q) * k), int((y + size + q) * k)),
                  (255, 255, 255), -1)
    cells = qr_cells(payload)
    n = len(cells)
    for r, row in enumerate(cells):
        for c, black in enumerate(row):
            if black:
                x0, y0 = x + c * size / n, y + r * size / n
                cv2.rectangle(img, (int(round(x0 * k)), int(round(y0 * k))),
                              (int(round((x0 + size / n) * k)) - 1, int(round((y0 + size / n) * k)) - 1), (0, 0, 0), -1)


# ------------------------------------------------------------------------------------ layout


@pytest.mark.parametrize("n,seats", [(3, 3), (5, 3), (20, 15), (80, 70), (80, 80)])
def test_the_second_code_is_opposite_the_first_and_clear_of_everything_printed(n, seats):
    layout = layout_for(make_election(n, seats))
    paper = layout.paper
    assert layout.qr_mm == qr_box(paper) and layout.qr2_mm == second_qr_box(paper)
    x, y, w, h = layout.qr2_mm
    assert x + w <= paper.width - 6.0 and y >= 6.0  # inside the printable margin, top-right
    assert x > paper.width / 2 and y < paper.height / 4  # the corner diagonally opposite the first
    quiet = grown(layout.qr2_mm, QR_QUIET)
    for item in layout.texts:
        assert not overlaps(item.box, quiet), item
    for row in layout.rows:
        assert not overlaps(row.row_mm, quiet)
    for _, box in layout.markers:
        assert not overlaps(box, layout.qr2_mm)
    assert not overlaps(layout.stamp_mm, quiet)
    assert all(not overlaps(rule, quiet) for rule in layout.rules)


def test_the_layout_json_keeps_its_fields_and_adds_the_second_code():
    election = make_election(5, 3)
    new, old = layout_for(election).to_json(), legacy_layout_for(election).to_json()
    assert new["qr"]["box_mm"] == old["qr"]["box_mm"] == new["qr_box_mm"]  # the first code: where it was
    assert new["qr2"] == {"payload": new["qr"]["payload"], "box_mm": new["qr2_box_mm"], "version": 2}
    assert new["candidates"] == old["candidates"] and new["stamp_mm"] == old["stamp_mm"]
    assert new["fiducials"] == old["fiducials"] and new["page"] == old["page"]
    assert "qr2" not in old and "qr2_box_mm" not in old
    assert new["digest"] != old["digest"]
    assert new["qr"]["payload"].endswith(new["digest"][:10].upper())


def test_the_pdf_prints_both_codes_as_vector_paths_with_extractable_text(boxes_election):
    pdf = pikepdf.open(__import__("io").BytesIO(render_ballot_pdf(boxes_election)))
    page = pdf.pages[0]
    images = list(page.get_images())
    assert images == []  # no raster: codes, markers and text are vector
    layout = layout_for(boxes_election)
    image = render_layout_image(layout, 200)
    k = 200 / 25.4
    for box in layout.code_boxes:
        x, y, w, h = box
        crop = image[int(y * k) - 10:int((y + h) * k) + 10, int(x * k) - 10:int((x + w) * k) + 10]
        text, _, _ = cv2.QRCodeDetector().detectAndDecode(crop)
        assert text == layout.qr_payload


# ------------------------------------------------------------------------------------ reading


def test_a_page_whose_first_code_is_cut_off_reads_by_the_second(strike_election):
    img, expected = marked_strike_ballot(strike_election)
    layout = layout_for(strike_election)
    k = DPI / 25.4
    # The feeder cut the bottom: both bottom markers and more than half the first QR code gone.
    cut = img[:int((layout.paper.height - 18.0) * k)]
    (reading,) = read_images(m.jpeg(m.scanner_blur(cut)), strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks == expected
    assert reading.checks["qr_codes"] == ["qr2"] and reading.checks["markers"] == 2


def test_a_page_whose_second_code_is_cut_off_reads_by_the_first(strike_election):
    img, expected = marked_strike_ballot(strike_election)
    layout = layout_for(strike_election)
    k = DPI / 25.4
    x = layout.qr2_mm[0] + 8.0  # the right edge cut through the second code and both markers
    (reading,) = read_images(m.jpeg(m.scanner_blur(img[:, :int(x * k)])), strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks == expected and reading.checks["qr_codes"] == ["qr"]


def test_a_whole_page_is_identified_by_both_codes(strike_election):
    img, expected = marked_strike_ballot(strike_election)
    (reading,) = read_images(m.jpeg(m.scanner_blur(img)), strike_election)
    assert reading.status == "read" and reading.marks == expected
    assert reading.checks["qr_codes"] == ["qr", "qr2"]
    assert reading.checks["qr_agreement"] > 0.95 and reading.checks["qr2_agreement"] > 0.95


@pytest.mark.parametrize("which", [0, 1])
def test_two_codes_that_disagree_reject_the_page(strike_election, which):
    """A code of the next round pasted over one of the two (a ballot tampered with, or two
    ballots' halves): neither can be trusted."""
    img, _ = marked_strike_ballot(strike_election)
    layout = layout_for(strike_election)
    other = layout_for(make_election(5, 3, round_=2)).qr_payload
    assert other != layout.qr_payload
    draw_code(img, other, layout.code_boxes[which])
    (reading,) = read_images(m.jpeg(m.scanner_blur(img)), strike_election)
    assert reading.status == "rejected" and reading.reason == Reason.CODES_DISAGREE
    assert reading.to_json()["reason"] == "codes_disagree" and reading.marks is None


def test_both_codes_of_another_round_are_the_wrong_election(strike_election):
    next_round = make_election(5, 3, round_=2)
    img, _ = marked_strike_ballot(next_round)
    (reading,) = read_images(m.jpeg(img), strike_election)
    assert reading.status == "rejected" and reading.reason == Reason.WRONG_ELECTION


def test_a_page_with_neither_code_readable_is_rejected(strike_election):
    img, _ = marked_strike_ballot(strike_election)
    layout = layout_for(strike_election)
    k = DPI / 25.4
    for x, y, w, h in layout.code_boxes:  # both codes blotted out (ink over the modules)
        cv2.rectangle(img, (int(x * k), int(y * k)), (int((x + w) * k), int((y + h) * k)), (0, 0, 0), -1)
    (reading,) = read_images(m.jpeg(img), strike_election)
    assert reading.status == "rejected" and reading.reason == Reason.QR_UNREADABLE


# ------------------------------------------------------------------------------ old ballots


def test_a_ballot_printed_before_the_second_code_still_reads(strike_election):
    legacy = legacy_layout_for(strike_election)
    assert legacy.qr2_mm is None and legacy.code_boxes == (legacy.qr_mm,)
    blank = np.array(render_layout_image(legacy, DPI), copy=True)
    img, expected = marked_strike_ballot(strike_election, blank)
    (reading,) = read_images(m.jpeg(m.scanner_blur(img)), strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks == expected
    assert reading.layout_digest == legacy.digest != layout_for(strike_election).digest
    assert reading.checks["qr_codes"] == ["qr"]


def test_an_old_single_code_layout_given_to_the_reader_reads_its_ballots(boxes_election):
    """The layout without the new field, given explicitly (as a caller holding an old layout
    JSON would): read with one code, as before."""
    legacy = legacy_layout_for(boxes_election)
    assert legacy.form == Form.BOXES
    blank = np.array(render_layout_image(legacy, DPI), copy=True)
    m.seal(blank, legacy, DPI)
    row = legacy.rows[0]
    m.cross(blank, DPI, row.agree_mm)
    profile = load_profile()
    (page,) = decode_pages(m.jpeg(blank), profile)
    reading = read_page(page, boxes_election, profile, "old.jpg", legacy)
    assert reading.status == "read", reading.to_json()
    assert reading.boxes[row.id] == "agree" and reading.layout_digest == legacy.digest


def test_the_layout_of_an_old_ballot_is_what_print_wrote_then(strike_election):
    """legacy_layout_for reproduces the single-code layout: no field of the second code, and
    the digest its QR code carries (computed by the code before the second code, at 04aaccc)."""
    data = json.loads(json.dumps(legacy_layout_for(strike_election).to_json()))
    assert set(data) == {"schema", "form", "page", "stamp_mm", "candidates", "columns", "pitch_mm",
                         "fiducials", "election", "texts", "rules_mm", "qr_box_mm", "digest", "qr"}
    assert data["digest"] == "2163d0cf96e77378be2cbd1f6ab7ee203bb839337aceef9d071f32f89381c5a2"
