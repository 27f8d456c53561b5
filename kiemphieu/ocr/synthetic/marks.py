"""Shapes a voter (or the committee, or the paper) leaves on a ballot, in pixel coordinates.

Each function takes the printed box ``(x0, y0, x1, y1)`` in pixels, the dpi and a seeded
generator, and returns strokes: a list of (N, 2) float arrays for :func:`ink.draw_strokes`.
Hands are not rulers, so every stroke gets a slow wobble.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from .ink import SEAL_INK, blend_ink, mm_to_px, smooth_noise

Box = tuple[float, float, float, float]

# Strike-form kinds. PLAIN kinds are what a voter is told to do; the rest must never be read as a
# definite strike unless the truth says so.
PLAIN_STRIKES = ("straight", "slanted", "wavy", "double", "overshoot")
OTHER_STRIKES = ("zigzag", "steep")  # clearly struck, but not "plain": may go to review
AMBIGUOUS_ROW_MARKS = ("partial", "tick", "circle", "correction")
KEPT_ROW_MARKS = ("underline", "dot")  # clearly not a strike: kept or review, never struck

PLAIN_BOX_MARKS = ("x",)
OTHER_BOX_MARKS = ("tick",)  # a tick in one box is a clear choice, may go to review
AMBIGUOUS_BOX_MARKS = ("scribble", "correction")

# A partial strike covering less than this share of the name is not a strike a committee would
# count without looking: truth "ambiguous".
PARTIAL_LIMIT = 0.60


def _line(p, q, n: int = 24) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return np.asarray(p, float) * (1 - t) + np.asarray(q, float) * t


def _hand(pts: np.ndarray, rng: np.random.Generator, amp_px: float) -> np.ndarray:
    """Add a slow perpendicular tremor of about ``amp_px`` pixels."""
    d = pts[-1] - pts[0]
    length = float(np.hypot(*d)) or 1.0
    normal = np.array([-d[1], d[0]]) / length
    wob = smooth_noise(len(pts), rng, knots=max(3, int(length / 60))) * amp_px
    return pts + wob[:, None] * normal[None, :]


def text_lines(box: Box, baseline: float | None = None, font: float | None = None) -> tuple[float, float]:
    """(baseline, font size) in pixels: given by the layout, or estimated from the name box,
    which runs from the stacked diacritics (ascent ~0.89 em) to the descenders (~0.22 em)."""
    x0, y0, x1, y1 = box
    if font is None:
        font = (y1 - y0) / 1.107
    if baseline is None:
        baseline = y1 - 0.216 * font
    return baseline, font


def strike(box: Box, kind: str, dpi: float, rng: np.random.Generator, baseline: float | None = None,
           font: float | None = None) -> list[np.ndarray]:
    """A strike through the name in ``box`` (pixels). ``kind`` is one of PLAIN_STRIKES, zigzag or
    steep. A hand strikes through the middle of the lowercase letters (about 0.26 em above the
    baseline); a plain slanted stroke keeps both ends between the baseline and the cap height."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    baseline, font = text_lines(box, baseline, font)
    centre = baseline - 0.26 * font
    cy = centre + float(np.clip(rng.normal(0, 0.06), -0.13, 0.13)) * font
    mm = mm_to_px(1.0, dpi)
    # A voter strikes through the whole name: start and end within a few percent of its ends.
    sx = x0 + rng.uniform(-0.06, 0.015) * w
    ex = x1 - rng.uniform(-0.06, 0.015) * w
    tremor = rng.uniform(0.15, 0.5) * mm
    if kind == "straight":
        tilt = math.tan(math.radians(rng.uniform(-2, 2)))
        half = (ex - sx) / 2
        pts = _line((sx, cy - tilt * half), (ex, cy + tilt * half), 40)
        return [_hand(pts, rng, tremor)]
    if kind in ("slanted", "steep"):
        # slanted: up to 15 degrees, both ends within the letters (baseline to cap height);
        # steep: 15 degrees whatever the name's length, ends well outside the letters.
        angle = rng.uniform(4, 15) if kind == "slanted" else rng.uniform(12, 16)
        half_rise = math.tan(math.radians(angle)) * (ex - sx) / 2
        if kind == "slanted":
            half_rise = min(half_rise, 0.3 * font)
        else:
            half_rise = max(half_rise, 0.8 * font)
        half_rise *= 1 if rng.random() < 0.5 else -1
        cy = baseline - 0.33 * font
        pts = _line((sx, cy + half_rise), (ex, cy - half_rise), 40)
        return [_hand(pts, rng, tremor)]
    if kind == "wavy":
        amp = rng.uniform(0.12, 0.28) * h
        period = rng.uniform(2.0, 5.0) * mm
        xs = np.linspace(sx, ex, max(40, int((ex - sx) / 2)))
        phase = rng.uniform(0, 2 * math.pi)
        ys = cy + amp * np.sin((xs - sx) / period * 2 * math.pi + phase)
        return [np.column_stack([xs, ys])]
    if kind == "double":
        gap = rng.uniform(0.18, 0.35) * h
        a = _line((sx, cy - gap / 2), (ex, cy - gap / 2 + rng.normal(0, 0.05) * h), 40)
        b = _line(
            (sx + rng.uniform(-0.03, 0.03) * w, cy + gap / 2),
            (ex + rng.uniform(-0.03, 0.03) * w, cy + gap / 2 + rng.normal(0, 0.05) * h),
            40,
        )
        return [_hand(a, rng, tremor), _hand(b, rng, tremor)]
    if kind == "overshoot":
        left = rng.uniform(2, 10) * mm if rng.random() < 0.7 else 0.0
        right = rng.uniform(2, 12) * mm if (left == 0 or rng.random() < 0.7) else 0.0
        pts = _line((sx - left, cy), (ex + right, cy + rng.normal(0, 0.06) * h), 50)
        return [_hand(pts, rng, tremor)]
    if kind == "zigzag":
        teeth = max(3, int(w / (rng.uniform(3, 6) * mm)))
        xs = np.linspace(sx, ex, teeth * 2 + 1)
        amp = rng.uniform(0.2, 0.35) * h
        ys = cy + amp * np.where(np.arange(len(xs)) % 2 == 0, -1, 1)
        return [np.column_stack([xs, ys])]
    raise ValueError(f"unknown strike kind {kind!r}")


