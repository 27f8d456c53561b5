"""A thick or gel pen's X whose blurred arms touch three side-middles of the box was read
`uncertain`: its edges ran along the diagonals a little under `x_min_diagonal` (0.51-0.60 on
the probe splits 2-5: 15 boxes, the only reason 13 plain ballots went to review), the same share
a ring round the box or a box blacked out can reach. Those reach the middle of all four sides;
a box that leaves one side's middle white now needs only `x_min_diagonal_open` along the
diagonals."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.ocr.boxes import box_state
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from .conftest import at_work_dpi

PROFILE = load_profile("feeder-200dpi-colour")
BX = PROFILE.boxes

# Probe split 4, plain L2 53 (boxes7p) c07: a blue ballpoint's X, heavy (3 sides).
THICK_X = {"score": 0.941, "fill": 0.595, "crossings": 2.0, "sides": 3, "pale_sides": 3, "long_rows": 0.353,
           "long_cols": 0.118, "pale_score": 0.941, "tint_mm2": 13.23, "edge_excess": -0.27,
           "edge_diagonal": 0.596, "edge_run": 0.091, "edge_balance": 0.47, "fine_fill": 0.57}


def test_an_x_leaving_a_side_white_is_marked_under_the_four_sided_limit():
    assert BX.x_min_diagonal_open < THICK_X["edge_diagonal"] < BX.x_min_diagonal
    assert box_state(THICK_X, BX) == "marked"
    assert box_state({**THICK_X, "edge_diagonal": BX.x_min_diagonal_open}, BX) == "marked"
    # Every way along its edges (blacked out, a scribble): half along the diagonals.
    assert box_state({**THICK_X, "edge_diagonal": 0.5}, BX) == "unsure"
    # The same edges reaching all four sides' middles: a ring round the box, a box blacked out.
    assert box_state({**THICK_X, "sides": 4}, BX) == "unsure"
    assert box_state({**THICK_X, "sides": 4, "edge_diagonal": BX.x_min_diagonal}, BX) == "marked"
    # Struck through stays struck through, whatever its sides.
    assert box_state({**THICK_X, "edge_excess": BX.cancel_edge_excess}, BX) == "unsure"


@pytest.mark.parametrize("split, cls, level, index, name, cid", [
    ("probe:3", "plain", "L1", 7, "boxes2p", "c01"), ("probe:2", "plain", "L1", 82, "boxes7p", "c02")])
def test_a_generated_thick_x_is_read_and_was_uncertain_before(split, cls, level, index, name, cid):
    data, _, truth = make_class_ballot_file(split, cls, level, index, name)
    election = split_elections(split)[name]
    reading = read_bytes(data, election, PROFILE).to_json()
    assert reading["status"] == "read"
    assert reading["boxes"] == {c: mark["expected"] for c, mark in truth["marks"].items()}
    before = dataclasses.replace(PROFILE, boxes=dataclasses.replace(BX, x_min_diagonal_open=BX.x_min_diagonal))
    # (At the working resolution: the finer second look would read it as an X either way.)
    assert read_bytes(data, election, at_work_dpi(before)).to_json()["boxes"][cid] == "uncertain"
