"""Stage 2: the page map (image pixels -> page millimetres), checked, refined on the print when a
corner is cut off, and the QR code that says which election, round and layout the ballot is."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from .arrays import _halved, _sorted_percentile
from .geometry import parse_qr_payload, qr_box, second_qr_box
from .markers import _fit_markers, _touches_edge, qr_detector
from .reasons import Flag, Reason, Rejection
from .template import template_for

QR_PX_PER_MM = 10.0


QR_MIN_AGREEMENT = 0.92  # share of data modules matching this round's QR (random payloads: ~0.5)


def homography(ctx, paper, found) -> np.ndarray:
    """Image pixels -> page millimetres, after checking the page is not too distorted."""
    g = ctx.profile.geometry
    # A marker touching the image's edge may be cut short: left out while enough remain.
    whole = {mid: quad for mid, quad in found.items() if not _touches_edge(quad, ctx.grey.shape)}
    if len(whole) >= g.min_markers and len(whole) < len(found):
        found = whole
        ctx.checks["markers"] = len(found)
    anchors = getattr(ctx, "code_anchors", ())  # QR codes beside one marker (markers.code_anchors)
    homography, src, dst, error = _fit_markers(paper, found, anchors)
    if homography is None:
        raise Rejection(Reason.BAD_GEOMETRY, "markers do not form a page")
    if error > g.max_corner_error_mm and len(found) > g.min_markers:
        # One marker off the others (cut by the image edge and misread): the page from the rest.
        fits = [_fit_markers(paper, {k: v for k, v in found.items() if k != mid}) for mid in found]
        best = min((fit for fit in fits if fit[0] is not None), key=lambda fit: fit[3], default=None)
        if best is not None and best[3] <= g.max_corner_error_mm:
            homography, src, dst, error = best
            ctx.checks["markers"] = len(src) // 4
    if len(src) < 16:
        homography = fit_to_print(ctx, homography)
        projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
        error = float(np.abs(projected - dst).max())
    inverse = np.linalg.inv(homography)
    w, h = paper.width, paper.height
    quad = cv2.perspectiveTransform(np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]]), inverse).reshape(4, 2)
    top, right = float(np.linalg.norm(quad[1] - quad[0])), float(np.linalg.norm(quad[2] - quad[1]))
    bottom, left = float(np.linalg.norm(quad[2] - quad[3])), float(np.linalg.norm(quad[3] - quad[0]))
    angle = math.degrees(math.atan2(float(quad[1][1] - quad[0][1]), float(quad[1][0] - quad[0][0])))
    rotation = int(round(angle / 90.0)) % 4 * 90
    skew = abs((angle + 45) % 90 - 45)
    perspective = max(abs(top - bottom) / max(top, bottom), abs(left - right) / max(left, right))
    aspect = ((top + bottom) / (left + right)) / (w / h)
    det = np.linalg.det(homography[:2, :2])
    ctx.checks.update({"corner_error_mm": round(error, 3), "skew_deg": round(skew, 2),
                        "perspective": round(perspective, 4), "aspect": round(aspect, 4)})
    ctx.reading.rotation = rotation
    ctx.reading.homography = [[round(float(v), 8) for v in row] for row in homography]
    problems = geometry_problems(det, error, skew, perspective, aspect, g)
    if problems:
        raise Rejection(Reason.BAD_GEOMETRY, "; ".join(problems))
    dpi = (top + bottom) / 2 / w * 25.4 * ctx.page.reduction
    ctx.checks["dpi"] = round(dpi, 1)
    if dpi < ctx.profile.scan.min_dpi:
        ctx.flag(Flag.LOW_QUALITY)
    return homography


def geometry_problems(det: float, corner_error_mm: float, skew_deg: float, perspective: float, aspect: float,
                      g) -> list[str]:
    """What makes a page map unusable (empty: none), from its measures and the profile's [geometry]."""
    problems = []
    if det <= 0:
        problems.append("page is mirrored")
    if corner_error_mm > g.max_corner_error_mm:
        problems.append(f"marker corners {corner_error_mm:.2f} mm off")
    if skew_deg > g.max_skew_deg:
        problems.append(f"skew {skew_deg:.1f} degrees")
    if perspective > g.max_perspective:
        problems.append(f"perspective {perspective:.3f}")
    if abs(aspect - 1) > g.max_aspect_error:
        problems.append(f"aspect ratio off by {abs(aspect - 1):.3f}")
    return problems


