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
class Scanner:
    """What another scanner model does that ours does not (each field's neutral value is ours).

    Drawn per ballot by `draw_scanner`; its random parts (speckle, bands, curl) come from its
    own `seed`, so a ballot's other draws (skew, noise) are the same with or without it.
    """

    seed: int = 0
    blur: str = "gaussian"  # gaussian | motion (a feed jitter) | defocus (a disk) | anisotropic
    blur_angle_deg: float = 0.0  # direction of a motion or anisotropic blur
    blur_ratio: float = 1.0  # motion length / defocus radius / long sigma, over the level's sigma
    ink_spread_px: float = 0.0  # ink bleeding into the paper fibres (print and pen alike)
    paper_tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # recycled or yellowish paper (B, G, R gains)
    curl_mm: float = 0.0  # paper curl: a smooth non-affine displacement of this amplitude
    light_falloff: float = 0.0  # uneven illumination: the lamp's light drops by this share across the page
    light_angle_deg: float = 0.0
    warp_interp: str = "linear"  # how the sensor's coarser sampling is interpolated: nearest | linear | cubic
    upsample: str = "linear"  # how the file is resampled back to its nominal resolution
    banding: float = 0.0  # grey levels of the bands a CIS sensor leaves across the feed
    salt_pepper: float = 0.0  # share of pixels flipped to dust (dark) or dropouts (light)
    gamma: float = 1.0  # the firmware's tone curve: out = 255 * (in / 255) ** gamma
    black_point: int = 0  # levels stretched from [black_point, white_point] to [0, 255]
    white_point: int = 255
    sharpen: float = 0.0  # unsharp-mask amount (halos along every edge)
    jpeg_sampling: str = "420"  # chroma subsampling: 444 | 422 | 420


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
    # Another scanner model's character at this strength (None: ours, as the levels were tuned).
    scanner: Scanner | None = None

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
    sc = params.scanner
    srng = np.random.default_rng(sc.seed) if sc is not None else None
    if sc is not None:
        img = _paper_and_ink(img, sc)
    if params.contrast < 1.0:
        img = _fade(img, params.contrast)
    if params.blur_px > 0:
        img = _blur(img, params.blur_px, sc)
    if sc is not None and sc.curl_mm > 0:
        img = _curl(img, mm_to_px(sc.curl_mm, dpi), srng)
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
        warp_flag = _INTERP[sc.warp_interp] if sc is not None else cv2.INTER_LINEAR
        img = _rotate(img, angle, dx, dy, params.scale, warp_flag)
        if sc is not None and sc.light_falloff > 0:
            img = _uneven_light(img, sc)  # the lamp lights the sensor's line unevenly
        if params.scale < 1.0:
            up = _INTERP[sc.upsample] if sc is not None else cv2.INTER_LINEAR
            img = cv2.resize(img, (w, h), interpolation=up)
        applied.update(rotation_deg=round(angle, 3), shift_px=(round(dx, 1), round(dy, 1)))
    if params.noise_sigma > 0:
        img = add_noise(img, params.noise_sigma, rng)
    if sc is not None:
        img = _sensor_and_firmware(img, sc, srng)
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
    options = [cv2.IMWRITE_JPEG_QUALITY, int(params.jpeg_quality)]
    if params.scanner is not None and image.ndim == 3:
        options += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, _SAMPLING[params.scanner.jpeg_sampling]]
    ok, buf = cv2.imencode(".jpg", image, options)
    return buf.tobytes(), ".jpg"


def _fade(img: np.ndarray, contrast: float) -> np.ndarray:
    lut = np.clip(255 - (255 - np.arange(256)) * contrast + 0.5, 0, 255).astype(np.uint8)
    return cv2.LUT(img, lut)


def _rotate(img: np.ndarray, angle: float, dx: float, dy: float, scale: float = 1.0,
            flags: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Rotate about the centre and shift, sampled at ``scale`` of the resolution."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[:, 2] += (dx, dy)
    m *= scale
    out = (max(1, round(w * scale)), max(1, round(h * scale)))
    border = PAPER_WHITE if img.ndim == 3 else int(np.mean(PAPER_WHITE))
    return cv2.warpAffine(img, m, out, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=border)


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


# --- Another scanner model ---------------------------------------------------------------------

_INTERP = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
           "area": cv2.INTER_AREA}
