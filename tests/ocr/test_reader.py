"""Reading scans (contract section 4): marks, both forms, rejections, flags, orientation."""

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.printing import render_ballot_image, render_ballot_pdf
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_images

from . import marks as m
from .conftest import make_election

DPI = 150


@pytest.fixture(scope="session")
def blank_strike(strike_election):
    return render_ballot_image(strike_election, DPI)


@pytest.fixture(scope="session")
def blank_boxes(boxes_election):
    return render_ballot_image(boxes_election, DPI)


def sealed(blank, election):
    img = blank.copy()
    m.seal(img, layout_for(election), DPI)
    return img


def read_one(data, election, profile=None):
    (reading,) = read_images(data, election, profile)
    return reading


def test_clean_sealed_ballot_reads_every_name_kept(strike_election, blank_strike):
    reading = read_one(m.jpeg(m.scanner_blur(sealed(blank_strike, strike_election))), strike_election)
    assert reading.status == "read", reading.to_json()
    assert set(reading.marks.values()) == {"kept"}
    assert reading.flags == [] and reading.reason is None
    assert set(reading.scores) == set(strike_election.candidate_ids)


def test_strikes_are_struck_and_others_kept(strike_election, blank_strike):
    layout = layout_for(strike_election)
    img = sealed(blank_strike, strike_election)
    ids = strike_election.candidate_ids
    m.strike(img, layout, DPI, ids[0])
    m.strike(img, layout, DPI, ids[2], slope=0.04, thick_mm=0.35)
    m.strike(img, layout, DPI, ids[4], slope=-0.03, thick_mm=0.8)
    reading = read_one(m.jpeg(m.scanner_blur(img)), strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks == {ids[0]: "struck", ids[1]: "kept", ids[2]: "struck", ids[3]: "kept", ids[4]: "struck"}
    assert all(reading.scores[c] >= 0.55 for c in (ids[0], ids[2], ids[4]))


def test_an_underline_is_never_read_as_struck(strike_election, blank_strike):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    for below in (0.2, 0.7, 1.2):
        img = sealed(blank_strike, strike_election)
        m.underline(img, layout, DPI, ids[1], below_mm=below)
        reading = read_one(m.jpeg(m.scanner_blur(img)), strike_election)
        assert reading.marks[ids[1]] == "uncertain", (below, reading.rows[ids[1]])
        assert "struck" not in reading.marks.values()
        assert reading.status == "review"


def test_a_half_struck_name_goes_to_review(strike_election, blank_strike):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = sealed(blank_strike, strike_election)
    row = layout.row(ids[3])
    x, _, w, _ = row.name_mm
    y = row.name.baseline - 0.33 * row.name.size
    m.line(img, DPI, (x, y), (x + w * 0.4, y))
    reading = read_one(m.jpeg(img), strike_election)
    assert reading.marks[ids[3]] == "uncertain"
    assert reading.status == "review"


def test_boxes_form_reads_agree_disagree_and_none(boxes_election, blank_boxes):
    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = sealed(blank_boxes, boxes_election)
    m.cross(img, DPI, layout.row(ids[0]).agree_mm)
    m.cross(img, DPI, layout.row(ids[1]).disagree_mm)
    reading = read_one(m.jpeg(m.scanner_blur(img)), boxes_election)
    assert reading.marks is None
    assert reading.boxes == {ids[0]: "agree", ids[1]: "disagree", ids[2]: "none"}
    assert reading.status == "read", reading.to_json()
    assert reading.box_scores[ids[0]]["agree"] >= 0.45 and reading.box_scores[ids[0]]["disagree"] < 0.2


def test_boxes_form_both_marked_is_both(boxes_election, blank_boxes):
    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = sealed(blank_boxes, boxes_election)
    m.cross(img, DPI, layout.row(ids[2]).agree_mm)
    m.cross(img, DPI, layout.row(ids[2]).disagree_mm)
    reading = read_one(m.png(img), boxes_election)
    assert reading.boxes[ids[2]] == "both"


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_rotated_and_upside_down_ballots_read_the_same(strike_election, blank_strike, turns):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = sealed(blank_strike, strike_election)
    m.strike(img, layout, DPI, ids[1])
    reading = read_one(m.jpeg(m.rotate(img, turns)), strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks[ids[1]] == "struck"
    assert sum(v == "struck" for v in reading.marks.values()) == 1
    assert reading.rotation in (90, 180, 270)


def test_slightly_skewed_scan_still_reads(strike_election, blank_strike):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = sealed(blank_strike, strike_election)
    m.strike(img, layout, DPI, ids[0])
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 1.5, 1.0)
    skewed = cv2.warpAffine(img, matrix, (w, h), borderValue=(255, 255, 255))
    reading = read_one(m.jpeg(skewed), strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks[ids[0]] == "struck" and list(reading.marks.values()).count("struck") == 1


def test_ballot_of_another_election_or_round_is_rejected(strike_election):
    for other in (make_election(5, 3, title="Bầu Ban Kiểm tra Đảng bộ xã"), make_election(5, 3, round_=2)):
        img = render_ballot_image(other, DPI)
        reading = read_one(m.jpeg(img), strike_election)
        assert reading.status == "rejected" and reading.reason == "wrong_election", reading.to_json()
        assert reading.marks is None


def test_ballot_on_another_paper_size_is_rejected(strike_election):
    other = make_election(30, 20)  # A4
    reading = read_one(m.jpeg(render_ballot_image(other, DPI)), strike_election)
    assert (reading.status, reading.reason) == ("rejected", "wrong_election")


def test_image_that_is_not_a_ballot_is_rejected():
    election = make_election(5, 3)
    rng = np.random.default_rng(1)
    img = np.full((1200, 900, 3), 255, np.uint8)
    for k in range(30):
        cv2.putText(img, "Bao cao tong ket nam 2025", (40, 40 + 38 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    noise = rng.integers(0, 255, (600, 600, 3), dtype=np.uint8)
    for data in (m.jpeg(img), m.png(noise)):
        reading = read_one(data, election)
        assert reading.status == "rejected" and reading.reason == "no_markers"


def test_blank_page_is_rejected_as_blank():
    election = make_election(5, 3)
    page = np.full((1240, 875, 3), 250, np.uint8)
    reading = read_one(m.jpeg(page), election)
    assert (reading.status, reading.reason) == ("rejected", "blank_page")


def test_corrupt_files_are_rejected_without_crash(strike_election, blank_strike, tmp_path):
    good = m.jpeg(blank_strike)
    for data in (b"", b"not an image at all", good[:2000], b"%PDF-1.7\n garbage", b"II*\x00garbage"):
        readings = read_images(data, strike_election)
        assert readings and all(r.status == "rejected" for r in readings)
        assert readings[0].reason == "unreadable_file" and readings[0].detail
    missing = read_images(str(tmp_path / "nope.jpg"), strike_election)
    assert missing[0].reason == "unreadable_file"


def png_header_only(width, height) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_enormous_image_is_rejected_before_decoding(strike_election):
    for width, height in ((60000, 60000), (20000, 9000)):
        (reading,) = read_images(png_header_only(width, height), strike_election)
        assert (reading.status, reading.reason) == ("rejected", "unreadable_file")
        assert "too large" in reading.detail


def test_missing_seal_on_a_colour_scan_is_flagged(strike_election, blank_strike):
    reading = read_one(m.jpeg(blank_strike), strike_election)
    assert "no_stamp" in reading.flags and reading.status == "review"


def test_seal_on_a_grey_scan_is_checked_by_its_shape(strike_election, blank_strike):
    """Issue 11: a grey scan shows no colour, but the seal's ring still shows; an empty stamp
    area is no_stamp, never a counted ballot."""
    grey = cv2.cvtColor(blank_strike, cv2.COLOR_BGR2GRAY)
    reading = read_one(m.png(grey), strike_election)
    assert reading.status == "review" and reading.flags == ["no_stamp"], reading.checks
    stamped = cv2.cvtColor(sealed(blank_strike, strike_election), cv2.COLOR_BGR2GRAY)
    reading = read_one(m.jpeg(stamped), strike_election)
    assert reading.status == "read" and reading.flags == [], reading.checks
    assert reading.checks["seal_shape"]["ring_cover"] >= load_profile().seal.min_ring_cover


def test_ink_in_the_stamp_area_that_is_not_a_seal_is_unchecked(strike_election, blank_strike):
    """A scribble where the seal belongs: not the seal's shape, and not empty either."""
    img = blank_strike.copy()
    x, y, w, h = layout_for(strike_election).stamp_mm
    for i in range(6):
        cv2.line(img, (m.px(x + 8, DPI), m.px(y + 5 + 3 * i, DPI)), (m.px(x + 40, DPI), m.px(y + 8 + 3 * i, DPI)),
                 (40, 30, 40), 3)
    reading = read_one(m.png(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)), strike_election)
    assert reading.status == "review" and reading.flags == ["seal_unchecked"], reading.checks


def test_scanner_streak_is_flagged(strike_election, blank_strike):
    img = sealed(blank_strike, strike_election)
    m.streak(img, 70.0, DPI)
    reading = read_one(m.jpeg(img), strike_election)
    assert "streak" in reading.flags and reading.status == "review"


def test_writing_in_the_margin_is_flagged(strike_election, blank_strike):
    img = sealed(blank_strike, strike_election)
    m.margin_writing(img, layout_for(strike_election), DPI)
    reading = read_one(m.jpeg(img), strike_election)
    assert "extra_writing" in reading.flags and reading.status == "review"
    assert set(reading.marks.values()) == {"kept"}


def test_multipage_tiff_and_pdf_give_one_reading_per_page(strike_election, blank_strike):
    pages = [Image.fromarray(cv2.cvtColor(sealed(blank_strike, strike_election), cv2.COLOR_BGR2RGB))] * 2
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate")
    readings = read_images(buffer.getvalue(), strike_election)
    assert [r.page for r in readings] == [0, 1]
    assert all(r.status == "read" for r in readings), [r.to_json() for r in readings]
    pdf = render_ballot_pdf(strike_election, copies=3)
    readings = read_images(pdf, strike_election, "bw-300dpi")
    assert [r.page for r in readings] == [0, 1, 2]
    # Unmarked pages on a bitonal scanner go to a person: a faint pen may have vanished (and
    # these pages carry no seal).
    assert all(r.status == "review" and "no_marks" in r.flags and "no_stamp" in r.flags for r in readings), \
        [r.to_json() for r in readings]


def test_bitonal_300dpi_scan_with_bw_profile(strike_election):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    def scan(img):
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        bitonal = Image.fromarray(grey).point(lambda v: 255 if v > 150 else 0).convert("1")
        buffer = io.BytesIO()
        bitonal.save(buffer, format="TIFF", compression="group4")
        return read_one(buffer.getvalue(), strike_election, "bw-300dpi")

    img = render_ballot_image(strike_election, 300)
    m.seal(img, layout, 300)  # checked by its shape: a bitonal scan has no colour
    m.strike(img, layout, 300, ids[3])
    reading = scan(img)
    # 4 names kept for 3 seats: on a bitonal scanner a faint strike may have vanished.
    assert reading.status == "review" and reading.flags == ["few_marks"], reading.to_json()
    m.strike(img, layout, 300, ids[0])
    reading = scan(img)
    assert reading.status == "read", reading.to_json()
    assert reading.marks[ids[3]] == reading.marks[ids[0]] == "struck"
    assert list(reading.marks.values()).count("struck") == 2


def test_a_bitonal_page_read_with_a_colour_profile_is_checked_for_vanished_pens(strike_election):
    """A scanner set to black and white behind the colour feeder's profile: its threshold can drop
    a pen as it drops the seal's red, so more names kept than seats (`few_marks`) or no mark at
    all (`no_marks`) is flagged as the bitonal profile flags it; not so on the same page in grey."""
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids

    def scan(img, bitonal=True):
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        page = Image.fromarray(grey).point(lambda v: 255 if v > 150 else 0).convert("1") if bitonal \
            else Image.fromarray(grey)
        buffer = io.BytesIO()
        page.save(buffer, format="TIFF", compression="group4" if bitonal else "tiff_lzw")
        return read_one(buffer.getvalue(), strike_election, "feeder-200dpi-colour")

    img = render_ballot_image(strike_election, 300)
    m.seal(img, layout, 300)
    assert "no_marks" in scan(img).flags
    assert "no_marks" not in scan(img, bitonal=False).flags
    m.strike(img, layout, 300, ids[3])
    assert "few_marks" in scan(img).flags  # 4 names kept for 3 seats
    assert "few_marks" not in scan(img, bitonal=False).flags


def test_phone_photo_with_perspective_and_shade(strike_election, blank_strike):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = sealed(blank_strike, strike_election)
    m.strike(img, layout, DPI, ids[2])
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[60, 40], [w + 20, 70], [w + 40, h + 90], [30, h + 60]])
    photo = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w + 120, h + 160),
                                borderValue=(90, 90, 90))
    shade = np.linspace(0.7, 1.0, photo.shape[1], dtype=np.float32)[None, :, None]
    photo = (photo.astype(np.float32) * shade).astype(np.uint8)
    reading = read_one(m.jpeg(photo), strike_election, "phone-photo")
    assert reading.reason is None, reading.to_json()
    assert reading.marks[ids[2]] == "struck" and list(reading.marks.values()).count("struck") == 1
    strict = read_one(m.jpeg(photo), strike_election, "feeder-200dpi-colour")
    assert (strict.status, strict.reason) == ("rejected", "bad_geometry")