def partial_strike(box: Box, dpi: float, rng: np.random.Generator, baseline: float | None = None,
                   font: float | None = None) -> tuple[list[np.ndarray], float]:
    """A straight stroke over only part of the name; returns strokes and the share covered."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    baseline, font = text_lines(box, baseline, font)
    share = float(rng.uniform(0.15, PARTIAL_LIMIT - 0.08))
    start = x0 + rng.uniform(0, 1 - share) * w
    cy = baseline - 0.26 * font + rng.normal(0, 0.05) * font
    pts = _line((start, cy), (start + share * w, cy + rng.normal(0, 0.04) * h), 30)
    return [_hand(pts, rng, rng.uniform(0.15, 0.4) * mm_to_px(1, dpi))], share


def tick(box: Box, dpi: float, rng: np.random.Generator, size_mm: float | None = None) -> list[np.ndarray]:
    """A check mark over part of the box (a name or a tick box)."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    size = mm_to_px(size_mm, dpi) if size_mm else h * rng.uniform(0.9, 1.5)
    cx = rng.uniform(x0 + size * 0.4, max(x0 + size * 0.4 + 1, x1 - size * 0.6))
    cy = (y0 + y1) / 2 + rng.normal(0, 0.1) * h
    a = (cx - size * 0.45, cy - size * 0.05)
    b = (cx - size * 0.15, cy + size * 0.4)
    c = (cx + size * 0.55, cy - size * 0.6)
    pts = np.vstack([_line(a, b, 10), _line(b, c, 20)[1:]])
    return [pts + rng.normal(0, 0.3, pts.shape)]


