"""Pens and ink: strokes drawn on a ballot image the way ink lies on paper.

Ink is subtractive: a pixel under ink keeps ``paper * (1 - a + a * ink / 255)`` per channel, so a
stroke over printed black text stays black and blue over red turns dark. Each stroke is drawn on a
small float mask around its own bounding box (never the whole page), which keeps a ballot with a
dozen marks to a few milliseconds at 200 dpi.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MM_PER_INCH = 25.4
_SHIFT = 4  # cv2 fixed-point bits: sub-pixel stroke positions
_SCALE = 1 << _SHIFT


def mm_to_px(mm: float, dpi: float) -> float:
    return mm * dpi / MM_PER_INCH


def box_to_px(box_mm, dpi: float) -> tuple[float, float, float, float]:
    """``[x, y, w, h]`` in mm -> ``(x0, y0, x1, y1)`` in pixels (floats)."""
    x, y, w, h = box_mm
    return (mm_to_px(x, dpi), mm_to_px(y, dpi), mm_to_px(x + w, dpi), mm_to_px(y + h, dpi))


@dataclass(frozen=True)
class Pen:
    """A writing instrument: ink colour (B, G, R), nominal stroke width, opacity, pressure wobble."""

    name: str
    color: tuple[int, int, int]
    width_mm: float
    opacity: float
    pressure: float  # 0 = even line; 0.5 = opacity and width vary by up to half along the stroke


# name, (B, G, R), width mm, opacity, pressure variation
PEN_MODELS: tuple[tuple[str, tuple[int, int, int], float, float, float], ...] = (
    ("blue_ballpoint", (150, 60, 25), 0.40, 0.85, 0.35),
    ("blue_ballpoint_faint", (170, 95, 60), 0.35, 0.60, 0.45),
    ("black_ballpoint", (45, 40, 40), 0.40, 0.85, 0.35),
    ("blue_gel", (185, 75, 15), 0.55, 0.90, 0.15),
    ("black_felt", (30, 30, 30), 0.80, 0.95, 0.10),
    ("thin_black", (50, 45, 45), 0.25, 0.75, 0.30),
    ("thick_blue_marker", (160, 70, 20), 1.20, 0.90, 0.10),
    ("purple_ballpoint", (140, 50, 90), 0.40, 0.85, 0.35),
)
PEN_WEIGHTS = (0.34, 0.08, 0.22, 0.10, 0.08, 0.08, 0.04, 0.06)


def random_pen(rng: np.random.Generator) -> Pen:
    """A pen model with per-voter colour noise (ink batches and paper differ)."""
    i = int(rng.choice(len(PEN_MODELS), p=PEN_WEIGHTS))
    name, color, width, opacity, pressure = PEN_MODELS[i]
    noisy = tuple(int(np.clip(c + rng.normal(0, 12), 0, 255)) for c in color)
    return Pen(
        name=name,
        color=noisy,
        width_mm=width * float(rng.uniform(0.85, 1.2)),
        opacity=float(np.clip(opacity * rng.uniform(0.9, 1.08), 0.3, 1.0)),
        pressure=pressure,
    )


SEAL_INK = Pen("seal_red", (45, 35, 200), 0.5, 0.85, 0.0)


def smooth_noise(n: int, rng: np.random.Generator, knots: int = 6) -> np.ndarray:
    """``n`` values in about [-1, 1] that vary slowly: a hand's pressure along one stroke."""
    k = max(2, knots)
    return np.interp(np.linspace(0, k - 1, n), np.arange(k), rng.uniform(-1, 1, k))


def blend_ink(image: np.ndarray, mask: np.ndarray, x0: int, y0: int, color) -> None:
    """Multiply ink of opacity ``mask`` (float32 0..1, placed at x0, y0) into ``image`` in place."""
    h, w = mask.shape
    H, W = image.shape[:2]
    ax0, ay0, ax1, ay1 = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if ax0 >= ax1 or ay0 >= ay1:
        return
    m = mask[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0]
    roi = image[ay0:ay1, ax0:ax1]
    if roi.ndim == 2:
        factor = 1.0 - m * (1.0 - (0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]) / 255.0)
        roi[...] = np.clip(roi * factor + 0.5, 0, 255).astype(np.uint8)
        return
    tint = 1.0 - np.asarray(color, np.float32) / 255.0
    factor = 1.0 - m[..., None] * tint[None, None, :]
    roi[...] = np.clip(roi * factor + 0.5, 0, 255).astype(np.uint8)


def draw_strokes(
    image: np.ndarray,
    strokes: list[np.ndarray],
    pen: Pen,
    dpi: float,
    rng: np.random.Generator,
) -> None:
    """Draw polylines (each an (N, 2) float array of pixel points) with ``pen`` into ``image``."""
    strokes = [np.asarray(s, np.float64) for s in strokes if len(s) >= 2]
    if not strokes:
        return
    width_px = max(1.0, mm_to_px(pen.width_mm, dpi))
    pad = int(width_px * 2 + 4)
    allpts = np.vstack(strokes)
    x0 = int(np.floor(allpts[:, 0].min())) - pad
    y0 = int(np.floor(allpts[:, 1].min())) - pad
    x1 = int(np.ceil(allpts[:, 0].max())) + pad
    y1 = int(np.ceil(allpts[:, 1].max())) + pad
    # 8-bit mask: OpenCV anti-aliases only 8-bit images.
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for pts in strokes:
        pts = _resample(pts, step=max(1.5, width_px))
        n = len(pts)
        wobble = smooth_noise(n, rng, knots=max(2, n // 12))
        # Ballpoints start and end light (the ball has to roll) and vary with pressure.
        ends = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / 3.0 + 0.55)
        alpha = np.clip(pen.opacity * (1 - pen.pressure * 0.5 * (wobble + 1) * 0.6) * ends, 0.15, 1.0)
        thick = np.clip(width_px * (1 + pen.pressure * 0.5 * wobble), 1.0, None)
        fixed = np.round((pts - (x0, y0)) * _SCALE).astype(np.int32)
        for i in range(n - 1):
            cv2.line(
                mask,
                (int(fixed[i, 0]), int(fixed[i, 1])),
                (int(fixed[i + 1, 0]), int(fixed[i + 1, 1])),
                int(alpha[i] * 255),
                max(1, int(round(thick[i]))),
                cv2.LINE_AA,
                _SHIFT,
            )
    blend_ink(image, mask.astype(np.float32) * (1 / 255), x0, y0, pen.color)


def _resample(pts: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` pixels along the polyline, so pressure varies smoothly with length."""
    seg = np.hypot(*np.diff(pts, axis=0).T)
    total = float(seg.sum())
    if total < step * 2:
        return pts
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.linspace(0.0, total, int(total / step) + 1)
    return np.column_stack([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])])
