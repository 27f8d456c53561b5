"""The print's halo: how far and how dark the printed names darken the paper around them on this
page, so that ink and faint ink beside the print are judged against it (strike form).

A scanner's blur (Gaussian, motion, defocus), ink bleeding into the paper, a tone curve that
darkens the mid-greys, and a page that does not lie flat (the print a fraction of a millimetre
off the page map) all leave grey beside every letter, past the glyph margin the template
subtracts. Under a fixed threshold that grey is "faint ink" next to every letter of every kept
name. The halo is measured on the page itself, ring by ring out from the print, row by row, and
read off the cleanest quarter of the rows (a struck row's pen darkens its own rings); a pixel in
a ring counts as ink or faint ink only when it is darker than the ring's halo by a margin. A
pen's line adds its own darkness to the halo's, so it still shows; pixels farther out are judged
as before. Where the print itself is ink past the glyph mask (`print_reach`), letters merge into
horizontal runs at the x-height: those runs are the print's (`not_printed_runs`), not a pen's.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import _sorted_percentile
from .template import TINTED, Template, horizontal_runs


def rings(template: Template, reach_mm: float) -> tuple[list[list[np.ndarray]], list[np.ndarray], list[np.ndarray]]:
    """Per ring (1, 2, ... pixels out from the glyph mask, up to `reach_mm`), the flat page indices
    of its pixels: per row band (a list per ring), on the rest of the page outside the rows' box
    (the headings, where the writing check looks; their larger print has its own halo), and
    inside the rows' box. Computed once per template."""
    key = round(reach_mm, 3)
    cache = template.__dict__.setdefault("_halo_rings", {})
    if key not in cache:
        y0, y1, x0, x1 = template.rows_box
        distance = template.glyph_distance()
        reach = max(0, template.px(reach_mm))
        ring = np.ceil(distance).astype(np.int32)
        ring[distance == 0] = 0
        index = np.arange(ring.size, dtype=np.int64).reshape(ring.shape)
        per_row = []
        for r in range(1, reach + 1):
            bands = []
            for row in template.rows:
                by0, by1, bx0, bx1 = row.band
                bands.append(index[by0:by1, bx0:bx1][ring[by0:by1, bx0:bx1] == r])
            per_row.append(bands)
        outside = np.ones(ring.shape, bool)
        outside[y0:y1, x0:x1] = False
        rest = [np.flatnonzero(outside & (ring == r)) for r in range(1, reach + 1)]
        rows_box = [np.flatnonzero(~outside & (ring == r)) for r in range(1, reach + 1)]
        cache[key] = (per_row, rest, rows_box)
    return cache[key]


def _darkening(values: np.ndarray, paper: float, share: float) -> float:
    """The darkening (1 - grey / paper) that `share` of the values stay under."""
    if values.size == 0:
        return 0.0
    k = min(values.size - 1, int(round((1 - share) * (values.size - 1))))
    grey = float(np.partition(values, k)[k])  # `share` of the pixels are this light or lighter
    return max(0.0, 1.0 - grey / max(paper, 1.0))


def halo_levels(warped: np.ndarray, ring_indices: list[np.ndarray], paper: float, share: float) -> list[float]:
    """Per ring, the darkening that `share` of its pixels stay under."""
    flat = warped.ravel()
    return [_darkening(flat[idx[::2]], paper, share) for idx in ring_indices]  # every other pixel: enough


def row_halo_levels(warped: np.ndarray, per_row: list[list[np.ndarray]], paper: float, share: float,
                    clean: float) -> list[float]:
    """Per ring, the rows' halo: each row's (as `halo_levels`), then the `clean` quantile over the
    rows. A struck row's pen darkens its own ring pixels; the cleanest rows show the print alone
    (with `clean` 0.25, as long as a quarter of the names are not struck)."""
    flat = warped.ravel()
    levels = []
    for ring in _grouped_rings(per_row, share):
        if ring is None:
            levels.append(0.0)
            continue
        index, bins, groups, ranks = ring
        greys = _kth_per_group(flat[index], bins, groups, ranks)
        per = np.maximum(0.0, 1.0 - greys / max(paper, 1.0))
        per.sort()
        levels.append(_sorted_percentile(per, clean))  # np.quantile's value
    return levels


def _grouped_rings(per_row: list[list[np.ndarray]], share: float) -> list:
    """Per ring, its rows' pixel indices in one array (the non-empty rows', in row order), each
    pixel's histogram offset (its row's number times 256), the number of rows and the rank per
    row that `_darkening` takes (the same k). Cached with the rings."""
    key = id(per_row), share
    cached = _GROUPED.get(key)
    if cached is None or cached[0] is not per_row:
        rings = []
        for bands in per_row:
            kept = [idx for idx in bands if idx.size]
            if not kept:
                rings.append(None)
                continue
            sizes = np.array([idx.size for idx in kept])
            bins = np.repeat(np.arange(len(kept), dtype=np.int64) * 256, sizes)
            ranks = np.array([min(n - 1, int(round((1 - share) * (n - 1)))) for n in sizes.tolist()])
            rings.append((np.concatenate(kept), bins, len(kept), ranks))
        if len(_GROUPED) >= 32:  # templates are few (the template cache keeps 8)
            _GROUPED.clear()
        cached = _GROUPED[key] = (per_row, rings)
    return cached[1]


_GROUPED: dict = {}  # (id of a template's rings, share) -> (those rings, grouped)


