"""Boxes form on a page whose print bleeds: the print's own slivers beside a name are not stray
ink (a row with no box marked reads 'none'), a pen's line or mark beside the name still is."""

import pytest

from kiemphieu.ocr import load_profile
from kiemphieu.ocr.synthetic import marks as mk

from .classmarks import read_with_mark_by_name

# A tuning-split grey_seal ballot at L2 whose print bleeds (ink spread 0.8 px, a blur and a tone
# curve: the print is ink two pixels past the glyph mask) and whose row c01 has no box marked.
BALLOT = ("tune", "grey_seal", "L2", 53, "boxes6")


def _read(extra=None, pen="black_ballpoint"):
    return read_with_mark_by_name(BALLOT, "c01", extra, pen, load_profile("feeder-200dpi-colour"))


def test_print_slivers_beside_a_name_are_not_stray_ink():
    reading, truth = _read()
    assert truth["marks"]["c01"]["expected"] == "none"
    row = reading.rows["c01"]
    assert row["stray_mm2"] >= 2.0 > row["stray_off_print_mm2"]  # over stray_mm2 before, none past the print
    assert reading.boxes["c01"] == "none"
    assert reading.status == "read"
    assert all(reading.boxes[cid] == m["expected"] for cid, m in truth["marks"].items())


@pytest.mark.parametrize("mark", [
    lambda box, dpi, rng, baseline, font: mk.strike(box, "straight", dpi, rng, baseline, font),
    lambda box, dpi, rng, baseline, font: mk.strike(box, "slanted", dpi, rng, baseline, font),
    lambda box, dpi, rng, baseline, font: mk.strike(box, "wavy", dpi, rng, baseline, font),
    lambda box, dpi, rng, baseline, font: mk.tick(box, dpi, rng),
    lambda box, dpi, rng, baseline, font: mk.underline(box, dpi, rng),
    lambda box, dpi, rng, baseline, font: mk.circle(box, dpi, rng),
], ids=["straight strike", "slanted strike", "wavy strike", "tick", "underline", "circle"])
@pytest.mark.parametrize("pen", ["thin_black", "black_ballpoint"])
def test_a_pens_mark_beside_the_name_still_forbids_none(mark, pen):
    reading, _ = _read(mark, pen)
    assert reading.boxes["c01"] == "uncertain"
    assert reading.status == "review"
