"""Boxes form on a page whose print is blurred or bled short of the ink level: the print's own
slivers on its edge beside a name are not stray ink (a row with no box marked reads 'none'); a
pen's mark beside the name still is (issue 11, plain boxes ballots at L1-L2)."""

from dataclasses import replace

import pytest

from kiemphieu.ocr import load_profile
from kiemphieu.ocr.boxes import counted_stray
from kiemphieu.ocr.synthetic import marks as mk

from .classmarks import read_with_mark_by_name
PROFILE = load_profile("feeder-200dpi-colour")
BX = PROFILE.boxes

# A tuning-split grey_seal ballot at L1 (motion blur, ink spread 0.5 px, darker tone curve): the
# print's first ring is darkened 0.22, just under the ink level (so `stray_off_print` does not
# apply), and row c01, no box marked, has 2.5 mm² of new ink outside its boxes, all but 0.06 mm²
# on the print's edge.
BALLOT = ("tune", "grey_seal", "L1", 442, "boxes6")


def _read(extra=None, pen="black_ballpoint", profile=PROFILE):
    return read_with_mark_by_name(BALLOT, "c01", extra, pen, profile)


def test_print_edge_slivers_beside_a_name_are_not_stray_ink():
    reading, truth = _read()
    assert truth["marks"]["c01"]["expected"] == "none"
    row = reading.rows["c01"]
    assert reading.checks["halo"][0] >= BX.stray_edge_halo
    assert row["stray_mm2"] >= BX.stray_mm2 and "stray_off_print_mm2" not in row
    assert row["stray_off_edge_mm2"] <= BX.stray_edge_free_mm2
    assert reading.boxes["c01"] == "none"
    assert reading.status == "read"
    assert all(reading.boxes[cid] == m["expected"] for cid, m in truth["marks"].items())


def test_with_the_rule_off_the_row_stays_uncertain():
    profile = replace(PROFILE, boxes=replace(BX, stray_edge_halo=1.0))
    reading, _ = _read(profile=profile)
    assert reading.boxes["c01"] == "uncertain"
    assert reading.status == "review"


@pytest.mark.parametrize("mark", [
    lambda box, dpi, rng, baseline, font: mk.strike(box, "straight", dpi, rng, baseline, font),
    lambda box, dpi, rng, baseline, font: mk.strike(box, "slanted", dpi, rng, baseline, font),
    lambda box, dpi, rng, baseline, font: mk.strike(box, "wavy", dpi, rng, baseline, font),
    lambda box, dpi, rng, baseline, font: mk.partial_strike(box, dpi, rng, baseline, font)[0],
    lambda box, dpi, rng, baseline, font: mk.tick(box, dpi, rng),
    lambda box, dpi, rng, baseline, font: mk.underline(box, dpi, rng),
    lambda box, dpi, rng, baseline, font: mk.circle(box, dpi, rng),
    lambda box, dpi, rng, baseline, font: mk.dot(box, dpi, rng),
], ids=["straight strike", "slanted strike", "wavy strike", "partial strike", "tick", "underline", "circle", "dot"])
@pytest.mark.parametrize("pen", ["thin_black", "black_ballpoint", "blue_ballpoint_faint"])
def test_a_pens_mark_beside_the_name_still_forbids_none(mark, pen):
    reading, _ = _read(mark, pen)
    # Measured off the print's edge (the rule looked), and too much there: a pen's.
    assert reading.rows["c01"]["stray_off_edge_mm2"] > BX.stray_edge_free_mm2
    assert reading.boxes["c01"] == "uncertain"
    assert reading.status == "review"


def test_the_decision_counts_the_ink_off_the_edge_only_on_a_haloed_page_and_when_it_is_little():
    assert counted_stray(2.5, 0.06, 0.21, BX) == 0.06
    assert counted_stray(2.5, BX.stray_edge_free_mm2, BX.stray_edge_halo, BX) == BX.stray_edge_free_mm2
    assert counted_stray(2.5, BX.stray_edge_free_mm2 + 0.01, 0.3, BX) == 2.5  # a pen's ink off the edge
    assert counted_stray(2.5, 0.0, BX.stray_edge_halo - 0.01, BX) == 2.5  # a sharp page: any ink
    assert counted_stray(2.5, 0.0, 0.99, replace(BX, stray_edge_halo=1.0)) == 2.5  # off
