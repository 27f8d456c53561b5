"""A strike the voter took back was read `struck`: loops scribbled along part of the strike
("ignore this line") that a broad or pale pen merges into one blot, or that small print hides
but for their outline, left too little ink off the strike's line (`extra_mm2`) and too few
columns crossed three times (`multi`) to tell them from a strike (the double-strike benchmark,
`benchmarks/double_strike_benchmark.py --n 300`: 124 of 1,879 such corrections read `struck`,
on the 45- to 66-name layouts, every pen). Now a row is clean only if its pen's ink is about as
thick all along the name (`thick` under `max_thick`): a strike, single or double, spans the
same rows from one end to the other; loops span the row's height where they are."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikedecisions import crosses_openly, dark_line_clean, decide_strike, is_clean
from kiemphieu.ocr.strikezone import _thick_share
from kiemphieu.ocr.synthetic.classes import split_elections
from kiemphieu.ocr.synthetic.doubles import ACCEPT, double_strike_ballot

from .test_reader_merged_runs import _row as measured_row

PROFILE = load_profile("feeder-200dpi-colour")
FONT, PEN = 20, 3  # pixels: a name's font size and a ballpoint's line
REACH = int(round(PROFILE.strike.thick_reach * FONT))


def _band(width=200, height=40):
    return np.zeros((height, width), np.uint8)


def _line(band, y, x0=0, x1=None):
    band[y:y + PEN, x0:x1] = 1
    return band


def _thick(band, window=1):
    return _thick_share(band, 0, band.shape[1], (0, band.shape[0]), REACH, window)


def test_a_single_or_double_strike_is_as_thick_all_along_the_name():
    assert _thick(_line(_band(), 18)) == 0.0
    # Two lines 0.4 font sizes apart, or further, as long as they run the whole name together.
    assert _thick(_line(_line(_band(), 14), 14 + int(0.4 * FONT))) == 0.0
    assert _thick(_line(_line(_band(), 4), 34)) == 0.0
    # A wave: every column's ink is the pen's line, wherever it runs.
    wave = _band()
    for x in range(200):
        _line(wave[:, x:x + 1], int(18 + 8 * np.sin(x / 5)))
    assert _thick(wave) == 0.0


def test_loops_along_part_of_a_strike_make_it_thicker_there():
    band = _line(_band(), 18)
    band[6:34, 20:80] = 1  # a broad pen's loops merged into one blot over 30 % of the name
    assert _thick(band) == pytest.approx(0.3)
    outlined = _line(_band(), 18)  # a thin pen's loops: their tops and bottoms, the strike between
    _line(outlined, 6, 20, 80)
    _line(outlined, 31, 20, 80)
    assert _thick(outlined) == pytest.approx(0.3)
    assert _thick(outlined) >= PROFILE.strike.max_thick


def test_specks_off_the_line_are_smoothed_away_by_the_window():
    band = _line(_band(), 18)
    band[2, ::25] = 1  # a thin pen's hidden line, or the print's edge: single columns
    assert _thick(band, window=1) > 0.0
    assert _thick(band, window=5) == 0.0


def test_the_thinnest_columns_are_the_strike_itself_not_empty_columns():
    band = _line(_band(), 18, 0, 120)  # the strike's line stops; nothing after it
    assert _thick(band) == 0.0
    assert _thick_share(_band(), 0, 200, (0, 40), REACH, 1) == 0.0  # no ink: nothing thick


def test_a_thick_row_is_not_clean_by_any_of_the_line_measures():
    st = PROFILE.strike
    assert is_clean(0.9, 0.0, 0.0, st, st.max_thick - 0.01)
    assert not is_clean(0.9, 0.0, 0.0, st, st.max_thick)
    struck = measured_row(score=1.0, run_cover=1.0, gap_cover=0.5, span=0.9, extra_mm2=0.0, multi=0.0,
                          thick=0.0, crease=0.0)
    assert decide_strike(struck, st) == "struck"
    assert decide_strike({**struck, "thick": st.max_thick}, st) == "uncertain"
    lined = {**struck, "faint_extra_mm2": 0.0}
    assert dark_line_clean(lined, st) and not dark_line_clean({**lined, "thick": st.max_thick}, st)
    crossing = {**lined, "open_cross": 1.0, "gap_cover": st.marginal}
    assert crosses_openly(crossing, st) and not crosses_openly({**crossing, "thick": st.max_thick}, st)
    off = dataclasses.replace(st, max_thick=1.01)
    assert decide_strike({**struck, "thick": 0.8}, off) == "struck"


# Ballots of the double-strike benchmark (tuning split) whose corrections read `struck` before:
# (ballot, rows): a black felt pen's blot on the 64-name layout, a pale blue pen's on the 66, a
# blue gel pen's loops on the 58 at L1 and L2.
CORRECTION_BALLOTS = [(8, ("c15",)), (4, ("c03",)), (37, ("c06", "c28", "c53")), (27, ("c22", "c33"))]


@pytest.mark.parametrize("index, rows", CORRECTION_BALLOTS)
def test_a_correction_on_a_generated_ballot_is_uncertain_and_no_answer_is_wrong(index, rows):
    name, level, data, truth = double_strike_ballot("tune", index)
    reading = read_bytes(data, split_elections("tune")[name], PROFILE).to_json()
    for cid in rows:
        assert truth[cid][0].startswith("correction"), truth[cid]
        assert reading["marks"][cid] == "uncertain", reading["rows"][cid]
        assert reading["rows"][cid]["thick"] >= PROFILE.strike.max_thick
    answers = [(reading["marks"][cid], kind) for cid, (kind, _) in truth.items()]
    assert all(mark == "uncertain" or mark in ACCEPT[kind] for mark, kind in answers)
    # The double strikes beside them are struck, but where a neighbour's circle or the page hides one.
    doubles = [mark for mark, kind in answers if kind.startswith("double")]
    assert doubles.count("struck") >= 0.5 * len(doubles)
