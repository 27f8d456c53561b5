"""The reader's decisions as pure functions of measures and profile: called without an image."""

from __future__ import annotations

import json

import pytest

from kiemphieu.ocr import Flag, Reason
from kiemphieu.ocr.boxes import box_mark, box_state
from kiemphieu.ocr.geometry import PAPERS
from kiemphieu.ocr.pagemap import geometry_problems
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import Reading, choose_paper
from kiemphieu.ocr.seal import SealShape, shape_verdict
from kiemphieu.ocr.strikes import decide_strike, strike_margin

PROFILE = load_profile()
ST, BX, G, SEAL = PROFILE.strike, PROFILE.boxes, PROFILE.geometry, PROFILE.seal


def strike_row(**changes):
    """A clean, unmarked row's measures."""
    row = {"score": 0.0, "span": 0.0, "extra_mm2": 0.0, "multi": 0.0, "run_cover": 0.0, "tint_cover": 0.0,
           "line_cover": None, "faint_extra_mm2": None, "ink_mm2": 0.2, "free_mm2": 0.0, "faint_free_mm2": 0.0,
           "faint_cover": 0.0, "faint_mm2": 0.0, "tint_mm2": 0.0, "crease": None}
    return {**row, **changes}


def test_a_plain_strike_is_struck_and_a_clean_row_kept():
    assert decide_strike(strike_row(), ST) == "kept"
    struck = strike_row(score=0.9, span=0.95, run_cover=0.9, ink_mm2=20.0, free_mm2=None, faint_free_mm2=None)
    assert decide_strike(struck, ST) == "struck"
    assert strike_margin("struck", struck, ST) == pytest.approx(0.9 - ST.definite)


def test_ink_off_the_line_or_a_short_span_makes_a_strike_uncertain():
    base = strike_row(score=0.9, span=0.95, ink_mm2=20.0, free_mm2=None, faint_free_mm2=None)
    assert decide_strike({**base, "extra_mm2": ST.extra_mm2 + 0.1}, ST) == "uncertain"
    assert decide_strike({**base, "span": ST.min_span - 0.01}, ST) == "uncertain"


def test_a_line_running_on_across_the_page_is_a_crease_not_a_strike():
    struck = strike_row(score=0.9, span=0.95, ink_mm2=20.0, free_mm2=None, faint_free_mm2=None)
    assert decide_strike({**struck, "crease": ST.crease_cover}, ST) == "uncertain"
    assert decide_strike({**struck, "crease": ST.crease_cover - 0.2}, ST) == "struck"


@pytest.mark.parametrize("trace", [{"faint_free_mm2": ST.kept_faint_alone_mm2}, {"tint_mm2": ST.kept_tint_mm2},
                                   {"ink_mm2": ST.kept_ink_mm2}, {"faint_cover": ST.faint_marginal}])
def test_any_trace_of_a_pen_forbids_kept(trace):
    assert decide_strike(strike_row(**trace), ST) == "uncertain"


def box(**changes):
    m = {"score": 0.0, "fill": 0.0, "crossings": 0.0, "sides": 0, "pale_sides": 0, "long_rows": 0.0,
         "long_cols": 0.0, "pale_score": 0.0, "tint_mm2": 0.0}
    return {**m, **changes}


def test_box_states():
    assert box_state(box(), BX) == "empty"
    x = box(score=1.0, fill=0.45, crossings=2.0, long_rows=0.1, long_cols=0.1)
    assert box_state(x, BX) == "marked"
    assert box_state({**x, "long_rows": 0.5, "long_cols": 0.1}, BX) == "unsure"  # strokes one way: a scribble
    assert box_state({**x, "crossings": BX.max_crossings + 1}, BX) == "unsure"
    assert box_state(box(pale_score=BX.marginal), BX) == "unsure"  # a trace of a pen in an empty box


