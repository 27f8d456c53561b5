"""Stage 4b: boxes-form rows: measures of the agree and disagree boxes, and the decision."""

from __future__ import annotations

import math

import cv2
import numpy as np

from . import halo
from .arrays import _groups, _longest_runs, _median
from .boxdecisions import (  # noqa: F401
    _cancelled, _margin, _x_edges, box_mark, box_state, counted_stray, faint_mark, lost_to_the_scan)
from .boxshape import FINE_PX_PER_MM, _fine_box, _stroke_directions, stacked_stroke_directions  # noqa: F401
from .rows import aligned, tint_mm2
from .template import Template, horizontal_runs

def read_boxes(ctx, warped, ink, template: Template) -> None:
    bx = ctx.profile.boxes
    area_px = template.k * template.k
    boxes, scores, box_scores, details = {}, {}, {}, {}
    confidence = math.inf
    found, inners, pales, placed = [], [], [], []
    for row in template.rows:
        new, shift, align = aligned(ctx, warped, ink, template, row)
        box_shifts = {}
        for side, box in (("agree", row.agree), ("disagree", row.disagree)):
            # Each box where its printed border really is: the row was aligned on its name, and a
            # page that does not lie flat puts a box some centimetres away a fraction of a
            # millimetre elsewhere (its border's edge then runs inside the measured square).
            box_shift = box_shifts[side] = _box_shift(ctx, warped, template, row, shift, box)
            inner, pale = _box_masks(ctx, ink, template, row, box_shift, box)
            inners.append(inner)
            pales.append(pale)
            placed.append((row, box_shift, box))
        found.append((row, new, shift, align, box_shifts))
    # Every box's measures at once (a few reductions over the stacked boxes, not some fifteen
    # small ones a box): the same numbers as `box_measures` box by box.
    measures = stacked_box_measures(inners, bx.side_fill, bx.long_run, pales)
    # Only a mark's shape matters: the marks' fine boxes, measured stacked (the same numbers as
    # `_stroke_directions` box by box).
    shaped = [i for i, m in enumerate(measures) if m["score"] >= bx.marginal or m["pale_score"] >= bx.definite]
    fines = [_fine_box(ctx, template, *placed[i]) for i in shaped]
    shapes = dict(zip(shaped, stacked_stroke_directions(fines, ctx.paper_level * ctx.profile.ink.ink_level)))
    faint_pen = any(faint_mark(m, bx) for m in measures)
    for index, (row, new, shift, align, box_shifts) in enumerate(found):
        states, values = [], {}
        for offset, (side, box) in enumerate((("agree", row.agree), ("disagree", row.disagree))):
            m = measures[2 * index + offset]
            pale_score, pale_sides = m["pale_score"], m["pale_sides"]
            score, fill, crossings, sides = m["score"], m["fill"], m["crossings"], m["sides"]
            long_rows, long_cols = m["long_rows"], m["long_cols"]
            long_lines = max(long_rows, long_cols)
            values[f"{side}_line_groups"] = m["line_groups"]
            values[f"{side}_long"] = round(long_lines, 3)
            values[f"{side}_one_way"] = round(abs(long_rows - long_cols), 3)
            values[side] = round(score, 3)
            values[f"{side}_pale"] = round(pale_score, 3)
            values[f"{side}_fill"] = round(fill, 3)
            values[f"{side}_crossings"] = round(crossings, 2)
            values[f"{side}_sides"] = sides
            values[f"{side}_pale_sides"] = pale_sides
            tint = tint_mm2(ctx, row, box_shifts[side], template, box)
            values[f"{side}_tint_mm2"] = round(tint, 2)
            shape = {"edge_excess": None, "edge_diagonal": None, "edge_run": None, "edge_balance": None, "fine_fill": None}
            if 2 * index + offset in shapes:
                shape = shapes[2 * index + offset]
                values.update({f"{side}_{key}": round(value, 3) for key, value in shape.items()})
            ink_mm2 = int(np.count_nonzero(inners[2 * index + offset])) / area_px if fill > 0 else 0.0
            if 0 < fill and score < bx.marginal:  # where the speck test decides
                values[f"{side}_ink_mm2"] = round(ink_mm2, 3)
            state = box_state({"score": score, "fill": fill, "crossings": crossings, "sides": sides,
                               "pale_sides": pale_sides, "long_rows": long_rows, "long_cols": long_cols,
                               "pale_score": pale_score, "tint_mm2": tint, "ink_mm2": ink_mm2, **shape}, bx)
            states.append(state)
            confidence = min(confidence, _margin(score, bx.marginal, bx.definite))
        stray = _outside_boxes(new, row) / area_px
        mark = box_mark(states, values, stray, bx)
        lost = mark == "none" and faint_pen and lost_to_the_scan(measures[2 * index:2 * index + 2], bx)
        if lost:
            mark = "uncertain"
            confidence = min(confidence, -1.0)
        off_print = off_edge = None
        if mark == "uncertain" and states == ["empty", "empty"]:
            # Ink beside the name on a row with no box marked: a pen's, or the print's own on a
            # page whose print bleeds past the glyph margin (blur, ink spread, a page a fraction
            # of a millimetre off the page map leave slivers by every letter).
            off_print = _stray_off_print(ctx, warped, ink, template, row, shift, new)
            if off_print is not None:
                mark = box_mark(states, values, off_print / area_px, bx)
            # Print blurred or bled short of the ink level still leaves slivers on its edge.
            edge_halo = _page_halo(ctx, warped, template)[0] if mark == "uncertain" else None
            if edge_halo is not None and edge_halo >= bx.stray_edge_halo:
                by0, by1, bx0, bx1 = row.band
                off_edge = _outside_boxes(new & (_print_rings(template)[by0:by1, bx0:bx1] > 1), row)
                mark = box_mark(states, values, counted_stray(stray, off_edge / area_px, edge_halo, bx), bx)
        if mark == "uncertain" and "unsure" not in states:
            confidence = min(confidence, -1.0)  # both boxes read, the row ruled out by its shapes
        boxes[row.id] = mark
        box_scores[row.id] = values
        scores[row.id] = max(values["agree"], values["disagree"])
        details[row.id] = {"stray_mm2": round(stray, 2), "shift_px": list(shift),
                           **({} if off_print is None else {"stray_off_print_mm2": round(off_print / area_px, 2)}),
                           **({} if off_edge is None else {"stray_off_edge_mm2": round(off_edge / area_px, 2)}),
                           **({"faint_trace": True} if lost else {}),
                           "box_shift_px": {side: list(v) for side, v in box_shifts.items()},
                           "align": None if align is None else round(align, 3)}
    ctx.reading.boxes, ctx.reading.scores = boxes, scores
    ctx.reading.box_scores, ctx.reading.rows = box_scores, details
    ctx.reading.confidence = round(confidence, 3)


