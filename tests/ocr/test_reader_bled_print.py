"""Bled print's own ink beside every letter (issue 11, tuning split, other scanner models at L2):
on a page whose print halo's first ring is dark (ink bleed, blur) the new ink of a kept name is
mm² of slivers on the print's edge and its faint ink a grey fringe round every letter, so the
whole-row totals (`kept_ink_mm2`, `kept_pale_mm2`) sent kept names to `uncertain`. Where the print
bleeds no farther than its edge (`strikes.bleeds_to_edge`: halo at `strike.kept_bled_halo` or
darker, the second ring not ink) and a row has under `kept_edge_free_mm2` of ink on open paper,
only the ink off the edge (`free_mm2`, `faint_free_mm2`) judges it (`strikes.ink_on_edge_only`)."""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import bleeds_to_edge, decide_strike, ink_on_edge_only
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

PROFILE = load_profile()
ST = PROFILE.strike


def test_kept_names_on_bled_print_read_kept():
    """A tuning ballot (45 names, L2, ink bled): 16 kept names had 3-8 mm² of ink, all on the
    print's edge, and went to review; now every mark is right and the ballot is read."""
    data, ext, truth = make_class_ballot_file("tune", "overshoot_number", "L2", 41, "strike45")
    election = split_elections("tune")["strike45"]
    reading = read_bytes(data, election, PROFILE, f"L2{ext}")
    assert {cid: reading.marks[cid] for cid in truth["marks"]} == \
        {cid: row["expected"] for cid, row in truth["marks"].items()}
    assert reading.status == "read"
    bled = [cid for cid, row in truth["marks"].items()
            if row["expected"] == "kept" and reading.rows[cid]["ink_mm2"] >= ST.kept_ink_mm2]
    assert len(bled) >= 10  # the class is there: kept names over the whole-row ink limit
    assert all(reading.rows[cid]["bled_print"] for cid in bled)
    assert all(reading.rows[cid]["free_mm2"] < ST.kept_edge_free_mm2 for cid in bled)


def test_a_thin_partial_strike_where_the_print_fills_the_gaps_is_never_kept():
    """A thin pen over a fifth of a name (15 names, L1, another scanner model) on a page whose
    print's first two rings are ink (halo 0.73, 0.40): its line hides in the bled print (ink off
    the edge 0.06 mm²) and only the whole-row ink (3.03 mm²) tells it. The rule does not apply
    there (`print_reach` 2): uncertain, as before."""
    from kiemphieu.ocr.synthetic import ballots
    from kiemphieu.ocr.synthetic.degrade import degrade, draw_scanner, encode, level_params

    seed = zlib.crc32(b"safety:245")
    rng = np.random.default_rng(seed)
    election = split_elections("tune")["strike15"]
    image, truth = ballots.draw_ballot(election, "tricky", rng, ballots.DPI)
    assert truth["marks"]["c05"]["kind"] == "partial"
    params = replace(level_params("L1"), scanner=draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), "L1"))
    image, _ = degrade(image, params, rng, ballots.DPI)
    reading = read_bytes(encode(image, params)[0], election, PROFILE)
    assert reading.marks["c05"] == "uncertain"
    assert reading.rows["c05"]["bled_print"] is False
    assert reading.checks["halo"][1] >= 1 - PROFILE.ink.ink_level  # the second ring is ink


def test_the_print_bleeds_to_its_edge_only_between_the_halo_and_a_second_inked_ring():
    assert bleeds_to_edge(ST.kept_bled_halo, 0, ST)
    assert bleeds_to_edge(0.4, 1, ST)
    assert not bleeds_to_edge(ST.kept_bled_halo - 0.01, 0, ST)  # a sharp page: its ink is a pen's
    assert not bleeds_to_edge(0.7, 2, ST)  # the print fills the gaps: a thin pen hides there


def _kept_row(**changes) -> dict:
    row = {"score": 0.05, "run_cover": 0.0, "tint_cover": 0.0, "gap_cover": 0.05, "off_edge_gap": None,
           "span": 0.0, "extra_mm2": 0.0, "multi": 0.0, "line_cover": None, "faint_extra_mm2": None,
           "ink_mm2": 4.5, "free_mm2": 0.06, "faint_free_mm2": 0.3, "faint_cover": 0.3, "faint_mm2": 9.5,
           "tint_mm2": 0.0, "crease": None, "touched_run_cover": 0.0, "bled_print": True}
    row.update(changes)
    return row


def test_whole_row_ink_judges_kept_unless_it_lies_on_a_bled_print_edge():
    assert ink_on_edge_only(_kept_row(), ST)
    assert decide_strike(_kept_row(), ST) == "kept"
    assert decide_strike(_kept_row(bled_print=False), ST) == "uncertain"  # a sharp page: a pen's ink
    # Ink on open paper: the whole row's ink counts again (and a pen shows off the edge).
    assert not ink_on_edge_only(_kept_row(free_mm2=ST.kept_edge_free_mm2), ST)
    assert decide_strike(_kept_row(free_mm2=ST.kept_edge_free_mm2), ST) == "uncertain"
    assert not ink_on_edge_only(_kept_row(free_mm2=None), ST)  # not measured: never
    # Every other kept test still holds.
    assert decide_strike(_kept_row(faint_free_mm2=ST.kept_faint_alone_mm2), ST) == "uncertain"
    assert decide_strike(_kept_row(faint_cover=ST.faint_marginal), ST) == "uncertain"
    assert decide_strike(_kept_row(touched_run_cover=ST.marginal), ST) == "uncertain"
    assert decide_strike(_kept_row(score=ST.marginal, gap_cover=ST.marginal), ST) == "uncertain"
