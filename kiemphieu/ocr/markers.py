"""Stage 1: the corner markers (ArUco), which paper they say, and the page map they give."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from .arrays import _scratch
from .geometry import PAPERS, QR_MODULE, marker_boxes, qr_box, second_qr_box

DETECT_MAX_SIDE = 1400  # markers are searched on an image no larger than this


MARKER_PAD = 12  # pixels of white added around the image before the marker search


CORNER_SHARE = (0.18, 0.14)  # markers are first looked for in these shares of width and height


# In a corner crop a marker's perimeter is most of the crop's size (about 0.9 on a scan, 0.4 on
# a phone photo of a page filling half the frame); the QR code's modules beside one marker are
# far smaller. Ignoring outlines under this share skips them (the whole-image search keeps
# ArUco's default).
CORNER_MIN_PERIMETER = 0.25


# A corner crop holding a QR code costs ArUco three times one without (its modules are contours,
# its finder patterns candidates to decode and reject). Once one marker is found the page's
# place is known, so the QR codes in the crops still to search are painted white first, this
# far (mm) beyond their edge to cover a small error of the one-marker map.
QR_MASK_GROW = 0.5 * QR_MODULE

# A marker found in a painted crop is kept only if no pixel within this many of it was painted:
# then ArUco saw the same pixels around it as in the plain crop (the widest threshold window's
# reach, 10, and two to spare) and found the same corners; otherwise the plain crop is searched.
QR_MASK_GUARD = 12

# The one-marker map's error at the page's far corners (pixels: a third of a degree over 1400):
# around where each marker should be this much more is left unpainted, so that a QR code 4 mm
# from its marker (15 px on an A5 read at half size) does not send the crop to the plain search.
MARKER_SLACK = 8

_MARKER_PLACE = {mid: (paper, corner) for paper in PAPERS.values()
                 for corner, mid in enumerate(paper.marker_ids)}

_detectors: dict[str, object] = {}


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
    """Marker id -> corners over the crops at `origins`; ids seen twice are dropped. In corner
    crops the QR codes are painted out of the crops searched after the first marker is found;
    each crop's markers are still those of its plain search (see QR_MASK_GUARD)."""
    found: dict[int, np.ndarray] = {}
    repeated: set[int] = set()
    cw, ch = size
    qr_codes: list[tuple[np.ndarray, tuple]] = []  # where the QR codes are: polygon, bounds
    keep: list[tuple[int, int, int, int]] = []  # around where the markers are (x0, y0, x1, y1)
    predicted = False
    for ox, oy in origins:
        crop = image[oy:oy + ch, ox:ox + cw]
        quads = None
        inside = [poly for poly, bounds in qr_codes if _meets(bounds, ox, oy, cw, ch)]
        if inside:
            painted = crop.copy()
            cv2.fillPoly(painted, inside, 255, offset=(-ox, -oy))
            for x0, y0, x1, y1 in keep:  # the markers' surroundings left unpainted
                if _meets((x0, y0, x1, y1), ox, oy, cw, ch):
                    rows = slice(max(y0 - oy, 0), max(y1 - oy, 0))
                    cols = slice(max(x0 - ox, 0), max(x1 - ox, 0))
                    painted[rows, cols] = crop[rows, cols]
            quads = _crop_markers(painted, where)
            if not quads or not all(_unpainted(crop, painted, q) for _, q in quads):
                quads = None  # a painted pixel near a marker, or none found: the plain crop
        if quads is None:
            quads = _crop_markers(crop, where)
        for mid, quad in quads:
            if mid in found:
                repeated.add(mid)
            found[mid] = quad + (ox, oy)
            if not predicted and where == "corner":
                predicted = True
                polygons, expected = _qr_quads(mid, found[mid])
                qr_codes = [(np.round(q).astype(np.int32), _bounds(q)) for q in polygons]
                margin = QR_MASK_GUARD + MARKER_SLACK
                keep = [(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
                        for x0, y0, x1, y1 in map(_bounds, expected)]
    for mid in repeated:
        del found[mid]
    return found


def _crop_markers(crop: np.ndarray, where: str) -> list[tuple[int, np.ndarray]]:
    corners, ids, _ = _aruco_detector(where).detectMarkers(crop)
    if ids is None:
        return []
    return [(int(mid), quad.reshape(4, 2)) for quad, mid in zip(corners, ids.ravel())]


def _bounds(quad: np.ndarray) -> tuple[int, int, int, int]:
    """The integer bounding box (x0, y0, x1, y1), ends excluded, of a quad's pixels."""
    x0, y0 = np.floor(quad.min(axis=0)).astype(int).tolist()
    x1, y1 = (np.ceil(quad.max(axis=0)).astype(int) + 1).tolist()
    return x0, y0, x1, y1


def _meets(bounds: tuple[int, int, int, int], ox: int, oy: int, cw: int, ch: int) -> bool:
    x0, y0, x1, y1 = bounds
    return x0 < ox + cw and x1 > ox and y0 < oy + ch and y1 > oy


def _unpainted(crop: np.ndarray, painted: np.ndarray, quad: np.ndarray) -> bool:
    """No pixel within QR_MASK_GUARD of the marker was changed by the painting."""
    h, w = crop.shape[:2]
    x0, y0, x1, y1 = _bounds(quad)
    g = QR_MASK_GUARD
    around = slice(max(y0 - g, 0), max(min(y1 + g, h), 0)), slice(max(x0 - g, 0), max(min(x1 + g, w), 0))
    return bool(np.array_equal(crop[around], painted[around]))


def _qr_quads(mid: int, quad: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Where one found marker puts the page's QR codes (image pixels, each grown by
    QR_MASK_GROW) and its four markers: an affine map fitted to the marker's four corners.
    Empty for an unknown id."""
    if mid not in _MARKER_PLACE:
        return [], []
    paper, matrix = _one_marker_map(mid, quad)
    boxes = [box for _, box in marker_boxes(paper)]
    g = QR_MASK_GROW
    qr_codes = [_corners_mm((x - g, y - g, w + 2 * g, h + 2 * g)) @ matrix
                for x, y, w, h in (qr_box(paper), second_qr_box(paper))]
    return qr_codes, [_corners_mm(box) @ matrix for box in boxes]


def _one_marker_map(mid: int, quad: np.ndarray) -> tuple[object, np.ndarray]:
    """(paper, 3x2 matrix) of one found marker (a known id): page mm rows (x, y, 1) times the
    matrix are image pixels, the affine map fitted to the marker's four corners."""
    paper, corner = _MARKER_PLACE[mid]
    return paper, _fit_inverse(paper.name, corner) @ quad.astype(np.float64)


@functools.cache
def _fit_inverse(paper: str, corner: int) -> np.ndarray:
    """The least-squares affine fit to a marker's corners is this matrix times them."""
    return np.linalg.pinv(_corners_mm(marker_boxes(PAPERS[paper])[corner][1]))


def _corners_mm(box) -> np.ndarray:
    """A page box's corners, clockwise from its top-left, as rows (x, y, 1)."""
    x, y, w, h = box
    return np.array([[x, y, 1], [x + w, y, 1], [x + w, y + h, 1], [x, y + h, 1]], np.float64)


def _touches_edge(quad: np.ndarray, shape: tuple[int, ...], margin: float = 2.0) -> bool:
    h, w = shape[:2]
    return bool((quad[:, 0] < margin).any() or (quad[:, 1] < margin).any()
                or (quad[:, 0] > w - 1 - margin).any() or (quad[:, 1] > h - 1 - margin).any())


def _fit_markers(paper, found: dict, anchors=()) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, float]:
    """(image pixels -> page mm, marker corners in the image, on the page, worst corner error mm).

    Four markers: a homography. Fewer (a corner or two cut off by the feeder): the markers left
    cannot fix a perspective (their own corners are too close together), so a scanner's affine
    map, a similarity from two markers; the caller then fits it to the whole print. `anchors`:
    more (image quad, page box) pairs to fit with the markers (`code_anchors`: QR codes).
    """
    pairs = [(found[mid], box) for mid, box in marker_boxes(paper) if mid in found] + list(anchors)
    src = np.concatenate([quad for quad, _ in pairs]).astype(np.float32)
    dst = np.concatenate([_corners_mm(box)[:, :2] for _, box in pairs]).astype(np.float32)
    if len(src) == 16:
        homography, _ = cv2.findHomography(src, dst, 0)
    else:
        homography = _affine_from_markers(src, dst)
    if homography is None:
        return None, src, dst, math.inf
    projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    return homography, src, dst, float(np.abs(projected - dst).max())


