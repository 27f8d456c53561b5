"""Partial strikes whose print faked a strike across the name (issue 11, silent errors found by
`benchmarks/tricky_marks_benchmark.py`: tuning elections, other scanner models at L1-L2).

A line over only part of a name is `uncertain` (review) unless it spreads over `strike.min_span`
of it. Two ways the print made a half-name line look whole, both read `struck` on `read` ballots:

- slivers of bled print along the first letters' edges counted where the pen went (`span` 0.92
  for a line over 52 % of the box): on a page whose print bleeds (`strike.span_edge_halo`), new
  ink wholly on the print's edge and off any pen run no longer counts in `span`;
- bold print merged a name's letters into one horizontal run as high as the letters, which the
  felt pen's line touched in two word spaces: the whole run counted (`run_cover` 1.0). A run as
  high as merged print (`strike.run_merged_mm` on average) now counts only within
  `strike.run_reach_mm` of where new ink touches it (`strikes._runs_near_pen`).
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import pytest

from kiemphieu.ocr import load_profile, read_images
from kiemphieu.ocr.strikes import _runs_near_pen, span_ignores_edge
from kiemphieu.ocr.synthetic import ballots
from kiemphieu.ocr.synthetic.classes import split_elections
from kiemphieu.ocr.synthetic.degrade import degrade, draw_scanner, encode, level_params

PROFILE = load_profile("feeder-200dpi-colour")


def tricky_ballot(i: int, election: str, level: str):
    """Ballot `i` of the tricky-marks benchmark: the "tricky" scenario on a tuning election,
    through another scanner model (same seeds as `benchmarks/tricky_marks_benchmark.py`)."""
    seed = zlib.crc32(f"safety:{i}".encode())
    rng = np.random.default_rng(seed)
    image, truth = ballots.draw_ballot(split_elections("tune")[election], "tricky", rng, ballots.DPI)
    params = replace(level_params(level), scanner=draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), level))
    image, _ = degrade(image, params, rng, ballots.DPI)
    data, ext = encode(image, params)
    return read_images(data, split_elections("tune")[election], PROFILE, f"{level}{ext}")[0], truth


@pytest.mark.parametrize("i, election, level, cid, kind", [
    (260, "strike15", "L1", "c13", "slivers at the name's start"),
    (269, "strike66", "L2", "c48", "merged letters' run across the name"),
])
def test_a_partial_strike_the_print_extends_is_never_read_struck(i, election, level, cid, kind):
    reading, truth = tricky_ballot(i, election, level)
    row = truth["marks"][cid]
    assert row["kind"] == "partial" and row["covered"] < 0.6  # the generated class
    assert reading.marks[cid] == "uncertain", (kind, reading.rows[cid])
    assert reading.status != "read"
    measures = reading.rows[cid]
    assert measures["span"] < PROFILE.strike.min_span
    if i == 269:
        assert measures["run_cover"] < 0.6  # the pen's own run, not the print's across the name
    # No other row of the ballot is read wrong.
    for other, mark in truth["marks"].items():
        got = reading.marks[other]
        assert got == "uncertain" or got in mark["accept"], (other, mark, got)


def test_slivers_leave_span_only_where_the_print_bleeds():
    st = PROFILE.strike
    assert span_ignores_edge([st.span_edge_halo, 0.0], st)
    assert not span_ignores_edge([st.span_edge_halo - 0.01, 0.0], st)
    assert not span_ignores_edge(None, st)
    assert not span_ignores_edge([0.5], replace(st, span_edge_halo=1.0))


def _run(rows: slice, width: int = 200, height: int = 20) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[rows, :] = 1
    return mask


def test_a_run_as_high_as_merged_print_counts_only_near_the_pen_ink_touching_it():
    runs = _run(slice(3, 15))  # 12 px high: merged letters
    new = np.zeros_like(runs)
    new[5:7, 40:44] = 1  # the pen shows in one word space only
    near = _runs_near_pen(runs, new, reach=10, merged_px=8)
    assert set(np.flatnonzero(near.any(axis=0))) == set(range(30, 54))
    # Seen in a gap every 15 columns, the run is kept whole.
    new[5:7, 3:200:15] = 1
    assert np.array_equal(_runs_near_pen(runs, new, reach=10, merged_px=8), runs)


def test_a_run_as_thin_as_a_pen_counts_whole():
    runs = _run(slice(5, 8))  # 3 px high: a pen's line across the letters
    new = np.zeros_like(runs)
    new[5:7, 40:44] = 1
    assert np.array_equal(_runs_near_pen(runs, new, reach=10, merged_px=8), runs)
