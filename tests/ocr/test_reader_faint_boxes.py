"""A thin, faint pen's X in a box at L2 (our own scanner ladder): the probe splits with pens
thinner than the tuning split's (width × 0.35-0.6) sent a tenth of their L2 boxes ballots to
review, and read some of those rows blank. Two rules:

- the weaker arm of a faint X loses more of its edges to the blur than a dark pen's, so a faint
  X needs `boxes.x_min_balance_faint` (0.2) of its edges on that arm, not `x_min_balance` (0.3);
- on a page holding a faint pen's mark, a row found blank with any faint ink in a box is
  uncertain (`boxes.lost_trace`): the same pen's X may be all but lost to the scan. Without it,
  letting the faint X's through read ballots with a lost mark silently (their uncertain X had
  been all that kept the page in review), and one such ballot was read wrongly even before."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiemphieu.ocr.boxes import box_state, faint_mark, lost_to_the_scan
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.synthetic import classes

PROFILE = load_profile("feeder-200dpi-colour")
BX = PROFILE.boxes

# Probe split 11, plain L2 1187 (boxes8p, thin pens) c08: a faint X, its weaker arm's edges 0.257.
FAINT_X = {"score": 0.412, "fill": 0.066, "crossings": 1.0, "sides": 0, "pale_sides": 0, "long_rows": 0.0,
           "long_cols": 0.0, "pale_score": 0.941, "tint_mm2": 0.0, "edge_excess": 0.014,
           "edge_diagonal": 0.813, "edge_run": 0.212, "edge_balance": 0.257, "fine_fill": 0.065}


def test_a_faint_x_needs_less_of_its_weaker_arm_than_a_dark_one():
    assert BX.x_min_balance_faint < FAINT_X["edge_balance"] < BX.x_min_balance
    assert box_state(FAINT_X, BX) == "marked"
    assert box_state(FAINT_X, replace(BX, x_min_balance_faint=BX.x_min_balance)) == "unsure"
    # One arm only (a slash): not an X however faint.
    assert box_state({**FAINT_X, "edge_balance": BX.x_min_balance_faint - 0.01}, BX) == "unsure"
    # Not faint: its ink alone scores it, and a dark mark's balance is the dark rule's.
    assert not faint_mark({**FAINT_X, "score": BX.definite}, BX)
    assert faint_mark(FAINT_X, BX)


def test_a_blank_row_with_faint_ink_on_a_faint_pens_page_is_doubtful():
    blank = {"score": 0.0, "pale_score": 0.0}
    assert not lost_to_the_scan([blank, blank], BX)
    assert lost_to_the_scan([blank, {**blank, "pale_score": 1 / 17}], BX)  # one column of faint ink
    assert not lost_to_the_scan([blank, {**blank, "pale_score": 1 / 17}], replace(BX, lost_trace=1.01))


@pytest.fixture
def thin_pens(monkeypatch):
    """The probe splits' ranges with pens 0.35-0.6 of the models' widths (a variety the
    tuning split does not draw)."""
    probe_variety = classes.probe_variety
    monkeypatch.setattr(classes, "probe_variety", lambda tune: replace(probe_variety(tune), pen_width_scale=(0.35, 0.6)))


def _read(item, profile=PROFILE):
    data, _, truth = classes.make_class_ballot_file(*item)
    return read_bytes(data, classes.split_elections(item[0])[item[4]], profile), truth


def test_a_faint_x_the_blur_thinned_on_one_arm_is_read(thin_pens):
    reading, truth = _read(("probe:11", "plain", "L2", 1187, "boxes8p"))
    assert reading.status == "read"
    assert reading.boxes == {cid: mark["expected"] for cid, mark in truth["marks"].items()}
    strict = replace(PROFILE, boxes=replace(BX, x_min_balance_faint=BX.x_min_balance))
    assert _read(("probe:11", "plain", "L2", 1187, "boxes8p"), strict)[0].boxes["c08"] == "uncertain"


def test_a_faint_mark_all_but_lost_to_the_scan_is_not_read_blank(thin_pens):
    # Probe split 12, plain L2 1376 (boxes8p): c01's faint X left one column of faint ink.
    item = ("probe:12", "plain", "L2", 1376, "boxes8p")
    reading, truth = _read(item)
    assert truth["marks"]["c01"]["expected"] == "agree"
    assert reading.status == "review" and reading.boxes["c01"] == "uncertain"
    assert reading.rows["c01"]["faint_trace"] is True
    unguarded = replace(PROFILE, boxes=replace(BX, lost_trace=1.01))
    silent = _read(item, unguarded)[0]
    assert silent.status == "read" and silent.boxes["c01"] == "none"  # the vote dropped without a word
