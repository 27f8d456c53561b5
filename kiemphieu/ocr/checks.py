"""Stage 3: checks of the whole page: print contrast, scanner streaks, writing where none belongs,
the committee's seal."""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import _below, _scratch
# The strokes of a mask with a pixel where the page is far from the print: a displaced or bled
# print's slivers hug the letters; a pen's writing reaches out onto the paper.
from .arrays import _parts_touching as strokes_reaching
from .seal import red_fraction, seal_shape, shape_verdict
from .reasons import Flag
from .template import Template

def quality(ctx, warped, template: Template, paper_level: float) -> None:
    text_level = float(warped.ravel()[template.core_index].mean()) if template.core_index.size else 0.0
    contrast = (paper_level - text_level) / max(paper_level, 1.0)
    ctx.checks["contrast"] = round(contrast, 3)
    if contrast < ctx.profile.ink.min_contrast:
        ctx.flag(Flag.LOW_QUALITY)


def streaks(ctx, homography, paper_level: float) -> None:
    """Dark lines along the scanner's feed direction across the whole page."""
    if not ctx.profile.streak.check:
        return
    w, h = ctx.layout.paper.width, ctx.layout.paper.height
    quad = cv2.perspectiveTransform(np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]]),
                                    np.linalg.inv(homography)).reshape(4, 2)
    x0, y0 = np.maximum(quad.min(axis=0), 0).astype(int)
    x1, y1 = quad.max(axis=0).astype(int)
    inset_x, inset_y = (x1 - x0) // 50, (y1 - y0) // 50
    region = ctx.grey[y0 + inset_y:y1 - inset_y, x0 + inset_x:x1 - inset_x]
    if region.size == 0:
        return
    region = region[::2]  # every other row: a streak runs the page's length
    # Only the page: a skewed page's bounding box also holds the feeder's background in its
    # corners, dark on some scanners (looked at only when a corner is dark: it costs a page pass).
    level = paper_level * ctx.profile.streak.level
    if min(region[0, 0], region[0, -1], region[-1, 0], region[-1, -1]) < level:
        outside = np.full(region.shape, 255, np.uint8)
        inset = (quad - quad.mean(axis=0)) * 0.98 + quad.mean(axis=0) - (x0 + inset_x, y0 + inset_y)
        cv2.fillConvexPoly(outside, np.round(inset * (1, 0.5)).astype(np.int32), 0)
        region = cv2.max(region, outside)
    _, dark = cv2.threshold(region, paper_level * ctx.profile.streak.level, 1, cv2.THRESH_BINARY_INV,
                            dst=_scratch.get("streak", region.shape))
    columns = cv2.reduce(dark, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() / region.shape[0]
    longest = float(columns.max()) if columns.size else 0.0
    ctx.checks["streak"] = round(longest, 3)
    if longest >= ctx.profile.streak.min_length:
        ctx.flag(Flag.STREAK)


def writing(ctx, new_ink, template: Template) -> None:
    if not ctx.profile.writing.check:
        return
    settings = ctx.profile.writing
    cell = max(2, template.px(settings.cell_mm))
    free = cv2.bitwise_and(new_ink, template.free, dst=_scratch.get("free", new_ink.shape))
    worst = _densest_cell(free, cell) / (cell * cell)
    if is_writing(worst, settings) and settings.print_clearance_mm > 0:
        # A second look (pages over the threshold only): a curled page or bled print leaves
        # slivers beside the letters, past the glyph margin; writing reaches out onto the paper.
        ctx.checks["writing_all"] = round(worst, 4)
        far = far_from_print(template, settings.print_clearance_mm)
        reaching = strokes_reaching(free, far)
        worst = _densest_cell(reaching, cell) / (cell * cell)
        if is_writing(worst, settings) and settings.print_shift_mm > 0:
            # A third look (rarer still): a curled page moves whole headings a millimetre off
            # the template, so their slivers reach past any clearance.
            ctx.checks["writing_in_place"] = round(worst, 4)
            # Moved to where it lies, the print needs room only for its bleed and blur.
            far_moved = far_from_print(template, settings.moved_print_clearance_mm)
            worst = worst_with_print_moved(new_ink, reaching, template, far_moved, cell, settings)
    ctx.checks["writing"] = round(worst, 4)
    if is_writing(worst, settings):
        ctx.flag(Flag.EXTRA_WRITING)


def is_writing(densest: float, settings) -> bool:
    """Writing where none belongs: one window of the page this densely inked."""
    return densest >= settings.min_fraction


def far_from_print(template: Template, clearance_mm: float) -> np.ndarray:
    """1 where the page is farther than `clearance_mm` from the print's glyph mask (per template)."""
    cache = template.__dict__.setdefault("_far_from_print", {})
    key = round(clearance_mm, 3)
    if key not in cache:
        cache[key] = (template.glyph_distance() > clearance_mm * template.k).astype(np.uint8)
    return cache[key]


def worst_with_print_moved(ink: np.ndarray, reaching: np.ndarray, template: Template, far: np.ndarray,
                           cell: int, settings) -> float:
    """The densest of `reaching`'s windows over `min_fraction`, each measured again with the
    template's print moved to where the print lies around it (`local_print_shift`).

    Only the windows over the threshold are looked at, and moving the print only explains ink
    the print itself put there: the print's ink around a window outweighs any writing in it, so
    writing cannot pull the print over itself.
    """
    reach = template.px(settings.print_shift_mm)
    h, w = ink.shape
    worst = 0.0
    for y, x in dense_windows(reaching, cell, settings.min_fraction):
        # The window with two cells of print around it, kept `reach` inside the page.
        y0, x0 = max(reach, y - 2 * cell), max(reach, x - 2 * cell)
        y1, x1 = min(h - reach, y + 3 * cell), min(w - reach, x + 3 * cell)
        if y1 <= y0 or x1 <= x0:  # no room to move the print: the window as it was
            worst = max(worst, float(reaching[y:y + cell, x:x + cell].sum()) / (cell * cell))
            continue
        region = ink[y0:y1, x0:x1]
        dy, dx = local_print_shift(region, template.grey, (y0, y1, x0, x1), reach)
        moved = (slice(y0 - dy, y1 - dy), slice(x0 - dx, x1 - dx))
        # The zones (rows, seal, codes) stay where the page map puts them; the print moves.
        free = cv2.bitwise_and(template.free_zones[y0:y1, x0:x1], template.not_glyph[moved])
        strokes = strokes_reaching(cv2.bitwise_and(region, free), far[moved])
        wy, wx = y - y0, x - x0
        worst = max(worst, float(strokes[max(wy, 0):wy + cell, max(wx, 0):wx + cell].sum()) / (cell * cell))
    return worst


def dense_windows(mask: np.ndarray, cell: int, min_fraction: float) -> list[tuple[int, int]]:
    """Top-left corners of the cell x cell windows (tiled from 0 and from cell // 2) holding at
    least `min_fraction` ink: those `is_writing` would flag."""
    found = []
    for offset, sums in _window_sums(mask, cell):
        for i, j in zip(*np.nonzero(sums >= min_fraction * cell * cell)):
            found.append((offset + i * cell, offset + j * cell))
    return found


def _window_sums(mask: np.ndarray, cell: int) -> list[tuple[int, np.ndarray]]:
    """(offset, the ink of each cell x cell window tiled from that offset), for the offsets 0
    and cell // 2, from the integral image (any window's ink in four lookups)."""
    total = cv2.integral(mask)  # (h+1, w+1) running sums
    out = []
    for offset in (0, cell // 2):
        corners = total[offset::cell, offset::cell]
        out.append((offset, corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]))
    return out


def local_print_shift(ink: np.ndarray, template_grey: np.ndarray, box: tuple[int, int, int, int],
                      reach: int) -> tuple[int, int]:
    """(dy, dx), at most `reach` px each way: where the template's print around `box` lies on the
    page, i.e. the shift putting the most of the template's darkness under the page's ink (the
    smaller shift on a tie; no shift where the box holds no print).

    Summed in integers at the ink's pixels only (the template's darkness gathered there for
    every shift at once, a row of shifts at a time): exactly the shift-by-shift search."""
    y0, y1, x0, x1 = box
    ys, xs = np.nonzero(ink)
    weight = ink[ys, xs].astype(np.int64)
    darkness = 255 - template_grey[y0 - reach:y1 + reach, x0 - reach:x1 + reach].astype(np.int32)
    across = xs[:, None] + np.arange(2 * reach + 1)
    # sums[u, v]: the print's darkness under the ink with the template moved by (reach - u, reach - v).
    sums = np.array([weight @ darkness[(ys + u)[:, None], across] for u in range(2 * reach + 1)])
    shifts = reach - np.indices(sums.shape)  # (dy, dx) per entry
    tied = sums == sums.max()
    nearest = (shifts ** 2).sum(axis=0)
    nearest[~tied] = np.iinfo(nearest.dtype).max
    # The first of the smallest tied shifts in the search's order (dy, then dx, rising).
    order = np.lexsort((shifts[1].ravel(), shifts[0].ravel(), nearest.ravel()))
    dy, dx = shifts[:, order[0] // sums.shape[1], order[0] % sums.shape[1]]
    return int(dy), int(dx)


def seal(ctx, homography, template: Template, warped, paper_level: float) -> None:
    """The committee's seal: by its red on a colour scan, by its round shape on a grey or
    bitonal one; a ballot whose seal cannot be checked is never read without a person."""
    s = ctx.profile.seal
    if not s.check:
        ctx.checks["seal"] = None
        ctx.flag(Flag.SEAL_UNCHECKED)
        return
    if ctx.page.colour and ctx.page.image.ndim == 3:
        x, y, w, h = ctx.layout.stamp_mm
        f = 2.0  # px per mm: a seal is large, colour needs no detail
        to_crop = np.array([[f, 0, -x * f], [0, f, -y * f], [0, 0, 1]]) @ homography
        crop = cv2.warpPerspective(ctx.page.image, to_crop, (int(w * f), int(h * f)), borderValue=(255, 255, 255))
        fraction = red_fraction(crop, s)
        ctx.checks["seal"] = round(fraction, 4)
        if fraction < s.min_fraction:
            ctx.flag(Flag.NO_STAMP)
        return
    y0, y1, x0, x1 = template.box_px(ctx.layout.stamp_mm, s.spill_mm)
    ink = _below(warped[y0:y1, x0:x1], paper_level * ctx.profile.ink.faint_level)
    cv2.bitwise_and(ink, template.not_glyph[y0:y1, x0:x1], dst=ink)
    shape = seal_shape(ink, template.k, s.min_radius_mm, s.max_radius_mm)
    ctx.checks["seal"] = None
    ctx.checks["seal_shape"] = shape.to_json()
    verdict = shape_verdict(shape, s)
    if verdict == "no_stamp" and ctx.page_is_bitonal():
        verdict = Flag.SEAL_UNCHECKED  # a bitonal scanner's threshold drops a red seal whole
    if verdict:
        ctx.flag(verdict)


def _densest_cell(mask: np.ndarray, cell: int) -> int:
    """Most ink in one cell x cell window, the windows tiled from offset 0 and from cell // 2.

    Half-cell offsets too, so writing on a cell border is not split in two. With an even cell
    the page is summed in half-cell blocks (small arrays: a page-sized integral image costs
    more in fresh memory than in arithmetic); an odd cell uses the integral image.
    """
    h, w = mask.shape
    if cell % 2 == 0 and cell // 2 < 128:
        half = cell // 2
        hb, wb = h // half, w // half
        rows = mask[:hb * half, :wb * half].reshape(hb, half, wb * half).sum(axis=1, dtype=np.uint16)
        blocks = rows.reshape(hb, wb, half).sum(axis=2, dtype=np.int32)
        worst = 0
        for start in (0, 1):  # a window is 2 x 2 blocks, starting at an even (or odd) block
            part = blocks[start:, start:]
            ph, pw = part.shape[0] // 2 * 2, part.shape[1] // 2 * 2
            if ph and pw:
                sums = part[:ph, :pw].reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
                worst = max(worst, int(sums.max()))
        return worst
    return max(int(sums.max()) if sums.size else 0 for _, sums in _window_sums(mask, cell))