# A QR code found where one marker puts it may be this far (mm) off the one-marker map's
# prediction: the crop searched around it (a degree's error of the marker's own angle moves a
# code 3.5 mm at the page's far side; a feeder's stretch adds a little).
CODE_SEARCH_MM = 6.0

# A code found must be this close to its printed size (the marker's scale) and square.
CODE_SIZE_TOLERANCE = 0.12


def code_anchors(grey: np.ndarray, found: dict) -> tuple | None:
    """(paper, marker id, [(image quad, page box)]) for a page of which one corner marker was
    found: the QR codes found where that marker puts them, each an anchor for the page map
    beside the marker (a feeder's shift can cut a third marker or leave it on the image's edge
    undetected; the codes sit in the other two corners' neighbourhood, diagonally opposite each
    other). None when no code is found there.

    Each code is searched for in a crop around where the marker's own affine map puts it (a
    page-wide search finds none among the print); a code found is kept only at its printed size
    and square, its corners taken in the code's own order (its finder patterns: top-left
    clockwise), which is the page's whatever way the page was turned."""
    known = [mid for mid in found if mid in _MARKER_PLACE]
    if len(known) != 1:
        return None
    mid = known[0]
    paper, matrix = _one_marker_map(mid, found[mid])
    scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))  # image pixels per mm
    anchors = []
    for box in (qr_box(paper), second_qr_box(paper)):
        expected = _corners_mm(box) @ matrix
        code = _find_code(grey, expected, CODE_SEARCH_MM * scale)
        if code is not None and _code_shaped(code, box[2] * scale):
            anchors.append((code, box))
    return (paper, mid, anchors) if anchors else None


