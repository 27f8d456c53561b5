"""The strike rows' masks made where they are needed (issue 11 speed) are the masks made over the
rows' box as before: the runs in an inked row's window, the masks written in place per group of
rows, thick runs without OpenCV's stats, the crease check in one gather, the small-print profile
kept per profile."""

import itertools

import cv2
import numpy as np
import pytest

from kiemphieu.ocr import load_profile, read_images, strikes
from kiemphieu.ocr.arrays import _shifted_band
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.rowmasks import band_runs, row_groups, thick_components
from kiemphieu.ocr.synthetic import demo_election, make_ballot_file
from kiemphieu.ocr.template import horizontal_runs, profile_for, template_for
from kiemphieu.tally import Kind


@pytest.fixture(scope="module")
def small_print():
    """The 62-name A4 layout (small print, measured at 150 dpi), its profile and template."""
    election = demo_election(62, 50, seed=302, kind=Kind.COMMITTEE)
    layout = layout_for(election)
    profile = profile_for(layout, load_profile("feeder-200dpi-colour"))
    return election, profile, template_for(layout, profile)


def _strokes(shape, seed):
    """A page of random pen strokes: lines of every slant and width, dots, blobs."""
    rng = np.random.default_rng(seed)
    ink = np.zeros(shape, np.uint8)
    h, w = shape
    for _ in range(400):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        length, slant = int(rng.integers(2, 120)), float(rng.normal(0, 0.15))
        cv2.line(ink, (x, y), (x + length, int(y + slant * length)), 1, int(rng.integers(1, 4)))
    return ink | (rng.random(shape) < 0.02).astype(np.uint8)


def test_runs_in_a_rows_window_are_the_runs_over_the_rows_box(small_print):
    _, profile, template = small_print
    ink = _strokes((template.height, template.width), seed=4)
    y0, y1, x0, x1 = template.rows_box
    page = np.zeros_like(ink)
    page[y0:y1, x0:x1] = horizontal_runs(ink[y0:y1, x0:x1], template.run_px, template.run_tolerance)
    search = template.px(profile.geometry.align_search_mm)
    rows = template.rows[:3] + template.rows[-3:]  # the box's edge rows and the others alike
    for row, dx, dy in itertools.product(rows, (-search, 0, search), (-search, 1, search)):
        assert np.array_equal(band_runs(ink, template, row, (dx, dy)), _shifted_band(page, row, (dx, dy)))


def test_thick_components_are_openCVs_area_and_width_test():
    rng = np.random.default_rng(5)
    for trial in range(200):
        mask = (rng.random((30, 160)) < rng.random() * 0.7).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, 4), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for merged_px in (1.0, 2.5, 3.7, 8.86):
            expected = stats[:, cv2.CC_STAT_AREA] >= merged_px * stats[:, cv2.CC_STAT_WIDTH]
            expected[0] = False
            assert np.array_equal(thick_components(labels, count, merged_px), expected)


def test_row_groups_hold_every_row_once_with_one_band_size_and_zone(small_print):
    _, _, template = small_print
    groups = row_groups(template)
    assert sorted(i for _, indices in groups for i in indices) == list(range(len(template.rows)))
    for zone, indices in groups:
        shapes = {(r.band[1] - r.band[0], r.band[3] - r.band[2]) for r in (template.rows[i] for i in indices)}
        assert len(shapes) == 1 and all(template.rows[i].zone == zone for i in indices)


def test_masks_made_in_place_are_each_rows_own_masks(small_print, monkeypatch):
    """Every row's new ink, faint ink, pen colour and pen runs as the reader measured them equal
    the masks made row by row over the page (the formulation they replace)."""
    election, profile, template = small_print
    seen = []
    measure = strikes.strike_measures

    def keep(ctx, warped, ink, template):
        rows = measure(ctx, warped, ink, template)
        pages = {name: getattr(ctx, name).copy() for name in ("faint", "tint", "not_printed_runs")}
        seen.append((pages, ctx.checks.get("halo"), ink.copy(),
                     [dict(m, **{k: m[k].copy() for k in ("new", "runs", "faint", "tint")}) for m in rows]))
        return rows

    monkeypatch.setattr(strikes, "strike_measures", keep)
    for index in range(3):
        data, _, _ = make_ballot_file(election, 7000 + index, ("L0", "L1", "L2")[index])
        read_images(data, election, profile)
    assert seen
    y0, y1, x0, x1 = template.rows_box
    for pages, halo, ink, rows in seen:
        page_runs = np.zeros_like(ink)
        page_runs[y0:y1, x0:x1] = horizontal_runs(ink[y0:y1, x0:x1], template.run_px, template.run_tolerance)
        assert [m["row"].id for m in rows] == [r.id for r in template.rows]  # ballot order
        struck = 0
        for m in rows:
            row, shift = m["row"], m["shift"]
            by0, by1, bx0, bx1 = row.band
            not_glyph = template.not_glyph[by0:by1, bx0:bx1]
            assert np.array_equal(m["new"], _shifted_band(ink, row, shift) & not_glyph)
            assert np.array_equal(m["faint"], _shifted_band(pages["faint"], row, shift) & not_glyph)
            assert np.array_equal(m["tint"], _shifted_band(pages["tint"], row, shift))
            if m["new"].any():
                struck += 1
                pen, _ = strikes._pen_and_touched_runs(
                    _shifted_band(page_runs, row, shift) & pages["not_printed_runs"][by0:by1, bx0:bx1], m["new"],
                    strikes.pen_run_min_px(halo, profile.strike, template.k ** 2))
                if pen.any():
                    pen = strikes._runs_near_pen(pen, m["new"], template.px(profile.strike.run_reach_mm),
                                                 profile.strike.run_merged_mm * template.k)
                assert np.array_equal(m["runs"], pen)
            else:
                assert not m["runs"].any()
        assert struck >= 10  # the check looked at struck rows, not only empty ones