def fit_to_print(ctx, homography: np.ndarray, finest: int = 1) -> np.ndarray:
    """Refine a page map found from fewer than four markers by matching the whole printed
    ballot to its template (ECC at a quarter, then half the working resolution): the print
    fixes what the markers cannot.

    `finest` 0 adds the full working resolution, as pages with two markers cut were fitted
    before: it costs some 100 ms a page (three times the other two levels together, ECC being
    ~35 ms an iteration on an A4 page at 100 dpi) and moved the page map 0.04 mm (median; 90 %
    under 0.05) on a stack of 17-name L2 scans, a sixth of a working pixel, which the rows'
    own alignment (whole pixels) mostly absorbs (rows of a few ballots already in review
    changed, no status); a reference for tests and benchmarks."""
    template = template_for(ctx.layout, ctx.profile)
    k = template.k
    to_work = np.array([[k, 0, -0.5], [0, k, -0.5], [0, 0, 1.0]])  # mm -> template pixels
    work = cv2.warpPerspective(ctx.grey, to_work @ homography, (template.width, template.height),
                               flags=cv2.INTER_LINEAR, borderValue=255)
    perspective = ctx.profile.scan.flatten_illumination  # a photo: the page may lean
    motion = cv2.MOTION_HOMOGRAPHY if perspective else cv2.MOTION_AFFINE
    warp = np.eye(3, dtype=np.float32)
    # Halved by area, pixel q of the small image is centred on pixel 2q + 0.5 of the full one.
    half_work = _halved(work)
    half_template, quarter_template = _template_pyramid(template)
    score = 0.0
    # Coarse to fine; the full resolution (three times the other two) only when asked for.
    # (reduction along x and y, page, template); pixel q at a level is centred on full-resolution
    # pixel f q + (f - 1) / 2.
    levels = [(4.0, 4.0, _halved(half_work), quarter_template), (2.0, 2.0, half_work, half_template),
              (1.0, 1.0, work, template.grey)]
    if template.dpi > PRINT_FIT_MAX_DPI:  # small print: the finest fit at the normal resolution
        image, reference = _finest_fit_level(work, template)
        levels[2] = (work.shape[1] / image.shape[1], work.shape[0] / image.shape[0], image, reference)
    for (fx, fy, image, reference), iterations in zip(levels[:3 - finest], ECC_ITERATIONS):
        scale = np.array([[fx, 0, (fx - 1) / 2], [0, fy, (fy - 1) / 2], [0, 0, 1.0]])
        start = np.linalg.inv(scale) @ warp @ scale
        score, found = _ecc(reference, image, start.astype(np.float32), motion, iterations)
        if found is None:
            raise Rejection(Reason.BAD_GEOMETRY, "the print does not match the ballot's layout")
        warp = scale @ found @ np.linalg.inv(scale)
    ctx.checks["fit"] = "print"
    ctx.checks["print_match"] = round(float(score), 3)
    if score < ctx.profile.geometry.min_print_match:
        raise Rejection(Reason.BAD_GEOMETRY, f"the print matches the layout poorly ({score:.2f})")
    # work(warp . p) ~ template(p): template pixel p lies at work pixel warp . p.
    return np.linalg.inv(to_work) @ np.linalg.inv(warp) @ to_work @ homography


def _template_pyramid(template) -> tuple[np.ndarray, np.ndarray]:
    """The template's grey image halved and quartered by area (the print fit's levels), once per template."""
    pyramid = template.reduced.get("fit")
    if pyramid is None:
        half = _halved(template.grey)
        pyramid = template.reduced["fit"] = (half, _halved(half))
    return pyramid


# ECC iterations at most, per level of the print fit (coarse to fine). Each finer level starts
# from the one before, so it only polishes: at the finest, 3 iterations leave the page map within
# 0.07 px (mostly 0.01 px) of 50, and an iteration there costs as much as a whole coarse level.
ECC_ITERATIONS = (50, 10, 3)


