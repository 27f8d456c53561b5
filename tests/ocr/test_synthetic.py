"""The synthetic ballot generator: deterministic, truthful, and its degradations well-formed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.synthetic import (
    ALL_LEVELS,
    LEVELS,
    ballot_plan,
    blank_ballot,
    box_to_px,
    degrade,
    demo_elections,
    draw_ballot,
    encode,
    judge_reading,
    level_params,
    make_ballot,
    make_ballot_file,
    seed_for,
)
from kiemphieu.ocr.synthetic import marks as mk
from kiemphieu.ocr.synthetic.ballots import status_class


@pytest.fixture(scope="module")
def elections():
    return demo_elections()


def _new_dark(marked: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Pixels that ink made at least 40 grey levels darker than the printed ballot."""
    g1 = cv2.cvtColor(marked, cv2.COLOR_BGR2GRAY).astype(int)
    g0 = cv2.cvtColor(np.ascontiguousarray(blank), cv2.COLOR_BGR2GRAY).astype(int)
    return (g0 - g1) > 40


def test_same_seed_same_ballot_and_truth(elections):
    a_img, a_truth = make_ballot(elections["boxes3"], 7, "L2")
    b_img, b_truth = make_ballot(elections["boxes3"], 7, "L2")
    assert np.array_equal(a_img, b_img)
    assert a_truth == b_truth
    assert a_truth["seed"] == seed_for("L2", 7)


def test_different_index_different_ballot(elections):
    a, _ = make_ballot(elections["boxes1"], 1, "L1")
    b, _ = make_ballot(elections["boxes1"], 2, "L1")
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_struck_rows_have_ink_across_the_name_and_kept_rows_none(elections):
    election = elections["strike15"]
    blank, layout = blank_ballot(election)
    boxes = {c["id"]: box_to_px(c["name_mm"], 200) for c in layout["candidates"]}
    seen_struck = seen_kept = 0
    for seed in range(4):
        image, truth = draw_ballot(election, "plain", np.random.default_rng(seed))
        dark = _new_dark(image, blank)
        for cid, row in truth["marks"].items():
            x0, y0, x1, y1 = (int(round(v)) for v in boxes[cid])
            band = dark[y0:y1, x0:x1]
            inked = band.any(axis=0)
            if row["expected"] == "struck":
                seen_struck += 1
                # Ink over black glyphs is not new dark, so some columns show none; the stroke
                # still spans the whole name.
                span = (np.flatnonzero(inked)[-1] - np.flatnonzero(inked)[0] + 1) / len(inked)
                assert inked.mean() > 0.6 and span > 0.9, (cid, row, inked.mean(), span)
            else:
                seen_kept += 1
                assert band.sum() == 0, (cid, row)
    assert seen_struck and seen_kept


def test_partial_strikes_are_ambiguous_and_cover_under_the_limit(elections):
    election = elections["strike45"]
    blank, layout = blank_ballot(election)
    boxes = {c["id"]: box_to_px(c["name_mm"], 200) for c in layout["candidates"]}
    found = 0
    for seed in range(40):
        image, truth = draw_ballot(election, "tricky", np.random.default_rng(seed))
        dark = _new_dark(image, blank)
        for cid, row in truth["marks"].items():
            if row["kind"] != "partial":
                continue
            found += 1
            assert row["accept"] == [] and row["expected"] == "uncertain"
            x0, y0, x1, y1 = (int(round(v)) for v in boxes[cid])
            assert dark[y0:y1, x0:x1].any(axis=0).mean() < mk.PARTIAL_LIMIT
    assert found


def test_underlines_stay_below_the_name_and_read_kept(elections):
    rng = np.random.default_rng(3)
    box = (100.0, 200.0, 400.0, 240.0)
    for _ in range(20):
        (pts,) = mk.underline(box, 200, rng)
        assert pts[:, 1].min() > box[3]


def test_boxes_form_marks_land_in_the_chosen_box(elections):
    election = elections["boxes3"]
    blank, layout = blank_ballot(election)
    rows = {c["id"]: c for c in layout["candidates"]}
    for seed in range(4):
        image, truth = draw_ballot(election, "plain", np.random.default_rng(seed))
        dark = _new_dark(image, blank)
        for cid, row in truth["marks"].items():
            ink = {}
            for key in ("agree", "disagree"):
                x0, y0, x1, y1 = (int(round(v)) for v in box_to_px(rows[cid][f"{key}_mm"], 200))
                ink[key] = dark[y0:y1, x0:x1].mean()
            expected = row["expected"]
            assert (ink["agree"] > 0.03) == (expected in ("agree", "both")), (cid, expected, ink)
            assert (ink["disagree"] > 0.03) == (expected in ("disagree", "both")), (cid, expected, ink)


