"""A black line drawn through the middle of small, bold or bled letters was read `uncertain`:
the glyph margin the template subtracts covers nearly the whole x-height there, so the line left
new ink only in the word gaps and past the name's ends, too little for the covers (tuning class
ballots: plain L2 65 has three such strikes on a page whose print halo is 0.79). Now a row
neither struck nor kept, with new ink by its covers, is measured against the page's own print
tone (`darkline.line_excess`: the share of the print's headroom one scanline fills in every
quarter of the name) and is `struck` from `dark_line` on when nothing lies off its line."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kiemphieu.ocr.darkline import PageTone, line_excess
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikedecisions import decide_strike, strike_margin, strikes_by_dark_line, wants_dark_line
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections
from kiemphieu.ocr.template import template_for

from .test_reader_merged_runs import _row as measured_row

PROFILE = load_profile("feeder-200dpi-colour")

# (class, level, ballot, election, rows uncertain for another reason): tuning ballots whose
# strikes through the letters read `uncertain` before, each the only reason its ballot went to
# review. (plain L2 26's c33 is a double strike whose two lines show, far apart, over a third
# of the name and one line over the rest: thicker there as a correction's loops are, `thick`.)
HIDDEN_LINE_BALLOTS = [("plain", "L2", 65, "strike15", ()), ("plain", "L2", 26, "strike64", ("c33",)),
                       ("plain", "L1", 10, "strike45", ())]


@pytest.mark.parametrize("cls, level, index, name, other", HIDDEN_LINE_BALLOTS)
def test_a_line_through_bled_letters_is_struck_and_the_ballot_read(cls, level, index, name, other):
    data, _, truth = make_class_ballot_file("tune", cls, level, index, name)
    reading = read_bytes(data, split_elections("tune")[name], PROFILE).to_json()
    assert reading["status"] == ("review" if other else "read")
    for cid, mark in truth["marks"].items():
        expected = "uncertain" if cid in other else mark["expected"]
        assert reading["marks"][cid] == expected, (cid, mark, reading["rows"][cid])
    for cid in other:
        assert reading["rows"][cid]["thick"] >= PROFILE.strike.max_thick


def test_without_the_check_those_strikes_are_uncertain():
    off = dataclasses.replace(PROFILE, strike=dataclasses.replace(PROFILE.strike, dark_line=1.01))
    data, _, truth = make_class_ballot_file("tune", "plain", "L2", 65, "strike15")
    reading = read_bytes(data, split_elections("tune")["strike15"], off).to_json()
    assert reading["status"] == "review"
    assert [reading["marks"][cid] for cid in ("c02", "c04", "c13")] == ["uncertain"] * 3


def _page_and_row(name="strike45", index=4):
    """A clean scan-like page from the template (paper 250, print as rendered) and one row."""
    election = split_elections("tune")[name]
    template = template_for(layout_for(election), PROFILE)
    page = template.grey.astype(np.float32)
    page[page > 200] = 250.0
    return page, template, template.rows[index]


def _draw_line(page, template, row, start=0.0, end=1.0, height=0.5, grey=40.0):
    """A 2-pixel dark line across [start, end) of the name at `height` of the zone (0 its top)."""
    y0, y1, x0, x1 = row.band
    n0, n1 = row.name
    z0, z1 = row.zone
    y = int(round(y0 + z0 + height * (z1 - z0)))
    a, b = x0 + n0 + int(start * (n1 - n0)), x0 + n0 + int(end * (n1 - n0))
    page[y:y + 2, a:b] = np.minimum(page[y:y + 2, a:b], grey)
    return page


def _excess(page, template, row):
    image = page.astype(np.uint8)
    return line_excess(image, PageTone(image, template, 250.0), template, row, (0, 0))


def test_line_excess_finds_a_line_through_the_whole_name_only():
    page, template, row = _page_and_row()
    assert _excess(page, template, row) < 0.1  # clean print fits the page's own tone
    assert _excess(_draw_line(page.copy(), template, row), template, row) > 0.8
    assert _excess(_draw_line(page.copy(), template, row, grey=120.0), template, row) > 0.4  # a grey felt pen
    # Over half the name (a partial strike), or under the strike zone (an underline): no line.
    assert _excess(_draw_line(page.copy(), template, row, end=0.5), template, row) < 0.1
    assert _excess(_draw_line(page.copy(), template, row, start=0.4), template, row) < 0.1
    assert _excess(_draw_line(page.copy(), template, row, height=1.6), template, row) < 0.1


# A strike through bled letters read uncertain before (plain L2 65 strike15 c02).
HIDDEN_ROW = {"score": 0.302, "run_cover": 0.0, "gap_cover": 0.302, "touched_run_cover": 0.0, "span": 0.549,
              "ink_mm2": 13.29, "free_mm2": 4.06, "faint_free_mm2": 4.71, "faint_cover": 0.308, "faint_mm2": 17.16,
              "off_edge_gap": 0.083, "open_cross": 0.4, "open_run_cover": None, "run_sliver_mm2": None,
              "faint_extra_mm2": 0.0}


def test_a_dark_line_strikes_only_a_clean_row_and_the_crease_check_still_holds():
    st = PROFILE.strike
    row = measured_row(**HIDDEN_ROW)
    assert wants_dark_line(row, st) and decide_strike(row, st) == "uncertain"  # not measured: as before
    assert decide_strike(measured_row(**HIDDEN_ROW, line_excess=st.dark_line - 0.01), st) == "uncertain"
    struck = measured_row(**HIDDEN_ROW, line_excess=st.dark_line + 0.2)
    assert strikes_by_dark_line(struck, st) and decide_strike(struck, st) == "struck"
    assert strike_margin("struck", struck, st) == pytest.approx(0.2)
    # A correction's loops or circle off the line, faint ones too, or columns crossed three times.
    for off_line in ({"extra_mm2": st.dark_line_extra_mm2}, {"faint_extra_mm2": st.line_faint_extra_mm2},
                     {"multi": st.max_multi}):
        assert decide_strike({**struck, **off_line}, st) == "uncertain", off_line
    # A fold crease along the letters: the line runs on across the page.
    assert decide_strike({**struck, "crease": st.crease_cover}, st) == "uncertain"
    # No new ink by the covers: not measured.
    assert not wants_dark_line(measured_row(**{**HIDDEN_ROW, "score": st.marginal - 0.01}), st)
