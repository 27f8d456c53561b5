"""Pages with one corner marker left (a feeder's shift cut a third marker, or left it on the
image's edge undetected): the QR codes, found where that marker puts them, anchor the page map
beside it, and the page is fitted to its print (issue 11, cut corners). Were rejected
`no_markers`: ~1 % of the cut-corner class on both splits at 500 ballots a split."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kiemphieu.ocr import markers, reader
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

PROFILE = load_profile()
ONE_MARKER = ("tune", "cut_corner", "L1", 151, "strike64")  # the top edge cut: one marker whole, both codes


def test_a_page_with_one_marker_left_is_read_from_its_qr_codes():
    data, _, truth = make_class_ballot_file(*ONE_MARKER)
    reading = read_bytes(data, split_elections("tune")[ONE_MARKER[4]], PROFILE)
    assert reading.checks["markers"] == 1 and reading.checks["code_anchors"] == 2
    assert reading.checks["fit"] == "print" and reading.checks["corner_error_mm"] <= PROFILE.geometry.max_corner_error_mm
    assert reading.status == "read"
    assert all(reading.marks[cid] == row["expected"] for cid, row in truth["marks"].items())


def test_without_the_codes_that_page_is_rejected(monkeypatch):
    data, _, _ = make_class_ballot_file(*ONE_MARKER)
    monkeypatch.setattr(reader, "code_anchors", lambda grey, found: None)
    reading = read_bytes(data, split_elections("tune")[ONE_MARKER[4]], PROFILE)
    assert reading.status == "rejected" and reading.reason == "no_markers"


def test_a_profile_asking_for_more_markers_gets_no_code_anchors():
    data, _, _ = make_class_ballot_file(*ONE_MARKER)
    strict = replace(PROFILE, geometry=replace(PROFILE.geometry, min_markers=3))
    reading = read_bytes(data, split_elections("tune")[ONE_MARKER[4]], strict)
    assert reading.status == "rejected" and reading.reason == "no_markers"


def test_code_anchors_need_exactly_one_known_marker_and_a_code_of_its_size():
    grey = np.full((400, 300), 255, np.uint8)
    assert markers.code_anchors(grey, {}) is None
    assert markers.code_anchors(grey, {999: np.zeros((4, 2))}) is None  # an id we never print
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], float)
    assert markers._code_shaped(square, 100.0) and markers._code_shaped(square, 95.0)
    assert not markers._code_shaped(square, 80.0)  # a code of another size: not ours
    skewed = square.copy()
    skewed[2] = [100, 130]
    assert not markers._code_shaped(skewed, 100.0)