def _red_share(image: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    hsv = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((h <= 8) | (h >= 156)) & (s > 70) & (v > 60)
    return float(red.mean())


def test_seal_is_red_in_hsv_and_absent_when_missing(elections):
    election = elections["boxes1"]
    _, layout = blank_ballot(election)
    stamp = box_to_px(layout["stamp_mm"], 200)
    sealed, truth = draw_ballot(election, "plain", np.random.default_rng(5))
    unsealed, truth_none = draw_ballot(election, "no_seal", np.random.default_rng(5))
    assert truth["seal"] and not truth_none["seal"]
    assert truth_none["expect_flags"] == ["no_stamp"]
    assert _red_share(sealed, stamp) > 0.05
    assert _red_share(unsealed, stamp) < 0.001


@pytest.mark.parametrize("level", sorted(ALL_LEVELS))
def test_degradation_shapes_and_types(elections, level):
    image, _ = draw_ballot(elections["boxes1"], "plain", np.random.default_rng(1))
    h, w = image.shape[:2]
    params = level_params(level)
    out, applied = degrade(image, params, np.random.default_rng(2))
    assert out.dtype == np.uint8
    if params.color == "color":
        assert out.ndim == 3 and out.shape[2] == 3
    else:
        assert out.ndim == 2
    if params.phone:
        assert out.shape[0] > h and out.shape[1] > w
    elif params.quarter_turns % 2:
        assert out.shape[:2] == (w, h)
    else:
        assert out.shape[:2] == (h, w)
    if params.color == "bitonal":
        assert set(np.unique(out).tolist()) <= {0, 255}
    data, ext = encode(out, params)
    assert ext == (".png" if params.color == "bitonal" else ".jpg")
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.shape == out.shape


def test_degradation_ladder_gets_worse():
    for lower, higher in zip(list(LEVELS)[:-1], list(LEVELS)[1:]):
        a, b = LEVELS[lower], LEVELS[higher]
        assert b.contrast <= a.contrast and b.blur_px >= a.blur_px and b.noise_sigma >= a.noise_sigma
        assert b.scale <= a.scale and b.jpeg_quality <= a.jpeg_quality


def test_upside_down_is_the_page_turned(elections):
    image, _ = draw_ballot(elections["boxes1"], "plain", np.random.default_rng(1))
    flat = level_params("L0")
    from dataclasses import replace

    out, _ = degrade(image, replace(flat, quarter_turns=2, shift_mm=0), np.random.default_rng(0))
    assert np.array_equal(out, cv2.rotate(image, cv2.ROTATE_180))


def test_file_output_decodes_to_the_same_size(elections):
    data, ext, truth = make_ballot_file(elections["boxes1"], 3, "L3")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    blank, _ = blank_ballot(elections["boxes1"])
    assert ext == ".jpg" and image.shape == blank.shape
    assert truth["degradation"]["jpeg_quality"] == LEVELS["L3"].jpeg_quality


def test_status_classes(elections):
    plain = {"scenario": "plain", "level": "L2", "marks": {"c1": {"kind": "straight"}, "c2": {"kind": "none"}}}
    assert status_class(plain) == "must_read_exactly"
    assert status_class({**plain, "level": "L3"}) == "may_review"
    assert status_class({**plain, "level": "phone"}) == "may_review"
    assert status_class({**plain, "marks": {"c1": {"kind": "tick"}}}) == "may_review"
    assert status_class({**plain, "scenario": "blank_page"}) == "must_reject"


def test_plan_is_deterministic_and_sized():
    plan = ballot_plan(200)
    assert len(plan) == 200 and plan == ballot_plan(200)
    assert {lvl for lvl, _, _ in plan} == set(ALL_LEVELS)


TRUTH = {
    "status_class": "must_read_exactly",
    "scenario": "plain",
    "form": "strike",
    "expect_flags": [],
    "marks": {
        "c1": {"expected": "struck", "accept": ["struck"], "kind": "straight"},
        "c2": {"expected": "kept", "accept": ["kept"], "kind": "none"},
        "c3": {"expected": "uncertain", "accept": [], "kind": "tick"},
    },
}


def _reading(status="read", flags=(), **marks):
    base = {"c1": "struck", "c2": "kept", "c3": "uncertain"}
    return {"status": status, "marks": {**base, **marks}, "boxes": None, "flags": list(flags), "reason": None}


def test_judge_reading():
    assert not judge_reading(TRUTH, _reading("review")).silent_error
    assert judge_reading(TRUTH, _reading("read", c3="kept")).silent_error  # a tick is never "kept"
    assert judge_reading(TRUTH, _reading("read", c1="kept", c3="kept")).silent_error
    assert not judge_reading(TRUTH, _reading("review", c1="uncertain")).silent_error
    reviewed_wrong = judge_reading(TRUTH, _reading("review", c1="kept"))
    assert not reviewed_wrong.silent_error and reviewed_wrong.wrong_definite_in_review == 1
    flagged = {**TRUTH, "expect_flags": ["no_stamp"]}
    clean = _reading("read", c3="uncertain")
    assert judge_reading(flagged, clean).silent_error
    rejected = {**TRUTH, "status_class": "must_reject", "scenario": "other_election"}
    assert judge_reading(rejected, _reading("read")).silent_error
    assert not judge_reading(rejected, {"status": "rejected", "reason": "wrong_election"}).silent_error
    assert judge_reading(TRUTH, {"status": "rejected", "reason": "no_markers"}).wrong_rejection


def test_faint_ink_under_the_bitonal_threshold_is_marked_lost_not_a_reader_error(elections):
    _, _, truth = make_ballot_file(elections["strike15"], 63, "bitonal")
    lost = [cid for cid, row in truth["marks"].items() if row.get("visible") is False]
    assert lost and all(truth["marks"][cid]["pen"] == "blue_ballpoint_faint" for cid in lost)
    reading = {"status": "read", "flags": [], "marks": {cid: ("kept" if cid in lost else row["expected"])
                                                        for cid, row in truth["marks"].items()}}
    judged = judge_reading(truth, reading)
    assert not judged.silent_error and judged.lost_in_capture == len(lost)
