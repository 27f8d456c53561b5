"""The failure-class generator (issue 11): each class shows its feature, and the held-back split
differs from tuning in seeds, elections and parameter ranges."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.synthetic import judge_reading
from kiemphieu.ocr.synthetic.classes import (
    CLASSES,
    VARIETY,
    class_plan,
    class_seed,
    make_class_ballot_file,
    split_elections,
)


def make(split, cls, index=0, level="L0", form=None):
    for item in class_plan(40, split, (cls,)):
        _, _, lvl, i, name = item
        if i >= index and lvl == level and (form is None or name.startswith(form)):
            data, ext, truth = make_class_ballot_file(*item)
            return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), ext, truth, name
    raise AssertionError("no such ballot in the plan")


def test_the_splits_differ_in_seeds_elections_and_ranges():
    assert class_seed("tune", "plain", "L0", 0) != class_seed("held", "plain", "L0", 0)
    tune, held = split_elections("tune"), split_elections("held")
    assert {len(e.candidates) for e in tune.values()}.isdisjoint({len(e.candidates) for e in held.values()} - {1})
    assert not set(tune).intersection(held)
    assert VARIETY["tune"] != VARIETY["held"]


def test_a_plan_is_deterministic_and_covers_every_class_and_level():
    plan = class_plan(6, "tune")
    assert plan == class_plan(6, "tune")
    assert {item[1] for item in plan} == set(CLASSES)
    assert {item[2] for item in plan} == {"L0", "L1", "L2"}
    a = make_class_ballot_file(*plan[0])
    assert a == make_class_ballot_file(*plan[0])


def test_a_cancelled_box_mark_is_uncertain_in_the_truth_and_both_boxes_are_inked():
    _, _, truth, _ = make("tune", "box_cancel")
    cancelled = [row for row in truth["marks"].values() if row["kind"] == "cancelled_x"]
    assert cancelled and all(row["accept"] == [] for row in cancelled)
    assert truth["status_class"] == "may_review"


def test_the_tuning_split_draws_box_marks_every_way(monkeypatch):
    """Box marks on the tuning split: X of one to three strokes and 45-120 % of the box, marks
    taken back by one to three lines (short of the sides to well past them, slanted), ticks,
    circles and filled boxes; the held-back split keeps its own draws (none of these)."""
    from kiemphieu.ocr.synthetic import classes, marks

    tune, held = VARIETY["tune"], VARIETY["held"]
    assert tune.x_strokes == (1, 3) and tune.x_size[0] < 0.6 and tune.x_size[1] > 1.1
    assert tune.cancel_lines[0] == 1 and tune.cancel_overshoot[0] < 0 and tune.cancel_slant_deg[1] >= 10
    assert {"tick", "circle"} <= set(tune.cancelled_marks) and {"tick", "circle", "filled"} <= set(tune.other_marks)
    assert held.x_strokes is held.cancelled_marks is held.other_marks is None
    drawn = []
    for name in ("x_mark", "tick", "box_circle", "filled_box"):
        original = getattr(marks, name)
        monkeypatch.setattr(marks, name, lambda *a, _f=original, _n=name, **k: drawn.append((_n, k.get("strokes"))) or _f(*a, **k))
    for item in class_plan(30, "tune", ("box_cancel",)):
        make_class_ballot_file(*item)
    kinds = {kind for kind, _ in drawn}
    assert kinds == {"x_mark", "tick", "box_circle", "filled_box"}
    assert {strokes for kind, strokes in drawn if kind == "x_mark"} == {1, 2, 3}
    rng = np.random.default_rng(0)
    assert [len(marks.x_mark((0, 0, 40, 40), 200, rng, strokes=n)) for n in (1, 2, 3)] == [1, 2, 3]


def test_a_crease_crosses_the_whole_page_in_a_neutral_shade():
    image, _, truth, _ = make("tune", "crease")
    y = int(round(truth["fold"]["position_px"]))
    assert truth["marks"][truth["fold"]["candidate"]]["expected"] == "kept"
    # Grey, not a pen's colour: B, G and R darken alike along the line in the margins.
    band = image[max(0, y - 8):y + 8].astype(int)
    left, right = band[:, 20:120], band[:, -120:-20]
    for part in (left, right):
        darkest = part.reshape(-1, 3)[part.sum(axis=2).argmin()]
        assert darkest.max() - darkest.min() < 30 and darkest.mean() < 215, darkest


def test_cut_corners_leave_one_or_two_markers_partly_outside_the_image():
    for i in range(6):
        _, _, truth, _ = make("tune", "cut_corner", index=i, level=("L0", "L1", "L2")[i % 3])
        lost = truth["cut"]["lost_share"]
        assert max(lost) > 0.1, truth["cut"]
        assert truth["status_class"] == "must_read_exactly"


def test_tuning_cut_corners_reach_every_corner_the_qr_codes_included_at_varied_depths():
    cuts = [make("tune", "cut_corner", index=i, level=("L0", "L1", "L2")[i % 3])[2]["cut"] for i in range(0, 36, 2)]
    assert {c["corner"] for c in cuts} == {"top-left", "top-right", "bottom-right", "bottom-left"}
    assert {c["two"] for c in cuts} == {True, False}
    depths = [max(c["lost_share"]) for c in cuts]
    assert min(depths) < 0.6 and max(depths) >= 1.0  # markers partly cut, and cut away
    lost = [c["code_lost_share"] for c in cuts]
    assert any(first > 0.3 for first, _ in lost) and any(second > 0.2 for _, second in lost)
    assert all(min(pair) == 0 for pair in lost)  # one corner or one side: never both codes


@pytest.mark.parametrize("cls", ["double_baseline", "overshoot_number"])
def test_class_4_strikes_are_plain_struck_rows(cls):
    _, _, truth, _ = make("tune", cls, form="strike")
    kinds = {row["kind"] for row in truth["marks"].values()}
    assert cls in kinds and truth["status_class"] == "must_read_exactly"


@pytest.mark.parametrize("cls", ["grey_no_seal", "bitonal_no_seal"])
def test_unstamped_grey_and_bitonal_ballots_expect_a_seal_flag(cls):
    image, ext, truth, _ = make("tune", cls)
    assert image.ndim == 2 and not truth["seal"]
    assert truth["expect_flags"] == ["no_stamp"]
    assert ext == (".png" if cls.startswith("bitonal") else ".jpg")
    # An unflagged 'read' is a silent error; 'seal_unchecked' satisfies the expectation.
    marks = {cid: row["expected"] for cid, row in truth["marks"].items()}
    key = "marks" if truth["form"] == "strike" else "boxes"
    read = {"status": "read", key: marks, "flags": []}
    assert judge_reading(truth, read).silent_error
    assert not judge_reading(truth, {**read, "status": "review", "flags": ["seal_unchecked"]}).silent_error