def test_a_scanner_speck_in_an_empty_box_is_not_a_pens_trace():
    """One pixel of new ink (dust, noise) in a box that scores empty leaves it empty; two pixels,
    faint ink around it, or the profile's 0 (any ink) keep it unsure."""
    from dataclasses import replace

    assert BX.empty_speck_mm2 == 0.1
    pixel = 1 / (100 / 25.4) ** 2  # one pixel at 100 dpi, in mm²
    speck = box(score=1 / 17, fill=1 / 289, ink_mm2=pixel)
    assert box_state(speck, BX) == "empty"
    assert box_state({**speck, "ink_mm2": 2 * pixel, "fill": 2 / 289}, BX) == "unsure"
    assert box_state({**speck, "pale_score": BX.marginal}, BX) == "unsure"  # a light pen's trace around it
    assert box_state({**speck, "tint_mm2": BX.empty_tint_mm2}, BX) == "unsure"
    assert box_state(speck, replace(BX, empty_speck_mm2=0.0)) == "unsure"
    assert box_state({k: v for k, v in speck.items() if k != "ink_mm2"}, BX) == "unsure"  # area unknown: any ink
    assert box_mark(["marked", box_state(speck, BX)], {"agree_fill": 0.4, "disagree_fill": 1 / 289}, 0.0, BX) == "agree"


def test_a_thick_pens_x_is_marked_and_an_x_struck_through_stays_unsure_by_their_edges():
    # Measures of two tuning-split boxes (issue 11): a thick marker's X (plain L0:36, boxes1) and
    # an X struck through by lines (box_cancel L2:41, boxes6). At the working resolution they
    # have the same fill, sides, long lines and crossings; at 8 px/mm the X's edges run along
    # its diagonals, the struck-through X's along the lines struck across it.
    thick_x = box(score=1.0, fill=0.865, crossings=1.0, sides=3, pale_sides=3, long_rows=0.824, long_cols=0.706,
                  edge_excess=0.043, edge_diagonal=0.796, edge_run=0.06, edge_balance=0.45, fine_fill=0.861)
    struck_x = box(score=1.0, fill=0.82, crossings=1.0, sides=2, pale_sides=3, long_rows=0.706, long_cols=0.706,
                   edge_excess=0.354, edge_diagonal=0.51, edge_run=0.8, edge_balance=0.45, fine_fill=0.804)
    assert box_state(thick_x, BX) == "marked"
    assert box_state(struck_x, BX) == "unsure"
    # Without the fine measures (as before them) both stay unsure: a person looks.
    no_shape = {"edge_excess": None, "edge_diagonal": None, "edge_run": None, "edge_balance": None, "fine_fill": None}
    assert box_state({**thick_x, **no_shape}, BX) == "unsure"
    # Rows of ink one way and a halo at every side (the working resolution's scribble signs):
    # its arms at 8 px/mm say X.
    assert box_state({**thick_x, "long_rows": 1.0, "long_cols": 0.647, "pale_sides": 4}, BX) == "marked"
    # In the band between an X's edges and a struck-through mark's: still unsure.
    assert box_state({**thick_x, "edge_excess": BX.x_max_edge_excess + 0.01}, BX) == "unsure"
    assert box_state({**thick_x, "edge_run": BX.x_max_edge_run + 0.01}, BX) == "unsure"  # a level edge


def test_a_thick_pens_x_leaning_level_is_marked_up_to_the_struck_through_limit():
    # Tuning split, plain L1:55 (boxes6): a thick blue marker's X, heavy (3 sides, fill 0.9), its
    # edges an X's but for edge_excess 0.116 (thick pens' X: up to 0.19 on the tuning split).
    thick_x = box(score=1.0, fill=0.903, crossings=1.0, sides=3, pale_sides=4, long_rows=0.824, long_cols=0.765,
                  tint_mm2=17.68, edge_excess=0.116, edge_diagonal=0.714, edge_run=0.273, edge_balance=0.5,
                  fine_fill=0.9)
    assert box_state(thick_x, BX) == "marked"
    assert box_state({**thick_x, "edge_excess": 0.19}, BX) == "marked"
    # What any marked box may not have, a heavy one neither: struck through.
    assert box_state({**thick_x, "edge_excess": BX.cancel_edge_excess}, BX) == "unsure"
    assert box_state({**thick_x, "edge_run": BX.x_max_edge_run + 0.01}, BX) == "unsure"
    assert box_state({**thick_x, "edge_diagonal": 0.5}, BX) == "unsure"  # blacked out


@pytest.mark.parametrize("change", [{"edge_diagonal": 0.5},  # edges every way: blacked out, scribbled
                                    {"edge_balance": 0.1},  # strokes along one diagonal only: a scribble
                                    {"fine_fill": 0.97}])  # no white left between the arms