def _outside_boxes(new: np.ndarray, row) -> int:
    """New ink in the row's band outside its boxes' area (pixels)."""
    _, _, a0, a1 = row.boxes_area
    return int(new.sum()) - int(new[:, a0:a1].sum())


def _stray_off_print(ctx, warped, ink, template: Template, row, shift, new) -> int | None:
    """The row's new ink outside its boxes farther from the print than the print itself is ink
    on this page (`halo.print_reach`: the leading rings round the glyph mask whose halo is past
    the ink level), or None: the print does not bleed (reach 0, or no halo measured), or the row
    has a pen's line (a horizontal run that is not the print's own at that reach), whose ink
    beside the letters is the pen's."""
    levels = _page_halo(ctx, warped, template)
    reach = 0 if levels[0] is None else halo.print_reach(levels, ctx.profile.ink.ink_level)
    if reach <= 0:
        return None
    by0, by1, bx0, bx1 = row.band
    dx, dy = shift
    runs = horizontal_runs(ink[by0 + dy:by1 + dy, bx0 + dx:bx1 + dx], template.run_px)
    runs &= halo.not_printed_runs(template, reach)[by0:by1, bx0:bx1]
    if _outside_boxes(runs, row):
        return None
    return _outside_boxes(new & (_print_rings(template)[by0:by1, bx0:bx1] > reach), row)


def _page_halo(ctx, warped, template: Template) -> list:
    """The print's halo on this page, ring by ring out from the glyph mask (each ring's
    darkening, `halo.rows_halo`), measured once per page; [None] where the profile
    measures no halo (bitonal)."""
    levels = getattr(ctx, "boxes_halo", None)
    if levels is None:
        settings = ctx.profile.ink
        levels = halo.rows_halo(warped, template, ctx.paper_level, settings)
        if settings.halo_reach_mm > 0:
            ctx.checks["halo"] = [round(v, 3) for v in levels]
        ctx.boxes_halo = levels = levels or [None]
    return levels


