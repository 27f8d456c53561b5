"""Ballots of double strikes and corrections side by side (the double-strike benchmark, tests).

A voter who strikes a name twice (two lines through it, or one through the letters and one
along the baseline) has struck it. A voter who struck a name and took it back (loops along the
strike, or a circle round the struck name), or who only circled it, has not said: such a row is
`uncertain`. Both leave ink off a single line, so the reader must hold the boundary between
them: these ballots draw many of each, every row of a ballot with the same pen.

Ballot i: a split's strike election in turn (the tuning split's, or a probe split's), levels
L0-L2 in turn, L1-L2 through `draw_scanner` (a scanner model unlike ours). Seed of ballot i:
``zlib.crc32(f"double:{split}:{i}")`` (scanner: that seed ^ 0x5CA77E).
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from . import ballots
from . import marks as mk
from .classes import _form, _pen, double_on_baseline, split_elections, variety_of
from .degrade import degrade, draw_scanner, encode, level_params
from .ink import box_to_px, draw_strokes

# Drawn kinds and their shares (a circle spills into the rows beside it: few of them).
KINDS = {"kept": 0.3, "double": 0.2, "double_baseline": 0.2, "correction": 0.25, "circle": 0.05}
# Reported kinds: a correction by what took the strike back (`marks.correction` draws either).
REPORTED = ("kept", "double", "double_baseline", "correction_loops", "correction_circle", "circle")
# The definite answers each reported kind allows (`uncertain` is always allowed).
ACCEPT = {"kept": {"kept"}, "double": {"struck"}, "double_baseline": {"struck"}, "correction_loops": set(),
          "correction_circle": set(), "circle": set()}


def strike_elections(split: str) -> list[str]:
    return [name for name, e in split_elections(split).items() if _form(e) == "strike"]


def double_strike_ballot(split: str, i: int) -> tuple[str, str, bytes, dict[str, tuple[str, str]]]:
    """Ballot i of `split`: (election name, level, encoded scan, {row id: (kind, pen)})."""
    names = strike_elections(split)
    name = names[i % len(names)]
    level = ("L0", "L1", "L2")[(i // len(names)) % 3]
    seed = zlib.crc32(f"double:{split}:{i}".encode())
    rng = np.random.default_rng(seed)
    election = split_elections(split)[name]
    image, _ = ballots.draw_ballot(election, "unmarked", rng, ballots.DPI)
    layout = ballots.blank_ballot(election, ballots.DPI)[1]
    pen = _pen(rng, variety_of(split))
    kinds, weights = list(KINDS), np.array(list(KINDS.values()))
    rows = {}
    for c in layout["candidates"]:
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        rows[c["id"]] = (kind, pen.name)
        if kind == "kept":
            continue
        box = box_to_px(c["name_mm"], ballots.DPI)
        baseline, font = ballots.text_lines_px(c, ballots.DPI)
        if kind == "double":
            strokes = mk.strike(box, "double", ballots.DPI, rng, baseline, font)
        elif kind == "double_baseline":
            strokes = double_on_baseline(box, ballots.DPI, rng, baseline, font, variety_of(split))
        elif kind == "correction":
            strokes, taken_back_by = mk.correction_and_kind(box, ballots.DPI, rng, baseline, font)
            rows[c["id"]] = (f"correction_{taken_back_by}", pen.name)
        else:
            strokes = mk.circle(box, ballots.DPI, rng)
        draw_strokes(image, strokes, pen, ballots.DPI, rng)
    params = level_params(level)
    if level != "L0":
        params = replace(params, scanner=draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), level))
    image, _ = degrade(image, params, rng, ballots.DPI)
    data, _ = encode(image, params)
    return name, level, data, rows