def test_a_heavy_box_whose_edges_are_not_an_xs_stays_unsure(change):
    thick_x = box(score=1.0, fill=0.865, crossings=1.0, sides=3, pale_sides=3, long_rows=0.824, long_cols=0.706,
                  edge_excess=0.043, edge_diagonal=0.796, edge_run=0.06, edge_balance=0.45, fine_fill=0.861)
    assert box_state({**thick_x, **change}, BX) == "unsure"


def test_a_faint_x_is_marked_by_its_faint_ink_and_its_edges():
    # Tuning split, plain L2:17 (boxes1): a thin pale pen's X, broken under the ink level.
    faint_x = box(score=0.353, fill=0.059, crossings=1.0, pale_sides=0, pale_score=1.0, edge_excess=-0.006,
                  edge_diagonal=0.833, edge_run=0.121, edge_balance=0.378, fine_fill=0.053)
    assert box_state(faint_x, BX) == "marked"
    assert box_state({**faint_x, "pale_score": BX.definite - 0.01}, BX) == "unsure"  # not whole in faint ink either
    assert box_state({**faint_x, "edge_balance": 0.1}, BX) == "unsure"  # one stroke, not an X
    assert box_state({**faint_x, "edge_run": BX.cancel_edge_run}, BX) == "unsure"  # struck through


def test_an_x_drawn_without_lifting_the_pen_may_be_crossed_three_times():
    # Tuning split, cut_corner L0:81 (boxes1): one stroke down a diagonal, up the side and down
    # the other: a line across meets it three times, as it meets a scribble.
    x = box(score=1.0, fill=0.36, crossings=3.0, long_rows=0.06, long_cols=0.0, pale_score=1.0, edge_excess=-0.173,
            edge_diagonal=0.76, edge_run=0.061, edge_balance=0.479, fine_fill=0.376)
    assert box_state(x, BX) == "marked"
    assert box_state({**x, "edge_diagonal": 0.5}, BX) == "unsure"  # crossed three times, not an X's edges
    assert box_state({**x, "crossings": BX.x_max_crossings + 0.5}, BX) == "unsure"


def test_a_faint_x_under_the_marginal_score_is_marked_when_whole_in_faint_ink():
    # Tuning split, cut_corner L1:40 (boxes1): a pale pen's X all but lost under the ink level.
    x = box(score=0.118, fill=0.01, crossings=1.0, pale_score=0.941, edge_excess=0.0, edge_diagonal=0.85,
            edge_run=0.1, edge_balance=0.45, fine_fill=0.01)
    assert box_state(x, BX) == "marked"
    assert box_state({**x, "edge_excess": None, "edge_diagonal": None, "edge_run": None, "edge_balance": None,
                      "fine_fill": None}, BX) == "unsure"  # not measured: a trace of a pen


def test_a_mark_struck_through_alone_in_its_row_is_unsure():
    x = box(score=1.0, fill=0.45, crossings=2.0, long_rows=0.1, long_cols=0.1, edge_excess=0.0,
            edge_diagonal=0.9, edge_run=0.06, edge_balance=0.45, fine_fill=0.45)
    assert box_state(x, BX) == "marked"
    assert box_state({**x, "edge_excess": BX.cancel_edge_excess}, BX) == "unsure"
    assert box_state({**x, "edge_run": BX.cancel_edge_run}, BX) == "unsure"  # one line across it


def values(agree_fill=0.45, disagree_fill=0.45, agree_groups=0, one_way=0.0):
    return {"agree_fill": agree_fill, "disagree_fill": disagree_fill, "agree_line_groups": agree_groups,
            "disagree_line_groups": 0, "agree_one_way": one_way, "disagree_one_way": 0.0}


def test_a_mark_struck_through_beside_a_mark_in_the_other_box_is_uncertain_not_both():
    assert box_mark(["marked", "marked"], values(), 0.0, BX) == "both"
    assert box_mark(["marked", "marked"], values(agree_groups=BX.max_line_groups + 1), 0.0, BX) == "uncertain"
    assert box_mark(["marked", "marked"], values(one_way=BX.both_max_one_way), 0.0, BX) == "uncertain"
    # Edges along horizontals more than an X's, under the struck-through limit: not `both` either.
    assert box_mark(["marked", "marked"], {**values(), "agree_edge_excess": BX.both_max_edge_excess + 0.01}, 0.0, BX) == "uncertain"
    assert box_mark(["marked", "marked"], {**values(), "disagree_edge_run": BX.both_max_edge_run + 0.01}, 0.0, BX) == "uncertain"
    assert box_mark(["marked", "marked"], {**values(), "agree_edge_excess": BX.both_max_edge_excess,
                                           "agree_edge_run": BX.both_max_edge_run}, 0.0, BX) == "both"
    assert box_mark(["marked", "empty"], values(), 0.0, BX) == "agree"
    assert box_mark(["empty", "empty"], values(), BX.stray_mm2, BX) == "uncertain"