def _kth_per_group(values: np.ndarray, bins: np.ndarray, groups: int, ranks: np.ndarray) -> np.ndarray:
    """Per group, the value of rank k (0-based, ascending) among its uint8 values: what
    np.partition(values, k)[k] gives group by group, from one histogram per group."""
    hist = np.bincount(bins + values, minlength=groups * 256).reshape(groups, 256)
    cumulative = np.cumsum(hist, axis=1)
    # The smallest grey level with more than k values at or below it.
    return (cumulative <= ranks[:, None]).sum(axis=1).astype(np.float64)


def ring_thresholds(levels: list[float], paper: float, level: float, margin: float) -> list[float]:
    """The grey under which a ring's pixel is ink at `level` (a fraction of the paper's white):
    the usual threshold, or the ring's halo darkened by `margin`, whichever is darker."""
    return [paper * min(level, 1.0 - halo - margin) for halo in levels]


def rows_halo(warped: np.ndarray, template: Template, paper: float, settings) -> list[float]:
    """The rows' halo per ring out to `settings.halo_reach_mm` (`row_halo_levels`); [] where
    the profile measures none."""
    if settings.halo_reach_mm <= 0:
        return []
    per_row, _, _ = rings(template, settings.halo_reach_mm)
    return row_halo_levels(warped, per_row, paper, settings.halo_share, HALO_CLEAN_ROWS)


def lift(warped: np.ndarray, masks: list[tuple[np.ndarray, float]], template: Template, paper: float,
         settings) -> list[float]:
    """Clear, in each page-sized 0/1 mask given with its level, the ring pixels that are no
    darker than the page's halo allows: the rows' halo in the rows' box, the headings' on the
    rest of the page. Returns the rows' halo per ring (for the reading's checks)."""
    if settings.halo_reach_mm <= 0:
        return []
    _, rest, rows_box = rings(template, settings.halo_reach_mm)
    flat = warped.ravel()
    rows_levels = rows_halo(warped, template, paper, settings)
    for region, levels in ((rows_box, rows_levels), (rest, halo_levels(warped, rest, paper, settings.halo_share))):
        per_mask = [(mask.ravel(), ring_thresholds(levels, paper, level, settings.halo_margin), paper * level)
                    for mask, level in masks]
        for ring, idx in enumerate(region):
            values = None  # the ring's grey levels, gathered once for every mask
            for out, thresholds, usual in per_mask:
                if thresholds[ring] < usual:
                    values = flat[idx] if values is None else values
                    out[idx[values >= thresholds[ring]]] = 0
    return rows_levels


HALO_CLEAN_ROWS = 0.25  # the rows' halo is read off the cleanest quarter of the rows (see row_halo_levels)


def print_reach(levels: list[float], ink_level: float) -> int:
    """How many rings out the print itself is ink on this page: the leading rings whose halo is
    past the ink threshold (0 on a sharp scan)."""
    reach = 0
    for halo in levels:
        if halo < 1.0 - ink_level:
            break
        reach += 1
    return reach


def not_printed_runs(template: Template, reach: int) -> np.ndarray:
    """0 where the print's own horizontal runs lie when the print reaches `reach` pixels past
    the glyph mask (bold, bled or blurred print merging letters at the x-height), 1 elsewhere.
    Computed once per template and reach; reach 0 is the template's own mask."""
    if reach <= 0:
        return template.not_printed_runs
    cache = template.__dict__.setdefault("_halo_runs", {})
    if reach not in cache:
        printed = (template.grey < TINTED).astype(np.uint8)
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
        grown = cv2.dilate(printed, disc)
        runs = cv2.dilate(horizontal_runs(grown, template.run_px), np.ones((3, 5), np.uint8))
        cache[reach] = (1 - runs).astype(np.uint8)
    return cache[reach]


def margin_fill(ink: np.ndarray, template: Template, clean: float = HALO_CLEAN_ROWS) -> float:
    """How much of the glyph margin (the pixels the template grows its print by, off the print
    itself) the page's ink fills in the name rows: each row's share, read off the cleanest
    `clean` quantile of the rows (a struck row's pen fills its own margin). Bold print, or a tone
    curve that darkens the print's antialiased edge, fills the margin while the halo past it
    stays light; such print merges a name's letters into runs as bled print does."""
    index, starts = _margin_indices(template)
    if not index.size:
        return 0.0
    sums = np.add.reduceat(ink.ravel()[index].astype(np.int32), starts)
    shares = np.sort(sums / np.diff(np.append(starts, index.size)))
    return _sorted_percentile(shares, clean)


def _margin_indices(template: Template) -> tuple[np.ndarray, np.ndarray]:
    """The flat page indices of the name rows' glyph-margin pixels (glyph mask, not printed), row
    after row, and where each row's part starts (rows without any left out). Once per template."""
    cached = template.__dict__.get("_margin_indices")
    if cached is None:
        margin = (template.glyph > 0) & (template.grey >= TINTED)
        index = np.arange(margin.size, dtype=np.int64).reshape(margin.shape)
        parts = []
        for row in template.rows:
            y0, y1, x0, x1 = row.band
            n0, n1 = row.name
            part = index[y0:y1, x0 + n0:x0 + n1][margin[y0:y1, x0 + n0:x0 + n1]]
            if part.size:
                parts.append(part)
        sizes = np.array([p.size for p in parts], np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])) if parts else np.zeros(0, np.int64)
        cached = template.__dict__["_margin_indices"] = (
            np.concatenate(parts) if parts else np.zeros(0, np.int64), starts)
    return cached
