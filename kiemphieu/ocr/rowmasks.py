"""Row masks made only where a row needs them, the same pixels as made over the rows' box.

The strike rows' horizontal runs (`template.horizontal_runs` of the ink) are looked at only in
rows with new ink (a fifth of a page's rows or fewer); each is made in a window of the rows'
box around the row's band, wide enough that the window's own border cannot reach the band.
"""

from __future__ import annotations

import numpy as np

from .arrays import _scratch
from .template import Template, horizontal_runs


def band_runs(ink: np.ndarray, template: Template, row, shift: tuple[int, int]) -> np.ndarray:
    """`horizontal_runs(ink[rows_box])` in the row's band moved by `shift`, made in a window.

    The runs grow the ink by `run_tolerance` rows up and down, then open it with a 1 x run_px
    line: a pixel's value depends on the ink within `run_tolerance` rows and 2 (run_px - 1)
    columns of it. A window that far larger than the band on every side (clipped to the rows'
    box, whose edge is the border the page's runs were made with) gives the band's pixels
    exactly; OpenCV's morphology treats a window's border as neutral either way.
    """
    y0, y1, x0, x1 = template.rows_box
    dx, dy = shift
    by0, by1, bx0, bx1 = row.band
    b0, b1, c0, c1 = by0 + dy, by1 + dy, bx0 + dx, bx1 + dx
    my, mx = template.run_tolerance + 1, 2 * template.run_px
    r0, r1 = max(y0, b0 - my), min(y1, b1 + my)
    s0, s1 = max(x0, c0 - mx), min(x1, c1 + mx)
    runs = horizontal_runs(ink[r0:r1, s0:s1], template.run_px, template.run_tolerance)
    return runs[b0 - r0:b1 - r0, c0 - s0:c1 - s0]



def row_groups(template: Template) -> tuple[tuple[tuple[int, int], tuple[int, ...]], ...]:
    """The template's rows by band size and strike zone (rows measured together), in order of
    first appearance: ((zone), (row indices)) each. Kept with the template."""
    groups = template.__dict__.get("_row_groups")
    if groups is None:
        found: dict[tuple, list[int]] = {}
        for index, row in enumerate(template.rows):
            y0, y1, x0, x1 = row.band
            found.setdefault(((y1 - y0, x1 - x0), row.zone), []).append(index)
        groups = template.__dict__["_row_groups"] = tuple((zone, tuple(indices)) for (_, zone), indices in found.items())
    return groups


def group_stack(group: int, masks: int, row) -> np.ndarray:
    """A work array (masks, band height, band width) for the masks of one group of rows,
    reused from page to page (each group its own: they are all measured before any is read)."""
    y0, y1, x0, x1 = row.band
    return _scratch.view(f"row-group-{group}", (masks, y1 - y0, x1 - x0), np.uint8)


def thick_components(labels: np.ndarray, count: int, merged_px: float, among: np.ndarray | None = None) -> np.ndarray:
    """Per label of `cv2.connectedComponents` (0, the background, False): whether the component's
    pixels number at least `merged_px` times its width (its bounding box's, in columns): the
    test `stats[:, CC_STAT_AREA] >= merged_px * stats[:, CC_STAT_WIDTH]` on the same integers,
    without `connectedComponentsWithStats` (six times the labelling's time). Only components
    with `merged_px` pixels or more can pass; their widths are measured one by one (few).
    `among` (per label, bool): only these labels can pass (the others are False, not measured)."""
    area = np.bincount(labels.ravel(), minlength=count)
    thick = np.zeros(count, bool)
    candidates = area >= merged_px
    if among is not None:
        candidates &= among
    for label in np.flatnonzero(candidates).tolist():
        if label:
            columns = np.flatnonzero((labels == label).any(axis=0))
            thick[label] = area[label] >= merged_px * (columns[-1] - columns[0] + 1)
    return thick
