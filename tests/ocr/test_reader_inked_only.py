"""Row measures made from the ink there is, the same numbers as over every mask and pixel.

Most of a page's row masks are empty (kept names, the box not marked) and most of a struck
row's band is paper: the measures below skip the empty masks and work from the inked pixels,
and each gives exactly what the band-wide or mask-by-mask computation gave.
"""

import tracemalloc

import cv2
import numpy as np

from kiemphieu.ocr import boxes, rowmasks, strikeruns, strikes
from kiemphieu.ocr.arrays import _column_cumsum, _median
from kiemphieu.ocr.strikezone import _off_line


def _off_line_over_the_band(new, n0, n1, half):
    """_off_line as it was: column sums over the whole band."""
    h = new.shape[0]
    ink = new.view(bool)
    ys, xs = np.nonzero(ink)
    counts = np.bincount(xs, minlength=new.shape[1]).astype(np.int32)
    starts = np.count_nonzero(ink[1:] > ink[:-1], axis=0) + ink[0]
    rows = np.arange(h, dtype=np.float32)
    centre = (rows @ ink.astype(np.float32)) / np.maximum(counts, 1)
    inked = starts > 0
    pen = _median(counts[inked] / starts[inked]) if inked.any() else 0.0
    extra = int(np.count_nonzero(np.abs(rows[ys] - centre[xs]) > half + pen))
    multi = float((starts[n0:n1] >= 3).mean()) if n1 > n0 else 0.0
    return extra, multi


def _strike_like(rng, shape):
    """A band with a wavy line, loops, dots and a second line: what a row's new ink looks like."""
    h, w = shape
    band = np.zeros(shape, np.uint8)
    xs = np.arange(w)
    for _ in range(int(rng.integers(0, 4))):
        x0, x1 = sorted(rng.integers(0, w, 2))
        y = h / 2 + rng.normal(0, h / 6) + 3 * np.sin(xs[x0:x1] / rng.uniform(3, 30))
        for dy in range(int(rng.integers(1, 4))):
            band[np.clip(np.round(y + dy).astype(int), 0, h - 1), xs[x0:x1]] = 1
    band |= (rng.random(shape) < rng.choice([0.0, 0.002, 0.05, 0.5])).astype(np.uint8)
    return band


def test_off_line_from_the_inked_pixels_is_the_band_wide_measure_without_band_wide_arrays():
    rng = np.random.default_rng(31)
    for trial in range(400):
        shape = (int(rng.integers(1, 60)), int(rng.integers(1, 600)))
        band = _strike_like(rng, shape)
        n0, n1 = sorted(rng.integers(0, shape[1] + 1, 2))
        half = int(rng.integers(0, 10))
        got, want = _off_line(band, n0, n1, half), _off_line_over_the_band(band, n0, n1, half)
        assert got == want and type(got[1]) is type(want[1]), trial
    band = np.zeros((60, 600), np.uint8)
    band[30, 50:550] = 1  # a plain strike: 500 inked pixels in a 36,000-pixel band
    _off_line(band, 50, 550, 5)  # (warm: NumPy's own first-call allocations)
    tracemalloc.start()
    try:
        _off_line(band, 50, 550, 5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # (per column: a few counts of 8 bytes; the band-wide float32 copy alone was 4 bytes a pixel)
    assert peak < 2 * band.size


def test_pen_runs_are_labelled_once_and_give_what_labelling_them_again_gives(monkeypatch):
    rng = np.random.default_rng(32)
    calls = []
    labelling = cv2.connectedComponents
    monkeypatch.setattr(strikeruns.cv2, "connectedComponents",
                        lambda *a, **k: calls.append(1) or labelling(*a, **k))
    checked = 0
    for trial in range(300):
        shape = (int(rng.integers(8, 40)), int(rng.integers(20, 300)))
        runs = (rng.random(shape) < rng.choice([0.05, 0.3, 0.7])).astype(np.uint8)
        runs = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, np.ones((3, 5), np.uint8))  # merged print: thick runs
        new = (rng.random(shape) < rng.choice([0.0, 0.01, 0.1])).astype(np.uint8)
        min_px = int(rng.integers(1, 6))
        pen, touched = strikes._pen_and_touched_runs(runs, new, min_px)
        calls.clear()
        pen2, touched2, labelled = strikes._pen_and_touched_labelled(runs, new, min_px)
        assert np.array_equal(pen, pen2) and np.array_equal(touched, touched2), trial
        if not pen.any():
            continue
        reach, merged_px = int(rng.integers(0, 30)), float(rng.uniform(1.5, 12))
        near = strikes._runs_near_pen(pen2, new, reach, merged_px, labelled)
        assert len(calls) == 1  # the runs were labelled once, by _pen_and_touched_labelled
        assert np.array_equal(near, strikes._runs_near_pen(pen, new, reach, merged_px)), trial
        checked += 1
    assert checked > 100


def test_thick_components_among_some_labels_are_the_others_false():
    rng = np.random.default_rng(33)
    for _ in range(100):
        mask = cv2.morphologyEx((rng.random((30, 120)) < 0.3).astype(np.uint8), cv2.MORPH_CLOSE,
                                np.ones((3, 5), np.uint8))
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        among = rng.random(count) < 0.5
        every = rowmasks.thick_components(labels, count, 6.0)
        assert np.array_equal(rowmasks.thick_components(labels, count, 6.0, among=among), every & among)


