"""The reader's pipeline shortcuts (issue 11 speed, issue 14 item 3) give what the plain
computation gives: the print halo per row from histograms, the QR cells without np.percentile,
the pen colour warped only where the scan holds it."""

import cv2
import numpy as np
import pytest

from kiemphieu.ocr import halo, pencolour
from kiemphieu.ocr.arrays import _at_least, _percentile, _source_rect


def test_row_halo_levels_are_the_partition_and_quantile_they_replace():
    rng = np.random.default_rng(3)
    for trial in range(150):
        shape = (60, 80)
        grey = (rng.integers(0, 256, shape) if trial % 2 else np.clip(rng.normal(200, 40, shape), 0, 255)).astype(np.uint8)
        per_row = [[np.sort(rng.choice(grey.size, int(rng.integers(0, 40)), replace=False))
                    for _ in range(int(rng.integers(1, 8)))] for _ in range(3)]
        paper, share = float(rng.integers(150, 256)), float(rng.choice([0.5, 0.9, 0.95, 0.99]))
        flat = grey.ravel()
        expected = []
        for bands in per_row:
            per = np.array([halo._darkening(flat[idx], paper, share) for idx in bands if idx.size])
            expected.append(float(np.quantile(per, 0.25)) if per.size else 0.0)
        assert halo.row_halo_levels(grey, per_row, paper, share, 0.25) == expected


def _scan_with_pen(tint_paper: int = 0, seed: int = 0) -> np.ndarray:
    """A colour 'scan': neutral paper (or a bluish one), black print, blue pen strokes."""
    rng = np.random.default_rng(seed)
    scan = np.full((700, 500, 3), 235, np.uint8)
    scan[..., 0] = np.clip(235 + tint_paper, 0, 255)
    for y in range(60, 640, 40):  # printed lines of text
        cv2.line(scan, (40, y), (420, y), (20, 20, 20), 3)
    for y in (100, 380, 620):  # blue strikes
        cv2.line(scan, (60, y + int(rng.integers(-4, 5))), (400, y), (200, 60, 30), 2)
    noise = rng.integers(-3, 4, scan.shape[:2])[..., None]  # grey noise: neutral paper stays neutral
    return np.clip(scan.astype(int) + noise, 0, 255).astype(np.uint8)


def _full_warp(scan, scale, homography, box, size, tint_level):
    """The pen-colour mask as it was always made: the whole rows' box warped."""
    y0, y1, x0, x1 = box
    to_box = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ scale @ homography
    cx0, cy0, cx1, cy1 = _source_rect(to_box, (x1 - x0, y1 - y0), scan.shape)
    crop = scan[cy0:cy1, cx0:cx1]
    blue_minus_red = cv2.subtract(np.ascontiguousarray(crop[..., 0]), np.ascontiguousarray(crop[..., 2]))
    from_crop = to_box @ np.array([[1, 0, cx0], [0, 1, cy0], [0, 0, 1.0]])
    tint = cv2.warpPerspective(blue_minus_red, from_crop, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0)
    mask = np.zeros(size, np.uint8)
    mask[y0:y1, x0:x1] = _at_least(tint, _percentile(tint, 0.5) + tint_level)
    return mask, _percentile(tint, 0.5)


@pytest.mark.parametrize("angle", [0.0, 1.3, -2.0, 180.4])
def test_pen_colour_warped_in_bands_is_the_whole_box_warped(angle):
    scan = _scan_with_pen()
    homography = np.vstack([cv2.getRotationMatrix2D((250, 350), angle, 1.0), [0, 0, 1.0]])
    homography[:2, 2] += (3.3, -2.7)
    scale = np.array([[0.8, 0, -0.5], [0, 0.8, -0.5], [0, 0, 1.0]])
    size, box = (560, 400), (30, 540, 20, 380)
    chosen = []
    original = pencolour._bands_to_warp
    pencolour._bands_to_warp = lambda *args: chosen.append(original(*args)) or chosen[-1]
    try:
        got = pencolour.pen_colour(scan, scale, homography, box, size, 20).copy()
    finally:
        pencolour._bands_to_warp = original
    expected, paper_tint = _full_warp(scan, scale, homography, box, size, 20)
    assert paper_tint == 0 and chosen[0] is not None  # the bands were warped, not the whole box
    assert 0 < sum(b - a for a, b in chosen[0]) < box[1] - box[0]  # around the pen's strokes only
    assert int(expected.sum()) > 300
    # The bands are warped with the map shifted by whole pixels: the same pixels to OpenCV's
    # rounding of a coordinate (a grey level of 1, in a few pixels of a page in ten thousand).
    assert int(np.count_nonzero(got != expected)) <= 0.0005 * expected.size


def test_pen_colour_on_bluish_paper_warps_the_whole_box():
    scan = _scan_with_pen(tint_paper=8)
    homography = np.vstack([cv2.getRotationMatrix2D((250, 350), 0.7, 1.0), [0, 0, 1.0]])
    scale = np.array([[0.8, 0, -0.5], [0, 0.8, -0.5], [0, 0, 1.0]])
    size, box = (560, 400), (30, 540, 20, 380)
    expected, paper_tint = _full_warp(scan, scale, homography, box, size, 20)
    assert paper_tint > 0
    assert np.array_equal(pencolour.pen_colour(scan, scale, homography, box, size, 20), expected)


def _inked_sides_as_before(inner, level):
    h, w = inner.shape
    if h < 5 or w < 5:
        return 0
    r0, r1, c0, c1 = int(h * 0.35), max(int(h * 0.65), int(h * 0.35) + 1), int(w * 0.35), max(int(w * 0.65), int(w * 0.35) + 1)
    band_h, band_w = max(1, int(round(h * 0.2))), max(1, int(round(w * 0.2)))
    wedges = (inner[r0:r1, :band_w], inner[r0:r1, w - band_w:], inner[:band_h, c0:c1], inner[h - band_h:, c0:c1])
    return sum(float(part.mean()) > level for part in wedges)


def test_box_shape_measures_are_unchanged_and_empty_boxes_short_cut():
    """The box helpers skip an empty box (most boxes of a page) and count ink without .mean():
    the same values as before on every shape of mask, empty, sparse, dense, tiny."""
    from kiemphieu.ocr import boxes
    from kiemphieu.ocr.arrays import _groups, _longest_runs

    def long_lines_before(inner, share):
        h, w = inner.shape
        if h < 5 or w < 5:
            return 1.0, 1.0
        return float((_longest_runs(inner) >= share * w).mean()), float((_longest_runs(inner.T) >= share * h).mean())

    def through_lines_before(inner):
        h, w = inner.shape
        if h < 5 or w < 5:
            return 0, 0
        rows = _longest_runs(cv2.dilate(inner, np.ones((3, 1), np.uint8))) >= w - 1
        cols = _longest_runs(cv2.dilate(inner, np.ones((1, 3), np.uint8)).T) >= h - 1
        return _groups(rows), _groups(cols)

    rng = np.random.default_rng(17)
    for trial in range(600):
        shape = (int(rng.integers(1, 30)), int(rng.integers(1, 30)))
        density = (0.0, 0.02, 0.2, 0.5, 0.9, 1.0)[trial % 6]
        inner = (rng.random(shape) < density).astype(np.uint8)
        for level in (0.0, 0.4, 0.5):
            sides = boxes._inked_sides(inner, level)
            assert sides == _inked_sides_as_before(inner, level) and type(sides) is int  # (JSON as before)
        for share in (0.0, 0.6):
            assert boxes._long_lines(inner, share) == long_lines_before(inner, share)
        assert boxes._through_lines(inner) == through_lines_before(inner)
