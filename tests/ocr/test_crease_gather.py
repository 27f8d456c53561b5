"""The fold-crease check's cheaper gather: the print near a line from the glyph mask grown two rows
up and down (made once per template), lines off the page read unclipped and not counted, the
counts per stretch; the same cover as the check stretch by stretch, steep lines off the page too."""

import cv2
import numpy as np
import pytest

from kiemphieu.ocr import crease, load_profile, strikes
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.synthetic import demo_election
from kiemphieu.ocr.template import profile_for, template_for
from kiemphieu.tally import Kind


@pytest.fixture(scope="module")
def small_print():
    election = demo_election(62, 50, seed=302, kind=Kind.COMMITTEE)
    layout = layout_for(election)
    profile = profile_for(layout, load_profile("feeder-200dpi-colour"))
    return profile, template_for(layout, profile)


def test_glyph_near_a_line_is_the_glyph_within_two_rows_made_once(small_print):
    _, template = small_print
    near = crease._glyph_near_line(template)
    assert crease._glyph_near_line(template) is near
    rng = np.random.default_rng(3)
    ys = rng.integers(2, template.height - 2, 5000)
    xs = rng.integers(0, template.width, 5000)
    expected = np.stack([template.glyph[ys + k, xs] for k in range(-2, 3)]).any(axis=0)
    assert np.array_equal(near[ys, xs] > 0, expected)


def _cover_by_stretch(warped, template, row, shift, pen, st, paper):
    """The cover as first written: stretch by stretch, line by line, rows and columns indexed."""
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


def test_steep_lines_leaving_the_page_give_the_cover_stretch_by_stretch(small_print):
    profile, template = small_print
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
        expected = _cover_by_stretch(warped, template, row, shift, pen, st, paper)
        assert type(got) is type(expected) and got == expected
