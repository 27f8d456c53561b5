"""A pen line so pale that the faint-ink mask holds only scattered pixels of it (a faint blue
ballpoint on a grey capture, a thin black pen on a worn scan) was read `kept`: its row shows a
fraction of a mm² of faint ink off the print and nothing else. On the tuning split's class
ballots (1,149 strike ballots, L0-L2) 18 such strikes read `kept` on 7 ballots in review, where
the review page pre-fills the machine's answer. Now a row otherwise kept with `shade_faint_mm2`
of faint ink off its print is measured for a line along the paper between its letters
(`faintline.line_shade`) and is `uncertain` from `kept_line_shade` on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kiemphieu.ocr.faintline import line_shade
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikedecisions import decide_strike, pale_line
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections
from kiemphieu.ocr.template import template_for

from .test_reader_merged_runs import _row as measured_row

PROFILE = load_profile("feeder-200dpi-colour")

# (class, level, ballot, election): tuning ballots with a faint pen's strikes read `kept` before.
FAINT_PEN_BALLOTS = [("grey_seal", "L2", 104, "strike64"), ("crease", "L2", 110, "strike64"),
                     ("cut_corner", "L2", 113, "strike64"), ("plain", "L2", 206, "strike66")]


@pytest.mark.parametrize("cls, level, index, name", FAINT_PEN_BALLOTS)
def test_a_pale_pens_strikes_are_not_read_kept(cls, level, index, name):
    data, _, truth = make_class_ballot_file("tune", cls, level, index, name)
    election = split_elections("tune")[name]
    reading = read_bytes(data, election, PROFILE).to_json()
    for cid, mark in truth["marks"].items():
        if mark["expected"] == "struck":
            assert reading["marks"][cid] != "kept", (cid, mark, reading["rows"][cid])


def test_without_the_check_those_strikes_read_kept():
    off = dataclasses.replace(PROFILE, strike=dataclasses.replace(PROFILE.strike, kept_line_shade=1.01))
    data, _, truth = make_class_ballot_file("tune", "grey_seal", "L2", 104, "strike64")
    reading = read_bytes(data, split_elections("tune")["strike64"], off).to_json()
    assert sum(reading["marks"][cid] == "kept" for cid, m in truth["marks"].items() if m["expected"] == "struck") >= 5


def _template_row(name="strike45", index=4):
    election = split_elections("tune")[name]
    template = template_for(layout_for(election), PROFILE)
    return template, template.rows[index]


def test_line_shade_finds_a_pale_line_between_the_letters_and_not_on_clean_print():
    template, row = _template_row()
    page = template.grey.astype(np.float32)
    paper = 250.0
    page[page > 200] = paper
    clean = page.astype(np.uint8)
    assert line_shade(clean, template, row, (0, 0), paper) < 0.01
    y0, y1, x0, x1 = row.band
    n0, n1 = row.name
    z0, z1 = row.zone
    for slope in (0.0, 0.12):  # straight, and slanted about 7 degrees
        lined = page.copy()
        for column in range(n0, n1):
            y = int(round(y0 + (z0 + z1) / 2 + slope * (column - (n0 + n1) / 2)))
            lined[y, x0 + column] = min(lined[y, x0 + column], paper * 0.85)  # 15 % darker than white
        shade = line_shade(lined.astype(np.uint8), template, row, (0, 0), paper)
        assert 0.05 < shade <= 0.16, slope
    # Noise of the same strength scattered over the row is no line.
    rng = np.random.default_rng(3)
    noisy = page.copy()
    spots = rng.random(noisy[y0:y1, x0 + n0:x0 + n1].shape) < 1 / (z1 - z0)
    noisy[y0:y1, x0 + n0:x0 + n1][spots] = np.minimum(noisy[y0:y1, x0 + n0:x0 + n1][spots], paper * 0.85)
    assert line_shade(noisy.astype(np.uint8), template, row, (0, 0), paper) < 0.04


# A faint blue pen's strike read kept before (grey_seal L2 104 strike64 c11).
PALE_ROW = {"score": 0.0, "run_cover": 0.0, "gap_cover": 0.0, "touched_run_cover": 0.0, "span": 0.0,
            "ink_mm2": 0.14, "free_mm2": 0.14, "faint_cover": 0.137, "faint_mm2": 1.43, "faint_free_mm2": 0.49,
            "crease": None}


def test_a_kept_row_with_a_pale_line_is_uncertain_never_struck():
    st = PROFILE.strike
    assert decide_strike(measured_row(**PALE_ROW), st) == "kept"  # not measured: as before
    assert decide_strike(measured_row(**PALE_ROW, line_shade=st.kept_line_shade - 0.01), st) == "kept"
    assert decide_strike(measured_row(**PALE_ROW, line_shade=st.kept_line_shade), st) == "uncertain"
    assert pale_line(measured_row(**PALE_ROW, line_shade=0.5), st)
    assert decide_strike(measured_row(**PALE_ROW, line_shade=0.5), st) != "struck"  # faint ink decides no mark