def underline(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """A line just under the name (below its descenders): not a strike."""
    x0, y0, x1, y1 = box
    w = x1 - x0
    mm = mm_to_px(1, dpi)
    y = y1 + rng.uniform(0.6, 1.6) * mm
    sx = x0 + rng.uniform(-0.05, 0.15) * w
    ex = x1 - rng.uniform(-0.05, 0.15) * w
    pts = _line((sx, y), (ex, y + rng.normal(0, 0.2) * mm), 40)
    return [_hand(pts, rng, 0.2 * mm)]


def circle(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """An ellipse drawn around the name, often not quite closed."""
    x0, y0, x1, y1 = box
    mm = mm_to_px(1, dpi)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx = (x1 - x0) / 2 + rng.uniform(1.5, 4) * mm
    ry = (y1 - y0) / 2 + rng.uniform(0.8, 2.0) * mm
    start = rng.uniform(0, 2 * math.pi)
    sweep = 2 * math.pi * rng.uniform(0.9, 1.08)
    t = np.linspace(start, start + sweep, 120)
    tilt = math.radians(rng.uniform(-3, 3))
    ex, ey = rx * np.cos(t), ry * np.sin(t)
    xs = cx + ex * math.cos(tilt) - ey * math.sin(tilt)
    ys = cy + ex * math.sin(tilt) + ey * math.cos(tilt)
    pts = np.column_stack([xs, ys])
    return [pts + smooth_noise(len(pts), rng, 8)[:, None] * 0.4 * mm]


def dot(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """A pen rested on the paper: a short blob inside the name box."""
    x0, y0, x1, y1 = box
    mm = mm_to_px(1, dpi)
    cx = rng.uniform(x0, x1)
    cy = rng.uniform(y0, y1)
    r = rng.uniform(0.2, 0.45) * mm
    t = np.linspace(0, 4 * math.pi, 20)
    return [np.column_stack([cx + r * np.cos(t) * t / 12, cy + r * np.sin(t) * t / 12])]


def correction(box: Box, dpi: float, rng: np.random.Generator, baseline: float | None = None,
               font: float | None = None) -> list[np.ndarray]:
    """A strike the voter took back: struck, then scribbled over or circled back."""
    return correction_and_kind(box, dpi, rng, baseline, font)[0]


def correction_and_kind(box: Box, dpi: float, rng: np.random.Generator, baseline: float | None = None,
                        font: float | None = None) -> tuple[list[np.ndarray], str]:
    """`correction`'s strokes, and what took the strike back: "circle" or "loops"."""
    strokes = strike(box, "straight", dpi, rng, baseline, font)
    if rng.random() < 0.5:
        return strokes + circle(box, dpi, rng), "circle"
    x0, y0, x1, y1 = box
    h = y1 - y0
    mm = mm_to_px(1, dpi)
    # Small loops along the stroke: "ignore this line".
    cx0 = rng.uniform(x0, (x0 + x1) / 2)
    n = 5 + int(rng.integers(0, 5))
    t = np.linspace(0, n * 2 * math.pi, n * 16)
    xs = cx0 + t / (2 * math.pi) * 1.6 * mm + np.cos(t) * 0.9 * mm
    ys = (y0 + y1) / 2 + np.sin(t) * 0.45 * h
    return strokes + [np.column_stack([xs, ys])], "loops"


def x_mark(box: Box, dpi: float, rng: np.random.Generator, size: tuple[float, float] = (0.6, 1.1),
           strokes: int = 2) -> list[np.ndarray]:
    """An X in a tick box: two diagonals, ``size`` (60-110%) of the box, a little off centre.
    ``strokes``: 2 (one per diagonal), 1 (drawn without lifting the pen: down one diagonal, up
    the side, down the other) or 3 (one diagonal gone over again)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    s = rng.uniform(*size)
    cx = (x0 + x1) / 2 + rng.normal(0, 0.07) * w
    cy = (y0 + y1) / 2 + rng.normal(0, 0.07) * h
    hw, hh = s * w / 2, s * h / 2
    a = _line((cx - hw, cy - hh + rng.normal(0, 0.05) * h), (cx + hw, cy + hh), 16)
    b = _line((cx + hw + rng.normal(0, 0.05) * w, cy - hh), (cx - hw, cy + hh), 16)
    mm = mm_to_px(1, dpi)
    if strokes == 1:
        side = _line(a[-1], b[0], 10)
        return [_hand(np.vstack([a, side[1:], b[1:]]), rng, 0.2 * mm)]
    marks = [_hand(a, rng, 0.2 * mm), _hand(b, rng, 0.2 * mm)]
    if strokes >= 3:
        again = a + rng.normal(0, 0.04, 2) * (w, h)
        marks.append(_hand(again, rng, 0.2 * mm))
    return marks


def box_circle(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """A ring drawn inside (or around) a tick box, often not quite closed."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 + rng.normal(0, 0.05) * w, (y0 + y1) / 2 + rng.normal(0, 0.05) * h
    r = rng.uniform(0.3, 0.6)
    start = rng.uniform(0, 2 * math.pi)
    t = np.linspace(start, start + 2 * math.pi * rng.uniform(0.85, 1.1), 60)
    pts = np.column_stack([cx + r * w * np.cos(t), cy + r * h * rng.uniform(0.85, 1.15) * np.sin(t)])
    return [pts + smooth_noise(len(pts), rng, 6)[:, None] * 0.2 * mm_to_px(1, dpi)]


def filled_box(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """A box blacked out: strokes back and forth close together, one way or the other."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    n = 12 + int(rng.integers(0, 8))
    across = np.linspace(0.08, 0.92, n)
    ends = np.where(np.arange(n) % 2 == 0, 0.05, 0.95)
    if rng.random() < 0.5:
        pts = np.column_stack([x0 + ends * w, y0 + across * h])
    else:
        pts = np.column_stack([x0 + across * w, y0 + ends * h])
    return [pts + rng.normal(0, 0.03 * min(w, h), pts.shape)]


def scribble(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Back-and-forth filling of a box (a voter blacking a box out)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    n = 6 + int(rng.integers(0, 6))
    ys = np.linspace(y0 + 0.1 * h, y1 - 0.1 * h, n)
    xs = np.where(np.arange(n) % 2 == 0, x0 + 0.1 * w, x1 - 0.1 * w)
    pts = np.column_stack([xs, ys])
    return [pts + rng.normal(0, 0.05 * min(w, h), pts.shape)]


def box_correction(box: Box, dpi: float, rng: np.random.Generator) -> list[np.ndarray]:
    """An X that was then scribbled over (the voter changed their mind in this box)."""
    return x_mark(box, dpi, rng) + scribble(box, dpi, rng)


HANDWRITING = ("Dong y", "ok", "0912 345 678", "Nguyen V. A", "khong", "x", "??", "TB", "dung")


def handwriting(image: np.ndarray, x: float, y: float, dpi: float, rng: np.random.Generator, max_w: float,
                color=(150, 60, 25)) -> tuple[int, int, int, int]:
    """Write a few handwritten-looking words with baseline at (x, y), at most ``max_w`` wide.
    Returns the written box (x, y, w, h) in pixels."""
    text = HANDWRITING[int(rng.integers(0, len(HANDWRITING)))]
    height = mm_to_px(rng.uniform(3.5, 6.0), dpi)
    scale = height / 22.0  # Hershey script glyphs are about 22 units tall at scale 1
    thick = max(1, int(round(mm_to_px(0.4, dpi))))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, thick)
    if tw > max_w:
        scale *= max_w / tw
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, thick)
    pad = 4 + thick
    mask = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(mask, text, (pad, th + pad), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, 255, thick, cv2.LINE_AA)
    # A slant and a little unevenness, as a hand writes.
    shear = np.float32([[1, rng.uniform(-0.25, 0.05), 0], [0, 1, 0]])
    mask = cv2.warpAffine(mask, shear, (mask.shape[1], mask.shape[0]))
    alpha = mask.astype(np.float32) / 255.0 * np.float32(rng.uniform(0.75, 0.95))
    x0, y0 = int(x) - pad, int(y) - th - pad
    blend_ink(image, alpha, x0, y0, color)
    return x0, y0, mask.shape[1], mask.shape[0]


# --- The committee's red seal -------------------------------------------------------------

SEAL_RING_TEXT = "DANG CONG SAN VIET NAM * DANG BO XA YEN LAP * "


@functools.lru_cache(maxsize=8)
def _seal_mask(radius_px: int) -> np.ndarray:
    """A round seal: two rings, ring text, a star in the middle (uint8 0..255, square)."""
    size = 2 * radius_px + 8
    c = size / 2
    mask = np.zeros((size, size), np.uint8)
    r = radius_px
    thick = max(2, r // 25)
    cv2.circle(mask, (int(c), int(c)), r - thick, 255, thick, cv2.LINE_AA)
    cv2.circle(mask, (int(c), int(c)), int(r * 0.66), 255, max(1, thick // 2), cv2.LINE_AA)
    # Ring text, one glyph at a time, each rotated to face outwards.
    text = SEAL_RING_TEXT
    glyph_scale = r * 0.0075
    glyph_thick = max(1, r // 45)
    ring_r = r * 0.82
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        angle = 2 * math.pi * i / len(text) - math.pi / 2
        (gw, gh), gb = cv2.getTextSize(ch, cv2.FONT_HERSHEY_DUPLEX, glyph_scale, glyph_thick)
        g = np.zeros((gh + gb + 6, gw + 6), np.uint8)
        cv2.putText(g, ch, (3, gh + 3), cv2.FONT_HERSHEY_DUPLEX, glyph_scale, 255, glyph_thick, cv2.LINE_AA)
        rot = cv2.getRotationMatrix2D((g.shape[1] / 2, g.shape[0] / 2), -math.degrees(angle) - 90, 1.0)
        side = int(math.hypot(*g.shape)) + 2
        rot[0, 2] += (side - g.shape[1]) / 2
        rot[1, 2] += (side - g.shape[0]) / 2
        g = cv2.warpAffine(g, rot, (side, side))
        gx = int(c + ring_r * math.cos(angle) - side / 2)
        gy = int(c + ring_r * math.sin(angle) - side / 2)
        sub = mask[gy : gy + side, gx : gx + side]
        np.maximum(sub, g[: sub.shape[0], : sub.shape[1]], out=sub)
    # Five-pointed star.
    outer, inner = r * 0.4, r * 0.16
    pts = []
    for k in range(10):
        rr = outer if k % 2 == 0 else inner
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + rr * math.cos(a), c + rr * math.sin(a)))
    cv2.fillPoly(mask, [np.round(np.array(pts)).astype(np.int32)], 255, cv2.LINE_AA)
    return mask


def stamp_seal(image: np.ndarray, stamp_box: Box, dpi: float, rng: np.random.Generator,
               strength: float | None = None) -> tuple[float, float, float]:
    """Press the red seal into the stamp area, rotated and patchy. Returns (cx, cy, r) in pixels.
    ``strength``: the impression's ink opacity (default: drawn between 0.75 and 0.95)."""
    x0, y0, x1, y1 = stamp_box
    diameter_mm = min(rng.uniform(32, 40), (y1 - y0) * 25.4 / dpi * 1.05, (x1 - x0) * 25.4 / dpi)
    base = _seal_mask(int(mm_to_px(20, dpi)))  # drawn once per dpi, then scaled to this seal
    zoom = mm_to_px(diameter_mm / 2, dpi) / mm_to_px(20, dpi)
    size = int(base.shape[0] * zoom) + 2
    rot = cv2.getRotationMatrix2D((base.shape[1] / 2, base.shape[0] / 2), rng.uniform(0, 360), zoom)
    rot[:, 2] += (size / 2 - base.shape[1] / 2, size / 2 - base.shape[0] / 2)
    mask = cv2.warpAffine(base, rot, (size, size)).astype(np.float32) / 255.0
    # Stamp ink is uneven: one side pressed harder, and speckled.
    low = cv2.resize(rng.uniform(0.55, 1.0, (5, 5)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    grain = rng.uniform(0.75, 1.0, mask.shape).astype(np.float32)
    mask *= np.clip(low, 0.4, 1.0) * grain * (rng.uniform(0.75, 0.95) if strength is None else strength)
    cx = (x0 + x1) / 2 + rng.normal(0, 0.06) * (x1 - x0)
    cy = (y0 + y1) / 2 + rng.normal(0, 0.06) * (y1 - y0)
    color = tuple(int(np.clip(v + rng.normal(0, 10), 0, 255)) for v in SEAL_INK.color)
    blend_ink(image, mask, int(cx - size / 2), int(cy - size / 2), color)
    return cx, cy, mm_to_px(diameter_mm / 2, dpi)


# --- The paper ------------------------------------------------------------------------------

def fold(image: np.ndarray, dpi: float, rng: np.random.Generator) -> dict:
    """A fold across the page: a soft shadow band and a thin light-grey crease line."""
    H, W = image.shape[:2]
    horizontal = rng.random() < 0.75  # ballots are folded in half to go in the box
    along = H if horizontal else W
    pos = along * rng.uniform(0.3, 0.7)
    slope = math.tan(math.radians(rng.uniform(-1.5, 1.5)))
    width = mm_to_px(rng.uniform(2, 6), dpi)
    depth = rng.uniform(0.04, 0.12)
    crease = rng.uniform(0.08, 0.22)  # darkening at the crease line itself
    ys = np.arange(H, dtype=np.float32)[:, None]
    xs = np.arange(W, dtype=np.float32)[None, :]
    if horizontal:
        dist = ys - (pos + slope * (xs - W / 2))
    else:
        dist = xs - (pos + slope * (ys - H / 2))
    shade = 1.0 - depth * np.exp(-np.maximum(dist, 0) / width) * (dist > 0)
    shade += depth * 0.4 * np.exp(-np.maximum(-dist, 0) / width) * (dist <= 0)
    shade -= crease * np.exp(-(dist**2) / 2.0)
    shade = np.clip(shade, 0.5, 1.05).astype(np.float32)
    if image.ndim == 3:
        shade = shade[..., None]
    image[...] = np.clip(image * shade, 0, 255).astype(np.uint8)
    return {"horizontal": horizontal, "position_px": round(pos, 1)}
