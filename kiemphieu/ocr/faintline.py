"""Stage 4a's pale-line check: a line so pale that the faint-ink mask holds only scattered
pixels of it still darkens the paper along its whole length.

A very light pen (a faint blue ballpoint on a grey capture, a thin black one on a worn scan) can
stay under the faint level in most of its pixels: its row shows a little faint ink off the print
(`faint_free_mm2` a fraction of a mm²) and nothing else, and was read `kept`. Averaged along the
name, scanline by scanline over the paper between the letters (off the print and its edge), the line's
darkening adds up while the scan's noise averages out; a kept name's gaps have no such scanline.
The line may slant, so the average is taken along a few slopes. Faint ink never decides a mark:
a row with such a shade is `uncertain` (a person looks), never `struck`.
"""

from __future__ import annotations

import numpy as np

from .arrays import _shifted_band, sheared_rows
from .template import Template


def line_shade(warped: np.ndarray, template: Template, row, shift: tuple[int, int], paper: float) -> float:
    """The darkest scanline's darkening (a fraction of the paper's white) over the row's median
    scanline, averaged along the name over the paper between its letters, at the slope that
    darkens it most; scanlines from a zone's height above the strike zone to one below it,
    smoothed over two (a line's pixels straddle two scanlines)."""
    y0, y1, x0, x1 = row.band
    n0, n1 = row.name
    z0, z1 = row.zone
    height = z1 - z0
    a0, a1 = max(0, z0 - height), min(y1 - y0, z1 + height)
    if n1 - n0 < 2 or a1 - a0 < 3 or paper <= 0:
        return 0.0
    band = _shifted_band(warped, row, shift)[:, n0:n1]
    # The paper between letters, off the print's edge too (the pixels beside the glyph mask
    # along a row or a column: OpenCV's 3x3 distance puts them at 0.955): a bled or blurred
    # print's halo lies there, and along the serifs of a line of letters it makes a scanline.
    paper_between = (template.glyph_distance()[y0:y1, x0 + n0:x0 + n1] >= 1).astype(np.float32)
    # Its darkening (0 where the paper is at least as light as its white), a fraction of the white.
    dark = np.maximum(paper - band.astype(np.float32), 0.0) * (paper_between / paper)
    columns = np.arange(n1 - n0)
    rows, inside = sheared_rows(a0, a1, n1 - n0, y1 - y0)  # (slope, scanline, column)
    counts = (paper_between[rows, columns] * inside).sum(axis=2)
    profile = (dark[rows, columns] * inside).sum(axis=2) / np.maximum(counts, 1)
    smoothed = (profile[:, :-1] + profile[:, 1:]) / 2
    return max(0.0, float((smoothed.max(axis=1) - np.median(profile, axis=1)).max()))
