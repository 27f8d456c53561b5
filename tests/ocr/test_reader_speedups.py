"""The reader's faster helpers give exactly what the straightforward NumPy code gives."""

import numpy as np

from kiemphieu.ocr.arrays import _below, _column_cumsum, _sorted_percentile
from kiemphieu.ocr.checks import _densest_cell
from kiemphieu.ocr.strikes import _centred_in_zone, _centred_in_zone_rows


def test_below_is_a_strict_less_than_on_grey_levels():
    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for level in (0.0, 0.5, 99.0, 99.01, 180.6, 255.0, 255.5, 400.0):
        assert np.array_equal(_below(grey, level), (grey < level).astype(np.uint8)), level


def test_sorted_percentile_matches_numpy():
    rng = np.random.default_rng(5)
    for _ in range(300):
        values = np.sort(rng.choice(800, rng.integers(2, 400), replace=False))
        for q in (0.05, 0.95):
            assert _sorted_percentile(values, q) == float(np.percentile(values, 100 * q))


def test_centred_in_zone_matches_the_division_by_counts():
    rng = np.random.default_rng(7)
    for _ in range(200):
        mask = (rng.random((30, 60)) < rng.random()).astype(np.uint8)
        z0, z1 = sorted(rng.choice(31, 2, replace=False))
        counts = mask.sum(axis=0)
        centre = (mask * np.arange(30)[:, None]).sum(axis=0) / np.maximum(counts, 1)
        expected = mask[z0:z1].any(axis=0) & (centre >= z0) & (centre < z1)
        assert np.array_equal(_centred_in_zone(mask, z0, z1), expected)


def test_stacked_rows_give_each_rows_own_result():
    rng = np.random.default_rng(11)
    for _ in range(50):
        stack = (rng.random((7, 24, 90)) < rng.random()).astype(np.uint8)
        z0, z1 = sorted(rng.choice(25, 2, replace=False))
        together, counts = _centred_in_zone_rows(stack, z0, z1)
        assert np.array_equal(counts, stack.sum(axis=1))
        for i in range(len(stack)):
            assert np.array_equal(together[i], _centred_in_zone(stack[i], z0, z1))


def test_column_cumsum_gives_any_ranges_sum():
    rng = np.random.default_rng(12)
    values = rng.integers(0, 30, (5, 40))
    sums = _column_cumsum(values)
    for _ in range(100):
        i = int(rng.integers(5))
        a, b = sorted(rng.choice(41, 2, replace=False))
        assert sums[i, b] - sums[i, a] == values[i, a:b].sum()


def test_densest_cell_by_blocks_matches_the_integral_image():
    import cv2

    rng = np.random.default_rng(13)
    for _ in range(60):
        h, w = int(rng.integers(30, 200)), int(rng.integers(30, 200))
        mask = (rng.random((h, w)) < rng.random() * 0.3).astype(np.uint8)
        for cell in (4, 10, 20):
            total = cv2.integral(mask)
            expected = 0
            for offset in (0, cell // 2):
                corners = total[offset::cell, offset::cell]
                sums = corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]
                expected = max(expected, int(sums.max()) if sums.size else 0)
            assert _densest_cell(mask, cell) == expected, (h, w, cell)


def test_free_ink_from_stacked_glyph_edges_matches_dilating_each_row():
    import cv2

    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.profiles import load_profile
    from kiemphieu.ocr.synthetic import demo_elections
    from kiemphieu.ocr.template import template_for

    template = template_for(layout_for(demo_elections()["strike15"]), load_profile(None))
    rows = [row for row in template.rows if row.band[1] - row.band[0] == template.rows[0].band[1] - template.rows[0].band[0]]
    edges = template.stacked_glyph_edges(tuple(row.id for row in rows))
    rng = np.random.default_rng(14)
    for i, row in enumerate(rows):
        y0, y1, x0, x1 = row.band
        mask = (rng.random((y1 - y0, x1 - x0)) < 0.1).astype(np.uint8)
        stacked = int(mask.sum()) - int(np.count_nonzero(mask & edges[i]))
        # ink not touching the row's print grown by one pixel, dilated here for each row
        edge = cv2.dilate(template.glyph[y0:y1, x0:x1], np.ones((3, 3), np.uint8))
        assert stacked == int(mask.sum()) - int(np.count_nonzero(cv2.bitwise_and(mask, edge)))