def test_reading_json_has_contract_fields(strike_election, blank_strike):
    data = read_one(m.jpeg(blank_strike), strike_election).to_json()
    assert set(data) >= {"file", "page", "status", "marks", "boxes", "flags", "scores", "reason"}
    assert data["profile"] == "feeder-200dpi-colour" and data["profile_digest"]


def test_two_markers_suffice_and_fewer_are_rejected(strike_election, blank_strike):
    """Issue 11 class 3: a feeder may cut one or two corners off; the markers left and the
    print itself fix the page. One marker is a page only with a QR code where it puts one
    (`markers.code_anchors`); alone it is not."""
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = sealed(blank_strike, strike_election)
    m.strike(img, layout, DPI, ids[0])
    (_, (x0, y0, w0, h0)), (_, (x, y, w, h)), (_, (x2, y2, w2, h2)) = layout.markers[0], layout.markers[1], layout.markers[3]
    one_cut = img.copy()
    one_cut[: m.px(y + h + 1, DPI), m.px(x - 1, DPI):] = 255  # top-right corner cut off
    reading = read_one(m.jpeg(one_cut), strike_election)
    assert reading.status == "read" and reading.marks[ids[0]] == "struck", reading.to_json()
    assert reading.checks["markers"] == 3 and reading.checks["fit"] == "print"
    two_cut = one_cut.copy()
    two_cut[m.px(y2 - 1, DPI):, : m.px(x2 + w2 + 1, DPI)] = 255  # and the bottom-left one
    reading = read_one(m.jpeg(two_cut), strike_election)
    assert reading.status == "read" and reading.marks[ids[0]] == "struck", reading.to_json()
    assert reading.checks["markers"] == 2 and reading.checks["corner_error_mm"] < 0.5
    three_cut = two_cut.copy()
    three_cut[: m.px(y0 + h0 + 1, DPI), : m.px(x0 + w0 + 1, DPI)] = 255  # and the top-left one
    reading = read_one(m.jpeg(three_cut), strike_election)
    assert reading.status == "read" and reading.marks[ids[0]] == "struck", reading.to_json()
    assert reading.checks["markers"] == 1 and reading.checks["code_anchors"] == 2
    codes_cut = three_cut.copy()
    for qx, qy, qs, _ in layout.code_boxes:  # and both QR codes
        codes_cut[m.px(qy - 1, DPI):m.px(qy + qs + 1, DPI), m.px(qx - 1, DPI):m.px(qx + qs + 1, DPI)] = 255
    reading = read_one(m.jpeg(codes_cut), strike_election)
    assert (reading.status, reading.reason) == ("rejected", "no_markers")