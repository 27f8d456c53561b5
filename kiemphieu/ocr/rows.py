"""Each row found where its printed name really is (a fraction of a millimetre off the page map)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .arrays import _shifted_band
from .template import Template

def aligned(ctx, warped, ink, template: Template, row, out: np.ndarray | None = None):
    """The row's new ink (off the print), taken where its printed name really is (± a fraction
    of a mm), the shift that took it there and the match score. `out`: an array of the band's
    shape to write the new ink into."""
    search = template.px(ctx.profile.geometry.align_search_mm)
    dy = dx = 0
    score = None
    y0, y1, x0, x1 = row.match
    if search > 0:
        sy0, sx0 = max(0, y0 - search), max(0, x0 - search)
        area = warped[sy0:min(template.height, y1 + search), sx0:min(template.width, x1 + search)]
        patch = template.grey_float[y0:y1, x0:x1]
        if area.shape[0] >= patch.shape[0] and area.shape[1] >= patch.shape[1]:
            # In float32: OpenCV's 8-bit path is twice as slow for the same correlation.
            result = cv2.matchTemplate(area.astype(np.float32), patch, cv2.TM_CCOEFF_NORMED)
            _, best, _, (bx, by) = cv2.minMaxLoc(result)
            score = float(best)
            at_zero = float(result[y0 - sy0, x0 - sx0])
            # Move only for a clearly better fit: added ink (an underline) must not pull the row.
            if best >= ctx.profile.geometry.min_align_score and best - at_zero > 0.03:
                dx, dy = bx - (x0 - sx0), by - (y0 - sy0)
    by0, by1, bx0, bx1 = row.band
    if by0 + dy < 0 or bx0 + dx < 0 or by1 + dy > template.height or bx1 + dx > template.width:
        dx = dy = 0
    # (OpenCV's `and`: the same bytes, a little cheaper than NumPy's on two strided bands.)
    new = cv2.bitwise_and(_shifted_band(ink, row, (dx, dy)), template.not_glyph[by0:by1, bx0:bx1], dst=out)
    return new, (dx, dy), score


def tint_band(ctx, row, shift) -> np.ndarray | None:
    """Pen-coloured ink (blue, purple) in the row band, print included."""
    return None if ctx.tint is None else _shifted_band(ctx.tint, row, shift)


def tint_mm2(ctx, row, shift, template: Template, area=None) -> float:
    band = tint_band(ctx, row, shift)
    if band is None:
        return 0.0
    if area is not None:
        a0, a1, b0, b1 = area
        band = band[a0:a1, b0:b1]
    return int(band.sum()) / (template.k * template.k)
