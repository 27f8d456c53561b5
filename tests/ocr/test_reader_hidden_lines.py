"""A line the print hides across its letters (issue 11, tuning split, `uncertain struck`): on
small or bled print at 100-150 dpi the glyph mask and its edge cover nearly every column of a
name at the line's height, so a pen's line through it shows only in the word gaps and past the
name's ends; its covers (`gap_cover`, `run_cover`) stay under `definite` and its spread (`span`,
without the print's edge) under `min_span`. Such a row is struck when its ink off the print's
edge is centred in the zone past both ends and in every word gap (`rows[].open_cross`,
`strikezone._open_crossing`) and nothing is off its line (`strikedecisions.crosses_openly`)."""

from __future__ import annotations

import zlib
from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.strikes import _open_crossing, crosses_openly, decide_strike, wants_crossing
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

PROFILE = load_profile()
ST = PROFILE.strike


def test_a_double_strike_the_bled_print_hides_reads_struck():
    """A tuning ballot (15 names, L1, another scanner model, print halo 0.26): two double strikes
    (one line through the letters, one along the baseline) showed only in the word gaps and
    past the name (score 0.2-0.3, span 0.66-0.72 under `min_span`) and went to review; now
    both read struck and the ballot is read with every mark right."""
    data, ext, truth = make_class_ballot_file("tune", "double_baseline", "L1", 64, "strike15")
    reading = read_bytes(data, split_elections("tune")["strike15"], PROFILE, f"L1{ext}")
    assert {cid: reading.marks[cid] for cid in truth["marks"]} == \
        {cid: row["expected"] for cid, row in truth["marks"].items()}
    assert reading.status == "read"
    for cid in ("c03", "c08"):
        row = reading.rows[cid]
        assert reading.scores[cid] < ST.definite  # not struck by its covers
        assert row["open_cross"] == 1.0 and row["faint_extra_mm2"] < ST.line_faint_extra_mm2


def test_a_circle_crossing_the_same_places_stays_uncertain():
    """A circle round a name (the tricky-marks safety set's ballot 317, 58 names, L0) crosses
    both ends and, its arcs above and below averaging to the zone, every word gap like a
    strike (`open_cross` 1.0); its arcs are ink off any line (10 mm²): uncertain, as before."""
    from kiemphieu.ocr.synthetic import ballots
    from kiemphieu.ocr.synthetic.degrade import degrade, encode, level_params

    rng = np.random.default_rng(zlib.crc32(b"safety:317"))
    election = split_elections("tune")["strike58"]
    image, truth = ballots.draw_ballot(election, "tricky", rng, ballots.DPI)
    assert truth["marks"]["c22"]["kind"] == "circle"
    params = level_params("L0")
    image, _ = degrade(image, params, rng, ballots.DPI)
    reading = read_bytes(encode(image, params)[0], election, PROFILE)
    assert reading.rows["c22"]["open_cross"] == 1.0
    assert reading.rows["c22"]["extra_mm2"] >= ST.extra_mm2
    assert reading.marks["c22"] == "uncertain"


def test_a_fold_crease_along_a_kept_name_is_not_taken_for_a_hidden_line():
    """A crease class ballot (66 names, L2, its four markers whole): the fold's shade runs along
    a kept name (the crease's own candidate) past both its ends and leaves runs on its letters
    (run_cover 0.33), but next to no ink between them (gap_cover 0.05); the crease check does
    not see it go on across the page. It crosses the open places like a line (`open_cross`
    1.0) and stays uncertain, as before. (The ballot first pinned here, L2 2, has two markers
    cut: its page map moves with the print fit's levels, and the row with it.)"""
    data, ext, truth = make_class_ballot_file("tune", "crease", "L2", 35, "strike66")
    assert truth["marks"]["c46"]["expected"] == "kept" and truth["fold"]["candidate"] == "c46"
    reading = read_bytes(data, split_elections("tune")["strike66"], PROFILE, f"L2{ext}")
    assert reading.checks["markers"] == 4
    assert reading.rows["c46"]["open_cross"] == 1.0
    assert reading.rows["c46"]["gap_cover"] < ST.marginal
    assert reading.marks["c46"] == "uncertain"


