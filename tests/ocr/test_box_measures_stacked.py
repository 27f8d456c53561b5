"""The boxes form's measures taken over all a page's boxes stacked equal the box-by-box ones."""

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.boxes import box_measures, stacked_box_measures


def _boxes(shape, seed):
    """Empty boxes, an X, lines struck across, a scribble, a blacked-out box, random specks."""
    h, w = shape
    rng = np.random.default_rng(seed)
    empty = np.zeros(shape, np.uint8)
    x = empty.copy()
    cv2.line(x, (1, 1), (w - 2, h - 2), 1, 2)
    cv2.line(x, (w - 2, 1), (1, h - 2), 1, 2)
    struck = x.copy()
    for y in (2, h // 2, h - 4):  # three separate lines right across
        cv2.line(struck, (0, y), (w - 1, y + 1), 1, 1)
    scribble = empty.copy()
    for y in range(1, h - 1, 3):
        cv2.line(scribble, (0, y), (w - 1, y + 2), 1, 1)
    full = np.ones(shape, np.uint8)
    specks = [(rng.random(shape) < p).astype(np.uint8) for p in (0.01, 0.1, 0.4, 0.8)]
    return [empty, x, empty.copy(), struck, scribble, full, *specks]


@pytest.mark.parametrize("shape", [(17, 17), (16, 18), (5, 9), (4, 12), (12, 3)])
@pytest.mark.parametrize("long_run", [0.6, 0.0])
def test_stacked_box_measures_equal_each_box_own(shape, long_run):
    masks = _boxes(shape, seed=sum(shape))
    masks.insert(3, np.ones((9, 11), np.uint8))  # another size among them: measured in its own stack
    stacked = stacked_box_measures(masks, 0.3, long_run)
    for mask, measures in zip(masks, stacked):
        own = box_measures(mask, 0.3, long_run)
        assert measures == own  # floats included: the same divisions of the same exact counts
        assert [type(v) for v in measures.values()] == [type(v) for v in own.values()]


@pytest.mark.parametrize("shape", [(17, 17), (4, 12)])
def test_stacked_measures_with_faint_ink_equal_each_box_own(shape):
    masks = _boxes(shape, seed=7)
    pales = masks[3:] + masks[:3]  # each box's faint ink another of the shapes
    stacked = stacked_box_measures(masks, 0.3, 0.6, pales)
    assert stacked == [box_measures(mask, 0.3, 0.6, pale) for mask, pale in zip(masks, pales)]
    assert {"pale_score", "pale_sides"} <= set(stacked[0])


def test_box_measures_are_the_reader_s_own():
    """box_measures is what the reader measured box by box before stacking."""
    from kiemphieu.ocr import boxes as b
    mask = _boxes((17, 17), seed=3)[3]
    m = box_measures(mask, 0.3, 0.6)
    assert m["score"] == min(float(mask.any(axis=0).mean()), float(mask.any(axis=1).mean()))
    assert m["crossings"] == b._crossings(mask) and m["sides"] == b._inked_sides(mask, 0.3)
    assert (m["long_rows"], m["long_cols"]) == b._long_lines(mask, 0.6)
    assert m["line_groups"] == max(b._through_lines(mask)) >= 2
