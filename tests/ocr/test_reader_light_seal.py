"""A light seal impression on a low-contrast scan keeps its red hue but loses its saturation:
on the held-back split, a tenth of the plain ballots at L2 (both forms, every election alike: a
page-level flag, not a row) went to review, and probe splits with seal impressions of 0.55-0.75
put a third of their L2 ballots there, flagged `no_stamp`. A red pixel now needs
`seal.min_saturation` 35 (was 60) and `seal.saturation_over_paper` 20 over the stamp area's
median, so that a tinted paper or a scanner's colour cast is not read as a seal. An unstamped
colour ballot (class `colour_no_seal`, through the tuning split's other scanner models too) is
still never read."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.seal import red_fraction
from kiemphieu.ocr.synthetic import judge_reading
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from .test_reader_classes import read_class

PROFILE = load_profile("feeder-200dpi-colour")
BEFORE = replace(PROFILE, seal=replace(PROFILE.seal, min_saturation=60, saturation_over_paper=0))


def _crop(paper_hsv: tuple[int, int, int], ring_hsv: tuple[int, int, int] | None) -> np.ndarray:
    """A 60 x 60 mm stamp area at 2 px/mm: paper, and a seal's ring 3 mm wide if given."""
    hsv = np.zeros((120, 120, 3), np.uint8)
    hsv[...] = paper_hsv
    if ring_hsv is not None:
        ring = np.zeros((120, 120), np.uint8)
        cv2.circle(ring, (60, 60), 36, 1, 6)
        hsv[ring == 1] = ring_hsv
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def test_a_light_red_ring_counts_and_a_tinted_paper_does_not():
    s = PROFILE.seal
    light = _crop((20, 0, 250), (175, 45, 230))  # a light impression: red hue, saturation 45
    assert red_fraction(light, s) >= s.min_fraction > red_fraction(light, BEFORE.seal)
    pink = _crop((176, 40, 240), None)  # paper tinted red (a lamp's cast), no seal at all
    assert red_fraction(pink, replace(s, saturation_over_paper=0)) == 1.0  # the tint alone would pass
    assert red_fraction(pink, s) == 0.0
    assert red_fraction(_crop((176, 40, 240), (175, 80, 220)), s) >= s.min_fraction  # a seal on it does


@pytest.mark.parametrize("index, name", [(8, "strike66"), (20, "strike45"), (89, "strike15")])
def test_a_light_seal_on_a_low_contrast_scan_is_found(index, name):
    # Tuning class ballots plain L2 (another scanner model): flagged no_stamp at saturation 60.
    data, _, truth = make_class_ballot_file("tune", "plain", "L2", index, name)
    election = split_elections("tune")[name]
    assert "no_stamp" in read_bytes(data, election, BEFORE).flags
    reading = read_bytes(data, election, PROFILE)
    assert reading.status == "read" and reading.checks["seal"] >= PROFILE.seal.min_fraction
    assert not judge_reading(truth, reading.to_json()).silent_error


def test_an_unstamped_colour_ballot_is_never_read():
    for split in ("tune",):
        for truth, reading in read_class("colour_no_seal", 6, split):
            assert truth["seal"] is False and truth["expect_flags"] == ["no_stamp"]
            assert reading["status"] == "review" and "no_stamp" in reading["flags"], reading["checks"].get("seal")


def test_the_papers_saturation_is_the_lower_median_of_the_stamp_area():
    from kiemphieu.ocr.arrays import _percentile

    def _median_level(levels):  # as red_fraction takes the paper's saturation
        return _percentile(levels, 0.5, step=1)

    rng = np.random.default_rng(7)
    for _ in range(50):
        levels = rng.integers(0, 256, (int(rng.integers(1, 30)), int(rng.integers(1, 30))), dtype=np.uint8)
        assert _median_level(levels) == np.sort(levels.ravel())[(levels.size - 1) // 2]
    assert _median_level(np.zeros((0, 5), np.uint8)) == 0
    assert _median_level(np.arange(120, dtype=np.uint8).reshape(10, 12)[:, ::2]) == 58  # a strided view
