"""Writing where none belongs on a curled page (issue 11, boxes L2): the headings a millimetre
off the template are print, not writing; a pen's note or underline beside them is still writing.
The generated examples are tuning-split ballots flagged `extra_writing` before
`checks.worst_with_print_moved` (a window 22-25 % inked by the headings' own slivers)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiemphieu.ocr import checks
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from .conftest import _sealed_blank, make_election
from .test_reader_scanners import CURLED_SCANS, scan

CURLED_HEADINGS = [  # (class, level, index, election): curl 0.68-0.77 mm, ink bled 0.87-0.96 px
    ("plain", "L2", 236, "boxes6"),
    ("plain", "L2", 245, "boxes3"),
    ("grey_seal", "L2", 152, "boxes6"),
]


@pytest.mark.parametrize("item", CURLED_HEADINGS, ids=lambda item: f"{item[0]}-{item[2]}")
def test_headings_moved_by_a_curled_page_are_not_writing(item):
    cls, level, index, name = item
    data, _, truth = make_class_ballot_file("tune", cls, level, index, name)
    election = split_elections("tune")[name]
    profile = load_profile()
    reading = read_bytes(data, election, profile)
    assert "extra_writing" not in reading.flags, reading.checks
    assert reading.status == "read" and all(reading.boxes[c] in row["accept"] for c, row in truth["marks"].items())
    in_place = replace(profile, writing=replace(profile.writing, print_shift_mm=0.0))
    assert "extra_writing" in read_bytes(data, election, in_place).flags


UNDERLINES_MM = [  # (a heading's baseline on the A5 boxes ballot, how far under it the line runs)
    (42.0, 1.6),  # the bold title (0.6 mm under it is within any clearance, as on a flat page)
    (49.8, 0.6), (49.8, 1.6), (54.8, 0.6), (54.8, 1.6), (60.4, 0.6), (60.4, 1.6),  # the headings
]


@pytest.fixture(scope="module")
def boxes_three():
    election = make_election(3, 3)
    return election, np.array(_sealed_blank(election), copy=True)


@pytest.mark.parametrize("underline", UNDERLINES_MM, ids=lambda u: f"{u[0]}+{u[1]}")
@pytest.mark.parametrize("name", ["curl_motion", "curl_gaussian"])
def test_an_underline_beside_a_curled_pages_heading_is_still_writing(boxes_three, underline, name):
    """A thin pen's short underline under a heading: the print moved to where it lies does not
    cover it (the seal's zone does not move with the print, and the moved print needs only
    `moved_print_clearance_mm` of room). In a trial of 480 underlines, 13 were lost while the
    zones moved with the print, 5 while the moved print kept the in-place clearance."""
    election, img = boxes_three
    baseline, below = underline
    k = 200 / 25.4
    underlined = img.copy()
    y = int((baseline + below) * k)
    cv2.line(underlined, (int(55 * k), y), (int(61 * k), y + 2), (150, 60, 25), 2, cv2.LINE_AA)
    reading = read_bytes(scan(underlined, CURLED_SCANS[name]), election, load_profile())
    assert "extra_writing" in reading.flags, reading.checks


def test_the_print_is_found_where_it_lies():
    """`local_print_shift`: the shift that puts the template's print under the page's ink; none
    where the page holds only writing, the smaller one on a tie."""
    template = np.full((60, 80), 255, np.uint8)
    template[20:24, 10:70] = 0  # a heading's letters, as one bar
    template[34:37, 15:50] = 0
    page = np.zeros((60, 80), np.uint8)
    page[23:27, 12:72] = 1  # the same print 3 px lower and 2 px to the right
    page[37:40, 17:52] = 1
    page[45:47, 20:40] = 1  # and a pen's line under it
    assert checks.local_print_shift(page[10:50, 8:75], template, (10, 50, 8, 75), 4) == (3, 2)
    writing_only = np.zeros((60, 80), np.uint8)
    writing_only[50:52, 10:40] = 1
    assert checks.local_print_shift(writing_only[10:55, 8:75], template, (10, 55, 8, 75), 4) == (0, 0)


def test_dense_windows_are_those_is_writing_flags():
    mask = np.zeros((40, 40), np.uint8)
    mask[12:14, 0:10] = 1  # 20 px: 20 % of a 10 x 10 window
    found = checks.dense_windows(mask, 10, 0.06)
    assert sorted(found) == [(5, 5), (10, 0)]  # the tiles from 0, and from half a cell
    assert checks.dense_windows(mask, 10, 0.25) == []


def _print_shift_exhaustively(ink, template_grey, box, reach):
    """Every shift summed one by one: what `local_print_shift` must answer."""
    y0, y1, x0, x1 = box
    best, best_key = (0, 0), None
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            darkness = 255 - template_grey[y0 - dy:y1 - dy, x0 - dx:x1 - dx].astype(np.int64)
            key = (int((ink.astype(np.int64) * darkness).sum()), -(dy * dy + dx * dx))
            if best_key is None or key > best_key:
                best, best_key = (dy, dx), key
    return best


def test_the_print_shift_is_the_exhaustive_searchs():
    """The shifts summed at once answer as the shift-by-shift search does, ties (the smaller
    shift, then the first in order) included, on random print and ink and on flat print."""
    rng = np.random.default_rng(11)
    for trial in range(60):
        h, w, reach = int(rng.integers(20, 90)), int(rng.integers(20, 90)), int(rng.integers(1, 9))
        template = np.full((h + 2 * reach + 4, w + 2 * reach + 4), 255, np.uint8)
        if trial % 3 == 0:
            template[rng.random(template.shape) < 0.2] = rng.integers(0, 200)
        elif trial % 3 == 1:
            template[:, template.shape[1] // 2 - 2:template.shape[1] // 2 + 3] = 0  # a bar: shifts along it tie
        ink = (rng.random((h, w)) < rng.uniform(0.0, 0.4)).astype(np.uint8)
        box = (reach + 2, reach + 2 + h, reach + 2, reach + 2 + w)
        assert checks.local_print_shift(ink, template, box, reach) == _print_shift_exhaustively(ink, template, box, reach)
