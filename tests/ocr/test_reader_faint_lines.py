"""A pale or thin pen's line through small print was read `uncertain`: the glyph margin the
template subtracts covers nearly the whole x-height, the line is too light to be ink, and what
shows of it off the print is faint ink in the word gaps and past the name's ends (found by
reading the tuning split's class ballots on our own scanner ladder at L2, the capture the
held-back split uses: 11 of 37 uncertain true strikes were straight pale lines on the 58- and
64-name layouts). Now a row neither struck nor kept, with faint ink centred in its zone, is
`struck` when that faint ink shows at every place a line through the whole name shows on open
paper (`faint_cross`), the letters darken along it (`line_excess` at `faint_line_excess`) and
nothing lies off it; the fold-crease check follows the faint line, and a faint line whose course
across the page cannot be followed stays `uncertain`."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikedecisions import (
    decide_strike, strike_margin, strikes_by_faint_line, wants_dark_line, wants_faint_line)
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from .test_reader_merged_runs import _row as measured_row

PROFILE = load_profile("feeder-200dpi-colour")

# A pale overshooting strike through a 64-name page's small print (tuning class ballot
# cut_corner L2 113, read on our own scanner ladder): faint ink only, at both ends and the gap.
PALE_ROW = {"score": 0.025, "run_cover": 0.0, "gap_cover": 0.025, "tint_cover": 0.0, "span": 0.014,
            "faint_cover": 0.099, "ink_mm2": 0.92, "faint_mm2": 4.13, "extra_mm2": 0.0, "multi": 0.0,
            "faint_extra_mm2": 0.0, "free_mm2": 0.77, "faint_free_mm2": 3.47, "touched_run_cover": 0.0,
            "open_run_cover": None, "run_sliver_mm2": None}


def test_a_pale_line_across_every_open_place_is_struck_when_it_darkens_the_letters():
    st = PROFILE.strike
    row = measured_row(**PALE_ROW)
    assert not wants_dark_line(row, st)  # no new ink by the covers: the dark-line check never looks
    assert wants_faint_line(row, st) and decide_strike(row, st) == "uncertain"  # not measured yet
    struck = measured_row(**PALE_ROW, faint_cross=1.0, line_excess=st.faint_line_excess + 0.03, crease=0.0)
    assert strikes_by_faint_line(struck, st) and decide_strike(struck, st) == "struck"
    assert strike_margin("struck", struck, st) == pytest.approx(0.0)  # every place: at the threshold
    # A partial line misses an end or a word gap; a line that leaves the letters as they print.
    assert decide_strike({**struck, "faint_cross": 0.75}, st) == "uncertain"
    assert decide_strike({**struck, "line_excess": st.faint_line_excess - 0.01}, st) == "uncertain"
    # A correction's loops or circle off the line, faint ones too, or columns crossed three times.
    for off_line in ({"extra_mm2": st.dark_line_extra_mm2}, {"faint_extra_mm2": st.line_faint_extra_mm2},
                     {"multi": st.max_multi}):
        assert decide_strike({**struck, **off_line}, st) == "uncertain", off_line
    # A fold crease runs on across the page; a faint line not followed across it is not trusted.
    # (A crease is itself a pale line: held to `faint_crease_cover`, under `crease_cover`.)
    assert st.faint_crease_cover < st.crease_cover
    assert decide_strike({**struck, "crease": st.faint_crease_cover - 0.01}, st) == "struck"
    assert decide_strike({**struck, "crease": st.faint_crease_cover}, st) == "uncertain"
    assert decide_strike({**struck, "crease": None}, st) == "uncertain"
    # A kept row is never measured; the check can be switched off.
    assert not wants_faint_line(measured_row(), st)
    off = dataclasses.replace(st, faint_cross=1.01)
    assert not wants_faint_line(row, off) and not strikes_by_faint_line(struck, off)


def test_pale_lines_through_small_print_are_struck_unless_their_course_runs_on():
    # Tuning class ballot grey_seal L2 11 (66 names): three pale strikes read `uncertain` before.
    # Two are struck now; c51's faint course past the name is followed over 0.19 of the page's
    # sides (the other column's print in line with it), over `faint_crease_cover`: a fold
    # crease can look so (one along a kept name measured 0.25), so it stays `uncertain`.
    data, _, truth = make_class_ballot_file("tune", "grey_seal", "L2", 11, "strike66")
    reading = read_bytes(data, split_elections("tune")["strike66"], PROFILE).to_json()
    rows = reading["rows"]
    for cid in ("c44", "c64"):
        assert reading["marks"][cid] == "struck" and rows[cid]["faint_cross"] == 1.0, (cid, rows[cid])
    assert reading["marks"]["c51"] == "uncertain" and rows["c51"]["crease"] >= PROFILE.strike.faint_crease_cover
    assert reading["status"] == "review"
    for cid, mark in truth["marks"].items():
        if cid != "c51":
            assert reading["marks"][cid] == mark["expected"], (cid, mark, rows[cid])


def test_without_the_check_those_strikes_are_uncertain():
    off = dataclasses.replace(PROFILE, strike=dataclasses.replace(PROFILE.strike, faint_cross=1.01))
    data, _, _ = make_class_ballot_file("tune", "grey_seal", "L2", 11, "strike66")
    reading = read_bytes(data, split_elections("tune")["strike66"], off).to_json()
    assert reading["status"] == "review"
    assert "uncertain" in reading["marks"].values()


@pytest.mark.parametrize("level, index, name, cid", [("L1", 13, "strike45", "c14"), ("L2", 44, "strike66", "c30"),
                                                     ("L2", 173, "strike64", "c28")])
def test_a_fold_crease_along_a_kept_name_is_not_a_pale_strike(level, index, name, cid):
    # Tuning class crease ballots: the crease's shade runs along the top of a kept name's
    # letters, faint at both ends and in every gap, and on across the page (on L2 44's bled
    # print followed over less of it than a dark line's crease must be: 0.42; on L2 173 over
    # 0.25 only, which `faint_crease_cover` at 0.25 read `struck`: pale strikes measure 0.04 at
    # their 95th percentile, 0.19 at most).
    data, _, truth = make_class_ballot_file("tune", "crease", level, index, name)
    reading = read_bytes(data, split_elections("tune")[name], PROFILE).to_json()
    row = reading["rows"][cid]
    assert truth["marks"][cid]["expected"] == "kept"
    assert row["faint_cross"] == 1.0 and row["crease"] >= PROFILE.strike.faint_crease_cover
    assert reading["marks"][cid] == "uncertain"
