"""Small print's merged letters touched by slivers of its own edge (issue 11 class 4, tuning
split, other scanner models at L1-L2): at 150 dpi the 58-66-name layouts' letters blur into
horizontal runs the sharp template does not have, and a pixel or a few of the print's edge past
the glyph margin lie in them. Those runs counted as a pen's (`run_cover` 0.1-0.45), so kept
names read `uncertain` by the dozen and the ballot went to review. The runs are measured again
by where the new ink in them lies (`rows[].open_run_cover`: runs with ink off the print's edge;
`rows[].run_sliver_mm2`: new ink on the edge in the others); a row touched by slivers only is
judged for `kept` without those runs (`strikedecisions.runs_by_slivers`), every other kept test
holding. A pen's line the print hides leaves ink on the edge at every letter it crosses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import decide_strike, kept_runs, runs_by_slivers, wants_open_runs
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from . import marks as m

PROFILE = load_profile()
# A plain tuning ballot of the 66-name layout at L2 whose kept names read uncertain before.
BALLOT = ("tune", "plain", "L2", 83, "strike66")


@pytest.fixture(scope="module")
def plain66():
    data, _, truth = make_class_ballot_file(*BALLOT)
    return data, truth


def test_kept_names_touched_by_slivers_of_small_print_read_kept(plain66):
    """Before the change 16 kept names of this ballot were `uncertain` (runs of merged letters
    touched by 2-6 pixels of the print's edge, `run_cover` 0.14-0.37) and the ballot was sent
    to review; now every name reads its truth and the ballot is read."""
    data, truth = plain66
    election = split_elections("tune")[BALLOT[4]]
    reading = read_bytes(data, election, PROFILE).to_json()
    kept = [cid for cid, row in truth["marks"].items() if row["expected"] == "kept"]
    slivered = [cid for cid in kept if reading["rows"][cid]["open_run_cover"] is not None]
    assert len(slivered) >= 10  # the class is there: runs alone over marginal on these rows
    for cid in slivered:
        assert reading["rows"][cid]["run_cover"] >= PROFILE.strike.marginal or \
            reading["rows"][cid]["touched_run_cover"] >= PROFILE.strike.marginal
        assert reading["rows"][cid]["open_run_cover"] < PROFILE.strike.marginal
    for cid, row in truth["marks"].items():
        assert reading["marks"][cid] == row["expected"], (cid, reading["rows"][cid])
    assert reading["status"] == "read"


@pytest.mark.parametrize("kind", ["thin_line", "third"])
def test_a_black_pen_on_that_small_print_is_never_kept(kind):
    """A thin black pen's line across a name and a black line over its middle third, on the same
    66-name layout through that ballot's scanner model: never `kept` (some of the third's rows
    are measured again, `open_run_cover`: their runs hold ink off the print's edge)."""
    targets, reading = m.read_black_lines(BALLOT, 12, kind, PROFILE)
    for cid in targets:
        assert reading["marks"][cid] != "kept", (cid, reading["rows"][cid])
    if kind == "third":
        assert any(reading["rows"][cid]["open_run_cover"] is not None for cid in targets)


def _row(**kw):
    row = {"score": 0.25, "run_cover": 0.25, "tint_cover": 0.0, "gap_cover": 0.02, "off_edge_gap": None,
           "span": 0.25, "extra_mm2": 0.0, "multi": 0.0, "line_cover": None, "faint_extra_mm2": None,
           "ink_mm2": 0.2, "free_mm2": 0.05, "faint_free_mm2": 0.05, "faint_cover": 0.02, "faint_mm2": 0.3,
           "tint_mm2": 0.0, "crease": None, "touched_run_cover": 0.3, "bled_print": False,
           "open_cross": None, "open_run_cover": 0.0, "run_sliver_mm2": 0.06}
    row.update(kw)
    return row


def test_runs_touched_by_slivers_only_do_not_forbid_kept():
    st = PROFILE.strike
    assert st.kept_sliver_mm2 > 0.06
    assert runs_by_slivers(_row(), st) and kept_runs(_row(), st) == (0.0, 0.0)
    assert decide_strike(_row(), st) == "kept"
    # Not measured (the row's gaps or pen colour over marginal): as before.
    assert decide_strike(_row(open_run_cover=None, run_sliver_mm2=None), st) == "uncertain"
    # Ink off the print's edge in the runs: a pen's.
    assert decide_strike(_row(open_run_cover=0.2), st) == "uncertain"
    # More than a sliver on the edge in them: a line the print hides.
    assert decide_strike(_row(run_sliver_mm2=st.kept_sliver_mm2), st) == "uncertain"
    # Ink on open paper: a pen somewhere in the row.
    assert decide_strike(_row(free_mm2=st.kept_edge_free_mm2), st) == "uncertain"
    # Faint ink on open paper: a pen the scan all but lost.
    assert decide_strike(_row(faint_free_mm2=st.kept_free_mm2), st) == "uncertain"
    # Every other kept test still holds.
    assert decide_strike(_row(faint_free_mm2=st.kept_faint_alone_mm2), st) == "uncertain"
    assert decide_strike(_row(gap_cover=st.marginal, score=st.marginal), st) == "uncertain"
    assert decide_strike(_row(faint_cover=st.faint_marginal), st) == "uncertain"
    # Off (kept_sliver_mm2 0): as before.
    assert decide_strike(_row(), replace(st, kept_sliver_mm2=0.0)) == "uncertain"


def test_runs_are_measured_again_only_on_a_page_whose_print_spreads():
    """A short partial strike across small print on a sharp page (tricky_marks ballots 304, 308,
    317, 361: halo 0.008-0.04) touches its own run only on the print's edge, as a sliver does;
    only blurred or bled print (halo at `kept_edge_halo`) merges letters into runs."""
    st = PROFILE.strike
    assert wants_open_runs(0.25, 0.02, 0.0, st.kept_edge_halo, st)
    assert not wants_open_runs(0.25, 0.02, 0.0, 0.04, st)  # a sharp page: the run is a pen's
    assert not wants_open_runs(0.25, st.marginal, 0.0, 0.2, st)  # the gaps too: as before
    assert not wants_open_runs(0.25, 0.0, st.marginal, 0.2, st)  # pen colour: as before
    assert not wants_open_runs(st.definite, 0.0, 0.0, 0.2, st)
    assert not wants_open_runs(0.05, 0.0, 0.0, 0.2, st)  # under marginal: kept as before