def _find_code(grey: np.ndarray, expected: np.ndarray, reach: float) -> np.ndarray | None:
    """The corners of a QR code found in a crop `reach` pixels around `expected` (its predicted
    corners), image pixels."""
    h, w = grey.shape[:2]
    x0, y0 = (np.floor(expected.min(axis=0) - reach).astype(int)).tolist()
    x1, y1 = (np.ceil(expected.max(axis=0) + reach).astype(int)).tolist()
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    pad = MARKER_PAD  # a code cut close by the image's edge still gets its quiet zone
    crop = cv2.copyMakeBorder(grey[y0:y1, x0:x1], pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    try:
        ok, points = qr_detector().detect(crop)
    except cv2.error:
        return None
    if not ok or points is None:
        return None
    return points.reshape(4, 2).astype(np.float64) + (x0 - pad, y0 - pad)


@functools.cache
def qr_detector():
    """OpenCV's QR code detector, one a process (the page map's decoder uses it too)."""
    return cv2.QRCodeDetector()


def _code_shaped(quad: np.ndarray, side_px: float) -> bool:
    """A found code's four sides within CODE_SIZE_TOLERANCE of its printed side (pixels)."""
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    return bool(side_px > 0 and (np.abs(sides / side_px - 1) <= CODE_SIZE_TOLERANCE).all())


def _affine_from_markers(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """Image pixels -> page mm as a 3x3 matrix: an affine map from three markers' corners, a
    similarity (rotation, one scale, shift) from two."""
    if len(src) >= 12:
        matrix, _ = cv2.estimateAffine2D(src, dst, method=cv2.LMEDS)
    else:
        matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    return None if matrix is None else np.vstack([matrix, [0.0, 0.0, 1.0]])
