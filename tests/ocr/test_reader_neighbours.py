"""A double strike read `uncertain` because of the row above's or below's marks: a row's band
runs halfway to the next name, and a neighbour's circle or low second line reaching into it was
counted as ink off this row's line (`extra_mm2`, as a correction's loops or circle are). In the
double-strike benchmark's tuning ballots (`--n 300`) that was most of the doubles held back by
`extra_mm2` alone. Now a stroke that, followed past the band's edge, reaches the next row's
strike zone and never comes into this row's zone grown by half is left out
(`neighbours.without_neighbours`, `strike.neighbours_apart`); a stroke that reaches neither zone
(a pale circle of this row's broken in pieces) stays counted."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from kiemphieu.ocr.neighbours import colour_without_neighbours, without_neighbours
from kiemphieu.ocr.profiles import load_profile

PROFILE = load_profile("feeder-200dpi-colour")

PITCH, ZONE, GROWN = 34, (9, 22), (3, 28)  # a 100 dpi row: band height, zone, zone grown by half


def _page(rows=3, width=120):
    """A page of `rows` bands of one pitch, no print (the template's not_glyph all ones)."""
    template = SimpleNamespace(height=rows * PITCH, width=width, not_glyph=np.ones((rows * PITCH, width), np.uint8))
    row = SimpleNamespace(band=(PITCH, 2 * PITCH, 0, width), zone=ZONE)  # the middle row
    return template, row, np.zeros((rows * PITCH, width), np.uint8)


def _band(ink, row):
    by0, by1, bx0, bx1 = row.band
    return np.ascontiguousarray(ink[by0:by1, bx0:bx1])


def test_a_neighbours_stroke_reaching_its_zone_is_left_out():
    template, row, ink = _page()
    ink[PITCH + 15, 10:110] = 1  # this row's strike
    # The row above's circle: its lower arc dips into this band, its end goes up through its zone.
    ink[PITCH + 1, 20:100] = 1
    ink[PITCH - 20:PITCH + 2, 20] = 1
    band = _band(ink, row)
    own, theirs = without_neighbours(band, ink, template, row, (0, 0), GROWN)
    assert theirs is not None and theirs[1, 20:100].all() and not theirs[15].any()
    assert own[15, 10:110].all() and not own[:3].any()


def test_a_stroke_coming_into_this_rows_zone_is_this_rows():
    template, row, ink = _page()
    ink[PITCH + 15, 10:110] = 1
    # A large circle of this row: it reaches the row above's zone and comes back through this zone.
    ink[PITCH - 20:PITCH + 16, 5] = 1
    ink[PITCH + 1, 5:115] = 1
    band = _band(ink, row)
    own, theirs = without_neighbours(band, ink, template, row, (0, 0), GROWN)
    assert theirs is None and (own == band).all()


def test_a_piece_that_reaches_neither_zone_stays_counted():
    template, row, ink = _page()
    ink[PITCH + 15, 10:110] = 1
    ink[PITCH:PITCH + 2, 20:100] = 1  # a pale circle's top arc, broken off: touches the band's edge only
    ink[2 * PITCH - 2:2 * PITCH + 4, 30:90] = 1  # and its lower arc, a little past the band's foot
    band = _band(ink, row)
    own, theirs = without_neighbours(band, ink, template, row, (0, 0), GROWN)
    assert theirs is None and (own == band).all()


def test_the_row_below_counts_from_its_zone_too_and_the_shift_moves_the_ink():
    template, row, ink = _page()
    ink[PITCH + 16, 10:110] = 1
    ink[2 * PITCH - 1, 30:90] = 1  # the row below's circle, up into this band's foot
    ink[2 * PITCH - 1:2 * PITCH + 12, 30] = 1  # down into its zone (it begins 9 rows below the band)
    shifted = np.roll(ink, 1, axis=0)  # the page lies one pixel lower: the row found at shift (0, 1)
    band = np.ascontiguousarray(shifted[PITCH + 1:2 * PITCH + 1])
    own, theirs = without_neighbours(band, shifted, template, row, (0, 1), GROWN)
    assert theirs is not None and theirs[PITCH - 1, 30:90].all()
    assert own[16, 10:110].all() and own.sum() == 100


def test_on_the_pages_first_row_nothing_is_anyones_else():
    template, _, ink = _page(rows=1)
    row = SimpleNamespace(band=(0, PITCH, 0, 120), zone=ZONE)
    ink[15, 10:110] = 1
    ink[0:2, 20:100] = 1
    band = _band(ink, row)
    own, theirs = without_neighbours(band, ink, template, row, (0, 0), GROWN)
    assert theirs is None and (own == band).all()


def test_the_colour_of_a_neighbours_stroke_goes_with_it():
    theirs = np.zeros((PITCH, 120), bool)
    theirs[1, 20:100] = True
    tint = np.zeros((PITCH, 120), np.uint8)
    tint[0:3, 18:102] = 1  # the same stroke by colour, a little wider
    tint[15, 10:110] = 1  # this row's strike
    tint[0:3, 110:115] = 1  # a speck of colour off the neighbour's stroke: stays
    out = colour_without_neighbours(tint, theirs, GROWN)
    assert not out[0:3, 18:102].any() and out[15, 10:110].all() and out[0:3, 110:115].all()


def test_the_setting_is_on_in_every_scanner_profile():
    for name in ("feeder-200dpi-colour", "bw-300dpi", "phone-photo"):
        assert load_profile(name).strike.neighbours_apart is True
    off = dataclasses.replace(PROFILE.strike, neighbours_apart=False)
    assert off.neighbours_apart is False
