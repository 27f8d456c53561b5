"""Rules that read plain marks the reader used to send to review (issue 5), and the tricky marks
next to them that must still go to a person.

Each case is drawn with the synthetic module's mark functions on a printed ballot, as the
benchmark draws them.
"""

import numpy as np
import pytest

from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_images
from kiemphieu.ocr.synthetic import marks as mk
from kiemphieu.ocr.synthetic.ink import Pen, box_to_px, draw_strokes

from . import marks as m

DPI = 200
THIN_BLACK = Pen("thin_black", (50, 45, 45), 0.25, 0.75, 0.0)
PROFILE = load_profile(None)


def read(img, election):
    (reading,) = read_images(m.jpeg(m.scanner_blur(img, 0.6), 80), election)
    return reading


def name_px(layout, cid):
    return box_to_px(layout.row(cid).name_mm, DPI)


def test_a_thin_black_wavy_strike_is_struck(strike_election, strike_blank):
    """A thin black wave over black print: the print hides much of it and its troughs dip below
    the strike zone, so its score stays under `definite`, but its ink runs through every part of
    the name with nothing off the line.

    The first of a few drawn waves whose score falls in the line rule's band is the case; how
    much of a wave the print hides depends on where it falls, so the band is searched for.
    """
    layout = layout_for(strike_election)
    cid = strike_election.candidate_ids[1]
    for seed in range(82, 92):
        img = strike_blank.copy()
        draw_strokes(img, mk.strike(name_px(layout, cid), "wavy", DPI, np.random.default_rng(seed)), THIN_BLACK,
                     DPI, np.random.default_rng(seed - 74))
        reading = read(img, strike_election)
        if PROFILE.strike.line_score <= reading.scores[cid] < PROFILE.strike.definite:
            break
    else:
        pytest.fail("no drawn wave scored in the line rule's band")
    row = reading.rows[cid]
    assert row["line_cover"] >= PROFILE.strike.line_cover, row
    assert reading.marks[cid] == "struck", row


def test_strokes_at_both_ends_of_a_name_are_not_a_line(strike_election, strike_blank):
    """Two short strokes over the first and the last words spread over the whole name (span) with
    a score in the line rule's band, but leave the middle of the name untouched: uncertain."""
    layout = layout_for(strike_election)
    cid = strike_election.candidate_ids[2]
    row = layout.row(cid)
    x, _, w, _ = row.name_mm
    y = row.name.baseline - 0.3 * row.name.size
    img = strike_blank.copy()
    m.line(img, DPI, (x - 0.5, y), (x + 0.2 * w, y), 0.4)
    m.line(img, DPI, (x + 0.8 * w, y), (x + w + 0.5, y), 0.4)
    reading = read(img, strike_election)
    details = reading.rows[cid]
    assert reading.scores[cid] >= PROFILE.strike.line_score and details["span"] >= PROFILE.strike.min_span, details
    assert details["line_cover"] is not None and details["line_cover"] < PROFILE.strike.line_cover, details
    assert reading.marks[cid] == "uncertain", details


@pytest.mark.parametrize("seed", range(4))
def test_thin_pen_partial_strikes_and_corrections_stay_uncertain(strike_election, strike_blank, seed):
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    rng = np.random.default_rng(seed)
    draw_strokes(img, mk.partial_strike(name_px(layout, ids[0]), DPI, rng)[0], THIN_BLACK, DPI, rng)
    draw_strokes(img, mk.correction(name_px(layout, ids[1]), DPI, rng), THIN_BLACK, DPI, rng)
    reading = read(img, strike_election)
    assert reading.marks[ids[0]] == "uncertain", reading.rows[ids[0]]
    assert reading.marks[ids[1]] == "uncertain", reading.rows[ids[1]]


@pytest.mark.parametrize("seed", [0, 5, 9])
def test_a_thin_black_tick_on_a_name_is_uncertain_not_kept(strike_election, strike_blank, seed):
    """A thin pen's tick leaves little ink (under kept_ink_mm2), but on open paper: not a clean
    row. (Seeds where the ink total alone let the row pass as kept.)"""
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = strike_blank.copy()
    rng = np.random.default_rng(seed)
    for cid in ids:
        draw_strokes(img, mk.tick(name_px(layout, cid), DPI, rng), THIN_BLACK, DPI, rng)
    reading = read(img, strike_election)
    assert set(reading.marks.values()) == {"uncertain"}, reading.rows
    assert reading.status == "review"


def test_print_edge_slivers_do_not_forbid_kept():
    """A synthetic scan (benchmark L0, ballot 117) whose print lands a fraction of a pixel off the
    template: slivers of the letters' edges add up to more than 2 mm2 of 'new ink' in an unmarked
    row, which used to send the ballot to review. They touch the print, so they are not free ink."""
    from kiemphieu.ocr.reader import read_bytes
    from kiemphieu.ocr.synthetic import demo_elections, make_ballot_file

    election = demo_elections()["strike15"]
    data, _, truth = make_ballot_file(election, 117, "L0")
    reading = read_bytes(data, election)
    cid = "c05"
    assert truth["marks"][cid]["expected"] == "kept"
    details = reading.rows[cid]
    assert details["ink_mm2"] >= 2.0 and details["free_mm2"] < PROFILE.strike.kept_free_mm2, details
    assert reading.marks[cid] == "kept", details
    assert reading.status == "read"
    assert reading.marks == {c: row["expected"] for c, row in truth["marks"].items()}


THICK_BLUE = Pen("thick_blue_marker", (160, 70, 20), 1.2, 0.9, 0.0)
BLACK_FELT = Pen("black_felt", (30, 30, 30), 0.8, 0.95, 0.0)


