"""Scanner degradation in physical order: fade, blur, skew, resample, noise, then colour mode
and JPEG (or PNG for bitonal), with named levels and variants.

The ladder follows PSD ``benchmarks/_degrade.py`` (see the research notes, section 6) for
contrast, blur, scale, noise and JPEG quality. Rotation differs on purpose: our target is "a 2°
skew with blur and JPEG at L2", and feeder scanners skew more than the ladder's 0.4°, so the
rotation magnitudes are 0.5°, 2°, 3° and 4° with a random sign. Scale is a resample down to that
share of the resolution and back, so the output keeps the 200 dpi size of the page.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np

from .ink import mm_to_px

PAPER_WHITE = (246, 248, 250)
BITONAL_THRESHOLD = 160  # scanner lid / feeder background around a skewed page (B, G, R)


@dataclass(frozen=True)
class Degradation:
    contrast: float = 1.0  # ink contrast left after fading (1 = none)
    blur_px: float = 0.0  # Gaussian sigma in pixels
    rotation_deg: float = 0.0  # magnitude; the sign is drawn per ballot
    scale: float = 1.0  # effective resolution share (resampled down and back up)
    noise_sigma: float = 0.0
    jpeg_quality: int = 95
    color: str = "color"  # color | grey | bitonal
    shift_mm: float = 1.5  # feeder position jitter
    quarter_turns: int = 0  # page fed rotated: 1 = 90° clockwise, 2 = upside down
    phone: bool = False  # perspective, uneven light, background around the page

    def to_json(self) -> dict:
        return asdict(self)


LEVELS: dict[str, Degradation] = {
    "L0": Degradation(shift_mm=0.5),
    "L1": Degradation(0.95, 0.3, 0.5, 0.85, 1.5, 88),
    "L2": Degradation(0.82, 0.6, 2.0, 0.72, 3.5, 72),
    "L3": Degradation(0.68, 1.0, 3.0, 0.55, 6.0, 55),
    "L4": Degradation(0.55, 1.5, 4.0, 0.42, 9.0, 38),
}
# Variants on top of L1: how a page is fed or captured, not how worn the scanner is.
VARIANTS: dict[str, Degradation] = {
    "rot90": replace(LEVELS["L1"], quarter_turns=1),
    "upside_down": replace(LEVELS["L1"], quarter_turns=2),
    "grey": replace(LEVELS["L1"], color="grey"),
    "bitonal": replace(LEVELS["L1"], color="bitonal", jpeg_quality=0),
    "phone": replace(LEVELS["L1"], phone=True, rotation_deg=3.0, jpeg_quality=85, noise_sigma=3.0),
}
ALL_LEVELS: dict[str, Degradation] = {**LEVELS, **VARIANTS}
LEVEL_NUMBER = {"L0": 0, "L1": 1, "L2": 2, "L3": 3, "L4": 4}


def level_params(level: str) -> Degradation:
    try:
        return ALL_LEVELS[level]
    except KeyError:
        raise ValueError(f"unknown level {level!r}; known: {', '.join(ALL_LEVELS)}") from None


def degrade(image: np.ndarray, params: Degradation, rng: np.random.Generator, dpi: float = 200) -> tuple[np.ndarray, dict]:
    """Apply the physical chain up to (not including) compression. Returns the image (uint8,
    BGR, or 2-D for grey/bitonal) and the drawn parameters (signed rotation, shift...)."""
    applied: dict = {}
    img = image
    if params.quarter_turns % 4:
        codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
        img = cv2.rotate(img, codes[params.quarter_turns % 4])
        applied["quarter_turns"] = params.quarter_turns % 4
    if params.contrast < 1.0:
        img = _fade(img, params.contrast)
    if params.blur_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), params.blur_px)
    h, w = img.shape[:2]
    if params.phone:
        img, extra = _phone(img, params, rng, dpi)
        applied.update(extra)
        if params.scale < 1.0:
            img = _resample(img, params.scale)
    else:
        angle = params.rotation_deg * rng.uniform(0.75, 1.0) * (1 if rng.random() < 0.5 else -1)
        shift = mm_to_px(params.shift_mm, dpi)
        dx, dy = rng.uniform(-shift, shift, 2)
        # Skew and the scanner's coarser sampling in one warp, then back to the nominal size.
        img = _rotate(img, angle, dx, dy, params.scale)
        if params.scale < 1.0:
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
        applied.update(rotation_deg=round(angle, 3), shift_px=(round(dx, 1), round(dy, 1)))
    if params.noise_sigma > 0:
        img = add_noise(img, params.noise_sigma, rng)
    if params.color == "grey":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    elif params.color == "bitonal":
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        # A bitonal scanner's fixed threshold: light ink and the seal's red fall either side of it.
        _, img = cv2.threshold(grey, BITONAL_THRESHOLD, 255, cv2.THRESH_BINARY)
    return img, applied


def encode(image: np.ndarray, params: Degradation) -> tuple[bytes, str]:
    """The file the scanner writes: JPEG at the level's quality, PNG for bitonal pages."""
    if params.color == "bitonal" or params.jpeg_quality <= 0:
        ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        return buf.tobytes(), ".png"
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(params.jpeg_quality)])
    return buf.tobytes(), ".jpg"


