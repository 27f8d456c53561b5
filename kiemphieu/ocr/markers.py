"""Stage 1: the corner markers (ArUco), which paper they say, and the page map they give."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .arrays import _scratch
from .geometry import marker_boxes

DETECT_MAX_SIDE = 1400  # markers are searched on an image no larger than this


MARKER_PAD = 12  # pixels of white added around the image before the marker search


CORNER_SHARE = (0.18, 0.14)  # markers are first looked for in these shares of width and height


# In a corner crop a marker's perimeter is most of the crop's size (about 0.9 on a scan, 0.4 on
# a phone photo of a page filling half the frame); the QR code's modules beside one marker are
# far smaller. Ignoring outlines under this share skips them (the whole-image search keeps
# ArUco's default).
CORNER_MIN_PERIMETER = 0.25


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


def _touches_edge(quad: np.ndarray, shape: tuple[int, ...], margin: float = 2.0) -> bool:
    h, w = shape[:2]
    return bool((quad[:, 0] < margin).any() or (quad[:, 1] < margin).any()
                or (quad[:, 0] > w - 1 - margin).any() or (quad[:, 1] > h - 1 - margin).any())


def _fit_markers(paper, found: dict) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, float]:
    """(image pixels -> page mm, marker corners in the image, on the page, worst corner error mm).

    Four markers: a homography. Fewer (a corner or two cut off by the feeder): the markers left
    cannot fix a perspective (their own corners are too close together), so a scanner's affine
    map, a similarity from two markers; the caller then fits it to the whole print.
    """
    src, dst = [], []
    for mid, (x, y, w, h) in marker_boxes(paper):
        if mid in found:
            src.append(found[mid])
            dst.append([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    src = np.concatenate(src).astype(np.float32)
    dst = np.asarray(dst, np.float32).reshape(-1, 2)
    if len(src) == 16:
        homography, _ = cv2.findHomography(src, dst, 0)
    else:
        homography = _affine_from_markers(src, dst)
    if homography is None:
        return None, src, dst, math.inf
    projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    return homography, src, dst, float(np.abs(projected - dst).max())


def _affine_from_markers(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """Image pixels -> page mm as a 3x3 matrix: an affine map from three markers' corners, a
    similarity (rotation, one scale, shift) from two."""
    if len(src) >= 12:
        matrix, _ = cv2.estimateAffine2D(src, dst, method=cv2.LMEDS)
    else:
        matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    return None if matrix is None else np.vstack([matrix, [0.0, 0.0, 1.0]])
