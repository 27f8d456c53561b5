"""Reading scanned ballots (contract section 4).

Per page: decode; find the four ArUco corner markers (their ids give paper size and
orientation, so a rotated or upside-down page is simply mapped back); check the geometry; read
the QR code (another election or round is rejected); warp to the layout; subtract the printed
ballot; score every name (strike form) or box (boxes form) against two thresholds with an
uncertain band between; look for the red seal, writing where none belongs and scanner streaks.
Every decision keeps its score. The reader applies no counting rule: the tally engine does.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiemphieu.tally import Election, Form

from .decode import Page, Unreadable, decode_pages
from .geometry import PAPERS, Layout, layout_for, marker_boxes, parse_qr_payload, qr_box
from .profiles import Profile, load_profile
from .seal import red_fraction, seal_shape, shape_verdict
from .template import Template, horizontal_runs, template_for

READ, REVIEW, REJECTED = "read", "review", "rejected"
QR_PX_PER_MM = 10.0
DETECT_MAX_SIDE = 1400  # markers are searched on an image no larger than this
QR_MIN_AGREEMENT = 0.92  # share of data modules matching this round's QR (random payloads: ~0.5)
MARKER_PAD = 12  # pixels of white added around the image before the marker search
CORNER_SHARE = (0.18, 0.14)  # markers are first looked for in these shares of width and height


@dataclass
class Reading:
    file: str
    page: int
    status: str
    marks: dict | None = None
    boxes: dict | None = None
    flags: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)
    reason: str | None = None
    detail: str | None = None
    box_scores: dict | None = None
    rows: dict | None = None  # per candidate: every measurement behind the decision
    checks: dict = field(default_factory=dict)  # page-level scores: seal, writing, streak, contrast...
    confidence: float | None = None  # lowest distance of a score to the uncertain band
    rotation: int | None = None  # degrees the page was turned in the image (0, 90, 180, 270)
    homography: list | None = None  # image pixels -> page millimetres (3x3)
    profile: str = ""
    profile_digest: str = ""
    layout_digest: str = ""
    page_image: np.ndarray | None = field(default=None, repr=False)  # the warped grey page

    def to_json(self) -> dict:
        return {
            "file": self.file, "page": self.page, "status": self.status,
            "marks": self.marks, "boxes": self.boxes, "flags": list(self.flags),
            "scores": self.scores, "reason": self.reason, "detail": self.detail,
            "box_scores": self.box_scores, "rows": self.rows, "checks": self.checks,
            "confidence": self.confidence, "rotation": self.rotation,
            "homography": self.homography, "profile": self.profile,
            "profile_digest": self.profile_digest, "layout_digest": self.layout_digest,
        }


class Rejection(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


# ------------------------------------------------------------------------------- public API


def read_images(source: str | os.PathLike | bytes, election: Election, profile: Profile | str | None = None,
                file_name: str | None = None) -> list[Reading]:
    """Every ballot (page) in one scan file, given as a path or as the file's bytes."""
    profile = load_profile(profile) if not isinstance(profile, Profile) else profile
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = file_name or "<bytes>"
        return _read_bytes(bytes(source), name, election, profile)
    name = file_name or str(source)
    base = Reading(name, 0, REJECTED, reason="unreadable_file", profile=profile.name,
                   profile_digest=profile.digest)
    try:
        size = Path(source).stat().st_size
        if size > profile.scan.max_file_mb * 1_000_000:
            base.detail = f"file too large ({size} bytes)"
            return [base]
        data = Path(source).read_bytes()
    except OSError as exc:
        base.detail = f"cannot read file: {exc.strerror}"
        return [base]
    return _read_bytes(data, name, election, profile)


read_file = read_images


def read_bytes(data: bytes, election: Election, profile: Profile | str | None = None,
               file_name: str = "<bytes>") -> Reading:
    """One single-page image's reading (the first page of a multi-page file)."""
    return read_images(bytes(data), election, profile, file_name)[0]


def _read_bytes(data: bytes, name: str, election: Election, profile: Profile) -> list[Reading]:
    layout = layout_for(election)
    readings: list[Reading] = []
    try:
        for page in decode_pages(data, profile):
            readings.append(read_page(page, election, profile, name, layout))
    except Unreadable as exc:
        readings.append(_rejected(name, len(readings), "unreadable_file", str(exc), profile, layout))
    except Exception as exc:  # a corrupt file must never stop a batch
        readings.append(_rejected(name, len(readings), "unreadable_file",
                                  f"decoder failure ({type(exc).__name__})", profile, layout))
    if not readings:
        readings.append(_rejected(name, 0, "unreadable_file", "no pages", profile, layout))
    return readings


def _rejected(name, index, reason, detail, profile, layout) -> Reading:
    return Reading(name, index, REJECTED, reason=reason, detail=detail, profile=profile.name,
                   profile_digest=profile.digest, layout_digest=layout.digest)


