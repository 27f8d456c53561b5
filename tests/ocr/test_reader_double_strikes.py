"""A broad pen's double strike was read `uncertain`: its two lines, merged into one band or apart,
are cut by the letters' bars and bowls where the template subtracts the print, so each column
crossing a letter showed three or more pieces of ink (`multi`, as a correction's loops cross a
column) and pieces off the column's centre (`extra_mm2`) (probe split 3, read on our own
scanner ladder: 9 of 18 plain ballots not read had a double strike along the baseline). Now the
ink off the line is measured with the print between two pieces of a column's ink filled in,
where only print lies between them for up to `bridge_print_mm` (`_bridged_across_print`)."""

from __future__ import annotations

import dataclasses

import numpy as np

from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import _bridged_across_print
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections
from kiemphieu.ocr.template import template_for

from .conftest import at_work_dpi

PROFILE = load_profile("feeder-200dpi-colour")


def _template_and_row(name="strike45", index=4):
    template = template_for(layout_for(split_elections("tune")[name]), PROFILE)
    return template, template.rows[index]


def _glyph_column(template, row):
    """A column of the row's band crossing print, with the first and last rows of its print."""
    by0, by1, bx0, bx1 = row.band
    glyph = template.glyph[by0:by1, bx0:bx1]
    n0, n1 = row.name
    for x in range(n0, n1):
        printed = np.flatnonzero(glyph[:, x])
        if printed.size >= 3 and printed[-1] - printed[0] + 1 == printed.size and printed[0] >= 2:
            return x, int(printed[0]), int(printed[-1])
    raise AssertionError("no column with one stretch of print")


def test_the_print_between_two_pieces_of_a_column_is_filled_and_nothing_else():
    template, row = _template_and_row()
    by0, by1, bx0, bx1 = row.band
    x, top, bottom = _glyph_column(template, row)
    new = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
    new[top - 2:top, x] = 1  # a line's ink just above the print and just below it
    new[bottom + 1:bottom + 3, x] = 1
    reach = bottom - top + 1
    bridged = _bridged_across_print(new, template, row, reach)
    assert bridged[top - 2:bottom + 3, x].all()  # one stroke now
    assert bridged[:, :x].sum() == 0 and bridged[:, x + 1:].sum() == 0  # no other column touched
    # Print wider than the reach stays a gap (the reach counts in pairs of pixels: odd kernels).
    assert not _bridged_across_print(new, template, row, reach - 2)[top:bottom + 1, x].any()
    assert (_bridged_across_print(new, template, row, 0) == new).all()
    # Ink on one side only: nothing to bridge.
    one_side = new.copy()
    one_side[bottom + 1:, x] = 0
    assert (_bridged_across_print(one_side, template, row, reach) == one_side).all()


def test_bridging_never_fills_paper():
    template, row = _template_and_row()
    by0, by1, bx0, bx1 = row.band
    rng = np.random.default_rng(7)
    new = (rng.random((by1 - by0, bx1 - bx0)) < 0.2).astype(np.uint8) & template.not_glyph[by0:by1, bx0:bx1]
    bridged = _bridged_across_print(new, template, row, template.px(PROFILE.strike.bridge_print_mm))
    added = bridged & (1 - new)
    assert added.any() and not (added & template.not_glyph[by0:by1, bx0:bx1]).any()


def test_a_broad_double_strike_along_the_baseline_is_struck_and_the_ballot_read():
    # Tuning class ballot double_baseline L1 13: c02, two lines along the baseline and through the
    # letters, was the only row `uncertain` (multi 0.07 with 1.3 mm² off the line).
    data, _, truth = make_class_ballot_file("tune", "double_baseline", "L1", 13, "strike15")
    election = split_elections("tune")["strike15"]
    reading = read_bytes(data, election, PROFILE).to_json()
    assert reading["status"] == "read"
    assert {cid: reading["marks"][cid] for cid in truth["marks"]} == {
        cid: mark["expected"] for cid, mark in truth["marks"].items()}
    off = dataclasses.replace(PROFILE, strike=dataclasses.replace(PROFILE.strike, bridge_print_mm=0.0))
    unbridged = read_bytes(data, election, at_work_dpi(off)).to_json()
    assert unbridged["marks"]["c02"] == "uncertain" and unbridged["status"] == "review"
