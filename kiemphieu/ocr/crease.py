"""Stage 4a's fold-crease check: a line that runs on across the page past a struck name is a
crease, not a voter's strike (which ends within a few millimetres of the name)."""

from __future__ import annotations

import functools
import itertools

import cv2
import numpy as np

from .template import Template


def _crease_cover(warped: np.ndarray, template: Template, row, shift: tuple[int, int], pen: np.ndarray,
                  st, paper: float) -> float | None:
    """How far the row's line runs on across the page, away from the name: the least share, on
    either side (from `crease_gap_mm` past the name to the page's margin), of columns where the
    paper is darkened along the line's extension. None when no side is long enough to tell.

    A voter's strike ends within a few millimetres of the name (through the row number at
    most); a fold crease crosses the whole page.
    """
    n0, n1 = row.name
    z0, z1 = row.zone
    grow = (z1 - z0) // 2
    y0 = max(0, z0 - grow)
    band = pen[y0:z1 + grow, n0:n1]
    ys, xs = np.nonzero(band)
    if xs.size < 8 or int(xs.max()) - int(xs.min()) < 4:
        return None
    slope, intercept = _line_fit(xs, ys)
    dx, dy = shift
    by0, _, bx0, _ = row.band
    top = by0 + dy + y0 + intercept  # page row of the line at the name's first column
    left_x = bx0 + dx + n0
    gap, margin, shortest = template.px(st.crease_gap_mm), template.px(5.0), template.px(st.crease_min_mm)
    sides = ((margin, left_x - gap), (left_x + (n1 - n0) + gap, template.width - margin))
    middle = top + slope * (n1 - n0) / 2  # the line's height at the name's middle
    stretches = [(side, a, b) for side, (a, b) in enumerate(sides) if b - a >= shortest]
    if not stretches:
        return None
    # Both sides' columns, and along them two lines: the fitted one, and one level through the
    # name's middle (fitted on a few centimetres of letters, a slope carried across the page
    # drifts off a crease, which runs level). Every stretch in one gather of the five page rows
    # around its line, taken by flat page index; rows off the page are clipped and not counted.
    columns = np.concatenate([np.arange(a, b) for _, a, b in stretches])
    # (np.rint is np.round at 0 decimals, half to even, without its wrapper; the level line is
    # one value.)
    lines = np.empty((2, columns.size), np.int64)
    lines[0] = np.rint(top + slope * (columns - left_x))
    lines[1] = np.rint(middle)
    ok = (lines >= 2) & (lines < template.height - 2)
    # A line's five rows lie on the page where it is counted (`ok`); elsewhere it is read at a
    # row on the page and not counted, so no clipping. The print within two rows of the line
    # from one gather of the glyph mask grown two rows up and down (per template).
    at = np.where(ok, lines, 2) * template.width + columns
    open_paper = ok & (np.take(_glyph_near_line(template), at) == 0)
    dark = open_paper & (np.take(warped, at[None] + _around_line_steps(template.width)).min(axis=0)
                         < paper * st.crease_level)
    # Per line and side (at most two each): the counts, by count_nonzero of 1-D slices (no cast
    # of the booleans to int64 as reduceat makes).
    ends = list(itertools.accumulate(b - a for _, a, b in stretches))
    parts = list(zip([0] + ends[:-1], ends))
    open_counts = [[np.count_nonzero(open_paper[line, a:b]) for a, b in parts] for line in range(2)]
    dark_counts = [[np.count_nonzero(dark[line, a:b]) for a, b in parts] for line in range(2)]
    best: dict[int, float] = {}
    for line in range(2):
        for (side, _, _), open_count, dark_count in zip(stretches, open_counts[line], dark_counts[line]):
            if open_count >= shortest:
                # A NumPy float, as always returned: round() (the reading's details) rounds it by
                # NumPy's rule (half to even after scaling), which a Python float would not.
                cover = np.float64(dark_count) / open_count
                best[side] = max(best.get(side, cover), cover)
    return min(best.values()) if best else None


_AROUND_LINE = np.arange(-2, 3)[:, None]  # the rows a crease's line is looked for in


@functools.lru_cache(maxsize=8)
def _around_line_steps(width: int) -> np.ndarray:
    """_AROUND_LINE as flat-index steps on a page `width` pixels wide, shaped (5, 1, 1)."""
    steps = (_AROUND_LINE * width)[:, :, None]
    steps.flags.writeable = False
    return steps


def _glyph_near_line(template: Template) -> np.ndarray:
    """1 where the template's glyph mask has a pixel in the same column within two rows
    (_AROUND_LINE): the glyph mask grown two rows up and down, made once per template."""
    near = template.__dict__.get("_glyph_near_line")
    if near is None:
        near = template.__dict__["_glyph_near_line"] = cv2.dilate(
            template.glyph, np.ones((len(_AROUND_LINE), 1), np.uint8))
    return near


def _line_fit(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """Least-squares line y = slope * x + intercept through the points (np.polyfit's degree 1,
    in closed form: a fifth of its time; the same values to a few units in the last place)."""
    x, y = xs.astype(np.float64), ys.astype(np.float64)
    # (np.mean is the same sum divided by the count, through a slower wrapper.)
    mean_x, mean_y = x.sum() / x.size, y.sum() / y.size
    dx = x - mean_x
    slope = float(dx @ (y - mean_y)) / float(dx @ dx)
    return slope, float(mean_y - slope * mean_x)
