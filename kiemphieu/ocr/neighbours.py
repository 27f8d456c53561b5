"""Stage 4a: a neighbour's marks reaching into a row's band.

A row's band runs from halfway to the row above to halfway to the row below. A voter who
circles the name above, or strikes it with a second line low under its letters, leaves ink in
this band: off this row's strike line, it would count against a plain strike here (`extra_mm2`,
`multi`) as a correction's loops or circle do. Such ink is the neighbour's when its stroke,
followed past the band's edge, reaches the neighbour's own strike zone (where its letters are)
and never comes into this row's zone: a circle round this name, even one drawn large, comes
back through this row's zone at the name's ends, and loops along a strike lie on it; a pale
circle broken into pieces leaves pieces that reach neither zone, and those stay counted (a
piece is the neighbour's only where its stroke is followed into it).
"""

from __future__ import annotations

import cv2
import numpy as np

from .template import Template


def without_neighbours(new: np.ndarray, ink: np.ndarray, template: Template, row,
                       shift: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """The row's new ink `new` without the strokes that belong to the rows above and below, and
    those strokes (a band mask; None when there are none).

    `ink` is the page's ink mask, `shift` the row's re-alignment (as `rows._new_ink`). The rows
    beside it are taken to be laid out as this one (one pitch, one font a column): the zone
    above ends as far above the band's top as this zone ends above its bottom, the zone below
    begins as far below."""
    if not new.any():
        return new, None
    by0, by1, bx0, bx1 = row.band
    dx, dy = shift
    z0, z1 = row.zone
    above, below = (by1 - by0) - z1, z0  # how far the neighbours' zones lie past the band's edges
    top = max(0, by0 - above - 1, -dy)
    bottom = min(template.height, by1 + below + 1, ink.shape[0] - dy)
    if top == by0 and bottom == by1:
        return new, None  # no neighbour on the page
    # A stroke from inside the band to a neighbour's zone crosses the band's first or last row
    # (8-connected steps move one row at most): with no ink there, none does (most rows).
    first_row, last_row = ink[by0 + dy, bx0 + dx:bx1 + dx], ink[by1 - 1 + dy, bx0 + dx:bx1 + dx]
    if not (first_row.any() and top < by0) and not (last_row.any() and bottom > by1):
        return new, None
    # The strokes followed in all the ink, print included: a stroke across small print is cut
    # into pieces where the print is subtracted, and a piece of this row's loops or circle
    # above the letters must not part from the letters it crosses.
    tall = np.ascontiguousarray(ink[top + dy:bottom + dy, bx0 + dx:bx1 + dx])
    count, labels, stats, _ = cv2.connectedComponentsWithStats(tall, connectivity=8)
    if count <= 1:
        return new, None
    first, last = stats[:, cv2.CC_STAT_TOP] + top, stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT] + top
    ours = (first < by0 + z1) & (last > by0 + z0)  # into this row's zone
    theirs = (first < by0 - above) | (last > by1 + below)  # into a neighbour's zone
    foreign = theirs & ~ours
    foreign[0] = False  # the background
    if not foreign.any():
        return new, None
    theirs_in_band = foreign[labels[by0 - top:by1 - top]] & new.view(bool)
    if not theirs_in_band.any():
        return new, None
    return (new & ~theirs_in_band).astype(np.uint8), theirs_in_band


def colour_without_neighbours(tint: np.ndarray, theirs: np.ndarray, zone: tuple[int, int]) -> np.ndarray:
    """The row's pen colour without its strokes that overlap the neighbours' (`theirs`, from
    `without_neighbours`) and never come into the row's strike zone: the same strokes, seen by
    colour (a pale pen's colour reaches a little farther than its ink)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(tint, connectivity=8)
    if count <= 1:
        return tint
    first = stats[:, cv2.CC_STAT_TOP]
    last = first + stats[:, cv2.CC_STAT_HEIGHT]
    touched = np.zeros(count, bool)
    touched[np.unique(labels[theirs])] = True
    foreign = touched & ~((first < zone[1]) & (last > zone[0]))
    foreign[0] = False
    if not foreign.any():
        return tint
    return (tint & ~foreign[labels]).astype(np.uint8)