def _crease_by_stretch(warped, template, row, shift, pen, st, paper):
    """The crease cover as it was computed before: stretch by stretch, indexed by row and column."""
    n0, n1 = row.name
    z0, z1 = row.zone
    grow = (z1 - z0) // 2
    y0 = max(0, z0 - grow)
    ys, xs = np.nonzero(pen[y0:z1 + grow, n0:n1])
    if xs.size < 8 or int(xs.max()) - int(xs.min()) < 4:
        return None
    slope, intercept = strikes._line_fit(xs, ys)
    dx, dy = shift
    top = row.band[0] + dy + y0 + intercept
    left_x = row.band[2] + dx + n0
    gap, margin, shortest = template.px(st.crease_gap_mm), template.px(5.0), template.px(st.crease_min_mm)
    middle = top + slope * (n1 - n0) / 2
    best = {}
    for side, (a, b) in enumerate(((margin, left_x - gap), (left_x + (n1 - n0) + gap, template.width - margin))):
        if b - a < shortest:
            continue
        columns = np.arange(a, b)
        for lines in (top + slope * (columns - left_x), np.full(columns.shape, middle)):
            lines = np.round(lines).astype(int)
            ok = (lines >= 2) & (lines < template.height - 2)
            cols, near = columns[ok][None, :], lines[ok][None, :] + np.arange(-2, 3)[:, None]
            open_paper = ~template.glyph[near, cols].any(axis=0)
            dark = warped[near, cols].min(axis=0) < paper * st.crease_level
            if int(open_paper.sum()) >= shortest:
                cover = np.float64(int((dark & open_paper).sum())) / int(open_paper.sum())
                best[side] = max(best.get(side, cover), cover)
    return min(best.values()) if best else None


def test_crease_cover_in_one_gather_is_the_cover_stretch_by_stretch(small_print):
    _, profile, template = small_print
    rng = np.random.default_rng(6)
    st = profile.strike
    for trial in range(60):
        warped = np.clip(rng.normal(235, 12, (template.height, template.width)), 0, 255).astype(np.uint8)
        y = int(rng.integers(0, template.height))
        warped[max(0, y - 1):y + 2] = int(rng.integers(150, 230))  # a crease, somewhere
        row = template.rows[int(rng.integers(0, len(template.rows)))]
        by0, by1, bx0, bx1 = row.band
        pen = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
        (n0, n1), (z0, z1) = row.name, row.zone
        start, end = int(rng.integers(z0, z1)), int(rng.integers(z0, z1))
        cv2.line(pen, (n0 + int(rng.integers(0, 5)), start), (n1 - int(rng.integers(1, 30)), end), 1, 2)
        shift = (int(rng.integers(-3, 4)), int(rng.integers(-3, 4)))
        paper = float(rng.integers(200, 250))
        got = strikes._crease_cover(warped, template, row, shift, pen, st, paper)
        expected = _crease_by_stretch(warped, template, row, shift, pen, st, paper)
        assert type(got) is type(expected) and got == expected


def test_steep_lines_leaving_the_page_give_the_cover_stretch_by_stretch(small_print):
    _, profile, template = small_print
    st = profile.strike
    rng = np.random.default_rng(11)
    rows = [template.rows[0], template.rows[1], template.rows[-2], template.rows[-1]]
    for trial in range(80):
        warped = np.clip(rng.normal(232, 15, (template.height, template.width)), 0, 255).astype(np.uint8)
        row = rows[trial % len(rows)]
        by0, by1, bx0, bx1 = row.band
        pen = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
        (n0, n1), (z0, z1) = row.name, row.zone
        # Steep: carried across the page the fitted line runs off its top or bottom.
        start, end = (z0, z1 - 1) if trial % 2 else (z1 - 1, z0)
        cv2.line(pen, (n0, start), (min(n1, n0 + 12 + trial), end), 1, 2)
        shift = (int(rng.integers(-3, 4)), int(rng.integers(-3, 4)))
        paper = float(rng.integers(200, 250))
        got = strikes._crease_cover(warped, template, row, shift, pen, st, paper)
        expected = _crease_by_stretch(warped, template, row, shift, pen, st, paper)
        assert type(got) is type(expected) and got == expected


def test_the_small_print_profile_is_made_once_per_profile():
    profile = load_profile("feeder-200dpi-colour")
    finer = profile.for_print(3.0)
    assert finer.scan.work_dpi == profile.scan.small_print_dpi
    assert profile.for_print(3.0) is finer  # kept: its digest is not computed again per page
    assert finer.digest == type(profile)(**{f: getattr(finer, f) for f in profile.__dataclass_fields__}).digest
    assert profile.for_print(10.0) is profile
