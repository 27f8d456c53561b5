"""Slivers of the print's own edge in the gaps between letters (issue 11, tuning split, other
scanner models at L1-L2): bled or blurred print a fraction of a pixel off the template leaves
new ink on one side of every stem, right against the glyph margin. Its columns are centred in
the strike zone, so the gap cover put kept names over `strike.marginal` (uncertain, the ballot
to review). On a page whose print bleeds (`strike.kept_edge_halo`) such a row's gaps are
measured again without the print's edge (`rows[].off_edge_gap`) and, with under
`strike.kept_edge_free_mm2` of ink on open paper, those gaps stand for the gap cover in the
kept test; a pen's line still shows."""

from __future__ import annotations

import importlib
from dataclasses import replace

import numpy as np
import pytest

from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import decide_strike, kept_score, wants_edge_gap

from . import marks as m
from .conftest import _sealed_blank, make_election

degrade_module = importlib.import_module("kiemphieu.ocr.synthetic.degrade")
Scanner = degrade_module.Scanner
STRUCK = 3
PROFILE = load_profile()
# Ink bled 0.9 px and a slanted anisotropic blur: legible print whose stems leave a sliver on
# one side (drawn from the tuning split's ballots of this class).
BLED = Scanner(seed=3, blur="anisotropic", blur_ratio=1.5, blur_angle_deg=160, ink_spread_px=0.9)


@pytest.fixture(scope="module")
def fifteen():
    election = make_election(15, 10)
    img = np.array(_sealed_blank(election), copy=True)
    for c in election.candidates[:STRUCK]:
        m.strike(img, layout_for(election), 200, c.id)
    return election, img


def scan(img, scanner: Scanner, level: str = "L1", seed: int = 5) -> bytes:
    params = replace(degrade_module.LEVELS[level], scanner=scanner)
    out, _ = degrade_module.degrade(img, params, np.random.default_rng(seed))
    return degrade_module.encode(out, params)[0]


def test_slivers_of_bled_print_in_the_gaps_let_kept_names_read_kept(fifteen):
    """Before the fix six of these twelve kept names were uncertain (gap cover 0.1-0.3, every
    gap column's ink on the print's edge) and the ballot went to review."""
    election, img = fifteen
    reading = read_bytes(scan(img, BLED), election, PROFILE).to_json()
    ids = [c.id for c in election.candidates]
    assert [reading["marks"][i] for i in ids[:STRUCK]] == ["struck"] * STRUCK
    assert [reading["marks"][i] for i in ids[STRUCK:]] == ["kept"] * (len(ids) - STRUCK)
    slivered = [i for i in ids[STRUCK:] if reading["rows"][i]["off_edge_gap"] is not None]
    assert len(slivered) >= 4  # the class is there: gaps alone over marginal on these rows
    for i in slivered:
        assert reading["rows"][i]["gap_cover"] >= PROFILE.strike.marginal
        assert reading["rows"][i]["off_edge_gap"] < PROFILE.strike.marginal
    assert reading["status"] == "read"


@pytest.mark.parametrize("kind", ["thin_line", "short_line"])
def test_a_pen_on_the_bled_page_is_never_kept(fifteen, kind):
    """A thin pen's line, and a line over a third of a name, on the same bled page: never
    `kept` (their ink leaves the print's edge, or forms a run)."""
    election, img = fifteen
    img = np.array(img, copy=True)
    layout = layout_for(election)
    targets = [c.id for c in election.candidates[STRUCK:STRUCK + 4]]
    for cid in targets:
        row = layout.row(cid)
        x, _, w, _ = row.name_mm
        y = row.name.baseline - 0.3 * row.name.size
        if kind == "thin_line":
            m.line(img, 200, (x - 1, y), (x + w + 1, y), thick_mm=0.18)
        else:
            m.line(img, 200, (x + w / 3, y), (x + 2 * w / 3, y), thick_mm=0.3)
    reading = read_bytes(scan(img, BLED), election, PROFILE).to_json()
    for cid in targets:
        assert reading["marks"][cid] != "kept", (cid, reading["rows"][cid])


def test_a_partial_strike_on_a_bleeding_page_stays_uncertain():
    """A partial strike over two words of a 58-name ballot, other scanner model at L2 (print halo
    0.23): its line hides in the print but for a blob in the space between the words, on open
    paper (free_mm2 0.39). Without `kept_edge_free_mm2` its gaps off the print's edge (0.02)
    read it `kept`; a partial strike must go to review."""
    import zlib

    from kiemphieu.ocr.synthetic import ballots
    from kiemphieu.ocr.synthetic.classes import split_elections

    seed = zlib.crc32(b"safety:72")
    rng = np.random.default_rng(seed)
    election = split_elections("tune")["strike58"]
    image, truth = ballots.draw_ballot(election, "tricky", rng, ballots.DPI)
    assert truth["marks"]["c18"]["kind"] == "partial"
    params = replace(degrade_module.level_params("L2"),
                     scanner=degrade_module.draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), "L2"))
    image, _ = degrade_module.degrade(image, params, rng, ballots.DPI)
    reading = read_bytes(degrade_module.encode(image, params)[0], election, PROFILE)
    assert reading.marks["c18"] == "uncertain"
    row = reading.rows["c18"]
    assert row["off_edge_gap"] < PROFILE.strike.marginal <= row["gap_cover"]  # the class's measure
    assert row["free_mm2"] >= PROFILE.strike.kept_edge_free_mm2  # what keeps it uncertain


def test_kept_score_uses_the_gaps_off_the_edge_only_where_measured():
    st = PROFILE.strike
    row = {"score": 0.2, "run_cover": 0.0, "tint_cover": 0.0, "gap_cover": 0.2, "off_edge_gap": None,
           "span": 0.8, "extra_mm2": 0.0, "multi": 0.0, "line_cover": None, "faint_extra_mm2": None,
           "ink_mm2": 0.8, "free_mm2": 0.0, "faint_free_mm2": 0.0, "faint_cover": 0.1, "faint_mm2": 0.5,
           "tint_mm2": 0.0, "crease": None, "touched_run_cover": 0.0}
    assert kept_score(row, st) == 0.2 and decide_strike(row, st) == "uncertain"
    row["off_edge_gap"] = 0.02  # every gap column's ink was the print's edge
    assert kept_score(row, st) == 0.02 and decide_strike(row, st) == "kept"
    row["off_edge_gap"] = 0.15  # ink off the edge in the gaps: a pen
    assert decide_strike(row, st) == "uncertain"
    row.update(free_mm2=st.kept_edge_free_mm2)  # ink on open paper: a pen through a word space
    assert decide_strike(row, st) == "uncertain"
    row.update(free_mm2=0.0, off_edge_gap=0.02, run_cover=0.12)  # a pen's run
    assert decide_strike(row, st) == "uncertain"
    row.update(run_cover=0.0, ink_mm2=st.kept_ink_mm2 + 0.5)  # every other kept test still holds
    assert decide_strike(row, st) == "uncertain"


def test_the_gaps_are_measured_again_only_on_a_bleeding_page_without_a_pen_run():
    st = PROFILE.strike
    assert wants_edge_gap(0.2, 0.0, st.kept_edge_halo, st)
    assert not wants_edge_gap(0.2, 0.0, st.kept_edge_halo - 0.01, st)  # a sharp page: no slivers
    assert not wants_edge_gap(0.2, st.marginal, 0.5, st)  # a pen run or pen colour
    assert not wants_edge_gap(st.marginal - 0.01, 0.0, 0.5, st)  # already under marginal