def _fade(img: np.ndarray, contrast: float) -> np.ndarray:
    lut = np.clip(255 - (255 - np.arange(256)) * contrast + 0.5, 0, 255).astype(np.uint8)
    return cv2.LUT(img, lut)


def _rotate(img: np.ndarray, angle: float, dx: float, dy: float, scale: float = 1.0) -> np.ndarray:
    """Rotate about the centre and shift, sampled at ``scale`` of the resolution."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[:, 2] += (dx, dy)
    m *= scale
    out = (max(1, round(w * scale)), max(1, round(h * scale)))
    border = PAPER_WHITE if img.ndim == 3 else int(np.mean(PAPER_WHITE))
    return cv2.warpAffine(img, m, out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _resample(img: np.ndarray, scale: float) -> np.ndarray:
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=2)
def _noise_bank(seed: int = 12345, size: int = 3072) -> np.ndarray:
    """A fixed field of standard normal noise; ballots take shifted windows of it (fast, seeded)."""
    return np.random.default_rng(seed).standard_normal((size, size), dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _scaled_bank(sigma: float) -> np.ndarray:
    return np.round(_noise_bank() * np.float32(sigma)).astype(np.int16)


def add_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise of ``sigma`` grey levels, independent per channel."""
    h, w = img.shape[:2]
    chans = img.shape[2] if img.ndim == 3 else 1
    bank = _scaled_bank(float(sigma))
    if h > bank.shape[0] or w > bank.shape[1]:
        noise = np.round(rng.standard_normal(img.shape, dtype=np.float32) * sigma).astype(np.int16)
    else:
        planes = []
        for _ in range(chans):
            oy = int(rng.integers(0, bank.shape[0] - h + 1))
            ox = int(rng.integers(0, bank.shape[1] - w + 1))
            planes.append(bank[oy : oy + h, ox : ox + w])
        noise = cv2.merge(planes) if chans > 1 else planes[0]
    return cv2.add(img, noise, dtype=cv2.CV_8U)


def _phone(img: np.ndarray, params: Degradation, rng: np.random.Generator, dpi: float) -> tuple[np.ndarray, dict]:
    """A phone photo: the page on a darker table, seen in perspective, lit unevenly."""
    h, w = img.shape[:2]
    margin = 0.08
    out_w, out_h = int(w * (1 + 2 * margin)), int(h * (1 + 2 * margin))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.035, 0.035, (4, 2)) * (w, h)
    dst = src + (margin * w, margin * h) + jitter
    angle = math.radians(params.rotation_deg * rng.uniform(-1, 1))
    centre = dst.mean(axis=0)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = ((dst - centre) @ rot.T + centre).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    table = tuple(int(v) for v in rng.uniform(60, 120, 3))
    photo = cv2.warpPerspective(img, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=table)
    # Uneven light: a broad gradient, a vignette and a warm or cool cast (computed coarse).
    yy = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, 64, dtype=np.float32)[None, :]
    gx, gy = rng.uniform(-0.12, 0.12, 2)
    light = 1.0 + gx * xx + gy * yy - 0.08 * (xx**2 + yy**2)
    cast = rng.uniform(0.92, 1.04, 3).astype(np.float32)
    gain = cv2.resize(light[..., None] * cast[None, None, :], (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    photo = cv2.multiply(photo, gain, dtype=cv2.CV_8U)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.5, 1.1))
    return photo, {"perspective_corners": np.round(dst, 1).tolist()}