def _row_masks(line: tuple[int, int] | None):
    """A 20 x 100 row band: three 'words' of print (their edge mask) at columns 20-40, 45-60 and
    65-80, the zone rows 5-15, and new ink (off the print) along row 10 from line[0] to line[1]."""
    edge = np.zeros((20, 100), np.uint8)
    for a, b in ((20, 40), (45, 60), (65, 80)):
        edge[3:17, a:b] = 1
    new = np.zeros_like(edge)
    if line is not None:
        new[9:11, line[0]:line[1]] = 1
        new &= 1 - edge  # new ink is off the print by definition
    template = SimpleNamespace(glyph_edge=lambda row: edge)
    row = SimpleNamespace(name=(20, 80), zone=(5, 15))
    return new, template, row


def test_open_crossing_counts_both_ends_and_every_word_gap():
    reach, inside = 8, 0.03
    assert _open_crossing(*_row_masks((12, 88)), reach, inside) == 1.0  # a strike through it all
    assert _open_crossing(*_row_masks((14, 84)), reach, inside) == 1.0
    # A partial strike over the first two words: the right end is not reached.
    assert _open_crossing(*_row_masks((12, 62)), reach, inside) == 0.75
    # Over the last two words: the left end and the first gap are not.
    assert _open_crossing(*_row_masks((47, 88)), reach, inside) == 0.5
    assert _open_crossing(*_row_masks(None), reach, inside) == 0.0
    # An underline: under the zone, nowhere centred in it.
    new, template, row = _row_masks(None)
    new[17:19, 12:88] = 1
    assert _open_crossing(new, template, row, reach, inside) == 0.0


def _hidden_row(**changes) -> dict:
    row = {"score": 0.3, "run_cover": 0.1, "tint_cover": 0.0, "gap_cover": 0.3, "off_edge_gap": None,
           "span": 0.55, "extra_mm2": 0.0, "multi": 0.0, "line_cover": None, "faint_extra_mm2": 0.1,
           "ink_mm2": 12.0, "free_mm2": None, "faint_free_mm2": None, "faint_cover": 0.3, "faint_mm2": 15.0,
           "tint_mm2": 0.0, "crease": None, "touched_run_cover": 0.1, "bled_print": True, "open_cross": 1.0}
    row.update(changes)
    return row


def test_a_line_crossing_openly_is_struck_only_with_nothing_off_it():
    assert crosses_openly(_hidden_row(), ST)
    assert decide_strike(_hidden_row(), ST) == "struck"
    assert decide_strike(_hidden_row(open_cross=0.75), ST) == "uncertain"  # an end or a gap missed
    assert decide_strike(_hidden_row(open_cross=None), ST) == "uncertain"  # not measured
    # Runs on the letters and ink past the ends, none between the letters: a crease's shade.
    assert decide_strike(_hidden_row(gap_cover=ST.marginal - 0.01, run_cover=0.42), ST) == "uncertain"
    assert decide_strike(_hidden_row(faint_extra_mm2=ST.line_faint_extra_mm2), ST) == "uncertain"  # loops, a circle
    assert decide_strike(_hidden_row(faint_extra_mm2=None), ST) == "uncertain"
    assert decide_strike(_hidden_row(extra_mm2=ST.extra_mm2), ST) == "uncertain"
    assert decide_strike(_hidden_row(multi=ST.max_multi, extra_mm2=0.4 * ST.extra_mm2), ST) == "uncertain"
    assert decide_strike(_hidden_row(crease=ST.crease_cover), ST) == "uncertain"  # a fold crease
    off = replace(ST, cross_cover=1.01)
    assert decide_strike(_hidden_row(), off) == "uncertain"


def test_a_row_is_measured_for_a_hidden_line_between_marginal_and_definite():
    assert wants_crossing(ST.marginal, ST) and wants_crossing(ST.definite - 0.01, ST)
    assert not wants_crossing(ST.marginal - 0.01, ST)  # no pen evidence (a kept name)
    assert not wants_crossing(ST.definite, ST)  # struck by its covers, or not by its shape
    assert not wants_crossing(0.3, replace(ST, cross_cover=1.01))
