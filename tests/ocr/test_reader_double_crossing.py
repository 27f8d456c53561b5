"""A double strike whose line through the letters the bled print hides (issue 11, tuning split,
`uncertain struck`): it shows on open paper only past the name's ends and in its word gaps
(`rows[].open_cross`), but there its second line, along or under the baseline, pulls each
column's ink centre under the strike zone, and the crossing missed an end or a gap. A row whose
pen ink spans the name is measured stroke by stroke already (`split_score`); its open crossing
now is too: a column counts when one of its strokes is centred in the zone or starts in it and
crosses `strike.split_line` (`strikezone._open_crossing(..., line)`), as the covers do."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import _open_crossing
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

PROFILE = load_profile()
ST = PROFILE.strike


def test_a_double_strike_under_bled_print_crosses_openly_and_reads_struck():
    """A tuning ballot (15 names, L1, another scanner model, print halo 0.27): the double strike
    on c07 (score 0.34, span 0.81) crossed one end of four open places (centres under the zone);
    now every place, struck, and the ballot is read with every mark right."""
    data, ext, truth = make_class_ballot_file("tune", "double_baseline", "L1", 166, "strike15")
    reading = read_bytes(data, split_elections("tune")["strike15"], PROFILE, f"L1{ext}")
    row = reading.rows["c07"]
    assert truth["marks"]["c07"]["kind"] == "double_baseline"
    assert row["split_score"] is not None and reading.scores["c07"] < ST.definite
    assert row["open_cross"] == 1.0
    assert {cid: reading.marks[cid] for cid in truth["marks"]} == \
        {cid: mark["expected"] for cid, mark in truth["marks"].items()}
    assert reading.status == "read"


def _band(*strokes: tuple[int, int]):
    """A 22 x 100 row band: three 'words' of print (their edge mask) at columns 20-40, 45-60 and
    65-80, the zone rows 5-15; new ink (off the print) from column 12 to 88 in each stroke's rows."""
    edge = np.zeros((22, 100), np.uint8)
    for a, b in ((20, 40), (45, 60), (65, 80)):
        edge[3:17, a:b] = 1
    new = np.zeros_like(edge)
    for y0, y1 in strokes:
        new[y0:y1, 12:88] = 1
    new &= 1 - edge
    return new, SimpleNamespace(glyph_edge=lambda row: edge), SimpleNamespace(name=(20, 80), zone=(5, 15))


def test_a_second_line_under_the_zone_moves_no_column_measured_stroke_by_stroke():
    reach, inside, line = 8, 0.03, 11
    double = _band((12, 14), (17, 21))  # a line low in the zone, a second one under the baseline
    assert _open_crossing(*double, reach, inside) == 0.0  # column centres: under the zone
    assert _open_crossing(*double, reach, inside, line) == 1.0  # its first stroke: in the zone
    # A single line through the zone: the same either way.
    assert _open_crossing(*_band((9, 11)), reach, inside) == _open_crossing(*_band((9, 11)), reach, inside, line) == 1.0
    # An underline, or two lines under the zone, still never cross.
    assert _open_crossing(*_band((17, 21)), reach, inside, line) == 0.0
    assert _open_crossing(*_band((15, 16), (18, 21)), reach, inside, line) == 0.0
    # Arcs above and under the zone (a circle's), each outside it: no stroke in the zone.
    assert _open_crossing(*_band((1, 4), (17, 21)), reach, inside, line) == 0.0
