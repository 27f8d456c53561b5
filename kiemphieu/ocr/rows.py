"""Each row found where its printed name really is (a fraction of a millimetre off the page map)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .arrays import _shifted_band
from .template import Template

def aligned(ctx, warped, ink, template: Template, row, out: np.ndarray | None = None,
            skip_clean: bool = False):
    """The row's new ink (off the print), taken where its printed name really is (± a fraction
    of a mm), the shift that took it there and the match score. `out`: an array of the band's
    shape to write the new ink into.

    `skip_clean`: a row with no ink at all off its print where the page map puts it (no new ink,
    no faint ink, no pen colour within the search's reach) is not searched (shift (0, 0), score
    None): there is no pen there to find, and moving the row could only bring its print's own
    edge off the print. (Most rows of a page are kept names: the search is most of their cost.)"""
    search = template.px(ctx.profile.geometry.align_search_mm)
    dy = dx = 0
    score = None
    y0, y1, x0, x1 = row.match
    unmoved = None  # the new ink at shift (0, 0), when it was made for the check below
    if skip_clean and search > 0:
        unmoved = _new_ink(ink, template, row, (0, 0), out)
        if _nothing_off_print(ctx, unmoved, template, row, search):
            return unmoved, (0, 0), None
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
    if unmoved is not None and dx == dy == 0:
        return unmoved, (0, 0), score
    return _new_ink(ink, template, row, (dx, dy), out), (dx, dy), score


def _new_ink(ink, template: Template, row, shift, out: np.ndarray | None = None) -> np.ndarray:
    """The row's ink off its print, the band moved by `shift`."""
    by0, by1, bx0, bx1 = row.band
    # (OpenCV's `and`: the same bytes, a little cheaper than NumPy's on two strided bands.)
    return cv2.bitwise_and(_shifted_band(ink, row, shift), template.not_glyph[by0:by1, bx0:bx1], dst=out)


def _nothing_off_print(ctx, new: np.ndarray, template: Template, row, search: int) -> bool:
    """Whether the row's new ink at shift (0, 0) (`new`) is empty, and there is no faint ink off
    its print either, nor pen colour in its band grown by `search`."""
    by0, by1, bx0, bx1 = row.band
    not_glyph = template.not_glyph[by0:by1, bx0:bx1]
    if cv2.countNonZero(new) or cv2.countNonZero(cv2.bitwise_and(_shifted_band(ctx.faint, row, (0, 0)), not_glyph)):
        return False
    if ctx.tint is None:
        return True
    height, width = ctx.tint.shape
    grown = ctx.tint[max(0, by0 - search):min(height, by1 + search), max(0, bx0 - search):min(width, bx1 + search)]
    return not cv2.countNonZero(grown)


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