def test_source_rect_covers_what_the_warp_samples_and_is_never_empty():
    import cv2

    from kiemphieu.ocr.arrays import _source_rect

    rng = np.random.default_rng(15)
    image = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    for _ in range(50):
        angle, dx, dy = rng.uniform(-0.05, 0.05), rng.uniform(-20, 20), rng.uniform(-20, 20)
        forward = np.array([[np.cos(angle), -np.sin(angle), dx], [np.sin(angle), np.cos(angle), dy], [0, 0, 1.0]])
        size = (120, 150)
        x0, y0, x1, y1 = _source_rect(forward, size, image.shape)
        whole = cv2.warpPerspective(image, forward, size, flags=cv2.INTER_LINEAR, borderValue=0)
        shifted = forward @ np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1.0]])
        part = cv2.warpPerspective(np.ascontiguousarray(image[y0:y1, x0:x1]), shifted, size,
                                   flags=cv2.INTER_LINEAR, borderValue=0)
        assert np.abs(whole.astype(int) - part.astype(int)).max() <= 1
    x0, y0, x1, y1 = _source_rect(np.array([[1, 0, -1000], [0, 1, 0], [0, 0, 1.0]]), (50, 50), image.shape)
    assert x1 > x0 and y1 > y0


def test_line_fit_matches_polyfit():
    from kiemphieu.ocr.strikes import _line_fit

    rng = np.random.default_rng(21)
    for _ in range(200):
        xs = rng.integers(0, 400, rng.integers(8, 500))
        if np.ptp(xs) < 4:
            continue
        ys = (rng.uniform(-0.2, 0.2) * xs + rng.normal(0, 2, xs.size) + 20).astype(int)
        slope, intercept = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)
        got = _line_fit(xs, ys)
        assert abs(got[0] - slope) < 1e-12 and abs(got[1] - intercept) < 1e-9


def test_centred_rows_skipping_empty_masks_gives_the_same_as_measuring_all():
    rng = np.random.default_rng(22)
    for _ in range(40):
        stack = np.zeros((12, 20, 70), np.uint8)
        for i in rng.choice(12, int(rng.integers(0, 13)), replace=False):
            stack[i] = rng.random((20, 70)) < rng.random() * 0.3
        z0, z1 = sorted(rng.choice(21, 2, replace=False))
        inked = stack.reshape(12, -1).max(axis=1).astype(bool)
        full = _centred_in_zone_rows(stack, z0, z1)
        skipped = _centred_in_zone_rows(stack, z0, z1, inked)
        assert np.array_equal(full[0], skipped[0]) and np.array_equal(full[1], skipped[1])


def test_ink_on_edges_counts_like_the_stacked_count():
    from kiemphieu.ocr.strikes import _ink_on_edges

    rng = np.random.default_rng(23)
    stack = (rng.random((9, 15, 40)) < 0.1).astype(np.uint8)
    stack[[2, 5]] = 0
    edges = (rng.random((9, 15, 40)) < 0.3).astype(np.uint8)
    inked = stack.reshape(9, -1).max(axis=1).astype(bool)
    assert _ink_on_edges(stack, edges, inked) == np.count_nonzero(stack & edges, axis=(1, 2)).tolist()


def test_pen_runs_without_new_ink_are_empty():
    from kiemphieu.ocr.strikes import _no_ink, _pen_runs

    runs = np.zeros((10, 30), np.uint8)
    runs[4, 3:20] = 1
    new = np.zeros_like(runs)
    assert not _pen_runs(runs, new).any() and not _no_ink(new.shape).any()


def test_page_box_is_written_in_place_and_zero_outside():
    import cv2

    from kiemphieu.ocr.arrays import _scratch

    page, box = _scratch.page_box("test-box", (50, 60), (10, 30, 5, 45))
    cv2.threshold(np.full((20, 40), 200, np.uint8), 100, 1, cv2.THRESH_BINARY, dst=box)
    assert page[10:30, 5:45].all() and page.sum() == 20 * 40
    again, _ = _scratch.page_box("test-box", (50, 60), (10, 30, 5, 45))
    assert again is page  # reused from page to page: only the box is rewritten