def test_a_felt_pen_x_reaching_three_sides_is_agree(boxes_election, boxes_blank):
    """A felt pen's X whose arms reach the middle of three sides of the box (the scribble sign):
    its rows are crossed in short runs, so it is an X."""
    layout = layout_for(boxes_election)
    cid = boxes_election.candidate_ids[0]
    img = boxes_blank.copy()
    rng = np.random.default_rng(3)
    draw_strokes(img, mk.x_mark(box_to_px(layout.row(cid).agree_mm, DPI), DPI, rng), BLACK_FELT, DPI, rng)
    reading = read(img, boxes_election)
    values = reading.box_scores[cid]
    assert values["agree_sides"] >= 3, values  # the case the rule is for
    assert values["agree_long"] <= PROFILE.boxes.x_max_long, values
    assert reading.boxes[cid] == "agree", values


@pytest.mark.parametrize("pen", [THICK_BLUE, BLACK_FELT], ids=lambda p: p.name)
@pytest.mark.parametrize("seed", range(3))
def test_thick_pen_scribbles_and_box_corrections_stay_uncertain(boxes_election, boxes_blank, pen, seed):
    layout = layout_for(boxes_election)
    ids = boxes_election.candidate_ids
    img = boxes_blank.copy()
    rng = np.random.default_rng(seed)
    draw_strokes(img, mk.scribble(box_to_px(layout.row(ids[0]).agree_mm, DPI), DPI, rng), pen, DPI, rng)
    row = layout.row(ids[1])
    draw_strokes(img, mk.box_correction(box_to_px(row.agree_mm, DPI), DPI, rng), pen, DPI, rng)
    draw_strokes(img, mk.x_mark(box_to_px(row.disagree_mm, DPI), DPI, rng), pen, DPI, rng)
    reading = read(img, boxes_election)
    assert reading.boxes[ids[0]] == "uncertain", reading.box_scores[ids[0]]
    assert reading.boxes[ids[1]] == "uncertain", reading.box_scores[ids[1]]
    assert reading.box_scores[ids[0]]["agree_long"] > PROFILE.boxes.x_max_long


def test_a_scribble_reaching_two_sides_is_uncertain_not_agree():
    """A ballpoint scribble drawn back and forth across a box (benchmark L0, ballot 1779): two
    crossings and two inked sides look like an X, but a third of the box's rows are long runs
    and almost none of its columns: strokes one way, a scribble."""
    from kiemphieu.ocr.reader import read_bytes
    from kiemphieu.ocr.synthetic import demo_elections, make_ballot_file

    election = demo_elections()["boxes1"]
    data, _, truth = make_ballot_file(election, 1779, "L0")
    assert truth["marks"]["c01"]["kind"] == "scribble"
    reading = read_bytes(data, election)
    values = reading.box_scores["c01"]
    assert values["agree_crossings"] <= PROFILE.boxes.max_crossings and values["agree_sides"] < 3, values
    assert values["agree_one_way"] >= PROFILE.boxes.max_one_way, values
    assert reading.boxes["c01"] == "uncertain", values
    assert reading.status == "review"


def test_a_worn_scan_with_three_markers_is_fitted_to_its_print():
    """A worn, blurred scan (benchmark L3, ballot 300) whose fourth marker is not found: three
    markers cannot fix a perspective, so the page is fitted to its print; aligned, the print's
    smear no longer fills the gaps of the unmarked name, which is never 'struck'."""
    reading, details = benchmark_row("L3", 300, "c15", "kept")
    assert reading.checks["fit"] == "print" and reading.checks["perspective"] < 0.005, reading.checks
    assert reading.scores["c15"] < PROFILE.strike.line_score, details
    assert reading.marks["c15"] != "struck", details


def test_a_pale_thin_line_on_the_print_edge_is_not_kept():
    """A thin black strike on a worn scan (benchmark L4, ballot 426): at the ink level only
    slivers along the letters survive (no free ink), but faint ink lies on the open paper along
    the line: never 'kept'. (It crosses the whole name, faint at both ends and in every word gap:
    the pale-line check strikes it, `test_reader_faint_lines`.)"""
    reading, details = benchmark_row("L4", 426, "c07", "struck")
    assert details["faint_mm2"] >= PROFILE.strike.kept_pale_mm2, details  # a pale line fills the row
    assert details["faint_cross"] == 1.0, details
    assert reading.marks["c07"] == "struck", details


def test_faint_ink_on_open_paper_alone_forbids_kept():
    """The rule above as a decision: a row with no ink at the ink level off the print, but faint
    ink on the open paper along a line, is never 'kept'."""
    from kiemphieu.ocr.strikes import decide_strike

    row = {"score": 0.0, "span": 0.5, "extra_mm2": 0.0, "multi": 0.0, "run_cover": 0.0, "tint_cover": 0.0,
           "line_cover": None, "faint_extra_mm2": None, "ink_mm2": 0.9, "free_mm2": 0.13, "faint_free_mm2": 0.2,
           "faint_cover": 0.37, "faint_mm2": 13.9, "tint_mm2": 0.0, "crease": None}
    assert decide_strike(row, PROFILE.strike) == "kept"
    assert decide_strike({**row, "faint_free_mm2": 7.35}, PROFILE.strike) == "uncertain"


def benchmark_row(level: str, index: int, cid: str, expected: str):
    """One row of a benchmark ballot (strike15), as the benchmark makes and reads it."""
    from kiemphieu.ocr.reader import read_bytes
    from kiemphieu.ocr.synthetic import demo_elections, make_ballot_file

    election = demo_elections()["strike15"]
    data, _, truth = make_ballot_file(election, index, level)
    assert truth["marks"][cid]["expected"] == expected
    reading = read_bytes(data, election)
    return reading, reading.rows[cid]