# The print fit's finest level is no finer than this: small print measured at 150 dpi is fitted
# at 100 dpi (the fit at 150 dpi cost 1-2.5 s a page, ten times the level below it).
PRINT_FIT_MAX_DPI = 100.0


def _finest_fit_level(work: np.ndarray, template) -> tuple[np.ndarray, np.ndarray]:
    """The page and the template reduced (by area) to PRINT_FIT_MAX_DPI: the print fit's finest level."""
    f = PRINT_FIT_MAX_DPI / template.dpi
    size = (int(round(work.shape[1] * f)), int(round(work.shape[0] * f)))
    reference = template.reduced.get(size)
    if reference is None:
        reference = template.reduced[size] = cv2.resize(template.grey, size, interpolation=cv2.INTER_AREA)
    return cv2.resize(work, size, interpolation=cv2.INTER_AREA), reference


def identify(ctx, paper, homography) -> None:
    """The QR codes: this election, this round, this layout.

    A ballot carries the same QR code twice, in opposite corners (a layout printed before the
    second code carries one): the page is identified by whichever is readable, and two readable
    codes that say different things reject it. A page whose QR says the layout printed before
    the second code is read with that layout (`ctx.legacy_layout`)."""
    payloads = _read_codes(ctx, paper, homography)
    if not payloads:
        raise Rejection(Reason.QR_UNREADABLE, "the ballot's QR code cannot be read")
    if len(set(payloads.values())) > 1:
        raise Rejection(Reason.CODES_DISAGREE, "the ballot's two QR codes say different things")
    text = next(iter(payloads.values()))
    if paper is ctx.layout.paper and text == ctx.layout.qr_payload:
        return
    parsed = parse_qr_payload(text)
    if parsed is None:
        raise Rejection(Reason.WRONG_ELECTION, "not a kiemphieu ballot")
    fingerprint, round_, digest = parsed
    if fingerprint != ctx.layout.fingerprint:
        raise Rejection(Reason.WRONG_ELECTION, f"ballot of another election or round (its round: {round_})")
    legacy = getattr(ctx, "legacy_layout", None)
    if (legacy is not None and paper is legacy.paper and legacy.digest.upper().startswith(digest)
            and set(payloads) == {"qr"}):
        ctx.layout = legacy  # printed before the second QR code: read with that layout
        ctx.reading.layout_digest = legacy.digest
        return
    if paper is not ctx.layout.paper or not ctx.layout.digest.upper().startswith(digest):
        raise Rejection(Reason.WRONG_LAYOUT, "printed from a different layout of this election")


def _read_codes(ctx, paper, homography) -> dict[str, str]:
    """What each readable QR code of the page says ("qr", "qr2" -> payload text).

    A code whose printed modules match this round's payload (`_qr_matches`) needs no decoder;
    the decoder reads a code only when no code matched, or to check that a code which does
    not match does not say something else (two codes must agree)."""
    ours = paper is ctx.layout.paper
    boxes = ctx.layout.code_boxes if ours else (qr_box(paper), second_qr_box(paper))
    names = ("qr", "qr2")[:len(boxes)]
    payloads: dict[str, str] = {}
    undecided = []
    for name, box in zip(names, boxes):
        if ours and _qr_matches(ctx, homography, box, f"{name}_agreement"):
            payloads[name] = ctx.layout.qr_payload
        else:
            undecided.append((name, box))
    for name, box in undecided:
        text = _decode_code(ctx, homography, box)
        if text:
            payloads[name] = text.strip()
    ctx.checks["qr_codes"] = sorted(payloads)
    return payloads


def _decode_code(ctx, homography, box) -> str:
    """The text of the QR code printed at `box` (mm), by the decoder; "" when unreadable."""
    x, y, size, _ = box
    margin = 3.0
    f = QR_PX_PER_MM
    to_crop = np.array([[f, 0, -(x - margin) * f], [0, f, -(y - margin) * f], [0, 0, 1]]) @ homography
    side = int(round((size + 2 * margin) * f))
    crop = cv2.warpPerspective(ctx.grey, to_crop, (side, side), flags=cv2.INTER_LINEAR, borderValue=255)
    return _decode_qr(crop)


