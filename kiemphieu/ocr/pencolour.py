"""The pen-colour mask: blue and purple pens show in colour even where they cross the printed
(black) text. Made only where the rows are (the pen colour is looked at nowhere else), from
the part of the scan that maps there, and warped only where the scan holds such a colour.

The mask is 1 where the page's (blue - red), warped onto the layout, is at least the paper's own
tint (its median over the rows' box, every 4th pixel of every 4th row) plus `tint_level`.
Bilinear interpolation never exceeds the largest of the four pixels it weighs, so where no
scan pixel nearby reaches `tint_level` the mask is 0 whatever the warp gives. When the paper
holds so little tint that its median is 0 by counting alone (most sampled pixels map onto
scan pixels with no blue at all), only the bands of the box that a pen-coloured scan pixel
maps into are warped; otherwise the whole box is, as it always was.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .arrays import _at_least, _percentile, _scratch, _source_rect

BAND_PX = 32  # height of the bands of the rows' box warped separately
GAP_ROWS = 16  # scan rows with pen colour this close together are one stretch
SAMPLE_STEP = 4  # the paper's tint is read off every 4th pixel of every 4th row (arrays._percentile)


def pen_colour(image: np.ndarray, scale: np.ndarray, homography: np.ndarray, box: tuple[int, int, int, int],
               size: tuple[int, int], tint_level: float) -> np.ndarray:
    """Page-sized 0/1 mask (a work array, 0 outside `box`) of pen-coloured ink.

    `image`: the colour scan (BGR); `scale @ homography`: scan pixels -> page pixels (mm ->
    pixels after scan -> mm); `box`: y0, y1, x0, x1 of the rows' box in page pixels; `size`: the
    page's (height, width)."""
    y0, y1, x0, x1 = box
    to_box = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ scale @ homography
    cx0, cy0, cx1, cy1 = _source_rect(to_box, (x1 - x0, y1 - y0), image.shape)
    crop = image[cy0:cy1, cx0:cx1]
    blue, red = _scratch.get("blue", crop.shape[:2]), _scratch.get("red", crop.shape[:2])
    cv2.mixChannels([crop], [blue, red], [0, 0, 2, 1])  # both channels in one pass over the scan
    blue_minus_red = cv2.subtract(blue, red, dst=blue)  # saturates at 0
    from_crop = to_box @ np.array([[1, 0, cx0], [0, 1, cy0], [0, 0, 1.0]])
    # Computed in the page-sized mask's own box (0 outside it): no copy into the page.
    mask, tint = _scratch.page_box("tint", size, box)
    bands = _bands_to_warp(blue_minus_red, from_crop, tint.shape, tint_level)
    if bands is None:
        cv2.warpPerspective(blue_minus_red, from_crop, (x1 - x0, y1 - y0), dst=tint,
                            flags=cv2.INTER_LINEAR, borderValue=0)
        paper_tint = _percentile(tint, 0.5)  # a cool light or paper tint shifts every pixel
        _at_least(tint, paper_tint + tint_level, dst=tint)
        return mask
    tint.fill(0)
    for b0, b1 in bands:  # the paper's tint is 0 (see _bands_to_warp)
        band = tint[b0:b1]
        to_band = np.array([[1, 0, 0], [0, 1, -b0], [0, 0, 1.0]]) @ from_crop
        cv2.warpPerspective(blue_minus_red, to_band, (x1 - x0, b1 - b0), dst=band,
                            flags=cv2.INTER_LINEAR, borderValue=0)
        _at_least(band, tint_level, dst=band)
    return mask


def _bands_to_warp(blue_minus_red: np.ndarray, from_crop: np.ndarray, shape: tuple[int, int],
                   tint_level: float) -> list[tuple[int, int]] | None:
    """The row ranges of the box (merged bands) that a pen-coloured scan pixel maps into, when
    the paper's tint is surely 0; None when it may not be (the whole box is then warped).

    The tint's median is 0 when at least half the sampled pixels are 0: a sample is surely 0
    when none of the scan pixels it is interpolated from (floor and floor + 1 of its position,
    that position known to a small fraction of a pixel) has any blue, and one scan pixel with
    blue can spoil only the samples that fall within 2 pixels of it (at most `spoil` of them,
    from the samples' spacing in the scan)."""
    h, w = shape
    samples = math.ceil(h / SAMPLE_STEP) * math.ceil(w / SAMPLE_STEP)
    # Scan pixels per page pixel (the map is close to a similarity: a page within a few degrees).
    linear = np.linalg.inv(from_crop)[:2, :2]
    spacing = SAMPLE_STEP * math.sqrt(abs(float(np.linalg.det(linear))))
    per_axis = math.floor(2.2 * 1.5 / spacing) + 1 if spacing > 0 else math.inf
    spoil = per_axis * per_axis
    if cv2.countNonZero(blue_minus_red) * spoil * 2 > samples:
        return None
    level = math.ceil(tint_level)  # with the paper's tint 0: at least this is pen colour
    if cv2.minMaxLoc(blue_minus_red)[1] < level:
        return []  # no pen colour anywhere: the mask is empty
    coloured = cv2.threshold(blue_minus_red, level - 1, 1, cv2.THRESH_BINARY,
                             dst=_scratch.get("coloured", blue_minus_red.shape))[1]
    # The scan's pen-coloured pixels by stretches of rows (gaps under GAP_ROWS joined), each
    # stretch with the columns it holds them in: a rectangle of the scan, and where its corners
    # land on the page spans where it lands.
    rows = np.flatnonzero(coloured.any(axis=1))  # (NumPy: cv2.reduce of uint8 is far slower)
    breaks = np.flatnonzero(np.diff(rows) > GAP_ROWS)
    corners = []
    for r0, r1 in zip(rows[np.r_[0, breaks + 1]].tolist(), rows[np.r_[breaks, rows.size - 1]].tolist()):
        columns = np.flatnonzero(coloured[r0:r1 + 1].any(axis=0))
        c0, c1 = int(columns[0]), int(columns[-1])
        corners += [(c0, r0), (c1, r0), (c0, r1), (c1, r1)]
    landed = cv2.perspectiveTransform(np.float32(corners).reshape(-1, 1, 2), from_crop).reshape(-1, 4, 2)[..., 1]
    reach = 3 + math.ceil(SAMPLE_STEP / max(spacing, 1e-6))  # a scan pixel's interpolation reach, page pixels
    low, high = landed.min(axis=1), landed.max(axis=1)
    keep = (high >= -reach) & (low < h + reach)
    low, high = low[keep], high[keep]
    # Each band from the lowest to the highest a pixel may reach, counted with a running sum.
    starts = np.clip(np.floor(low).astype(np.int64) - reach, 0, h - 1) // BAND_PX
    ends = np.clip(np.ceil(high).astype(np.int64) + reach, 0, h - 1) // BAND_PX + 1
    count = -(-h // BAND_PX)
    steps = np.bincount(starts, minlength=count + 1)[:count + 1] - np.bincount(ends, minlength=count + 1)[:count + 1]
    used = np.cumsum(steps)[:count] > 0
    bands, start = [], None
    for i, on in enumerate(used.tolist() + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            bands.append((start * BAND_PX, min(h, i * BAND_PX)))
            start = None
    return bands