def _print_rings(template: Template) -> np.ndarray:
    """Per pixel, how many pixels out from the glyph mask it lies (0 on it; at most 255), once
    per template."""
    cache = template.__dict__
    if "_print_rings" not in cache:
        cache["_print_rings"] = np.minimum(np.ceil(template.glyph_distance()), 255).astype(np.uint8)
    return cache["_print_rings"]


# -- a box's measures of its new ink (`inner`) and faint ink (`pale`): box by box, and stacked


def box_measures(inner: np.ndarray, side_fill: float, long_run: float, pale: np.ndarray | None = None) -> dict:
    """score, fill, crossings, sides, long_rows, long_cols, line_groups of one box's new ink
    (and pale_score, pale_sides of its faint ink `pale`, if given)."""
    long_rows, long_cols = _long_lines(inner, long_run)
    measures = {"score": _score(inner), "fill": float(inner.mean()) if inner.size else 0.0,
                "crossings": _crossings(inner), "sides": _inked_sides(inner, side_fill),
                "long_rows": long_rows, "long_cols": long_cols, "line_groups": max(_through_lines(inner))}
    if pale is not None:
        measures["pale_score"], measures["pale_sides"] = pale_measures(pale, side_fill)
    return measures


def pale_measures(pale: np.ndarray, side_fill: float) -> tuple[float, int]:
    """pale_score and pale_sides of one box's faint ink."""
    return _score(pale), _inked_sides(pale, side_fill)


def _score(mask: np.ndarray) -> float:
    """The share of a box's columns, or of its rows if fewer, holding ink."""
    return min(float(mask.any(axis=0).mean()), float(mask.any(axis=1).mean())) if mask.size else 0.0


