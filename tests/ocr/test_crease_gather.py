"""The fold-crease check's cheaper gather: the print near a line from the glyph mask grown two rows
up and down, made once per template (the cover with lines off the page:
test_reader_row_masks.py)."""

import numpy as np
import pytest

from kiemphieu.ocr import crease, load_profile
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.synthetic import demo_election
from kiemphieu.ocr.template import profile_for, template_for
from kiemphieu.tally import Kind


@pytest.fixture(scope="module")
def small_print():
    election = demo_election(62, 50, seed=302, kind=Kind.COMMITTEE)
    layout = layout_for(election)
    profile = profile_for(layout, load_profile("feeder-200dpi-colour"))
    return template_for(layout, profile)


def test_glyph_near_a_line_is_the_glyph_within_two_rows_made_once(small_print):
    template = small_print
    near = crease._glyph_near_line(template)
    assert crease._glyph_near_line(template) is near
    rng = np.random.default_rng(3)
    ys = rng.integers(2, template.height - 2, 5000)
    xs = rng.integers(0, template.width, 5000)
    expected = np.stack([template.glyph[ys + k, xs] for k in range(-2, 3)]).any(axis=0)
    assert np.array_equal(near[ys, xs] > 0, expected)
