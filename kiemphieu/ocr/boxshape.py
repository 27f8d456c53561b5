"""Stage 4b, a marked box's shape: its ink's edges at fine resolution (box by box, and stacked).

At the working resolution a thick pen's X merges into rows of ink that look one way; at
FINE_PX_PER_MM its two arms show. These measures tell an X from a scribble, a blacked-out box
or a mark struck through (`boxes.box_state`)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .arrays import _longest_runs
from .template import Template

FINE_PX_PER_MM = 8.0  # about 200 dpi: a pen's strokes in a 6 mm box resolved whatever work_dpi is


_VERTICAL_3 = np.ones((3, 1), np.uint8)


_DIAGONAL_SPLIT = math.tan(math.radians(22.5))


def _fine_box(ctx, template: Template, row, shift, box) -> np.ndarray:
    """The inside of a box warped from the decoded scan itself at FINE_PX_PER_MM (grey).

    At the working resolution a 6 mm box is some 17 pixels inside its border: a thick pen's
    strokes merge. The scan usually holds twice as many; only the box's own pixels are warped."""
    y0, y1, x0, x1 = box
    by0, _, bx0, _ = row.band
    dx, dy = shift
    k, r = template.k, FINE_PX_PER_MM
    left, top = (bx0 + dx + x0) / k, (by0 + dy + y0) / k  # mm: working pixel j spans [j/k, (j+1)/k)
    size = (max(1, int(round((x1 - x0) / k * r))), max(1, int(round((y1 - y0) / k * r))))
    to_fine = np.array([[r, 0, -r * left - 0.5], [0, r, -r * top - 0.5], [0, 0, 1.0]]) @ ctx.page_to_mm
    return cv2.warpPerspective(ctx.grey, to_fine, size, flags=cv2.INTER_LINEAR, borderValue=255)


def _stroke_directions(fine: np.ndarray, ink_level: float) -> dict[str, float]:
    """How the ink's edges run in a box (fine grey crop): shares of the edge strength along
    horizontal edges (a line struck across), vertical edges, and the two diagonals (an X), and
    how evenly the diagonal edges go both ways (an X's two arms; strokes one way: a scribble).

    An X's outline runs along its two diagonals whatever the pen's width; lines struck through
    it to cancel it add long horizontal edges (their top and bottom), which nothing in an X has
    more of than vertical ones."""
    g = cv2.GaussianBlur(fine, (3, 3), 0).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)[1:-1, 1:-1]
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1]
    mag = np.hypot(gx, gy)
    total = float(mag.sum()) or 1.0
    ax, ay = np.abs(gx), np.abs(gy)
    flat, upright = ax < _DIAGONAL_SPLIT * ay, ay < _DIAGONAL_SPLIT * ax  # gradient up or down; sideways
    horizontal = float(mag[flat].sum()) / total
    vertical = float(mag[upright].sum()) / total
    diagonal = ~(flat | upright)  # (no NaN: the same as both comparisons reversed)
    falling = float(mag[diagonal & (gx * gy < 0)].sum())  # edges along "\\" (y grows downwards)
    rising = float(mag[diagonal].sum()) - falling
    # The longest horizontal edge: a line struck across the box has one as long as itself, an
    # X's edges run along its arms, and only short bits (wobbles, the pen's ends) lie level.
    level = flat & (mag >= 0.3 * float(mag.max()))
    level = cv2.dilate(level.view(np.uint8), _VERTICAL_3)
    run = _longest_run(level) / level.shape[1] if level.size else 0.0
    return {"edge_excess": horizontal - vertical, "edge_diagonal": 1.0 - horizontal - vertical,
            "edge_run": run,
            "edge_balance": min(falling, rising) / max(falling + rising, 1e-6),
            "fine_fill": float((fine < ink_level).mean())}


