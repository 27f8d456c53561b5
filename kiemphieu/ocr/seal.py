"""The committee's seal: by its red colour on a colour scan, by its round shape where there is no colour.

A seal is a ring (two, with the ring text between) around a star or text. On a grey or bitonal
scan its red is just ink, but its shape is not a voter's: a ring of the seal's size that the ink
follows most of the way round. When the stamp area holds ink that is not such a ring, the seal
cannot be checked and a person must look (``seal_unchecked``); a ballot is never counted with
its seal unchecked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .arrays import _percentile
from .reasons import Flag

RING_ANGLES = 48  # angular bins of the ring's coverage


@dataclass(frozen=True)
class SealShape:
    ink: float  # share of the stamp area (print excluded) that is ink
    ring_cover: float  # share of the ring's angles where ink follows the best circle found
    radius_mm: float | None  # that circle's radius
    inside: float  # ink share inside 0.8 of that radius (ring text, star)

    def to_json(self) -> dict:
        return {"ink": round(self.ink, 4), "ring_cover": round(self.ring_cover, 3),
                "radius_mm": None if self.radius_mm is None else round(self.radius_mm, 1),
                "inside": round(self.inside, 3)}


def red_fraction(crop_bgr: np.ndarray, settings) -> float:
    """Share of a (colour) stamp-area crop in the seal's red: a red hue, saturated at least
    `min_saturation` and `saturation_over_paper` past the paper's own (the crop's median: a
    seal covers well under half of the stamp area), bright at least `min_value`. A light
    impression on a low-contrast scan keeps its hue but loses saturation; a tinted paper or a
    scanner's colour cast lifts the paper's."""
    hsv = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    paper = _percentile(sat, 0.5, step=1)  # the lower median, from the histogram (a sort costs ten times as much)
    least = max(settings.min_saturation, paper + settings.saturation_over_paper)
    red = (((hue <= settings.hue_low_max) | (hue >= settings.hue_high_min))
           & (sat >= least) & (val >= settings.min_value))
    return float(red.mean())


def seal_shape(ink: np.ndarray, px_per_mm: float, min_radius_mm: float, max_radius_mm: float) -> SealShape:
    """How much a 0/1 ink mask of the stamp area looks like a round seal."""
    share = float(ink.mean()) if ink.size else 0.0
    if not ink.any():
        return SealShape(share, 0.0, None, 0.0)
    lo, hi = int(min_radius_mm * px_per_mm), int(math.ceil(max_radius_mm * px_per_mm))
    # Candidate circles: the ink's edges voted by the Hough transform on a smoothed mask.
    picture = cv2.GaussianBlur((1 - ink) * 255, (5, 5), 1.2)
    circles = cv2.HoughCircles(picture, cv2.HOUGH_GRADIENT, dp=1.5, minDist=max(4, lo // 2), param1=80,
                               param2=12, minRadius=lo, maxRadius=hi)
    candidates = [] if circles is None else [tuple(c) for c in circles[0][:8]]
    # And the ink's own centre with the radius its outermost ring suggests (a patchy impression
    # may give the Hough transform too few edges).
    ys, xs = np.nonzero(ink)
    cx, cy = float(xs.mean()), float(ys.mean())
    radii = np.hypot(xs - cx, ys - cy)
    outer = float(np.percentile(radii, 97))
    if lo <= outer <= hi:
        candidates.append((cx, cy, outer))
    best = SealShape(share, 0.0, None, 0.0)
    for x, y, r in candidates:
        cover, inside = ring_cover(xs, ys, x, y, r)
        if cover > best.ring_cover:
            best = SealShape(share, cover, r / px_per_mm, inside)
    return best


def ring_cover(xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, r: float) -> tuple[float, float]:
    """The share of angles with ink within a band around radius r of (cx, cy), and the ink's
    density inside 0.8 r (ink pixels per pixel of that disc)."""
    dx, dy = xs - cx, ys - cy
    dist = np.hypot(dx, dy)
    band = max(2.0, 0.1 * r)
    on_ring = np.abs(dist - r) <= band
    if not on_ring.any():
        return 0.0, 0.0
    angles = np.arctan2(dy[on_ring], dx[on_ring])
    bins = np.unique(((angles + math.pi) / (2 * math.pi) * RING_ANGLES).astype(int) % RING_ANGLES)
    inside = float(np.count_nonzero(dist < 0.8 * r)) / (math.pi * (0.8 * r) ** 2)
    return bins.size / RING_ANGLES, inside


def shape_verdict(shape: SealShape, settings) -> Flag | None:
    """The flag a grey or bitonal page gets from its stamp area's shape (None: the seal is there).

    ``no_stamp`` when the area is empty, ``seal_unchecked`` when it holds ink that is not clearly
    a seal (a faint impression, a scribble): a person looks either way.
    """
    if shape.ring_cover >= settings.min_ring_cover and shape.inside >= settings.min_inside:
        return None
    if shape.ink < settings.empty_ink:
        return Flag.NO_STAMP
    return Flag.SEAL_UNCHECKED
