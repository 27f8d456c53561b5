"""The corner-marker search paints the QR codes out of the corner crops searched after the first
marker (cheaper for ArUco) and must still find exactly the markers of the plain search."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from kiemphieu.ocr import markers
from kiemphieu.ocr.synthetic import blank_ballot, demo_election, make_ballot_file
from kiemphieu.tally import Kind


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else np.array(image)


def _rotate(grey: np.ndarray, degrees: float) -> np.ndarray:
    grey = cv2.copyMakeBorder(grey, 30, 30, 30, 30, cv2.BORDER_CONSTANT, value=255)
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


@functools.cache
def _pages():
    a4 = demo_election(17, 13, seed=300, kind=Kind.COMMITTEE)
    a5 = demo_election(3, 3, seed=304, kind=Kind.STANDING_COMMITTEE)
    a4_scan = cv2.imdecode(np.frombuffer(make_ballot_file(a4, 7001, "L1")[0], np.uint8), cv2.IMREAD_GRAYSCALE)
    a5_blank = _grey(blank_ballot(a5)[0])
    # an A5 boxes scan is read at half size (decode.half_if_a5): the QR codes 15 px from their markers
    a5_half = cv2.imdecode(np.frombuffer(make_ballot_file(a5, 7001, "L2")[0], np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    cut = _grey(blank_ballot(a4)[0])
    cut[:260, :260] = 255  # the top-left marker cut off by the feeder
    return {"A4 scan": a4_scan, "A5 blank": a5_blank, "A5 half-size scan": a5_half,
            "A4 quarter turn, skewed": _rotate(np.rot90(a4_scan).copy(), 1.5),
            "A5 upside down, skewed": _rotate(a5_blank[::-1, ::-1].copy(), -1.5),
            "A4 cut corner": cut}


PAGE_NAMES = ("A4 scan", "A5 blank", "A5 half-size scan", "A4 quarter turn, skewed", "A5 upside down, skewed", "A4 cut corner")


def _plain(grey, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setattr(markers, "_qr_quads", lambda mid, quad: ([], []))
        return markers.find_markers(grey)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_painted_search_finds_the_plain_search_markers(name, monkeypatch):
    grey = _pages()[name]
    checks = []
    unpainted = markers._unpainted
    monkeypatch.setattr(markers, "_unpainted", lambda *a: checks.append(unpainted(*a)) or checks[-1])
    painted = markers.find_markers(grey)
    monkeypatch.undo()
    plain = _plain(grey, monkeypatch)
    assert _same(painted, plain)  # the same ids, bit for bit the same corners
    assert len(plain) == (3 if name == "A4 cut corner" else 4)
    # the QR codes were painted out of the later crops, and where they were predicted to be:
    # no marker came near the paint (the predicted markers' surroundings are left unpainted).
    # On the quarter-turned page the QR codes fall in the first crop and outside the others.
    assert all(checks) and (bool(checks) != (name == "A4 quarter turn, skewed"))


def test_a_painted_crop_that_loses_its_marker_is_searched_plain(monkeypatch):
    grey = _pages()["A4 scan"]
    plain = _plain(grey, monkeypatch)
    calls = []
    crop_markers = markers._crop_markers
    monkeypatch.setattr(markers, "_crop_markers", lambda crop, where: calls.append(where) or crop_markers(crop, where))
    # a wrong prediction: the "QR code" covers the whole page, so every later crop is painted blank
    whole = np.array([[-10, -10], [5000, -10], [5000, 5000], [-10, 5000]], np.float64)
    monkeypatch.setattr(markers, "_qr_quads", lambda mid, quad: ([whole], []))
    assert _same(markers.find_markers(grey), plain)
    assert calls == ["corner"] * 7  # the first crop, then each later one painted and plain


def test_a_marker_near_the_paint_is_not_trusted():
    crop = np.full((80, 80), 255, np.uint8)
    quad = np.array([[30, 30], [45, 30], [45, 45], [30, 45]], np.float32)
    crop[30:46, 30:46] = 0
    near, far = crop.copy(), crop.copy()
    near[46 + markers.QR_MASK_GUARD - 1, 50] = 128  # inside the guard band
    far[46 + markers.QR_MASK_GUARD + 1, 50] = 128  # beyond it
    assert not markers._unpainted(crop, near, quad)
    assert markers._unpainted(crop, far, quad)