def _longest_run(mask: np.ndarray) -> int:
    """The longest run of ink in any row of a small mask (rows kept apart by a zero column)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    steps = flat[1:] - flat[:-1]
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    return int((ends - starts).max()) if starts.size else 0


def stacked_stroke_directions(fines: list[np.ndarray], ink_level: float) -> list[dict[str, float]]:
    """`_stroke_directions` of every fine box, the boxes of one shape stacked: the blur, the
    gradients and every comparison made once over the stack, only the sums box by box (each the
    same float32 sum of the same values in the same order: the same numbers).

    Each box is framed by its own reflected border (what the blur's border gives a box alone),
    so the blur of the stack equals each box's own blur; the gradients are kept one pixel inside
    each box, where they see that box's blur only (and on 8-bit levels they are exact integers
    in float32, whatever the order of the arithmetic)."""
    out: list[dict | None] = [None] * len(fines)
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, fine in enumerate(fines):
        groups.setdefault(fine.shape, []).append(i)
    for (h, w), indices in groups.items():
        if h < 3 or w < 3 or len(indices) == 1:
            for i in indices:
                out[i] = _stroke_directions(fines[i], ink_level)
            continue
        for i, shape in zip(indices, _stack_directions([fines[i] for i in indices], ink_level)):
            out[i] = shape
    return out


def _stack_directions(fines: list[np.ndarray], ink_level: float) -> list[dict[str, float]]:
    n, (h, w) = len(fines), fines[0].shape
    framed = np.empty((n, h + 2, w + 2), np.uint8)
    stack = framed[:, 1:-1, 1:-1]
    for j, fine in enumerate(fines):
        stack[j] = fine
    framed[:, 0, 1:-1], framed[:, -1, 1:-1] = framed[:, 2, 1:-1], framed[:, -3, 1:-1]  # BORDER_REFLECT_101
    framed[:, :, 0], framed[:, :, -1] = framed[:, :, 2], framed[:, :, -3]
    blurred = cv2.GaussianBlur(framed.reshape(n * (h + 2), w + 2), (3, 3), 0).astype(np.float32)
    # Box pixel (i, j) is framed pixel (i + 1, j + 1); its gradient is kept for 1 <= i < h - 1.
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3).reshape(n, h + 2, w + 2)[:, 2:-2, 2:-2]
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3).reshape(n, h + 2, w + 2)[:, 2:-2, 2:-2]
    mag = _hypot_of_levels(gx, gy)
    ax, ay = np.abs(gx), np.abs(gy)
    flat, upright = ax < _DIAGONAL_SPLIT * ay, ay < _DIAGONAL_SPLIT * ax
    diagonal = ~(flat | upright)
    falling_mask = diagonal & (gx * gy < 0)
    sums = {name: _sums_per_box(mag, mask) for name, mask in
            (("flat", flat), ("upright", upright), ("falling", falling_mask), ("diagonal", diagonal))}
    peaks = mag.reshape(n, -1).max(axis=1)
    # The comparison each box made with its Python float (0.3 * its peak): in float32 (NumPy
    # casts the scalar), so the float64 products are rounded to float32 here.
    cut = (0.3 * peaks.astype(np.float64)).astype(np.float32).reshape(n, 1, 1)
    runs = _longest_run_per_box(flat & (mag >= cut))
    inked = np.count_nonzero(stack < ink_level, axis=(1, 2))
    out = []
    for j in range(n):
        total = float(mag[j].sum()) or 1.0
        horizontal = sums["flat"][j] / total
        vertical = sums["upright"][j] / total
        falling = sums["falling"][j]
        rising = sums["diagonal"][j] - falling
        out.append({"edge_excess": horizontal - vertical, "edge_diagonal": 1.0 - horizontal - vertical,
                    "edge_run": int(runs[j]) / (w - 2),
                    "edge_balance": min(falling, rising) / max(falling + rising, 1e-6),
                    "fine_fill": int(inked[j]) / (h * w)})
    return out


def _sums_per_box(values: np.ndarray, mask: np.ndarray) -> list[float]:
    """float(values[j][mask[j]].sum()) of each box j: one gather, then each box's own sum."""
    counts = np.count_nonzero(mask, axis=(1, 2))
    chosen = values[mask]
    ends = np.cumsum(counts).tolist()
    return [float(chosen[a:b].sum()) for a, b in zip([0] + ends[:-1], ends)]


def _hypot_of_levels(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """np.hypot(gx, gy) of the gradients of 8-bit levels: integers of at most 4 * 255, so
    gx² + gy² is exact in float32 (< 2**24) and its float32 square root is the correctly rounded
    hypotenuse, which hypot gives too (tests/ocr/test_box_shape_stacked.py checks every pair);
    a third of hypot's cost."""
    out = np.multiply(gx, gx)
    out += gy * gy
    return np.sqrt(out, out=out)


def _longest_run_per_box(level: np.ndarray) -> np.ndarray:
    """`_longest_run` of each box of a boolean stack (n, h, w), each grown a pixel up and down
    first (as `_stroke_directions` does): the boxes dilated as one image with a blank row
    between them, then every row's runs found in one pass (rows kept apart by a zero column)."""
    n, h, w = level.shape
    spaced = np.zeros((n, h + 1, w + 1), np.uint8)
    spaced[:, :h, :w] = level
    grown = cv2.dilate(spaced.reshape(n * (h + 1), w + 1), _VERTICAL_3).reshape(n, h + 1, w + 1)
    grown[:, h] = 0  # (the blank row took its neighbours' ink; the zero column stays zero)
    flat = np.zeros(grown.size + 1, np.int8)
    flat[1:] = grown.ravel()
    steps = np.diff(flat)
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    longest = np.zeros(n, np.int64)
    np.maximum.at(longest, starts // ((h + 1) * (w + 1)), ends - starts)
    return longest
