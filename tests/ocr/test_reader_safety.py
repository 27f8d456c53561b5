"""Regression tests for the silent-error classes the synthetic benchmark found.

Each builds the case with the synthetic module's mark functions on a printed ballot and checks
that the reader sends the row to a person (`uncertain`, ballot `review`) instead of guessing.
"""

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.printing import render_ballot_image
from kiemphieu.ocr.reader import read_images
from kiemphieu.ocr.synthetic import marks as mk
from kiemphieu.ocr.synthetic.ink import Pen, box_to_px, draw_strokes

from . import marks as m

DPI = 200
BLUE = Pen("blue_ballpoint", (150, 60, 25), 0.40, 0.85, 0.0)
BLACK = Pen("black_ballpoint", (45, 40, 40), 0.40, 0.85, 0.0)
FAINT_BLUE = Pen("blue_ballpoint_faint", (170, 95, 60), 0.35, 0.45, 0.0)


def draw(img, strokes, pen=BLUE, seed=0):
    draw_strokes(img, strokes, pen, DPI, np.random.default_rng(seed))


def read(img, election, profile=None):
    (reading,) = read_images(m.jpeg(m.scanner_blur(img, 0.6), 80), election, profile)
    return reading


def name_px(layout, cid):
    return box_to_px(layout.row(cid).name_mm, DPI)


def test_a_tick_beside_or_over_a_name_is_uncertain_not_kept(strike_election, strike_blank):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    for seed in range(3):
        img = strike_blank.copy()
        draw(img, mk.tick(name_px(layout, ids[1]), DPI, np.random.default_rng(seed)), BLACK, seed)
        reading = read(img, strike_election)
        assert reading.marks[ids[1]] == "uncertain", (seed, reading.rows[ids[1]])
        assert reading.status == "review"


def test_a_circle_round_a_name_is_uncertain(strike_election, strike_blank):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    draw(img, mk.circle(name_px(layout, ids[2]), DPI, np.random.default_rng(1)))
    reading = read(img, strike_election)
    assert reading.marks[ids[2]] == "uncertain", reading.rows[ids[2]]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_strike_taken_back_is_uncertain_not_struck(strike_election, strike_blank, seed):
    """A strike then circled or looped over ("ignore this line") is a correction, not a strike."""
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    draw(img, mk.correction(name_px(layout, ids[0]), DPI, np.random.default_rng(seed)), BLUE, seed)
    reading = read(img, strike_election)
    assert reading.marks[ids[0]] == "uncertain", reading.rows[ids[0]]
    assert reading.status == "review"


def test_plain_strikes_of_every_kind_are_still_struck(strike_election, strike_blank):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    for cid, kind in zip(ids, ("straight", "slanted", "wavy", "double", "overshoot")):
        draw(img, mk.strike(name_px(layout, cid), kind, DPI, np.random.default_rng(7)), BLUE, 7)
    reading = read(img, strike_election)
    assert set(reading.marks.values()) == {"struck"}, reading.rows
    assert reading.status == "read"


def test_a_strike_through_the_bottom_of_the_letters_is_struck(strike_election, strike_blank):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    row = layout.row(ids[3])
    x, _, w, _ = row.name_mm
    y = row.name.baseline - 0.15 * row.name.size  # low in the x-height, above the baseline
    m.line(img, DPI, (x - 1, y), (x + w + 1, y), 0.4)
    reading = read(img, strike_election)
    assert reading.marks[ids[3]] == "struck", reading.rows[ids[3]]


def test_a_faint_blue_stroke_hidden_on_the_letters_forbids_kept(strike_election, strike_blank):
    """A pale blue line lying along the tops of the letters: too light and too close to the print
    for the grey ink measure, but blue, so not a clean row."""
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    x0, y0, x1, y1 = name_px(layout, ids[4])
    row = layout.row(ids[4])
    y = (row.name.baseline - 0.46 * row.name.size) * DPI / 25.4  # the x-height line
    x = x0 + 0.5 * (x1 - x0)
    draw(img, [np.array([[x, y], [x + 0.3 * (x1 - x0), y]])], FAINT_BLUE)
    reading = read(img, strike_election)
    assert reading.marks[ids[4]] == "uncertain", reading.rows[ids[4]]
    assert reading.rows[ids[4]]["tint_mm2"] >= 0.5  # seen by its colour


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_scribbled_box_is_uncertain(boxes_election, boxes_blank, seed):
    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = boxes_blank.copy()
    rng = np.random.default_rng(seed)
    draw(img, mk.scribble(box_to_px(layout.row(ids[0]).disagree_mm, DPI), DPI, rng), BLUE, seed)
    reading = read(img, boxes_election)
    assert reading.boxes[ids[0]] == "uncertain", reading.box_scores[ids[0]]
    assert reading.box_scores[ids[0]]["disagree_sides"] >= 3  # ink reaches the middle of 3+ sides
    assert reading.status == "review"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_box_correction_is_uncertain_not_both(boxes_election, boxes_blank, seed):
    """An X scribbled over in one box and an X in the other: the voter changed their mind."""
    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = boxes_blank.copy()
    rng = np.random.default_rng(seed)
    row = layout.row(ids[1])
    draw(img, mk.box_correction(box_to_px(row.agree_mm, DPI), DPI, rng), BLACK, seed)
    draw(img, mk.x_mark(box_to_px(row.disagree_mm, DPI), DPI, rng), BLACK, seed)
    reading = read(img, boxes_election)
    assert reading.boxes[ids[1]] == "uncertain", reading.box_scores[ids[1]]


def test_plain_x_marks_still_read(boxes_election, boxes_blank):
    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = boxes_blank.copy()
    rng = np.random.default_rng(3)
    draw(img, mk.x_mark(box_to_px(layout.row(ids[0]).agree_mm, DPI), DPI, rng))
    draw(img, mk.x_mark(box_to_px(layout.row(ids[1]).disagree_mm, DPI), DPI, rng))
    reading = read(img, boxes_election)
    assert reading.boxes == {ids[0]: "agree", ids[1]: "disagree", ids[2]: "none"}, reading.box_scores
    assert reading.status == "read"


def test_a_ballot_without_marks_on_a_bitonal_scanner_goes_to_review(strike_election):
    """A faint pen can vanish under a bitonal scanner's threshold: a blank ballot is looked at."""
    img = render_ballot_image(strike_election, 300)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    (reading,) = read_images(m.png(np.where(grey > 150, 255, 0).astype(np.uint8)), strike_election, "bw-300dpi")
    assert reading.status == "review" and set(reading.flags) == {"no_marks", "seal_unchecked"}
    assert set(reading.marks.values()) == {"kept"}


def test_a_pale_scribble_on_a_worn_scan_is_uncertain(boxes_election, boxes_blank):
    """A thin pen's scribble on a faded, blurred scan: at the ink level it looks like an X (one
    inked side, two crossings); its faint ink reaches the middle of all four sides."""
    from kiemphieu.ocr.synthetic import LEVELS, degrade

    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = boxes_blank.copy()
    rng = np.random.default_rng(1)
    thin = Pen("thin_black", (50, 45, 45), 0.25, 0.75, 0.3)
    draw_strokes(img, mk.scribble(box_to_px(layout.row(ids[0]).agree_mm, DPI), DPI, rng), thin, DPI, rng)
    worn, _ = degrade(img, LEVELS["L4"], np.random.default_rng(1), DPI)
    (reading,) = read_images(m.jpeg(worn, 38), boxes_election)
    assert reading.boxes[ids[0]] == "uncertain", reading.box_scores[ids[0]]
    assert reading.box_scores[ids[0]]["agree_pale_sides"] == 4
