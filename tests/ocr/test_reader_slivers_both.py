"""Bled print's slivers in a kept name's gaps and on its merged letters' runs at once (issue 11
class 4, tuning split, strike L1-L2 through other scanner models). On a page whose print bleeds
(halo's first ring at `kept_edge_halo` or darker) a pixel or a few of the print's own edge lie
in the gaps between letters (`gap_cover`) and on the runs bold letters merge into
(`run_cover`). Each was already measured again off the print's edge (`off_edge_gap`,
`open_run_cover`), but only where the other measure was under `marginal`: a kept name with both
over it stayed `uncertain` and sent its ballot to review (13 tuning ballots' rows of 30 in the
"runs + gaps on bled print" class at 6fe6d52). Now both are measured again
(`strikedecisions.wants_sliver_check`) and the row is kept only when both are clean off the edge
and it has next to no ink on open paper: the same kept tests as each rule alone."""

from __future__ import annotations

import pytest

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import decide_strike, wants_edge_gap, wants_open_runs, wants_sliver_check
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from . import marks as m
from .test_reader_merged_runs import _row as merged_row

PROFILE = load_profile()
# Tuning ballots of the 45-name layout with a kept name of the class (c27; c15, and c20 beside
# it): run_cover and gap_cover both 0.12-0.21, every bit of it slivers of the print's edge.
# (overshoot_number L2 26, pinned first, has two markers cut: its page map, and its rows'
# slivers, moved with the print fit's levels; L2 35 has its four markers.)
BALLOTS = {("tune", "grey_seal", "L1", 133, "strike45"): "c27",
           ("tune", "overshoot_number", "L2", 35, "strike45"): "c15"}


@pytest.mark.parametrize("ballot", list(BALLOTS), ids=lambda b: f"{b[1]}-{b[2]}-{b[3]}")
def test_a_kept_name_slivered_in_its_gaps_and_runs_reads_kept(ballot):
    data, _, truth = make_class_ballot_file(*ballot)
    reading = read_bytes(data, split_elections("tune")[ballot[4]], PROFILE).to_json()
    st, row = PROFILE.strike, reading["rows"][BALLOTS[ballot]]
    assert reading["checks"]["halo"][0] >= st.kept_edge_halo  # bled print
    assert min(row["run_cover"], row["gap_cover"]) >= st.marginal  # both over marginal: the class
    assert row["off_edge_gap"] < st.marginal and row["open_run_cover"] < st.marginal
    assert row["free_mm2"] < st.kept_edge_free_mm2
    for cid, mark in truth["marks"].items():
        assert reading["marks"][cid] == mark["expected"], (cid, reading["rows"][cid])
    assert reading["status"] == "read"


@pytest.mark.parametrize("kind", ["thin_line", "third", "short"])
def test_a_black_pen_on_that_bled_print_is_never_kept(kind):
    """A thin black pen's line across a name, a line over its middle third and a short one over a
    sixth, on the same 45-name layout through the overshoot ballot's scanner model: never
    `kept` (the line crosses gaps between letters off the print's edge, or touches the runs
    with more than slivers). Most partial lines' rows are looked at again by the new check (7-10
    of 15): it keeps them `uncertain` by their ink on open paper."""
    targets, reading = m.read_black_lines(("tune", "overshoot_number", "L2", 26, "strike45"), 15, kind, PROFILE)
    assert reading["checks"]["halo"][0] >= PROFILE.strike.kept_edge_halo  # bled print, as on that ballot
    for cid in targets:
        assert reading["marks"][cid] != "kept", (cid, reading["rows"][cid])
    if kind != "thin_line":  # (a line across the name is struck) the partial lines were looked at again
        rechecked = [cid for cid in targets if reading["rows"][cid]["off_edge_gap"] is not None
                     and reading["rows"][cid]["open_run_cover"] is not None]
        assert len(rechecked) >= 5


# A kept name of that class, both measures taken again: the merged-runs tests' row with gaps
# over marginal as well, clean off the edge, on bled print.
BOTH = {"score": 0.18, "run_cover": 0.18, "gap_cover": 0.15, "off_edge_gap": 0.0, "ink_mm2": 1.8, "free_mm2": 0.0,
        "faint_cover": 0.15, "faint_mm2": 2.0, "touched_run_cover": 0.18, "bled_print": True, "run_sliver_mm2": 0.1}


def _row(**kw):
    return merged_row(**{**BOTH, **kw})


def test_runs_and_gaps_are_measured_again_together_only_on_bled_print():
    st = PROFILE.strike
    halo = st.kept_edge_halo
    assert wants_sliver_check(0.18, 0.15, 0.0, halo, st)
    # Neither rule alone looked again at such a row: that is the class.
    assert not wants_edge_gap(0.18, 0.18, halo, st) and not wants_open_runs(0.18, 0.15, 0.0, halo, st)
    assert not wants_sliver_check(0.18, 0.15, 0.0, halo - 0.01, st)  # a sharp page: a pen's
    assert not wants_sliver_check(0.18, 0.15, st.marginal, halo, st)  # pen colour
    assert not wants_sliver_check(0.18, st.marginal - 0.01, 0.0, halo, st)  # wants_open_runs' case
    assert not wants_sliver_check(st.marginal - 0.01, 0.15, 0.0, halo, st)  # wants_edge_gap's case
    assert not wants_sliver_check(st.definite, 0.15, 0.0, halo, st)  # a strike's evidence
    assert not wants_sliver_check(0.18, st.definite, 0.0, halo, st)


def test_both_must_be_clean_off_the_edge_to_keep_the_name():
    st = PROFILE.strike
    assert decide_strike(_row(), st) == "kept"
    assert decide_strike(_row(off_edge_gap=st.marginal), st) == "uncertain"  # ink in a gap off the edge
    assert decide_strike(_row(open_run_cover=st.marginal), st) == "uncertain"  # a run with ink off the edge
    assert decide_strike(_row(run_sliver_mm2=st.kept_sliver_mm2), st) == "uncertain"  # a hidden line
    assert decide_strike(_row(free_mm2=st.kept_edge_free_mm2), st) == "uncertain"  # a pen on open paper
    assert decide_strike(_row(faint_free_mm2=st.kept_free_mm2), st) == "uncertain"
    assert decide_strike(_row(faint_cover=st.faint_marginal), st) == "uncertain"
    # Not measured again (before the change, or off the page's bleed): uncertain.
    assert decide_strike(_row(off_edge_gap=None, open_run_cover=None, run_sliver_mm2=None), st) == "uncertain"