def test_geometry_problems_name_what_is_wrong():
    assert geometry_problems(1.0, 0.2, 1.0, 0.0, 1.0, G) == []
    problems = geometry_problems(-1.0, G.max_corner_error_mm + 1, G.max_skew_deg + 1, 0.0, 1.0, G)
    assert problems[0] == "page is mirrored" and len(problems) == 3


def test_two_markers_of_one_paper_make_a_page_and_noise_ids_are_ignored():
    a4 = PAPERS["A4"]
    assert choose_paper({4: None, 6: None, 17: None}, 2) == (a4, [4, 6])
    assert choose_paper({4: None}, 2) is None
    assert choose_paper({4: None, 5: None, 1: None}, 2) is None  # another paper's marker beside two
    assert choose_paper({4: None, 5: None, 6: None, 1: None}, 2) == (a4, [4, 5, 6])


def test_seal_shape_verdicts():
    assert shape_verdict(SealShape(0.08, 0.95, 16.0, 0.2), SEAL) is None
    assert shape_verdict(SealShape(0.0, 0.0, None, 0.0), SEAL) == Flag.NO_STAMP
    assert shape_verdict(SealShape(0.05, 0.3, 12.0, 0.01), SEAL) == Flag.SEAL_UNCHECKED


def test_reasons_and_flags_are_the_contract_strings():
    assert Reason.NO_MARKERS == "no_markers" and Flag.SEAL_UNCHECKED == "seal_unchecked"
    reading = Reading("f.jpg", 0, "rejected", reason=Reason.NO_MARKERS, flags=[Flag.NO_STAMP])
    assert json.loads(json.dumps(reading.to_json()))["reason"] == "no_markers"
    assert json.loads(json.dumps(reading.to_json()))["flags"] == ["no_stamp"]
    assert {r.value for r in Reason} >= {"unreadable_file", "blank_page", "no_markers", "bad_geometry",
                                         "qr_unreadable", "wrong_election", "wrong_layout"}


def _column_masks(*strokes, height=24, width=10):
    """One mask per call of a name's columns: each stroke is (first row, last row), inked
    in every column."""
    import numpy as np

    mask = np.zeros((1, height, width), np.uint8)
    for top, bottom in strokes:
        mask[0, top:bottom + 1] = 1
    return mask


@pytest.mark.parametrize("strokes, hit", [
    (((10, 11),), True),  # one line through the letters
    (((10, 11), (18, 19)), True),  # and a second under the baseline (the centre, 14.5, is under the zone)
    (((10, 19),), True),  # both merged by a thick pen: one stroke from the zone through line 12
    (((18, 19),), False),  # an underline alone
    (((15, 19),), False),  # a thick underline touching the zone's bottom
    (((1, 2), (20, 21)), False),  # a circle's arcs above and below the name
    (((0, 9),), False),  # a stroke from above the zone, centred above it
])
def test_a_stroke_counts_when_centred_in_the_zone_or_starting_in_it_and_crossing_the_strike_line(strokes, hit):
    """Rows measured stroke by stroke (`_stroke_in_zone`, zone rows 5-15, strike line 12)."""
    from kiemphieu.ocr.strikes import _stroke_in_zone

    got = _stroke_in_zone(_column_masks(*strokes), 5, 15, 12)
    assert bool(got.all()) is hit and bool(got.any()) is hit


def test_only_rows_with_pen_ink_spanning_the_name_under_definite_are_measured_stroke_by_stroke():
    from kiemphieu.ocr.strikes import wants_split_lines

    assert wants_split_lines(0.3, ST.min_span, ST)
    assert not wants_split_lines(ST.definite, 0.9, ST)  # already struck
    assert not wants_split_lines(0.3, ST.min_span - 0.01, ST)  # partial: never struck anyway