def read_page(page: Page, election: Election, profile: Profile, name: str = "<image>",
              layout: Layout | None = None) -> Reading:
    layout = layout or layout_for(election)
    if page.image is None:
        return _rejected(name, page.index, "unreadable_file", page.error or "unreadable page", profile, layout)
    reading = Reading(name, page.index, REJECTED, profile=profile.name, profile_digest=profile.digest,
                      layout_digest=layout.digest)
    try:
        _PageReader(page, layout, profile, reading, election.seats).run()
    except Rejection as exc:
        reading.status, reading.reason, reading.detail = REJECTED, exc.reason, exc.detail
        reading.marks = reading.boxes = None
        reading.flags, reading.scores = [], {}
    except cv2.error as exc:
        reading.status, reading.reason = REJECTED, "unreadable_file"
        reading.detail = f"image processing failed: {str(exc).splitlines()[-1][:200]}"
    return reading


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

    def page_from_box(self, name: str, shape: tuple[int, int], box: tuple[int, int, int, int],
                      values: np.ndarray) -> np.ndarray:
        """A page-sized uint8 array holding `values` inside box (y0, y1, x0, x1) and 0 elsewhere."""
        key = (shape, box)
        if self.boxes.get(name) != key:
            self.arrays[name] = np.zeros(shape, np.uint8)  # zeroed once per page size and box
            self.boxes[name] = key
        page = self.arrays[name]
        y0, y1, x0, x1 = box
        page[y0:y1, x0:x1] = values
        return page

    def view(self, name: str, shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
        """An array of any shape, cut from one buffer that only ever grows."""
        size = math.prod(shape)
        array = self.arrays.get(name)
        if array is None or array.size < size or array.dtype != dtype:
            array = self.arrays[name] = np.empty(max(size, 0 if array is None else array.size), dtype)
        return array[:size].reshape(shape)


_scratch = _Scratch()


# ------------------------------------------------------------------------------- markers


_detectors: dict[str, object] = {}
# In a corner crop a marker's perimeter is most of the crop's size (about 0.9 on a scan, 0.4 on
# a phone photo of a page filling half the frame); the QR code's modules beside one marker are
# far smaller. Ignoring outlines under this share skips them (the whole-image search keeps
# ArUco's default).
CORNER_MIN_PERIMETER = 0.25


def _aruco_detector(where: str = "image"):
    if where not in _detectors:
        params = cv2.aruco.DetectorParameters()
        # Two thresholding windows (9 and 21 px): markers are 20-50 px wide at the detection
        # size; a third window (the default 5-25 in steps of 10) found no marker these miss.
        params.adaptiveThreshWinSizeMin = 9
        params.adaptiveThreshWinSizeMax = 21
        params.adaptiveThreshWinSizeStep = 12
        params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
        if where == "corner":
            params.minMarkerPerimeterRate = CORNER_MIN_PERIMETER
        dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
        _detectors[where] = cv2.aruco.ArucoDetector(dictionary, params)
    return _detectors[where]


def find_markers(grey: np.ndarray) -> dict[int, np.ndarray]:
    """Marker id -> its 4 corners (image pixels); ids seen twice are dropped.

    The image's corners are searched first (a scan is mostly the page, so that is where the
    markers are, whatever the rotation); the whole image only when that finds fewer than four.
    """
    scale = min(1.0, DETECT_MAX_SIDE / max(grey.shape))
    # A mild reduction is linear (area averaging at a non-integer ratio costs ~7 ms a page).
    interpolation = cv2.INTER_LINEAR if scale > 0.5 else cv2.INTER_AREA
    small = grey if scale == 1.0 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=interpolation)
    # A white frame: a tightly cropped scan still gives a marker the border ArUco requires.
    pad = MARKER_PAD
    framed = _scratch.get("framed", (small.shape[0] + 2 * pad, small.shape[1] + 2 * pad))
    small = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_CONSTANT, dst=framed, value=255)
    h, w = small.shape
    cw, ch = int(w * CORNER_SHARE[0]), int(h * CORNER_SHARE[1])
    found = _detect(small, ((0, 0), (w - cw, 0), (w - cw, h - ch), (0, h - ch)), (cw, ch), "corner")
    if len(found) < 4:
        found = _detect(small, ((0, 0),), (w, h), "image")
    # resize maps pixel centres: x_small + 0.5 = (x + 0.5) * scale
    return {mid: (quad - pad + 0.5) / scale - 0.5 for mid, quad in found.items()}


def _detect(image: np.ndarray, origins, size, where: str) -> dict[int, np.ndarray]:
    found: dict[int, np.ndarray] = {}
    repeated: set[int] = set()
    cw, ch = size
    for ox, oy in origins:
        corners, ids, _ = _aruco_detector(where).detectMarkers(image[oy:oy + ch, ox:ox + cw])
        if ids is None:
            continue
        for quad, mid in zip(corners, ids.ravel()):
            mid = int(mid)
            if mid in found:
                repeated.add(mid)
            found[mid] = quad.reshape(4, 2) + (ox, oy)
    for mid in repeated:
        del found[mid]
    return found


# ------------------------------------------------------------------------------- one page


