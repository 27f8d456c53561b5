"""Simple pen marks drawn on rendered ballots, in millimetres (the synthetic module does more)."""

from __future__ import annotations

import cv2
import numpy as np

PEN = (140, 50, 20)  # blue ballpoint (BGR)
SEAL_RED = (40, 30, 200)


def px(mm: float, dpi: float) -> int:
    return int(round(mm * dpi / 25.4))


def line(img, dpi, p0, p1, thick_mm=0.5, colour=PEN):
    cv2.line(img, (px(p0[0], dpi), px(p0[1], dpi)), (px(p1[0], dpi), px(p1[1], dpi)), colour,
             max(1, px(thick_mm, dpi)), cv2.LINE_AA)


def strike(img, layout, dpi, cid, slope=0.0, thick_mm=0.5, extend_mm=2.0):
    """A line through the middle of the name, past both ends."""
    row = layout.row(cid)
    x, _, w, _ = row.name_mm
    y = row.name.baseline - 0.33 * row.name.size
    half = (w / 2 + extend_mm) * slope
    line(img, dpi, (x - extend_mm, y - half), (x + w + extend_mm, y + half), thick_mm)


def underline(img, layout, dpi, cid, below_mm=0.7):
    row = layout.row(cid)
    x, _, w, _ = row.name_mm
    y = row.name.baseline + below_mm
    line(img, dpi, (x, y), (x + w, y))


def cross(img, dpi, box):
    x, y, w, h = box
    line(img, dpi, (x + 0.8, y + 0.8), (x + w - 0.8, y + h - 0.8))
    line(img, dpi, (x + w - 0.8, y + 0.8), (x + 0.8, y + h - 0.8))


def seal(img, layout, dpi):
    x, y, w, h = layout.stamp_mm
    centre = (px(x + w / 2, dpi), px(y + h / 2, dpi))
    cv2.circle(img, centre, px(14, dpi), SEAL_RED, px(1.2, dpi))
    cv2.circle(img, centre, px(9, dpi), SEAL_RED, px(0.6, dpi))
    cv2.putText(img, "UBND", (centre[0] - px(6, dpi), centre[1] + px(1.5, dpi)), cv2.FONT_HERSHEY_SIMPLEX,
                dpi / 200, SEAL_RED, max(1, px(0.4, dpi)))


def streak(img, x_mm, dpi, grey=90):
    x = px(x_mm, dpi)
    img[:, x:x + 2] = grey


def margin_writing(img, layout, dpi):
    """A few handwritten-looking words at the bottom of the page, away from every row."""
    y = layout.paper.height - 14
    cv2.putText(img, "Dong y het", (px(60, dpi), px(y, dpi)), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                dpi / 110, PEN, max(1, px(0.4, dpi)), cv2.LINE_AA)


def jpeg(img, quality=85) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def png(img) -> bytes:
    return cv2.imencode(".png", img)[1].tobytes()


def scanner_blur(img, sigma=0.7):
    return cv2.GaussianBlur(img, (0, 0), sigma)


def rotate(img, quarter_turns: int):
    return np.ascontiguousarray(np.rot90(img, quarter_turns))
