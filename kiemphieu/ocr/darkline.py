"""Stage 4a's dark-line check: a pen's line drawn through the letters darkens, along one
scanline of the whole name, what this page's own print leaves light.

On small, bold, blurred or bled print the glyph margin the template subtracts covers nearly the
whole x-height: a black line through the middle of the letters leaves new ink only in the word
gaps and past the name's ends, too little for the covers, and the row read `uncertain` however
plain the strike (closing note 11). The grey still holds it. Per page, the print's darkening is
modelled from the template: the median darkening of the rows' box at each level of the
template's (slightly blurred) darkness, which takes in this scanner's blur, bleed and tone curve
at once. Per row, each pixel's darkening beyond that model, up to the print's own darkness
(its headroom), is summed along lines across the name at a few slopes; the answer is the share
of the headroom a scanline fills in the quarter of the name where it fills least, over the
row's median scanline. A line through the whole name fills most of it in every quarter; a
partial strike, a tick or an underline (under the strike zone) leaves a quarter, or the zone,
empty; a kept name's print fits its model.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import _shifted_band, sheared_rows
from .template import Template

LEVELS = 24  # template darkness levels the page's tone is modelled at
BLUR_PX = 0.8  # the template blurred this much: a fraction of a pixel's misregistration is no excess
STRIDE = 2  # the tone is modelled on every other row and column of the rows' box (it is smooth)
QUARTERS = 4


class PageTone:
    """How dark this page prints each level of the template's darkness (median darkening, a
    fraction of the paper's white), and its solid print's darkening (the pen's reference)."""

    def __init__(self, warped: np.ndarray, template: Template, paper: float):
        levels = template_levels(template)
        y0, y1, x0, x1 = template.rows_box
        grey = warped[y0:y1:STRIDE, x0:x1:STRIDE]
        level = levels[y0:y1:STRIDE, x0:x1:STRIDE]
        counts = np.bincount((level.astype(np.int64) * 256 + grey).ravel(), minlength=LEVELS * 256)
        counts = counts.reshape(LEVELS, 256)
        medians = np.full(LEVELS, np.nan, np.float32)
        for i, row in enumerate(counts):
            total = int(row.sum())
            if total >= 20:
                medians[i] = float(np.searchsorted(np.cumsum(row), (total + 1) // 2))
        for i in range(LEVELS):  # a level the page does not print takes the level below it
            if np.isnan(medians[i]):
                medians[i] = medians[i - 1] if i else paper
        self.paper = paper
        self.darkening = np.clip(1.0 - medians / paper, 0.0, 1.0).astype(np.float32)
        core = warped.ravel()[template.core_index]
        self.core = float(1.0 - np.median(core) / paper) if core.size else 1.0


def template_levels(template: Template) -> np.ndarray:
    """The template's darkness blurred by BLUR_PX, as one of LEVELS levels (once per template)."""
    levels = template.__dict__.get("_dark_levels")
    if levels is None:
        dark = 1.0 - template.grey.astype(np.float32) / 255.0
        dark = cv2.GaussianBlur(dark, (0, 0), BLUR_PX)
        levels = template.__dict__["_dark_levels"] = np.minimum(dark * LEVELS, LEVELS - 1).astype(np.uint8)
    return levels


def line_excess(warped: np.ndarray, tone: PageTone, template: Template, row, shift: tuple[int, int]) -> float:
    """The share of the print's headroom the darkest scanline in the strike zone fills, in the
    quarter of the name where it fills least, over the row's median scanline
    (scanlines from half a zone above the zone to half below; two scanlines summed, a line's
    pixels straddle them), at the slope that fills it most."""
    y0, y1, x0, x1 = row.band
    n0, n1 = row.name
    z0, z1 = row.zone
    if n1 - n0 < QUARTERS or z1 - z0 < 2 or tone.paper <= 0:
        return 0.0
    band = _shifted_band(warped, row, shift)[:, n0:n1]
    if band.shape != (y1 - y0, n1 - n0):
        return 0.0  # shifted off the page
    expected = tone.darkening[template_levels(template)[y0:y1, x0 + n0:x0 + n1]]
    headroom = np.maximum(tone.core - expected, 0.0)
    excess = np.minimum(np.maximum(1.0 - band.astype(np.float32) / tone.paper - expected, 0.0), headroom)
    half = (z1 - z0) // 2
    a0, a1 = max(0, z0 - half), min(y1 - y0, z1 + half)
    in_zone = slice(z0 - a0, max(z0 - a0 + 1, z1 - a0 - 1))
    rows, inside = sheared_rows(a0, a1, n1 - n0, y1 - y0)  # (slope, scanline, column)
    columns = np.arange(n1 - n0)
    filled = excess[rows, columns] * inside
    room = headroom[rows, columns] * inside
    filled, room = filled[:, :-1] + filled[:, 1:], room[:, :-1] + room[:, 1:]  # scanline pairs
    whole = filled.sum(axis=2) / np.maximum(room.sum(axis=2), 1e-6)
    starts = [int(q[0]) for q in np.array_split(columns, QUARTERS)]
    quarters = np.add.reduceat(filled, starts, axis=2) / np.maximum(np.add.reduceat(room, starts, axis=2), 1e-6)
    least = quarters.min(axis=2)
    return max(0.0, float((least[:, in_zone].max(axis=1) - np.median(whole, axis=1)).max()))