class _PageReader:
    def __init__(self, page: Page, layout: Layout, profile: Profile, reading: Reading, seats: int):
        self.page, self.layout, self.profile, self.reading = page, layout, profile, reading
        self.seats = seats
        image = page.image
        self.grey = image if image.ndim == 2 else cv2.cvtColor(
            image, cv2.COLOR_BGR2GRAY, dst=_scratch.get("grey", image.shape[:2]))
        self.flags: list[str] = []
        self.checks: dict = {}

    def run(self) -> None:
        paper, markers = self.markers()
        homography = self.homography(paper, markers)
        self.identify(paper, homography)
        template = template_for(self.layout, self.profile)
        # Pixel j of the template is centred at (j + 0.5) / k mm.
        scale = np.array([[template.k, 0, -0.5], [0, template.k, -0.5], [0, 0, 1.0]])
        warped = cv2.warpPerspective(self.grey, scale @ homography, (template.width, template.height),
                                     flags=cv2.INTER_LINEAR, borderValue=255)
        if self.profile.scan.flatten_illumination:
            warped = _flatten(warped)
        size = warped.shape
        # Blue and purple pens show in colour even where they cross the printed (black) text.
        self.tint = None
        if self.page.colour and self.page.image.ndim == 3:
            # Only where the rows are (the pen colour is looked at nowhere else), and only from
            # the part of the scan that maps there.
            y0, y1, x0, x1 = box = template.rows_box
            to_box = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ scale @ homography
            cx0, cy0, cx1, cy1 = _source_rect(to_box, (x1 - x0, y1 - y0), self.page.image.shape)
            image = self.page.image[cy0:cy1, cx0:cx1]
            blue = cv2.extractChannel(image, 0, dst=_scratch.get("blue", image.shape[:2]))
            red = cv2.extractChannel(image, 2, dst=_scratch.get("red", image.shape[:2]))
            blue_minus_red = cv2.subtract(blue, red, dst=blue)  # saturates at 0
            from_crop = to_box @ np.array([[1, 0, cx0], [0, 1, cy0], [0, 0, 1.0]])
            tint = cv2.warpPerspective(blue_minus_red, from_crop, (x1 - x0, y1 - y0),
                                       dst=_scratch.get("tint_box", (y1 - y0, x1 - x0)),
                                       flags=cv2.INTER_LINEAR, borderValue=0)
            paper_tint = _percentile(tint, 0.5)  # a cool light or paper tint shifts every pixel
            tint = _at_least(tint, paper_tint + self.profile.ink.tint_level, dst=tint)
            self.tint = _scratch.page_from_box("tint", size, box, tint)
        self.reading.page_image = warped
        paper_level = _percentile(warped, 0.90)
        ink = _below(warped, paper_level * self.profile.ink.ink_level, dst=_scratch.get("ink", size))
        new_ink = cv2.bitwise_and(ink, template.not_glyph, dst=_scratch.get("new_ink", size))
        # Faint ink (a light pen, a faded scan) never decides a mark; it only forbids "kept"/"none".
        # Only where the rows are: faint ink is looked at nowhere else.
        y0, y1, x0, x1 = box = template.rows_box
        faint = _below(warped[y0:y1, x0:x1], paper_level * self.profile.ink.faint_level,
                       dst=_scratch.get("faint_box", (y1 - y0, x1 - x0)))
        cv2.bitwise_and(faint, template.not_glyph[y0:y1, x0:x1], dst=faint)
        self.faint = _scratch.page_from_box("faint", size, box, faint)
        self.quality(warped, template, paper_level)
        self.streaks(homography, paper_level)
        self.writing(new_ink, template)
        self.seal(homography, template, warped, paper_level)
        if self.layout.form == Form.STRIKE:
            self.read_strikes(warped, ink, template)
        else:
            self.read_boxes(warped, ink, template)
        r = self.reading
        marks = (r.marks or r.boxes).values()
        if self.profile.blank.review_unmarked and all(v in ("kept", "none") for v in marks):
            self._flag("no_marks")  # on this scanner a pen can vanish: a person looks at blank ballots
        elif self.profile.blank.review_over_seats and r.marks and sum(v == "kept" for v in marks) > self.seats:
            self._flag("few_marks")  # more names kept than seats: a strike may have vanished
        r.flags = self.flags
        r.checks = self.checks
        uncertain = any(v == "uncertain" for v in (r.marks or r.boxes).values())
        r.status = REVIEW if uncertain or self.flags else READ
        r.reason = None

    # -- geometry

    def markers(self):
        found = find_markers(self.grey)
        need = self.profile.geometry.min_markers
        for paper in PAPERS.values():
            seen = [mid for mid in paper.marker_ids if mid in found]
            others = [mid for mid in found if mid not in paper.marker_ids]
            if len(seen) >= need and not others:
                self.checks["markers"] = len(seen)
                return paper, {mid: found[mid] for mid in seen}
        if _ink_fraction(self.grey, self.profile) <= self.profile.blank.max_ink_fraction:
            raise Rejection("blank_page", "no printing or writing on the page")
        seen = sorted(found)
        raise Rejection("no_markers", f"corner markers found: {seen or 'none'}")

    def homography(self, paper, found) -> np.ndarray:
        """Image pixels -> page millimetres, after checking the page is not too distorted."""
        src, dst = [], []
        for mid, (x, y, w, h) in marker_boxes(paper):
            if mid not in found:
                continue  # a corner cut off by the scanner: three markers still fix the page
            src.append(found[mid])
            dst.append([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
        src = np.concatenate(src).astype(np.float32)
        dst = np.asarray(dst, np.float32).reshape(-1, 2)
        homography, _ = cv2.findHomography(src, dst, 0)
        if homography is None:
            raise Rejection("bad_geometry", "markers do not form a page")
        projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
        error = float(np.abs(projected - dst).max())
        g = self.profile.geometry
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
        self.checks.update({"corner_error_mm": round(error, 3), "skew_deg": round(skew, 2),
                            "perspective": round(perspective, 4), "aspect": round(aspect, 4)})
        self.reading.rotation = rotation
        self.reading.homography = [[round(float(v), 8) for v in row] for row in homography]
        problems = []
        if det <= 0:
            problems.append("page is mirrored")
        if error > g.max_corner_error_mm:
            problems.append(f"marker corners {error:.2f} mm off")
        if skew > g.max_skew_deg:
            problems.append(f"skew {skew:.1f} degrees")
        if perspective > g.max_perspective:
            problems.append(f"perspective {perspective:.3f}")
        if abs(aspect - 1) > g.max_aspect_error:
            problems.append(f"aspect ratio off by {abs(aspect - 1):.3f}")
        if problems:
            raise Rejection("bad_geometry", "; ".join(problems))
        dpi = (top + bottom) / 2 / w * 25.4 * self.page.reduction
        self.checks["dpi"] = round(dpi, 1)
        if dpi < self.profile.scan.min_dpi:
            self._flag("low_quality")
        return homography

    def identify(self, paper, homography) -> None:
        """The QR code: this election, this round, this layout."""
        if paper is self.layout.paper and self._qr_matches(homography):
            return
        x, y, size, _ = qr_box(paper)
        margin = 3.0
        f = QR_PX_PER_MM
        to_crop = np.array([[f, 0, -(x - margin) * f], [0, f, -(y - margin) * f], [0, 0, 1]]) @ homography
        side = int(round((size + 2 * margin) * f))
        crop = cv2.warpPerspective(self.grey, to_crop, (side, side), flags=cv2.INTER_LINEAR, borderValue=255)
        text = _decode_qr(crop)
        if not text:
            raise Rejection("qr_unreadable", "the ballot's QR code cannot be read")
        parsed = parse_qr_payload(text)
        if parsed is None:
            raise Rejection("wrong_election", "not a kiemphieu ballot")
        fingerprint, round_, digest = parsed
        if fingerprint != self.layout.fingerprint:
            raise Rejection("wrong_election", f"ballot of another election or round (its round: {round_})")
        if paper is not self.layout.paper or not self.layout.digest.upper().startswith(digest):
            raise Rejection("wrong_layout", "printed from a different layout of this election")

    def _qr_matches(self, homography) -> bool:
        """Fast path: the modules where our QR code is printed are those of this round's payload.

        Data modules of two different payloads differ in about half the places, so a high
        agreement on them is as strong as decoding; anything else goes to the full decoder.
        """
        template = template_for(self.layout, self.profile)
        x, y, size, _ = self.layout.qr_mm
        modules = template.qr_expected.shape[0]
        per_module = 4
        f = per_module * modules / size
        to_crop = np.array([[f, 0, -x * f], [0, f, -y * f], [0, 0, 1]]) @ homography
        side = modules * per_module
        crop = cv2.warpPerspective(self.grey, to_crop, (side, side), flags=cv2.INTER_LINEAR, borderValue=255)
        cells = crop.reshape(modules, per_module, modules, per_module)[:, 1:3, :, 1:3].mean(axis=(1, 3))
        low, high = np.percentile(cells, (10, 90))
        if high - low < 40:
            return False
        dark = cells < (low + high) / 2
        agreement = float((dark == template.qr_expected)[template.qr_data].mean())
        self.checks["qr_agreement"] = round(agreement, 3)
        return agreement >= QR_MIN_AGREEMENT

    # -- page checks

    def quality(self, warped, template: Template, paper_level: float) -> None:
        text_level = float(warped.ravel()[template.core_index].mean()) if template.core_index.size else 0.0
        contrast = (paper_level - text_level) / max(paper_level, 1.0)
        self.checks["contrast"] = round(contrast, 3)
        if contrast < self.profile.ink.min_contrast:
            self._flag("low_quality")

    def streaks(self, homography, paper_level: float) -> None:
        """Dark lines along the scanner's feed direction across the whole page."""
        if not self.profile.streak.check:
            return
        w, h = self.layout.paper.width, self.layout.paper.height
        quad = cv2.perspectiveTransform(np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]]),
                                        np.linalg.inv(homography)).reshape(4, 2)
        x0, y0 = np.maximum(quad.min(axis=0), 0).astype(int)
        x1, y1 = quad.max(axis=0).astype(int)
        inset_x, inset_y = (x1 - x0) // 50, (y1 - y0) // 50
        region = self.grey[y0 + inset_y:y1 - inset_y, x0 + inset_x:x1 - inset_x]
        if region.size == 0:
            return
        region = region[::2]  # every other row: a streak runs the page's length
        _, dark = cv2.threshold(region, paper_level * self.profile.streak.level, 1, cv2.THRESH_BINARY_INV,
                                dst=_scratch.get("streak", region.shape))
        columns = cv2.reduce(dark, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() / region.shape[0]
        longest = float(columns.max()) if columns.size else 0.0
        self.checks["streak"] = round(longest, 3)
        if longest >= self.profile.streak.min_length:
            self._flag("streak")

    def writing(self, new_ink, template: Template) -> None:
        if not self.profile.writing.check:
            return
        cell = max(2, template.px(self.profile.writing.cell_mm))
        free = cv2.bitwise_and(new_ink, template.free, dst=_scratch.get("free", new_ink.shape))
        worst = _densest_cell(free, cell) / (cell * cell)
        self.checks["writing"] = round(worst, 4)
        if worst >= self.profile.writing.min_fraction:
            self._flag("extra_writing")

    def seal(self, homography, template: Template, warped, paper_level: float) -> None:
        """The committee's seal: by its red on a colour scan, by its round shape on a grey or
        bitonal one; a ballot whose seal cannot be checked is never read without a person."""
        s = self.profile.seal
        if not s.check:
            self.checks["seal"] = None
            self._flag("seal_unchecked")
            return
        if self.page.colour and self.page.image.ndim == 3:
            x, y, w, h = self.layout.stamp_mm
            f = 2.0  # px per mm: a seal is large, colour needs no detail
            to_crop = np.array([[f, 0, -x * f], [0, f, -y * f], [0, 0, 1]]) @ homography
            crop = cv2.warpPerspective(self.page.image, to_crop, (int(w * f), int(h * f)), borderValue=(255, 255, 255))
            fraction = red_fraction(crop, s)
            self.checks["seal"] = round(fraction, 4)
            if fraction < s.min_fraction:
                self._flag("no_stamp")
            return
        y0, y1, x0, x1 = template.box_px(self.layout.stamp_mm, s.spill_mm)
        ink = _below(warped[y0:y1, x0:x1], paper_level * self.profile.ink.faint_level)
        cv2.bitwise_and(ink, template.not_glyph[y0:y1, x0:x1], dst=ink)
        shape = seal_shape(ink, template.k, s.min_radius_mm, s.max_radius_mm)
        self.checks["seal"] = None
        self.checks["seal_shape"] = shape.to_json()
        verdict = shape_verdict(shape, s)
        if verdict == "no_stamp" and (self.profile.scan.bitonal or _two_levels(self.grey)):
            verdict = "seal_unchecked"  # a bitonal scanner's threshold drops a red seal whole
        if verdict:
            self._flag(verdict)

    def _flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)

    # -- rows

    def _aligned(self, warped, ink, template: Template, row):
        """The row's new ink (off the print), taken where its printed name really is (± a fraction
        of a mm), the shift that took it there and the match score."""
        search = template.px(self.profile.geometry.align_search_mm)
        dy = dx = 0
        score = None
        y0, y1, x0, x1 = row.match
        if search > 0:
            sy0, sx0 = max(0, y0 - search), max(0, x0 - search)
            area = warped[sy0:min(template.height, y1 + search), sx0:min(template.width, x1 + search)]
            patch = template.grey_float[y0:y1, x0:x1]
            if area.shape[0] >= patch.shape[0] and area.shape[1] >= patch.shape[1]:
                # In float32: OpenCV's 8-bit path is twice as slow for the same correlation.
                result = cv2.matchTemplate(area.astype(np.float32), patch, cv2.TM_CCOEFF_NORMED)
                _, best, _, (bx, by) = cv2.minMaxLoc(result)
                score = float(best)
                at_zero = float(result[y0 - sy0, x0 - sx0])
                # Move only for a clearly better fit: added ink (an underline) must not pull the row.
                if best >= self.profile.geometry.min_align_score and best - at_zero > 0.03:
                    dx, dy = bx - (x0 - sx0), by - (y0 - sy0)
        by0, by1, bx0, bx1 = row.band
        if by0 + dy < 0 or bx0 + dx < 0 or by1 + dy > template.height or bx1 + dx > template.width:
            dx = dy = 0
        new = _shifted_band(ink, row, (dx, dy)) & template.not_glyph[by0:by1, bx0:bx1]
        return new, (dx, dy), score

    def _tint_band(self, row, shift) -> np.ndarray | None:
        """Pen-coloured ink (blue, purple) in the row band, print included."""
        return None if self.tint is None else _shifted_band(self.tint, row, shift)

    def _tint_mm2(self, row, shift, template: Template, area=None) -> float:
        band = self._tint_band(row, shift)
        if band is None:
            return 0.0
        if area is not None:
            a0, a1, b0, b1 = area
            band = band[a0:a1, b0:b1]
        return int(band.sum()) / (template.k * template.k)

    def _strike_measures(self, warped, ink, template: Template) -> list[dict]:
        """Per row (ballot order): the aligned masks and the measures a strike is judged by.

        The rows' masks are stacked and measured together (rows of one size at once): the same
        numbers as row by row, without a few dozen small NumPy calls per row.
        """
        # Once for the page (where the rows are), sliced per row.
        y0, y1, x0, x1 = box = template.rows_box
        shape = (y1 - y0, x1 - x0)
        runs = horizontal_runs(np.ascontiguousarray(ink[y0:y1, x0:x1]), template.run_px,
                               work=_scratch.get("thick", shape), out=_scratch.get("runs_box", shape))
        self.runs = _scratch.page_from_box("runs", ink.shape, box, runs)
        area_px = template.k * template.k
        rows = []
        for row in template.rows:
            new, shift, align = self._aligned(warped, ink, template, row)
            by0, by1, bx0, bx1 = row.band
            dx, dy = shift
            runs = _pen_runs(_shifted_band(self.runs, row, shift) & template.not_printed_runs[by0:by1, bx0:bx1], new)
            rows.append({"row": row, "new": new, "runs": runs, "faint": _shifted_band(self.faint, row, shift),
                         "tint": self._tint_band(row, shift), "shift": shift, "align": align})
        groups: dict[tuple, list[dict]] = {}
        for m in rows:
            groups.setdefault((m["new"].shape, m["row"].zone), []).append(m)
        for (_, (z0, z1)), members in groups.items():
            kinds = ["new", "runs", "faint"] + ([] if members[0]["tint"] is None else ["tint"])
            count = len(members)
            stacked = np.stack([m[kind] for kind in kinds for m in members])  # every kind of every row
            stacks = {kind: stacked[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
            # Per name column: ink centred in the strike zone (new ink, pen runs, faint ink, pen colour).
            centred, column_counts = _centred_in_zone_rows(stacked, z0, z1)
            hits = {kind: centred[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
            # Where along the name the pen went, the zone grown by half: a slanted strike leaves it.
            s0, s1 = max(0, z0 - (z1 - z0) // 2), z1 + (z1 - z0) // 2
            pen = (stacks["new"][:, s0:s1] | stacks["runs"][:, s0:s1]).any(axis=1)
            if "tint" in stacks:
                pen |= stacks["tint"][:, s0:s1].any(axis=1)
            in_zone = _column_cumsum(stacks["new"][:, z0:z1].sum(axis=1, dtype=np.int32))
            hit_sums = {kind: _column_cumsum(h) for kind, h in hits.items()}
            sums = column_counts.sum(axis=1).astype(np.int64).tolist()  # each mask's ink
            totals = {kind: sums[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
            # Ink on open paper, not touching the print's edge: a scan's blur and a sub-pixel
            # misregistration leave slivers of the print itself along it; a pen's mark lies on the paper.
            edges = template.stacked_glyph_edges(tuple(m["row"].id for m in members))
            on_edge = {kind: np.count_nonzero(stacks[kind] & edges, axis=(1, 2)).tolist() for kind in ("new", "faint")}
            for i, m in enumerate(members):
                m["free_px"] = totals["new"][i] - on_edge["new"][i]
                m["faint_free_px"] = totals["faint"][i] - on_edge["faint"][i]
                n0, n1 = m["row"].name
                width = n1 - n0

                def in_name(sums, i=i, n0=n0, n1=n1):
                    return int(sums[i, n1] - sums[i, n0])

                visible_share, visible_count = template.visible[m["row"].id]
                gap_cover = in_name(hit_sums["new"]) / max(1, visible_count)
                if visible_share < self.profile.strike.min_visible:
                    gap_cover = 0.0  # too little paper between glyphs to judge by the gaps
                run_cover = in_name(hit_sums["runs"]) / width if width else float("nan")
                # A coloured pen is seen across the letters too: the print is black.
                tint_cover = in_name(hit_sums["tint"]) / width if "tint" in hits and width else 0.0
                total = totals["new"][i]
                m.update(
                    visible_share=visible_share, gap_cover=gap_cover, run_cover=run_cover, tint_cover=tint_cover,
                    score=max(run_cover, gap_cover, tint_cover), span=_span(pen[i, n0:n1]),
                    ink_mm2=total / area_px, stray=(total - in_name(in_zone)) / area_px,
                    faint_cover=in_name(hit_sums["faint"]) / width if width else float("nan"),
                    faint_mm2=totals["faint"][i] / area_px,
                    tint_mm2=totals["tint"][i] / area_px if "tint" in totals else 0.0)
        return rows

    def read_strikes(self, warped, ink, template: Template) -> None:
        st = self.profile.strike
        area_px = template.k * template.k
        marks, scores, details = {}, {}, {}
        confidence = math.inf
        for m in self._strike_measures(warped, ink, template):
            row, new, shift, align = m["row"], m["new"], m["shift"], m["align"]
            runs, tint, faint = m["runs"], m["tint"], m["faint"]
            n0, n1 = row.name
            z0, z1 = row.zone
            score, span, ink_mm2, stray = m["score"], m["span"], m["ink_mm2"], m["stray"]
            run_cover, gap_cover, tint_cover = m["run_cover"], m["gap_cover"], m["tint_cover"]
            faint_cover, faint_mm2, tint_mm2 = m["faint_cover"], m["faint_mm2"], m["tint_mm2"]
            visible_share = m["visible_share"]
            extra = multi = 0.0
            line_cover = faint_extra = None
            corridor = template.px(st.corridor * row.size_mm)
            if score >= min(st.definite, st.line_score):
                extra, multi = _off_line(new, n0, n1, corridor)
                extra /= area_px
                if tint is not None and tint.any():  # (no pen colour: nothing off any line)
                    # A pale coloured pen shows by its colour only: look off the line in that ink too.
                    tint_extra, tint_multi = _off_line(tint, n0, n1, corridor)
                    extra, multi = max(extra, tint_extra / area_px), max(multi, tint_multi)
            clean = (span >= st.min_span and extra < st.extra_mm2
                     and not (multi >= st.max_multi and extra >= 0.4 * st.extra_mm2))
            # A line's own evidence is a horizontal run or the pen's colour (a blurred print also
            # fills the gaps between letters), on a row whose print is clearly recognised.
            pen_score = max(run_cover, tint_cover)
            sharp = align is not None and align >= st.line_min_align
            if clean and sharp and st.line_score <= pen_score and score < st.definite:
                # A thin or pale pen, or a wave, whose line the print hides in places: struck when
                # its ink crosses every part of the name and nothing (not even faint ink) is off it.
                low = min(new.shape[0], z1 + template.px(st.line_below * row.size_mm))
                masks = (new, runs) + (() if tint is None else (tint,))
                wide, _ = _centred_in_zone_rows(np.stack([mask[:, n0:n1] for mask in masks]), z0, low)
                line_cover = _segment_cover(wide.any(axis=0), st.line_segments)
                faint_extra = _off_line(faint, n0, n1, corridor)[0] / area_px
            line = line_cover is not None and line_cover >= st.line_cover and faint_extra < st.line_faint_extra_mm2
            free_mm2 = faint_free_mm2 = None
            if score < st.marginal:
                free_mm2, faint_free_mm2 = m["free_px"] / area_px, m["faint_free_px"] / area_px
            crease = None
            if clean and (score >= st.definite or line):
                mark = "struck"
                # A fold crease along the letters is no strike: it runs on across the page.
                crease = _crease_cover(warped, template, row, shift, new | runs, st)
                if crease is not None and crease >= st.crease_cover:
                    mark = "uncertain"
            elif (score < st.marginal and ink_mm2 < st.kept_ink_mm2 and free_mm2 < st.kept_free_mm2
                  and faint_cover < st.faint_marginal and tint_mm2 < st.kept_tint_mm2
                  and not (free_mm2 >= 0.6 * st.kept_free_mm2 and faint_free_mm2 >= st.kept_faint_mm2)
                  and not (ink_mm2 >= 0.4 * st.kept_ink_mm2 and faint_mm2 >= st.kept_pale_mm2)):
                mark = "kept"  # not a trace of a pen in the row
            else:
                mark = "uncertain"
            marks[row.id] = mark
            scores[row.id] = round(score, 3)
            details[row.id] = {"run_cover": round(run_cover, 3), "gap_cover": round(gap_cover, 3),
                               "tint_cover": round(tint_cover, 3), "span": round(span, 3),
                               "faint_cover": round(faint_cover, 3), "ink_mm2": round(ink_mm2, 2),
                               "faint_mm2": round(faint_mm2, 2), "tint_mm2": round(tint_mm2, 2),
                               "extra_mm2": round(extra, 2), "multi": round(multi, 3),
                               "visible": round(visible_share, 3), "stray_mm2": round(stray, 2),
                               "shift_px": list(shift), "align": None if align is None else round(align, 3),
                               "line_cover": None if line_cover is None else round(line_cover, 3),
                               "faint_extra_mm2": None if faint_extra is None else round(faint_extra, 2),
                               "free_mm2": None if free_mm2 is None else round(free_mm2, 2),
                               "faint_free_mm2": None if faint_free_mm2 is None else round(faint_free_mm2, 2),
                               "crease": None if crease is None else round(crease, 3)}
            if mark == "struck":
                margin = score - st.definite if not line else min(pen_score - st.line_score, line_cover - st.line_cover)
            elif mark == "kept":
                margin = min(st.marginal - score, st.kept_ink_mm2 - ink_mm2, st.kept_free_mm2 - free_mm2)
            else:
                margin = -min(abs(score - st.marginal), abs(st.definite - score))
            confidence = min(confidence, margin)
        self.reading.marks, self.reading.scores, self.reading.rows = marks, scores, details
        self.reading.confidence = round(confidence, 3)

    def read_boxes(self, warped, ink, template: Template) -> None:
        bx = self.profile.boxes
        area_px = template.k * template.k
        boxes, scores, box_scores, details = {}, {}, {}, {}
        confidence = math.inf
        for row in template.rows:
            new, shift, align = self._aligned(warped, ink, template, row)
            faint = _shifted_band(self.faint, row, shift)
            states, values = [], {}
            for side, (y0, y1, x0, x1) in (("agree", row.agree), ("disagree", row.disagree)):
                inner = new[y0:y1, x0:x1]
                pale = faint[y0:y1, x0:x1]
                pale_score = min(float(pale.any(axis=0).mean()), float(pale.any(axis=1).mean())) if pale.size else 0.0
                score = min(float(inner.any(axis=0).mean()), float(inner.any(axis=1).mean())) if inner.size else 0.0
                fill = float(inner.mean()) if inner.size else 0.0
                crossings = _crossings(inner)
                # A pale scribble shows its shape in the faint ink only.
                pale_sides = _inked_sides(pale, bx.side_fill)
                sides = _inked_sides(inner, bx.side_fill)
                long_rows, long_cols = _long_lines(inner, bx.long_run)
                long_lines = max(long_rows, long_cols)
                line_groups = max(_through_lines(inner))
                values[f"{side}_line_groups"] = line_groups
                values[f"{side}_long"] = round(long_lines, 3)
                values[f"{side}_one_way"] = round(abs(long_rows - long_cols), 3)
                values[side] = round(score, 3)
                values[f"{side}_fill"] = round(fill, 3)
                values[f"{side}_crossings"] = round(crossings, 2)
                values[f"{side}_sides"] = sides
                values[f"{side}_pale_sides"] = pale_sides
                state = "marked" if score >= bx.definite else "empty" if score < bx.marginal else "unsure"
                # A thick pen's X reaches the sides' middles and fills much of a small box, but
                # its arms cross the box's rows (and columns) in short runs: few long lines.
                heavy = fill > bx.max_fill or sides >= 3
                if heavy and long_lines <= bx.x_max_long and fill <= bx.x_max_fill:
                    heavy = False
                # Long lines across the rows but not the columns (or the reverse): strokes drawn
                # back and forth one way, a scribble, however few sides it reaches.
                one_way = abs(long_rows - long_cols) >= bx.max_one_way
                if heavy or one_way or crossings > bx.max_crossings or pale_sides >= 4:
                    state = "unsure"  # blacked out or scribbled: a correction as likely as a mark
                tint = self._tint_mm2(row, shift, template, (y0, y1, x0, x1))
                values[f"{side}_tint_mm2"] = round(tint, 2)
                if state == "empty" and (pale_score >= bx.marginal or fill > 0 or tint >= bx.empty_tint_mm2):
                    state = "unsure"  # a trace of a pen: a person must look
                states.append(state)
                confidence = min(confidence, _margin(score, bx.marginal, bx.definite))
            _, _, a0, a1 = row.boxes_area
            outside = int(new.sum()) - int(new[:, a0:a1].sum())
            stray = outside / area_px
            if "unsure" in states:
                mark = "uncertain"
            else:
                mark = {("marked", "marked"): "both", ("marked", "empty"): "agree",
                        ("empty", "marked"): "disagree", ("empty", "empty"): "none"}[tuple(states)]
                if mark == "none" and stray >= bx.stray_mm2:
                    mark = "uncertain"
                    confidence = min(confidence, -1.0)
                # Both boxes, one heavily inked: an X in one box and a scribbled-over X in the other.
                fills = sorted((values["agree_fill"], values["disagree_fill"]))
                if mark == "both" and (fills[1] >= bx.both_fill_ratio * max(fills[0], 1e-3)
                                       or _cancelled(values, bx)):
                    mark = "uncertain"
                    confidence = min(confidence, -1.0)
            boxes[row.id] = mark
            box_scores[row.id] = values
            scores[row.id] = max(values["agree"], values["disagree"])
            details[row.id] = {"stray_mm2": round(stray, 2), "shift_px": list(shift),
                               "align": None if align is None else round(align, 3)}
        self.reading.boxes, self.reading.scores = boxes, scores
        self.reading.box_scores, self.reading.rows = box_scores, details
        self.reading.confidence = round(confidence, 3)


# ------------------------------------------------------------------------------- helpers


def _shifted_band(mask: np.ndarray, row, shift: tuple[int, int]) -> np.ndarray:
    """The row's band of a page-sized mask, moved by the row's re-alignment shift (dx, dy)."""
    dx, dy = shift
    y0, y1, x0, x1 = row.band
    return mask[y0 + dy:y1 + dy, x0 + dx:x1 + dx]


def _crease_cover(warped: np.ndarray, template: Template, row, shift: tuple[int, int], pen: np.ndarray,
                  st) -> float | None:
    """How far the row's line runs on across the page, away from the name: the least share, on
    either side (from `crease_gap_mm` past the name to the page's margin), of columns where the
    paper is darkened along the line's extension. None when no side is long enough to tell.

    A voter's strike ends within a few millimetres of the name (through the row number at
    most); a fold crease crosses the whole page.
    """
    n0, n1 = row.name
    z0, z1 = row.zone
    grow = (z1 - z0) // 2
    y0 = max(0, z0 - grow)
    band = pen[y0:z1 + grow, n0:n1]
    ys, xs = np.nonzero(band)
    if xs.size < 8 or np.ptp(xs) < 4:
        return None
    slope, intercept = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)
    dx, dy = shift
    by0, _, bx0, _ = row.band
    top = by0 + dy + y0 + intercept  # page row of the line at the name's first column
    left_x = bx0 + dx + n0
    gap, margin, shortest = template.px(st.crease_gap_mm), template.px(5.0), template.px(st.crease_min_mm)
    paper = _percentile(warped, 0.90)
    sides = ((margin, left_x - gap), (left_x + (n1 - n0) + gap, template.width - margin))
    covers = []
    for a, b in sides:
        if b - a < shortest:
            continue
        columns = np.arange(a, b)
        lines = np.round(top + slope * (columns - left_x)).astype(int)
        ok = (lines >= 2) & (lines < template.height - 2)
        columns, lines = columns[ok], lines[ok]
        window = np.stack([warped[lines + k, columns] for k in range(-2, 3)])
        printed = np.stack([template.glyph[lines + k, columns] for k in range(-2, 3)]).any(axis=0)
        open_paper = ~printed
        if np.count_nonzero(open_paper) < shortest:
            continue
        dark = window.min(axis=0) < paper * st.crease_level
        covers.append(float(np.count_nonzero(dark & open_paper)) / np.count_nonzero(open_paper))
    return min(covers) if covers else None


def _segment_cover(hits: np.ndarray, segments: int) -> float:
    """The least share of hit columns over `segments` equal parts of the name.

    A line from one end of the name to the other leaves evidence in every part, even where the
    print hides it here and there; a partial strike or a stroke over one word leaves parts empty.
    """
    if hits.size < segments:
        return 0.0
    return float(min(np.count_nonzero(part) / part.size for part in np.array_split(hits, segments)))


def _margin(score: float, marginal: float, definite: float) -> float:
    """How far a score is from the uncertain band (negative inside it)."""
    if score >= definite:
        return score - definite
    if score < marginal:
        return marginal - score
    return -min(score - marginal, definite - score)


def _span(hits: np.ndarray) -> float:
    """Share of the name between the 5th and 95th percentile of the struck columns.

    A strike runs from one end of the name to the other; a stroke over half of it (a partial
    strike, a correction) does not, however densely it covers that half.
    """
    columns = np.flatnonzero(hits)
    if columns.size < 2:
        return 0.0
    low, high = _sorted_percentile(columns, 0.05), _sorted_percentile(columns, 0.95)
    return float(high - low) / max(1, hits.size)


def _sorted_percentile(values: np.ndarray, q: float) -> float:
    """np.percentile's default (linear) method on an already sorted array, without its overhead."""
    position = q * (values.size - 1)
    below = int(math.floor(position))
    above = min(below + 1, values.size - 1)
    a, b, t = float(values[below]), float(values[above]), position - below
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _pen_runs(runs: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The horizontal runs that show pen ink somewhere off the print.

    Blurred letters can merge into a run (a crossbar with its stems); such a run lies wholly on
    printed text, while a pen's stroke crosses the paper between letters.
    """
    if not runs.any():
        return runs
    if not new.any():
        return np.zeros_like(runs)  # no ink off the print at all: no run can touch paper
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    on_paper = np.bincount(labels[new > 0], minlength=count) >= 2
    on_paper[0] = False
    if on_paper[1:].all():
        return runs  # every run touches paper: the mask is the runs themselves (labels > 0)
    if not on_paper.any():
        return np.zeros_like(runs)
    return on_paper[labels].astype(np.uint8)


def _off_line(new: np.ndarray, n0: int, n1: int, half: int) -> tuple[int, float]:
    """Ink off a strike's line, and the share of name columns crossed three times or more.

    In each column the ink of a plain strike (straight, slanted, wavy, or two lines) lies within
    `half` pixels, plus the pen's width, of the column's ink centre; a circle round the name,
    loops or a tick across it do not.
    """
    h, w = new.shape
    mask = new.astype(np.int8)
    counts = mask.sum(axis=0, dtype=np.int32)
    starts = np.count_nonzero(np.diff(mask, axis=0) == 1, axis=0) + mask[0]
    ys = np.arange(h, dtype=np.float32)[:, None]
    centre = (mask * ys).sum(axis=0) / np.maximum(counts, 1)
    inked = starts > 0
    pen = _median(counts[inked] / starts[inked]) if inked.any() else 0.0
    off = np.abs(ys - centre[None, :]) > half + pen
    extra = int(np.count_nonzero(mask.astype(bool) & off))
    multi = float((starts[n0:n1] >= 3).mean()) if n1 > n0 else 0.0
    return extra, multi


def _median(values: np.ndarray) -> float:
    """np.median of a non-empty array without NaNs (same value), without its overhead."""
    ordered = np.sort(values)
    middle = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def _inked_sides(inner: np.ndarray, level: float) -> int:
    """How many of the four side-middles of a box carry ink.

    The arms of an X (or a tick) run to the corners and leave the middle of every side white; a
    scribble or a box filled in back and forth reaches two opposite sides at least.
    """
    h, w = inner.shape
    if h < 5 or w < 5:
        return 0
    r0, r1, c0, c1 = int(h * 0.35), max(int(h * 0.65), int(h * 0.35) + 1), int(w * 0.35), max(int(w * 0.65), int(w * 0.35) + 1)
    band_h, band_w = max(1, int(round(h * 0.2))), max(1, int(round(w * 0.2)))
    wedges = (inner[r0:r1, :band_w], inner[r0:r1, w - band_w:], inner[:band_h, c0:c1], inner[h - band_h:, c0:c1])
    return sum(float(part.mean()) > level for part in wedges)


def _longest_runs(mask: np.ndarray) -> np.ndarray:
    """The longest run of ink in each row of a mask."""
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    steps = np.diff(padded, axis=1)
    starts, ends = np.nonzero(steps == 1), np.nonzero(steps == -1)
    longest = np.zeros(mask.shape[0], np.int32)
    np.maximum.at(longest, starts[0], ends[1] - starts[1])
    return longest


def _long_lines(inner: np.ndarray, share: float) -> tuple[float, float]:
    """The shares of a box's rows and of its columns inked over `share` of its width (height) in
    one run: an X crosses a row in one or two short runs (long only where its arms meet); strokes
    back and forth across the box, or a box blacked out, fill row after row."""
    h, w = inner.shape
    if h < 5 or w < 5:
        return 1.0, 1.0
    rows = float((_longest_runs(inner) >= share * w).mean())
    cols = float((_longest_runs(inner.T) >= share * h).mean())
    return rows, cols


def _cancelled(values: dict, bx) -> bool:
    """Both boxes marked, one of them struck through: lines right across it (two or more
    separate ones), or long lines one way more than an X has (lines drawn close together merge
    into one band). The voter took one mark back: a person reads which."""
    return any(values[f"{side}_line_groups"] > bx.max_line_groups
               or values[f"{side}_one_way"] >= bx.both_max_one_way for side in ("agree", "disagree"))


def _through_lines(inner: np.ndarray) -> tuple[int, int]:
    """How many separate lines run right across a box, edge to edge: bands of rows (columns)
    holding one run of ink from one side of the box to the other.

    An X's arms reach the corners, never straight across (where they meet the run stops short
    of both sides); lines struck through a mark to cancel it cross the whole box, a band each.
    Grown by a pixel up and down first, so a thin line a little slanted stays one run."""
    h, w = inner.shape
    if h < 5 or w < 5:
        return 0, 0
    rows = _longest_runs(cv2.dilate(inner, _VERTICAL_3)) >= w - 1
    cols = _longest_runs(cv2.dilate(inner, _HORIZONTAL_3).T) >= h - 1
    return _groups(rows), _groups(cols)


_VERTICAL_3 = np.ones((3, 1), np.uint8)
_HORIZONTAL_3 = np.ones((1, 3), np.uint8)


def _groups(flags: np.ndarray) -> int:
    """The number of runs of True in a 1-D boolean array."""
    padded = np.concatenate(([False], flags))
    return int(np.count_nonzero(padded[1:] & ~padded[:-1]))


def _crossings(inner: np.ndarray) -> float:
    """How many strokes a line across the box meets (median over inked rows and columns; max of both).

    An X or a tick is met once or twice; a scribble or a box filled back and forth many times.
    """
    if inner.size == 0 or not inner.any():
        return 0.0
    mask = inner.astype(np.int8)
    per_col = np.count_nonzero(np.diff(mask, axis=0) == 1, axis=0) + mask[0, :]
    per_row = np.count_nonzero(np.diff(mask, axis=1) == 1, axis=1) + mask[:, 0]
    return float(max(_median(per_col[per_col > 0]), _median(per_row[per_row > 0])))


def _densest_cell(mask: np.ndarray, cell: int) -> int:
    """Most ink in one cell x cell window, the windows tiled from offset 0 and from cell // 2.

    Half-cell offsets too, so writing on a cell border is not split in two. With an even cell
    the page is summed in half-cell blocks (small arrays: a page-sized integral image costs
    more in fresh memory than in arithmetic); an odd cell uses the integral image.
    """
    h, w = mask.shape
    if cell % 2 == 0 and cell // 2 < 128:
        half = cell // 2
        hb, wb = h // half, w // half
        rows = mask[:hb * half, :wb * half].reshape(hb, half, wb * half).sum(axis=1, dtype=np.uint16)
        blocks = rows.reshape(hb, wb, half).sum(axis=2, dtype=np.int32)
        worst = 0
        for start in (0, 1):  # a window is 2 x 2 blocks, starting at an even (or odd) block
            part = blocks[start:, start:]
            ph, pw = part.shape[0] // 2 * 2, part.shape[1] // 2 * 2
            if ph and pw:
                sums = part[:ph, :pw].reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
                worst = max(worst, int(sums.max()))
        return worst
    total = cv2.integral(mask)  # (h+1, w+1) running sums: any window's ink in four lookups
    worst = 0
    for offset in (0, cell // 2):
        corners = total[offset::cell, offset::cell]
        sums = corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]
        worst = max(worst, int(sums.max()) if sums.size else 0)
    return worst


def _source_rect(forward: np.ndarray, size: tuple[int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the image pixels a warp by `forward` to `size` (w, h) samples (+2 px)."""
    w, h = size
    corners = np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]])
    quad = cv2.perspectiveTransform(corners, np.linalg.inv(forward)).reshape(4, 2)
    x0, y0 = np.floor(quad.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 3
    x0, y0 = min(max(0, x0), shape[1] - 1), min(max(0, y0), shape[0] - 1)  # never empty: the
    return x0, y0, max(min(shape[1], x1), x0 + 1), max(min(shape[0], y1), y0 + 1)  # border fills the rest


def _centred_in_zone(mask: np.ndarray, z0: int, z1: int) -> np.ndarray:
    """Columns whose ink (within the row band) is centred in the strike zone.

    Taking the centre, not any pixel, keeps a thick underline that touches the zone's bottom,
    or a stroke with a stray dot above it, from counting as a line through the name.
    """
    values = mask.astype(np.float32)  # small integer sums: exact in float32
    counts = values.sum(axis=0)
    weighted = np.arange(mask.shape[0], dtype=np.float32) @ values  # sum of the inked rows' indices
    # Ink in the zone itself too: the arcs of a circle above and below a name average to its middle.
    inside = mask[z0:z1].any(axis=0)
    # centre = weighted / counts, compared without dividing (inside implies counts > 0)
    return inside & (weighted >= z0 * counts) & (weighted < z1 * counts)


def _centred_in_zone_rows(stack: np.ndarray, z0: int, z1: int) -> tuple[np.ndarray, np.ndarray]:
    """_centred_in_zone for a stack of 0/1 row masks (rows, height, width) at once.

    Also returns each mask's ink per column (rows, width), which the caller needs anyway.
    """
    values = _scratch.view("centred", stack.shape)
    np.copyto(values, stack)  # small integer sums: exact in float32
    counts = values.sum(axis=1)
    weighted = np.arange(stack.shape[1], dtype=np.float32) @ values
    inside = stack[:, z0:z1].any(axis=1)
    return inside & (weighted >= z0 * counts) & (weighted < z1 * counts), counts


def _column_cumsum(per_column: np.ndarray) -> np.ndarray:
    """Running sums along the columns with a leading 0: any column range's sum in two lookups."""
    sums = np.zeros((per_column.shape[0], per_column.shape[1] + 1), np.int64)
    np.cumsum(per_column, axis=1, out=sums[:, 1:])
    return sums


def _at_least(grey: np.ndarray, level: float, dst: np.ndarray | None = None) -> np.ndarray:
    """1 where a grey level is at least `level`, else 0 (uint8)."""
    # For integer grey values, g >= level is g > ceil(level) - 1: OpenCV's binary threshold.
    return cv2.threshold(grey, math.ceil(level) - 1, 1, cv2.THRESH_BINARY, dst=dst)[1]


def _below(grey: np.ndarray, level: float, dst: np.ndarray | None = None) -> np.ndarray:
    """1 where a grey level is below `level`, else 0 (uint8)."""
    # For integer grey values, g < level is g <= ceil(level) - 1: OpenCV's inverse threshold.
    return cv2.threshold(grey, math.ceil(level) - 1, 1, cv2.THRESH_BINARY_INV, dst=dst)[1]


def _percentile(grey: np.ndarray, q: float) -> float:
    """A grey-level percentile from every 4th pixel of every 4th row (plenty for the paper's white)."""
    hist = cv2.calcHist([np.ascontiguousarray(grey[::4, ::4])], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(hist)
    return float(np.searchsorted(cumulative, q * cumulative[-1]))


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


_qr = None


def _decode_qr(crop: np.ndarray) -> str:
    global _qr
    if _qr is None:
        _qr = cv2.QRCodeDetector()
    for image in (crop, cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]):
        try:
            text, _, _ = _qr.detectAndDecode(image)
        except cv2.error:
            text = ""
        if text:
            return text
    return ""
