"""Page-sized working arrays reused from page to page, and the pixel helpers every stage uses."""

from __future__ import annotations

import functools
import math
import threading

import cv2
import numpy as np

from .profiles import Profile


class _Scratch(threading.local):
    """Page-sized working arrays, reused from one page to the next (one set per thread).

    A fresh 1 MB array costs some 250 page faults the first time it is written, and a page
    needs a dozen of them: more time than the arithmetic done in them. Nothing in a Reading
    may point into these arrays (the warped page it keeps is always a fresh array).
    """

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.boxes: dict[str, tuple] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype=np.uint8) -> np.ndarray:
        array = self.arrays.get(name)
        if array is None or array.shape != tuple(shape) or array.dtype != dtype:
            array = self.arrays[name] = np.empty(shape, dtype)
        return array

    def page_box(self, name: str, shape: tuple[int, int], box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """A page-sized uint8 array that is 0 outside box (y0, y1, x0, x1), and its box (a view to
        compute in: OpenCV writes into it, so the box's values need no copy into the page)."""
        key = (shape, box)
        if self.boxes.get(name) != key:
            self.arrays[name] = np.zeros(shape, np.uint8)  # zeroed once per page size and box
            self.boxes[name] = key
        page = self.arrays[name]
        y0, y1, x0, x1 = box
        return page, page[y0:y1, x0:x1]

    def view(self, name: str, shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
        """An array of any shape, cut from one buffer that only ever grows."""
        size = math.prod(shape)
        array = self.arrays.get(name)
        if array is None or array.size < size or array.dtype != dtype:
            array = self.arrays[name] = np.empty(max(size, 0 if array is None else array.size), dtype)
        return array[:size].reshape(shape)


_scratch = _Scratch()


def _shifted_band(mask: np.ndarray, row, shift: tuple[int, int]) -> np.ndarray:
    """The row's band of a page-sized mask, moved by the row's re-alignment shift (dx, dy)."""
    dx, dy = shift
    y0, y1, x0, x1 = row.band
    return mask[y0 + dy:y1 + dy, x0 + dx:x1 + dx]


def _at_least(grey: np.ndarray, level: float, dst: np.ndarray | None = None) -> np.ndarray:
    """1 where a grey level is at least `level`, else 0 (uint8)."""
    # For integer grey values, g >= level is g > ceil(level) - 1: OpenCV's binary threshold.
    return cv2.threshold(grey, math.ceil(level) - 1, 1, cv2.THRESH_BINARY, dst=dst)[1]


def _below(grey: np.ndarray, level: float, dst: np.ndarray | None = None) -> np.ndarray:
    """1 where a grey level is below `level`, else 0 (uint8)."""
    # For integer grey values, g < level is g <= ceil(level) - 1: OpenCV's inverse threshold.
    return cv2.threshold(grey, math.ceil(level) - 1, 1, cv2.THRESH_BINARY_INV, dst=dst)[1]


def _percentile(grey: np.ndarray, q: float, step: int = 4) -> float:
    """A grey-level percentile (the lower one between two levels) of 8-bit levels, from their
    histogram, over every `step`th pixel of every `step`th row (4: plenty for the paper's white);
    0 for no pixel."""
    if not grey.size:
        return 0.0
    hist = cv2.calcHist([np.ascontiguousarray(grey[::step, ::step])], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(hist)
    return float(np.searchsorted(cumulative, q * cumulative[-1]))


def _median(values: np.ndarray) -> float:
    """np.median of a non-empty array without NaNs (same value), without its overhead."""
    ordered = np.sort(values)
    middle = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def _sorted_percentile(values: np.ndarray, q: float) -> float:
    """np.percentile's default (linear) method on an already sorted array, without its overhead."""
    position = q * (values.size - 1)
    below = int(math.floor(position))
    above = min(below + 1, values.size - 1)
    a, b, t = float(values[below]), float(values[above]), position - below
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _column_cumsum(per_column: np.ndarray) -> np.ndarray:
    """Running sums along the columns with a leading 0: any column range's sum in two lookups."""
    sums = np.zeros((per_column.shape[0], per_column.shape[1] + 1), np.int64)
    np.cumsum(per_column, axis=1, out=sums[:, 1:])
    return sums


def _longest_runs(mask: np.ndarray) -> np.ndarray:
    """The longest run of ink in each row of a mask."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)  # (np.pad and np.diff cost more than the arithmetic)
    padded[:, 1:-1] = mask
    steps = padded[:, 1:] - padded[:, :-1]
    starts, ends = np.nonzero(steps == 1), np.nonzero(steps == -1)[1]
    longest = np.zeros(h, np.int32)
    np.maximum.at(longest, starts[0], ends - starts[1])
    return longest


def _parts_touching(mask: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The parts (8-connected) of a 0/1 mask with a pixel where `where` is nonzero, as 0/1."""
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    keep = np.zeros(count, bool)
    keep[labels[(mask > 0) & (where > 0)]] = True
    keep[0] = False
    return keep[labels].astype(np.uint8)


def _groups(flags: np.ndarray) -> int:
    """The number of runs of True in a 1-D boolean array."""
    padded = np.concatenate(([False], flags))
    return int(np.count_nonzero(padded[1:] & ~padded[:-1]))


def _source_rect(forward: np.ndarray, size: tuple[int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the image pixels a warp by `forward` to `size` (w, h) samples (+2 px)."""
    w, h = size
    corners = np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]])
    quad = cv2.perspectiveTransform(corners, np.linalg.inv(forward)).reshape(4, 2)
    x0, y0 = np.floor(quad.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 3
    x0, y0 = min(max(0, x0), shape[1] - 1), min(max(0, y0), shape[0] - 1)  # never empty: the
    return x0, y0, max(min(shape[1], x1), x0 + 1), max(min(shape[0], y1), y0 + 1)  # border fills the rest


def _two_levels(grey: np.ndarray) -> bool:
    """A bitonal capture (black and white only, before any resampling)."""
    hist = cv2.calcHist([np.ascontiguousarray(grey[::8, ::8])], [0], None, [256], [0, 256]).ravel()
    return float(hist[32:224].sum()) < 0.01 * float(hist.sum())


def _ink_fraction(grey: np.ndarray, profile: Profile) -> float:
    small = np.ascontiguousarray(grey[::2, ::2])  # sampled, not averaged: thin ink must survive
    paper = _percentile(small, 0.90)
    return float((small < paper * profile.ink.ink_level).mean())


def _flatten(grey: np.ndarray) -> np.ndarray:
    """Divide by the paper's brightness, estimated at low resolution without the ink."""
    small = cv2.resize(grey, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    background = cv2.dilate(small, np.ones((5, 5), np.uint8))
    background = cv2.GaussianBlur(background, (0, 0), 3)
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, background, scale=255)


def _halved(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)


LINE_SLOPES = tuple(np.linspace(-0.2, 0.2, 9))  # rise per column: lines up to about 11 degrees


@functools.lru_cache(maxsize=256)
def sheared_rows(a0: int, a1: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Per slope (LINE_SLOPES), scanline (a0 to a1 of a row band `height` high) and column (of a
    name `width` wide): the band row along lines of that slope through the name's middle
    (clipped to the band), and whether that row lies inside the band (1.0 or 0.0). The
    pale-line and the dark-line checks sum along these lines (`faintline`, `darkline`)."""
    centred = np.arange(width) - width / 2
    rise = np.round(np.multiply.outer(LINE_SLOPES, centred)).astype(np.int64)  # (slope, column)
    rows = np.arange(a0, a1)[None, :, None] + rise[:, None, :]
    inside = ((rows >= 0) & (rows < height)).astype(np.float32)
    return np.clip(rows, 0, height - 1), inside