_SAMPLING = {"444": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444, "422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
             "420": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420}
# How much of a scanner model's departure from ours a level carries (L2: the full ranges).
SCANNER_STRENGTH = {"L0": 0.25, "L1": 0.5, "L2": 1.0, "L3": 1.3, "L4": 1.6}


def draw_scanner(rng: np.random.Generator, level: str) -> Scanner:
    """A scanner model unlike ours at ``level``'s strength: its blur kernel, tone curve, lamp,
    sensor, resampling, firmware sharpening and JPEG chroma subsampling, and the paper it is fed."""
    f = SCANNER_STRENGTH[level]
    blur = str(rng.choice(("gaussian", "motion", "defocus", "anisotropic")))
    ratio = {"gaussian": rng.uniform(0.8, 1.5), "motion": rng.uniform(2.5, 5.0),
             "defocus": rng.uniform(1.5, 3.0), "anisotropic": rng.uniform(1.3, 2.0)}[blur]
    tint = (1 - f * rng.uniform(0.0, 0.14), 1 - f * rng.uniform(0.0, 0.06), 1.0)
    return Scanner(
        seed=int(rng.integers(2**31)), blur=blur, blur_angle_deg=float(rng.uniform(0, 180)),
        blur_ratio=float(ratio), ink_spread_px=float(f * rng.uniform(0, 1.0)),
        paper_tint=tuple(round(float(t), 3) for t in tint), curl_mm=float(f * rng.uniform(0, 0.8)),
        light_falloff=float(f * rng.uniform(0, 0.06)), light_angle_deg=float(rng.uniform(0, 360)),
        warp_interp=str(rng.choice(("nearest", "linear", "cubic"))),
        upsample=str(rng.choice(("nearest", "linear", "cubic", "area"))),
        banding=float(f * rng.uniform(0, 6)), salt_pepper=float(f * rng.uniform(0, 0.0002)),
        gamma=float(math.exp(f * rng.uniform(-0.35, 0.35))), black_point=int(f * rng.uniform(0, 35)),
        white_point=255 - int(f * rng.uniform(0, 30)),
        sharpen=float(f * rng.uniform(0, 1.5)) if rng.random() < 0.5 else 0.0,
        jpeg_sampling=str(rng.choice(("444", "422", "420"))))


def _paper_and_ink(img: np.ndarray, sc: Scanner) -> np.ndarray:
    """The paper's tint and ink bled into its fibres (strokes a little wider and softer)."""
    if sc.ink_spread_px > 0:
        spread = cv2.erode(img, np.ones((3, 3), np.uint8))  # the darker neighbour: ink spreading
        share = min(1.0, sc.ink_spread_px)
        img = cv2.addWeighted(img, 1 - share, spread, share, 0)
    if img.ndim == 3 and sc.paper_tint != (1.0, 1.0, 1.0):
        img = cv2.multiply(img, np.array([*sc.paper_tint, 0.0]), dtype=cv2.CV_8U)
    return img