def _qr_matches(ctx, homography, box=None, key: str = "qr_agreement") -> bool:
    """Fast path: the modules where our QR code is printed (`box`, the first code by default)
    are those of this round's payload (the agreement is kept in `checks[key]`).

    Data modules of two different payloads differ in about half the places, so a high
    agreement on them is as strong as decoding; anything else goes to the full decoder.
    """
    template = template_for(ctx.layout, ctx.profile)
    x, y, size, _ = box or ctx.layout.qr_mm
    modules = template.qr_expected.shape[0]
    per_module = 4
    f = per_module * modules / size
    to_crop = np.array([[f, 0, -x * f], [0, f, -y * f], [0, 0, 1]]) @ homography
    side = modules * per_module
    crop = cv2.warpPerspective(ctx.grey, to_crop, (side, side), flags=cv2.INTER_LINEAR, borderValue=255)
    # Each module's middle 2 x 2 pixels, averaged (the sum of four is exact: the same as .mean()).
    middle = (crop[1::per_module, 1::per_module].astype(np.uint16) + crop[1::per_module, 2::per_module]
              + crop[2::per_module, 1::per_module] + crop[2::per_module, 2::per_module])
    cells = middle / 4.0
    ordered = np.sort(cells, axis=None)
    low, high = _sorted_percentile(ordered, 0.10), _sorted_percentile(ordered, 0.90)  # np.percentile's
    if high - low < 40:
        return False
    dark = cells < (low + high) / 2
    # Only modules inside the image (a cut corner may take part of the code away).
    at = cv2.perspectiveTransform(_module_centres(x, y, size, modules), np.linalg.inv(homography))
    at = at.reshape(modules, modules, 2)
    ih, iw = ctx.grey.shape
    inside = (at[..., 0] >= 1) & (at[..., 0] < iw - 1) & (at[..., 1] >= 1) & (at[..., 1] < ih - 1)
    used = template.qr_data & inside
    if np.count_nonzero(used) < 0.5 * np.count_nonzero(template.qr_data):
        return False
    agreement = float((dark == template.qr_expected)[used].mean())
    ctx.checks[key] = round(agreement, 3)
    return agreement >= QR_MIN_AGREEMENT


@functools.lru_cache(maxsize=32)
def _module_centres(x: float, y: float, size: float, modules: int) -> np.ndarray:
    """The page millimetres of a QR code's module centres, (modules**2, 1, 2) float32 (read-only)."""
    centres = (np.arange(modules) + 0.5) * size / modules
    grid = np.stack(np.meshgrid(x + centres, y + centres), axis=-1).reshape(-1, 1, 2).astype(np.float32)
    grid.flags.writeable = False
    return grid


def _ecc(reference: np.ndarray, image: np.ndarray, start: np.ndarray, motion: int,
         iterations: int = 50) -> tuple[float, np.ndarray | None]:
    """ECC alignment of `image` to `reference` from `start` (3x3): (correlation, 3x3 warp) or
    (0, None) when it does not converge. A feeder's dark background (where part of the page
    slid out of the scan) is no print: it is left out of the match."""
    dark = cv2.erode((image < 80).astype(np.uint8), np.ones((7, 7), np.uint8))
    valid = (cv2.dilate(dark, np.ones((11, 11), np.uint8)) == 0).astype(np.uint8)
    warp = start if motion == cv2.MOTION_HOMOGRAPHY else start[:2].copy()
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, 1e-5)
    try:
        score, warp = cv2.findTransformECC(reference.astype(np.float32), image.astype(np.float32), warp,
                                           motion, criteria, valid, 5)
    except cv2.error:
        return 0.0, None
    return float(score), (warp if warp.shape == (3, 3) else np.vstack([warp, [0, 0, 1]])).astype(np.float64)


def _decode_qr(crop: np.ndarray) -> str:
    for image in (crop, cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]):
        try:
            text, _, _ = qr_detector().detectAndDecode(image)
        except cv2.error:
            text = ""
        if text:
            return text
    return ""
