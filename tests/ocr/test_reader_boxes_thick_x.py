"""A thick pen's X in a small box (issue 11, plain boxes ballots at L0-L2): its edges at 8 px/mm
run along its diagonals, but lean level a little more than a thin pen's (edge_excess 0.1-0.19
on the tuning split). It is marked like any box up to the struck-through limit
(`cancel_edge_excess`); the same X struck through by lines stays uncertain."""

import numpy as np
import pytest

from kiemphieu.ocr import load_profile, read_images
from kiemphieu.ocr.synthetic import classes, marks as mk
from kiemphieu.ocr.synthetic.ink import box_to_px, draw_strokes

PROFILE = load_profile("feeder-200dpi-colour")
BX = PROFILE.boxes

# Tuning-split plain ballots whose one thick blue marker's X (heavy: 3 sides inked, fill 0.65-0.9)
# was `uncertain` only by edge_excess (0.116, 0.156 > the former x_max_edge_excess 0.1).
BALLOTS = {("tune", "plain", "L1", 55, "boxes6"): ("c03", "disagree"),
           ("tune", "plain", "L0", 231, "boxes3"): ("c03", "agree")}


def _read(ballot, extra=None):
    """Read `ballot`; `extra(box_px, dpi, rng, pen)` returns strokes drawn over the thick X's box
    with the ballot's own pen (and, with "other", a mark in the row's other box)."""
    original_mark, original_pen = classes._mark_boxes, classes._pen
    pens = []

    def pen_of(rng, variety):
        pens.append(original_pen(rng, variety))
        return pens[-1]

    def marked(image, layout, dpi, rng, cls, variety):
        truth = original_mark(image, layout, dpi, rng, cls, variety)
        if extra is not None:
            cid, side = BALLOTS[ballot]
            row = next(c for c in layout["candidates"] if c["id"] == cid)
            for which, strokes in extra(row, side, dpi, np.random.default_rng(7), variety).items():
                draw_strokes(image, strokes, pens[-1], dpi, np.random.default_rng(8))
        return truth

    classes._mark_boxes, classes._pen = marked, pen_of
    try:
        data, _, truth = classes.make_class_ballot_file(*ballot)
    finally:
        classes._mark_boxes, classes._pen = original_mark, original_pen
    election = classes.split_elections("tune")[ballot[-1]]
    return read_images(data, election, PROFILE)[0], truth, pens[-1]


@pytest.mark.parametrize("ballot", list(BALLOTS), ids=lambda b: f"{b[2]}:{b[3]}")
def test_a_thick_pens_x_leaning_level_is_marked(ballot):
    reading, truth, pen = _read(ballot)
    cid, side = BALLOTS[ballot]
    assert pen.name == "thick_blue_marker" and truth["marks"][cid]["expected"] == side
    scores = reading.box_scores[cid]
    assert scores[f"{side}_sides"] >= 3  # heavy: only its edges tell it is an X
    assert 0.1 < scores[f"{side}_edge_excess"] < BX.cancel_edge_excess
    assert reading.boxes[cid] == side
    assert reading.status == "read"
    assert all(reading.boxes[c] == m["expected"] for c, m in truth["marks"].items())


def _struck(row, side, dpi, rng, variety):
    return {"lines": classes.cancel_lines(box_to_px(row[f"{side}_mm"], dpi), dpi, rng, variety)}


def _struck_and_other(row, side, dpi, rng, variety):
    other = "agree" if side == "disagree" else "disagree"
    return {**_struck(row, side, dpi, rng, variety),
            "other": mk.x_mark(box_to_px(row[f"{other}_mm"], dpi), dpi, rng)}


@pytest.mark.parametrize("extra", [_struck, _struck_and_other], ids=["struck through", "struck through, other box marked"])
@pytest.mark.parametrize("ballot", list(BALLOTS), ids=lambda b: f"{b[2]}:{b[3]}")
def test_the_same_thick_x_struck_through_stays_uncertain(ballot, extra):
    reading, _, _ = _read(ballot, extra)
    cid, _ = BALLOTS[ballot]
    assert reading.boxes[cid] == "uncertain"
    assert reading.status == "review"