def test_running_sums_of_inked_masks_only_are_every_masks_sums():
    rng = np.random.default_rng(34)
    for _ in range(100):
        stack = (rng.random((9, 12, 50)) < rng.random()).astype(np.uint8)
        stack[rng.random(9) < 0.6] = 0  # empty masks, as most of a page's are
        inked = stack.reshape(9, -1).any(axis=1)
        z0, z1 = sorted(rng.choice(13, 2, replace=False))
        assert np.array_equal(strikes._inked_cumsums(stack[:, z0:z1], inked, rows_axis=1),
                              _column_cumsum(stack[:, z0:z1].sum(axis=1, dtype=np.int32)))
        per_column = stack.any(axis=1)
        assert np.array_equal(strikes._inked_cumsums(per_column, inked), _column_cumsum(per_column))


def test_strike_rows_sum_only_their_inked_masks(monkeypatch):
    """On a page the running sums are made for the masks with ink only."""
    from kiemphieu.ocr import load_profile, read_images
    from kiemphieu.ocr.synthetic import demo_election, make_ballot_file
    from kiemphieu.tally import Kind

    election = demo_election(17, 13, seed=300, kind=Kind.COMMITTEE)
    data, _, _ = make_ballot_file(election, 7000, "L0")
    summed = []
    cumsum = strikes._column_cumsum
    monkeypatch.setattr(strikes, "_column_cumsum", lambda values: summed.append(len(values)) or cumsum(values))
    reading = read_images(data, election, load_profile("feeder-200dpi-colour"))[0]
    assert reading.marks and sum(v == "struck" for v in reading.marks.values()) >= 1
    # every row's masks (new, runs, faint, tint; the zone's new ink): 5 x 17 sums a page before
    assert 0 < sum(summed) < 2 * 17


def test_box_shapes_are_measured_on_the_inked_boxes_only(monkeypatch):
    rng = np.random.default_rng(35)
    masks = [np.zeros((20, 22), np.uint8) for _ in range(8)]
    for i in (1, 4, 6):
        masks[i] = (rng.random((20, 22)) < 0.3).astype(np.uint8)
    pales = [(rng.random((20, 22)) < 0.02).astype(np.uint8) * (i % 2) for i in range(8)]
    seen = []
    through = boxes._stacked_through_lines
    monkeypatch.setattr(boxes, "_stacked_through_lines", lambda stack: seen.append(len(stack)) or through(stack))
    stacked = boxes.stacked_box_measures(masks, 0.3, 0.6, pales)
    assert seen == [3]
    for mask, pale, measures in zip(masks, pales, stacked):
        assert measures == boxes.box_measures(mask, 0.3, 0.6, pale)
    assert boxes.stacked_box_measures([np.zeros((20, 22), np.uint8)] * 4, 0.3, 0.6) == \
        [boxes.box_measures(np.zeros((20, 22), np.uint8), 0.3, 0.6)] * 4


def test_pen_colour_reads_the_scans_blue_and_red_in_one_pass(monkeypatch):
    """One `mixChannels` pass over the scan for both channels (each `extractChannel` was a pass
    of its own); the mask is the same, byte for byte, as from the two channels taken apart."""
    from kiemphieu.ocr import pencolour

    rng = np.random.default_rng(36)
    scan = np.full((300, 220, 3), 235, np.uint8)
    scan[..., 0] = 240  # bluish paper: the whole box is warped
    for y in range(30, 280, 25):
        cv2.line(scan, (20, y), (200, y), (20, 20, 20), 2)
    cv2.line(scan, (30, 120), (190, 126), (200, 60, 30), 2)  # a blue strike
    scan = np.clip(scan.astype(int) + rng.integers(-3, 4, scan.shape[:2])[..., None], 0, 255).astype(np.uint8)
    homography = np.vstack([cv2.getRotationMatrix2D((110, 150), 1.2, 1.0), [0, 0, 1.0]])
    scale = np.array([[0.8, 0, -0.5], [0, 0.8, -0.5], [0, 0, 1.0]])
    size, box = (240, 176), (10, 230, 8, 170)
    got = pencolour.pen_colour(scan, scale, homography, box, size, 20).copy()

    extracted = []
    monkeypatch.setattr(pencolour.cv2, "extractChannel", lambda *a, **k: extracted.append(1) or cv2.extractChannel(*a, **k))
    passes = []
    mix = cv2.mixChannels
    monkeypatch.setattr(pencolour.cv2, "mixChannels", lambda *a, **k: passes.append(1) or mix(*a, **k))
    assert np.array_equal(pencolour.pen_colour(scan, scale, homography, box, size, 20), got)
    assert passes == [1] and not extracted

    def channels_apart(src, dst, pairs):  # blue, then red, each copied on its own (as before)
        np.copyto(dst[0], src[0][..., 0])
        np.copyto(dst[1], src[0][..., 2])
        return dst

    monkeypatch.setattr(pencolour.cv2, "mixChannels", channels_apart)
    assert np.array_equal(pencolour.pen_colour(scan, scale, homography, box, size, 20), got)
    assert int(got.sum()) > 20
