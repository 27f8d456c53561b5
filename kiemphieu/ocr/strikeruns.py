"""Stage 4a's pen runs: which horizontal runs of a strike row's ink are a pen's (touched by
ink off the print), not the print's own merged letters or the slivers of its edge."""

from __future__ import annotations

import cv2
import numpy as np

# The runs with a pixel where `outside` is 1.
from .arrays import _parts_touching as _runs_leaving  # noqa: F401 (strikes takes it from here)
from .rowmasks import thick_components


def _pen_runs(runs: np.ndarray, new: np.ndarray, min_px: int = 2) -> np.ndarray:
    """The horizontal runs that show pen ink somewhere off the print (`min_px` pixels of it).

    Blurred letters can merge into a run (a crossbar with its stems); such a run lies wholly on
    printed text, while a pen's stroke crosses the paper between letters. Bold or bled print
    also leaves slivers of its own edge past the glyph mask: a pixel or two of "new" ink that
    touches a run of merged letters does not make it a pen's.
    """
    if not runs.any():
        return runs
    if not new.any():
        return np.zeros_like(runs)  # no ink off the print at all: no run can touch paper
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    on_paper = np.bincount(labels[new > 0], minlength=count) >= min_px
    on_paper[0] = False
    if on_paper[1:].all():
        return runs  # every run touches paper: the mask is the runs themselves (labels > 0)
    if not on_paper.any():
        return np.zeros_like(runs)
    return on_paper[labels].astype(np.uint8)


def _pen_and_touched_runs(runs: np.ndarray, new: np.ndarray, min_px: int) -> tuple[np.ndarray, np.ndarray]:
    """`_pen_runs` at `min_px` (a pen's: evidence of a strike) and at two pixels (any run new ink
    touches: what forbids 'kept', since a thin pen's line hidden on the print touches its runs
    as little as a bold print's sliver does), from one labelling."""
    pen, touched, _ = _pen_and_touched_labelled(runs, new, min_px)
    return pen, touched


def _pen_and_touched_labelled(runs: np.ndarray, new: np.ndarray, min_px: int):
    """`_pen_and_touched_runs`, and the labelling the pen runs were taken from: (count, labels,
    which labels are the pen's), or None where nothing was labelled. The pen runs are whole
    components of `runs`, so their own components are these labels (`_runs_near_pen` need not
    label them again)."""
    if not runs.any() or not new.any():
        pen = _pen_runs(runs, new)
        return pen, pen, None
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    touching = np.bincount(labels[new > 0], minlength=count)
    touching[0] = 0
    touched_labels = touching >= 2
    if min_px <= 2:
        # `_pen_runs` at its own two pixels, as `_pen_runs(runs, new)` gives: the touched runs
        pen_labels = touched_labels
        if pen_labels[1:].all():
            return runs, runs, (count, labels, pen_labels)
        if not pen_labels.any():
            pen = np.zeros_like(runs)
            return pen, pen, None
        pen = pen_labels[labels].astype(np.uint8)
        return pen, pen, (count, labels, pen_labels)
    touched = touched_labels[labels].astype(np.uint8)
    if not touched_labels.any():
        return touched, touched, None
    pen_labels = touching >= min_px
    return pen_labels[labels].astype(np.uint8), touched, (count, labels, pen_labels)


def _runs_near_pen(runs: np.ndarray, new: np.ndarray, reach: int, merged_px: float, labelled=None) -> np.ndarray:
    """The pen runs, those as thick as merged print (`merged_px` pixels high on average) only
    within `reach` columns of a column where new ink touches them.

    A run is a pen's when new ink touches it (`_pen_runs`); but bold or blurred print merges a
    word's letters, or a whole name's, into one run as high as the letters, and a short stroke
    touching it made it a line across the name. A pen's own run is as high as the pen is wide.
    `labelled`: (count, labels, which labels are `runs`') from `_pen_and_touched_labelled`, the
    runs' components already labelled (the same components: they are not labelled again).
    """
    if labelled is None:
        count, labels = cv2.connectedComponents(runs, connectivity=8)
        thick = thick_components(labels, count, merged_px)
    else:
        count, labels, chosen = labelled
        thick = thick_components(labels, count, merged_px, among=chosen)
    if not thick.any():
        return runs
    merged = thick[labels]
    touching = (new.view(bool) if new.dtype == np.uint8 else new.astype(bool)) & \
        cv2.dilate(merged.view(np.uint8), _NEIGHBOURS).view(bool)
    columns = touching.any(axis=0)
    # Columns within reach of a touching column: running sums over a window of 2 * reach + 1.
    sums = np.concatenate(([0], np.cumsum(columns, dtype=np.int32)))
    idx = np.arange(columns.size)
    near = sums[np.minimum(idx + reach + 1, columns.size)] > sums[np.maximum(idx - reach, 0)]
    if near.all():
        return runs
    return (runs.view(bool) & ~(merged & ~near[None, :])).view(np.uint8)


_NEIGHBOURS = np.ones((3, 3), np.uint8)


def _runs_touched_openly(runs: np.ndarray, new: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, int]:
    """The runs (8-connected parts of a 0/1 mask) that new ink off the print's edge (`edge`: the
    print grown by a pixel) lies in, and how many new pixels on that edge lie in the others.

    Small or blurred print merges letters into runs that the sharp template does not have, and
    a scan's blur leaves a pixel or two of the print's own edge in them: such a run is touched
    only on the edge, by a sliver. A pen's stroke through a run crosses the paper between letters
    or words somewhere; where the print hides it everywhere, its ink still lies along the edge at
    every letter it crosses, many pixels, not a sliver's two or three.
    """
    ink = new.view(bool) if new.dtype == np.uint8 else new.astype(bool)
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    open_ink = ink & ~edge.view(bool)
    keep = np.zeros(count, bool)
    keep[labels[open_ink]] = True
    keep[0] = False
    on_edge = ink & ~open_ink & ~keep[labels] & (labels > 0)
    return keep[labels].astype(np.uint8), int(np.count_nonzero(on_edge))