def _shape_groups(masks: list[np.ndarray]) -> dict[tuple[int, ...], list[int]]:
    """Indices of the masks by shape: boxes of one size are measured stacked (a page's are one size)."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, mask in enumerate(masks):
        groups.setdefault(mask.shape, []).append(i)
    return groups


def stacked_box_measures(inners: list[np.ndarray], side_fill: float, long_run: float,
                         pales: list[np.ndarray] | None = None) -> list[dict]:
    """`box_measures` of every box, the boxes of one shape stacked (the faint ink's beside the
    new ink's): each reduction made once over the stack (same numbers: 0/1 counts are exact in
    any order, each divided as before)."""
    out: list[dict | None] = [None] * len(inners)
    with_pale = pales is not None
    for (h, w), indices in _shape_groups(inners).items():
        if h < 5 or w < 5 or (with_pale and any(pales[i].shape != (h, w) for i in indices)):
            for i in indices:
                out[i] = box_measures(inners[i], side_fill, long_run, pales[i] if with_pale else None)
            continue
        n = len(indices)
        both = np.stack([inners[i] for i in indices] + ([pales[i] for i in indices] if with_pale else []))
        inked_both = both.reshape(len(both), -1).any(axis=1)
        scores_both = np.minimum(both.any(axis=1).mean(axis=1), both.any(axis=2).mean(axis=1))
        # The shape measures of the inked boxes only (about half a page's: the box not marked
        # is empty); an empty box's are what the same sums give on no ink, set directly.
        sides_both = [0] * len(both)
        if inked_both.any():
            for j, sides in zip(np.flatnonzero(inked_both).tolist(), _stacked_sides(both[inked_both], side_fill)):
                sides_both[j] = sides
        stack, inked = both[:n], inked_both[:n]
        fills = stack.reshape(n, -1).mean(axis=1)
        long_rows = np.full(n, float(0 >= long_run * w))
        long_cols = np.full(n, float(0 >= long_run * h))
        crossings, line_groups = [0.0] * n, np.zeros(n, np.int64)
        chosen = np.flatnonzero(inked)
        if chosen.size:
            k, marked = chosen.size, stack[inked]
            long_rows[chosen] = (_longest_runs(marked.reshape(k * h, w)) >= long_run * w).reshape(k, h).mean(axis=1)
            by_columns = np.ascontiguousarray(marked.transpose(0, 2, 1)).reshape(k * w, h)
            long_cols[chosen] = (_longest_runs(by_columns) >= long_run * h).reshape(k, w).mean(axis=1)
            for j, crossing in zip(chosen.tolist(), _stacked_crossings(marked, np.ones(k, bool))):
                crossings[j] = crossing
            line_groups[chosen] = _stacked_through_lines(marked)
        for j, i in enumerate(indices):
            out[i] = {"score": float(scores_both[j]), "fill": float(fills[j]), "crossings": crossings[j],
                      "sides": sides_both[j] if inked[j] else 0, "long_rows": float(long_rows[j]),
                      "long_cols": float(long_cols[j]), "line_groups": int(line_groups[j]) if inked[j] else 0}
            if with_pale:
                out[i]["pale_score"] = float(scores_both[n + j])
                out[i]["pale_sides"] = sides_both[n + j] if inked_both[n + j] else 0
    return out


def _stacked_sides(stack: np.ndarray, level: float) -> list[int]:
    """`_inked_sides` of each box of a stack (h, w >= 5; empty boxes left to the caller)."""
    _, h, w = stack.shape
    r0, r1, c0, c1 = int(h * 0.35), max(int(h * 0.65), int(h * 0.35) + 1), int(w * 0.35), max(int(w * 0.65), int(w * 0.35) + 1)
    band_h, band_w = max(1, int(round(h * 0.2))), max(1, int(round(w * 0.2)))
    wedges = (stack[:, r0:r1, :band_w], stack[:, r0:r1, w - band_w:], stack[:, :band_h, c0:c1], stack[:, h - band_h:, c0:c1])
    counts = [(np.count_nonzero(part, axis=(1, 2)).tolist(), part[0].size) for part in wedges if part[0].size]
    return [sum(c[j] / size > level for c, size in counts) for j in range(stack.shape[0])]


def _stacked_crossings(stack: np.ndarray, inked: np.ndarray) -> list[float]:
    """`_crossings` of each box of a stack."""
    mask = stack.astype(np.int8)
    per_col = np.count_nonzero(np.diff(mask, axis=1) == 1, axis=1) + mask[:, 0, :]
    per_row = np.count_nonzero(np.diff(mask, axis=2) == 1, axis=2) + mask[:, :, 0]
    return [float(max(_median(per_col[j][per_col[j] > 0]), _median(per_row[j][per_row[j] > 0])))
            if inked[j] else 0.0 for j in range(stack.shape[0])]


def _stacked_through_lines(stack: np.ndarray) -> np.ndarray:
    """max(`_through_lines`) of each box of a stack (empty boxes left to the caller). The boxes
    dilated up and down as one image with a blank row between boxes (a dilation's border adds
    nothing, a blank row neither)."""
    n, h, w = stack.shape
    spaced = np.zeros((n, h + 1, w), np.uint8)
    spaced[:, :h] = stack
    grown = cv2.dilate(spaced.reshape(n * (h + 1), w), _VERTICAL_3).reshape(n, h + 1, w)[:, :h]
    rows = (_longest_runs(np.ascontiguousarray(grown).reshape(n * h, w)) >= w - 1).reshape(n, h)
    wide = cv2.dilate(stack.reshape(n * h, w), _HORIZONTAL_3).reshape(n, h, w)
    cols = (_longest_runs(np.ascontiguousarray(wide.transpose(0, 2, 1)).reshape(n * w, h)) >= h - 1).reshape(n, w)
    return np.maximum(_stacked_groups(rows), _stacked_groups(cols))


def _stacked_groups(flags: np.ndarray) -> np.ndarray:
    """`_groups` of each row of a 2-D boolean array."""
    before = np.zeros_like(flags)
    before[:, 1:] = flags[:, :-1]
    return np.count_nonzero(flags & ~before, axis=1)


def _inked_sides(inner: np.ndarray, level: float) -> int:
    """How many of the four side-middles of a box carry ink.

    The arms of an X (or a tick) run to the corners and leave the middle of every side white; a
    scribble or a box filled in back and forth reaches two opposite sides at least.
    """
    h, w = inner.shape
    if h < 5 or w < 5 or not inner.any():
        return 0  # (an empty box, most of a page's: no side inked)
    r0, r1, c0, c1 = int(h * 0.35), max(int(h * 0.65), int(h * 0.35) + 1), int(w * 0.35), max(int(w * 0.65), int(w * 0.35) + 1)
    band_h, band_w = max(1, int(round(h * 0.2))), max(1, int(round(w * 0.2)))
    wedges = (inner[r0:r1, :band_w], inner[r0:r1, w - band_w:], inner[:band_h, c0:c1], inner[h - band_h:, c0:c1])
    # 0/1 masks: a wedge's mean is its ink count over its size (the same division as .mean()).
    return sum(int(np.count_nonzero(part)) / part.size > level for part in wedges if part.size)


def _long_lines(inner: np.ndarray, share: float) -> tuple[float, float]:
    """The shares of a box's rows and of its columns inked over `share` of its width (height) in
    one run: an X crosses a row in one or two short runs (long only where its arms meet); strokes
    back and forth across the box, or a box blacked out, fill row after row."""
    h, w = inner.shape
    if h < 5 or w < 5:
        return 1.0, 1.0
    if share > 0 and not inner.any():
        return 0.0, 0.0  # an empty box: no run at all
    rows = float((_longest_runs(inner) >= share * w).mean())
    cols = float((_longest_runs(inner.T) >= share * h).mean())
    return rows, cols


def _through_lines(inner: np.ndarray) -> tuple[int, int]:
    """How many separate lines run right across a box, edge to edge: bands of rows (columns)
    holding one run of ink from one side of the box to the other.

    An X's arms reach the corners, never straight across (where they meet the run stops short
    of both sides); lines struck through a mark to cancel it cross the whole box, a band each.
    Grown by a pixel up and down first, so a thin line a little slanted stays one run."""
    h, w = inner.shape
    if h < 5 or w < 5 or not inner.any():
        return 0, 0  # (an empty box: no line)
    rows = _longest_runs(cv2.dilate(inner, _VERTICAL_3)) >= w - 1
    cols = _longest_runs(cv2.dilate(inner, _HORIZONTAL_3).T) >= h - 1
    return _groups(rows), _groups(cols)


_VERTICAL_3 = np.ones((3, 1), np.uint8)


_HORIZONTAL_3 = np.ones((1, 3), np.uint8)


def _box_shift(ctx, warped, template: Template, row, shift, box) -> tuple[int, int]:
    """The shift (dx, dy) that puts a box's printed border (the box grown past its border) where
    it is on the page, searched `align_search_mm` around the row's own shift; the row's shift
    unless the border matches clearly better elsewhere (a mark inside does not move it: the
    border is most of what is matched)."""
    search = template.px(ctx.profile.geometry.align_search_mm)
    if search <= 0:
        return shift
    y0, y1, x0, x1 = box
    by0, _, bx0, _ = row.band
    grow = template.px(ctx.profile.boxes.inset_mm + ctx.profile.ink.glyph_margin_mm + 1.0)
    py0, py1 = max(0, by0 + y0 - grow), min(template.height, by0 + y1 + grow)
    px0, px1 = max(0, bx0 + x0 - grow), min(template.width, bx0 + x1 + grow)
    dx, dy = shift
    sy0, sx0 = py0 + dy - search, px0 + dx - search
    sy1, sx1 = py1 + dy + search, px1 + dx + search
    if sy0 < 0 or sx0 < 0 or sy1 > template.height or sx1 > template.width:
        return shift
    result = cv2.matchTemplate(warped[sy0:sy1, sx0:sx1].astype(np.float32),
                               template.grey_float[py0:py1, px0:px1], cv2.TM_CCOEFF_NORMED)
    _, best, _, (mx, my) = cv2.minMaxLoc(result)
    if best >= ctx.profile.geometry.min_align_score and best - float(result[search, search]) > 0.03:
        return dx + mx - search, dy + my - search
    return shift


def _box_masks(ctx, ink, template: Template, row, shift, box) -> tuple[np.ndarray, np.ndarray]:
    """A box's new ink and faint ink (off the print where the box really is)."""
    y0, y1, x0, x1 = box
    by0, _, bx0, _ = row.band
    dx, dy = shift
    ty0, tx0 = by0 + y0, bx0 + x0
    not_glyph = template.not_glyph[ty0:ty0 + (y1 - y0), tx0:tx0 + (x1 - x0)]
    if ty0 + dy < 0 or tx0 + dx < 0 or ty0 + dy + (y1 - y0) > ink.shape[0] or tx0 + dx + (x1 - x0) > ink.shape[1]:
        dx = dy = 0
    window = (slice(ty0 + dy, ty0 + dy + (y1 - y0)), slice(tx0 + dx, tx0 + dx + (x1 - x0)))
    return ink[window] & not_glyph, ctx.faint[window] & not_glyph


def _crossings(inner: np.ndarray) -> float:
    """How many strokes a line across the box meets (median over inked rows and columns; max of both).

    An X or a tick is met once or twice; a scribble or a box filled back and forth many times.
    """
    if inner.size == 0 or not inner.any():
        return 0.0
    mask = inner.astype(np.int8)
    per_col = np.count_nonzero(np.diff(mask, axis=0) == 1, axis=0) + mask[0, :]
    per_row = np.count_nonzero(np.diff(mask, axis=1) == 1, axis=1) + mask[:, 0]
    return float(max(_median(per_col[per_col > 0]), _median(per_row[per_row > 0])))
