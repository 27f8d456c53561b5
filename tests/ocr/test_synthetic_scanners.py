"""Other scanner models (`degrade.Scanner`, `draw_scanner`): each departure from our scanner does
what it says, a neutral one is ours exactly, and only the tuning split's L1-L2 ballots get one."""

from __future__ import annotations

import importlib
from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.synthetic.classes import VARIETY, class_plan, make_class_ballot_file

degrade_module = importlib.import_module("kiemphieu.ocr.synthetic.degrade")
Scanner, draw_scanner, LEVELS = degrade_module.Scanner, degrade_module.draw_scanner, degrade_module.LEVELS
PAPER = 246


def page(h=240, w=240, dot=False, line=False):
    img = np.full((h, w, 3), PAPER, np.uint8)
    if dot:
        img[h // 2 - 1:h // 2 + 1, w // 2 - 1:w // 2 + 1] = 20
    if line:
        img[h // 2 - 1:h // 2 + 2, 20:w - 20] = 30
    return img


def degraded(img, scanner, level="L0", **changes):
    params = replace(LEVELS[level], scanner=scanner, shift_mm=0.0, rotation_deg=0.0, **changes)
    out, _ = degrade_module.degrade(img, params, np.random.default_rng(1))
    return out


def test_a_neutral_scanner_is_ours_exactly():
    img = page(line=True)
    for level in ("L1", "L2"):
        ours = replace(LEVELS[level])
        a, _ = degrade_module.degrade(img, ours, np.random.default_rng(7))
        b, _ = degrade_module.degrade(img, replace(ours, scanner=Scanner(seed=99)), np.random.default_rng(7))
        assert np.array_equal(a, b)
        assert degrade_module.encode(a, ours) == degrade_module.encode(b, replace(ours, scanner=Scanner()))


def test_draws_are_seeded_and_weaker_at_l1():
    a, b = draw_scanner(np.random.default_rng(3), "L2"), draw_scanner(np.random.default_rng(3), "L2")
    assert a == b
    l1 = [draw_scanner(np.random.default_rng(i), "L1") for i in range(40)]
    l2 = [draw_scanner(np.random.default_rng(i), "L2") for i in range(40)]
    assert {s.blur for s in l2} == {"gaussian", "motion", "defocus", "anisotropic"}
    assert {s.jpeg_sampling for s in l2} == {"444", "422", "420"}
    assert max(s.ink_spread_px for s in l1) <= 0.5 < max(s.ink_spread_px for s in l2)
    assert max(abs(np.log(s.gamma)) for s in l1) < max(abs(np.log(s.gamma)) for s in l2)


@pytest.mark.parametrize("blur", ["motion", "anisotropic"])
def test_a_directional_blur_spreads_a_dot_along_its_angle(blur):
    out = cv2.cvtColor(degraded(page(dot=True), Scanner(blur=blur, blur_ratio=4.0 if blur == "motion" else 2.0,
                                                        blur_angle_deg=0.0), blur_px=2.0), cv2.COLOR_BGR2GRAY)
    dark = out < PAPER - 3
    ys, xs = np.nonzero(dark)
    assert np.ptp(xs) > 2 * np.ptp(ys)  # wide along 0 degrees, thin across


def test_defocus_spreads_a_dot_as_a_disk_of_even_grey():
    out = cv2.cvtColor(degraded(page(dot=True), Scanner(blur="defocus", blur_ratio=3.0), blur_px=2.0), cv2.COLOR_BGR2GRAY)
    c = out.shape[0] // 2
    core = out[c - 3:c + 3, c - 3:c + 3].astype(int)
    spread = np.nonzero(out[c] < PAPER - 3)[0]
    assert np.ptp(spread) >= 8  # a 6 px radius disk
    assert np.ptp(core) < 15  # flat inside (a Gaussian of that width peaks in the middle)


def test_ink_bleed_widens_every_stroke():
    base = degraded(page(line=True), Scanner())
    bled = degraded(page(line=True), Scanner(ink_spread_px=1.0))
    assert (bled[..., 0] < 128).sum() > 1.4 * (base[..., 0] < 128).sum()


def test_tone_curve_and_levels():
    grey = np.full((20, 20, 3), 150, np.uint8)
    darker = degraded(grey, Scanner(gamma=1.4))
    stretched = degraded(page(), Scanner(white_point=235))
    assert darker.mean() < 140 and stretched.min() == 255  # the paper clipped to white


def test_lamp_falloff_darkens_one_side_and_tint_yellows_the_paper():
    out = degraded(page(), Scanner(light_falloff=0.1, light_angle_deg=0.0, paper_tint=(0.9, 0.97, 1.0)))
    assert out[:, :20].mean() > out[:, -20:].mean() + 10
    assert out[..., 0].mean() < out[..., 2].mean() - 15  # less blue than red: yellowish paper


def test_sensor_bands_dust_and_sharpening_halos():
    banded = degraded(page(), Scanner(banding=6.0, seed=2))
    assert np.ptp(banded[..., 1].mean(axis=0)) >= 4 and np.ptp(banded[..., 1].mean(axis=1)) < 1
    dusty = degraded(page(), Scanner(salt_pepper=0.001, seed=2))
    assert 10 <= (dusty[..., 0] == 0).sum() <= 60
    sharp = degraded(page(line=True), Scanner(sharpen=1.5), blur_px=1.0)
    assert sharp.max() > PAPER + 3  # overshoot beside the line


def test_curl_bends_a_straight_line():
    img = page(400, 400)
    img[:, 200:202] = 0
    out = cv2.cvtColor(degraded(img, Scanner(curl_mm=1.0, seed=5)), cv2.COLOR_BGR2GRAY)
    centres = [np.nonzero(row < 128)[0].mean() for row in out[20:380:20]]
    assert np.ptp(centres) >= 2  # no longer one column: a rigid shift would keep it straight


def test_chroma_subsampling_keeps_a_thin_red_line_redder_at_444():
    img = page()
    img[118:120, 20:220] = (40, 30, 200)

    def redness(sampling):
        params = replace(LEVELS["L0"], scanner=Scanner(jpeg_sampling=sampling), jpeg_quality=80)
        data, _ = degrade_module.encode(img, params)
        out = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).astype(int)
        return (out[118:120, 40:200, 2] - out[118:120, 40:200, 1]).mean()

    assert redness("444") > redness("420") + 20


def test_only_the_tuning_split_l1_l2_ballots_pass_through_another_scanner():
    assert VARIETY["held"].scanner_levels == ()
    seen = {}
    for split in ("tune", "held"):
        for item in class_plan(3, split, ("plain",)):
            _, _, truth = make_class_ballot_file(*item)
            seen[split, item[2]] = truth["degradation"]["scanner"]
    assert seen["tune", "L0"] is None and seen["tune", "L1"] and seen["tune", "L2"]
    assert all(seen["held", level] is None for level in ("L0", "L1", "L2"))