def test_a_page_with_two_markers_cut_is_fitted_at_half_resolution_and_lands_where_the_full_fit_did(monkeypatch):
    """A small-print page with two corner markers cut off: the print fit runs at a quarter and
    half the working resolution only (the full one cost some 100 ms a page), and the page map it
    gives is within a quarter of a working pixel (0.1 here) of the fit that adds the finest
    level (`finest=0`: 100 dpi for small print) everywhere on the page, the readings alike (the
    rows are re-aligned by whole pixels anyway)."""
    import functools

    import cv2

    from kiemphieu.ocr import pagemap
    from kiemphieu.ocr.profiles import load_profile
    from kiemphieu.ocr.reader import read_images
    from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.template import profile_for, template_for

    item = ("tune", "cut_corner", "L0", 15, "strike66")
    data, _, _ = make_class_ballot_file(*item)
    election = split_elections("tune")[item[4]]
    layout = layout_for(election)
    work = profile_for(layout, load_profile())
    sizes = []
    ecc = pagemap._ecc
    monkeypatch.setattr(pagemap, "_ecc", lambda ref, image, *a: sizes.append(image.shape) or ecc(ref, image, *a))
    (fast,) = read_images(data, election, load_profile())
    assert fast.checks["fit"] == "print" and fast.checks["markers"] == 2 and fast.status == "read"
    assert max(sizes)[0] == template_for(layout, work).height // 2  # the finest level: half the working resolution
    monkeypatch.setattr(pagemap, "fit_to_print", functools.partial(pagemap.fit_to_print, finest=0))
    sizes.clear()
    (fine,) = read_images(data, election, load_profile())
    assert max(sizes)[0] == round(layout.paper.height / 25.4 * 100)  # the reference: a 100 dpi level added
    assert fine.marks == fast.marks and fine.status == fast.status
    k = work.scan.work_dpi / 25.4
    w, h = layout.paper.width, layout.paper.height
    points = np.float32([[[x, y]] for x in np.linspace(0, w, 5) for y in np.linspace(0, h, 5)])
    to_image = np.linalg.inv(np.array(fine.homography))
    moved = cv2.perspectiveTransform(cv2.perspectiveTransform(points, to_image), np.array(fast.homography)) - points
    assert np.abs(moved).max() * k < 0.25, np.abs(moved).max() * k


def test_print_fit_with_few_iterations_at_its_fine_levels_lands_where_fifty_did(monkeypatch):
    """The print fit's finer levels start from the coarser one's result: capped at 10 and 3 ECC
    iterations, the page map is within a tenth of a working pixel of 50 iterations at every level."""
    import cv2

    from kiemphieu.ocr import pagemap
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.profiles import load_profile
    from kiemphieu.ocr.reader import read_images
    from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

    item = ("tune", "cut_corner", "L1", 13, "strike15")
    data, _, _ = make_class_ballot_file(*item)
    election = split_elections("tune")[item[4]]
    (capped,) = read_images(data, election, load_profile())
    assert capped.checks["fit"] == "print" and capped.checks["markers"] == 2
    monkeypatch.setattr(pagemap, "ECC_ITERATIONS", (50, 50, 50))
    (full,) = read_images(data, election, load_profile())
    assert full.marks == capped.marks and full.status == capped.status
    layout = layout_for(election)
    k = load_profile().scan.work_dpi / 25.4
    w, h = layout.paper.width, layout.paper.height
    points = np.float32([[[x, y]] for x in np.linspace(0, w, 5) for y in np.linspace(0, h, 5)])
    to_image = np.linalg.inv(np.array(full.homography))
    moved = cv2.perspectiveTransform(cv2.perspectiveTransform(points, to_image), np.array(capped.homography)) - points
    assert np.abs(moved).max() * k < 0.1, np.abs(moved).max() * k


def test_longest_runs_match_the_padded_diff():
    from kiemphieu.ocr.arrays import _longest_runs

    rng = np.random.default_rng(24)
    for _ in range(300):
        h, w = rng.integers(1, 50, 2)
        mask = (rng.random((h, w)) < rng.random()).astype(rng.choice([np.uint8, bool]))
        steps = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        expected = np.zeros(h, np.int32)
        for row in range(h):
            starts, ends = np.flatnonzero(steps[row] == 1), np.flatnonzero(steps[row] == -1)
            expected[row] = (ends - starts).max() if starts.size else 0
        assert np.array_equal(_longest_runs(mask), expected)
        assert np.array_equal(_longest_runs(mask.T), _longest_runs(np.ascontiguousarray(mask.T)))