def _blur(img: np.ndarray, sigma: float, sc: Scanner | None) -> np.ndarray:
    """The optics' blur: our Gaussian, or another model's kernel of a comparable strength."""
    if sc is None or sc.blur == "gaussian":
        return cv2.GaussianBlur(img, (0, 0), sigma * (1.0 if sc is None else sc.blur_ratio))
    if sc.blur == "anisotropic":
        size = int(2 * math.ceil(3 * sigma * sc.blur_ratio) + 1)
        kernel = _rotated_kernel(_gaussian_2d(size, sigma * sc.blur_ratio, sigma / sc.blur_ratio), sc.blur_angle_deg)
    elif sc.blur == "motion":
        length = max(2.0, sigma * sc.blur_ratio)
        size = int(2 * math.ceil(length / 2) + 1)
        line = np.zeros((size, size), np.float32)
        c = size // 2
        cv2.line(line, (int(round(c - length / 2)), c), (int(round(c + length / 2)), c), 1.0, 1, cv2.LINE_AA)
        kernel = _rotated_kernel(line, sc.blur_angle_deg)
    else:  # defocus: a disk
        radius = max(1.0, sigma * sc.blur_ratio)
        size = int(2 * math.ceil(radius) + 1)
        kernel = np.zeros((size, size), np.float32)
        cv2.circle(kernel, (size // 2, size // 2), int(round(radius)), 1.0, -1, cv2.LINE_AA)
    kernel /= max(float(kernel.sum()), 1e-6)
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def _gaussian_2d(size: int, sigma_x: float, sigma_y: float) -> np.ndarray:
    gx = cv2.getGaussianKernel(size, sigma_x, cv2.CV_32F)
    gy = cv2.getGaussianKernel(size, sigma_y, cv2.CV_32F)
    return (gy @ gx.T).astype(np.float32)


def _rotated_kernel(kernel: np.ndarray, angle: float) -> np.ndarray:
    size = kernel.shape[0]
    m = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, 1.0)
    return cv2.warpAffine(kernel, m, (size, size), flags=cv2.INTER_LINEAR)


def _curl(img: np.ndarray, amplitude_px: float, rng: np.random.Generator) -> np.ndarray:
    """Paper that does not lie flat: a smooth displacement field, largest towards the edges."""
    h, w = img.shape[:2]
    fields = []
    for _ in range(2):
        coarse = rng.standard_normal((5, 4)).astype(np.float32)
        field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        fields.append(field * (amplitude_px / max(1e-6, float(np.abs(field).max()))))
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    border = PAPER_WHITE if img.ndim == 3 else int(np.mean(PAPER_WHITE))
    return cv2.remap(img, xs + fields[0], ys + fields[1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _uneven_light(img: np.ndarray, sc: Scanner) -> np.ndarray:
    """The lamp's light falling off across the page (a worn or misaligned lamp)."""
    h, w = img.shape[:2]
    a = math.radians(sc.light_angle_deg)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32) / 63.0
    along = (xx - 0.5) * math.cos(a) + (yy - 0.5) * math.sin(a)
    along = (along - along.min()) / max(1e-6, float(np.ptp(along)))
    gain = cv2.resize(1.0 - sc.light_falloff * along ** 1.5, (w, h), interpolation=cv2.INTER_LINEAR)
    if img.ndim == 3:
        gain = cv2.merge([gain, gain, gain])
    return cv2.multiply(img, gain, dtype=cv2.CV_8U)


def _sensor_and_firmware(img: np.ndarray, sc: Scanner, rng: np.random.Generator) -> np.ndarray:
    """The sensor's bands and dust, then the firmware's tone curve and sharpening."""
    h, w = img.shape[:2]
    if sc.banding > 0:  # a CIS sensor's segments differ in gain: bands along the feed
        bands = cv2.resize(rng.uniform(-1, 1, (1, max(2, w // 40))).astype(np.float32), (w, 1),
                           interpolation=cv2.INTER_NEAREST) * sc.banding
        offset = np.repeat(np.round(bands).astype(np.int16), h, axis=0)
        img = cv2.add(img, cv2.merge([offset] * img.shape[2]) if img.ndim == 3 else offset, dtype=cv2.CV_8U)
    if sc.salt_pepper > 0:
        count = int(sc.salt_pepper * h * w)
        ys, xs = rng.integers(0, h, count), rng.integers(0, w, count)
        img = img.copy()
        img[ys, xs] = np.where(rng.random(count) < 0.5, 0, 255).astype(np.uint8)[:, None] if img.ndim == 3 \
            else np.where(rng.random(count) < 0.5, 0, 255).astype(np.uint8)
    if (sc.gamma, sc.black_point, sc.white_point) != (1.0, 0, 255):
        x = np.clip((np.arange(256) - sc.black_point) / max(1, sc.white_point - sc.black_point), 0, 1)
        img = cv2.LUT(img, np.clip(255 * x ** sc.gamma + 0.5, 0, 255).astype(np.uint8))
    if sc.sharpen > 0:
        soft = cv2.GaussianBlur(img, (0, 0), 1.0)
        img = cv2.addWeighted(img, 1 + sc.sharpen, soft, -sc.sharpen, 0)
    return img
