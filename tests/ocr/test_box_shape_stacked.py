"""A mark's shape at fine resolution measured over the page's marked boxes stacked equals each
box's own `_stroke_directions`, floats included."""

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.boxshape import _stroke_directions, stacked_stroke_directions


def _fine_boxes(shape, seed):
    """Grey boxes as the fine warp gives them: an X (thin, thick), an X struck through, a
    scribble, a blacked-out box, blank paper, a faint X, JPEG-like noise."""
    h, w = shape
    rng = np.random.default_rng(seed)
    paper = np.full(shape, 235, np.uint8)
    boxes = []
    for width in (1, 3, 6):
        x = paper.copy()
        cv2.line(x, (2, 2), (w - 3, h - 3), 40, width)
        cv2.line(x, (w - 3, 2), (2, h - 3), 40, width)
        boxes.append(cv2.GaussianBlur(x, (5, 5), 1.2))
    struck = boxes[1].copy()
    for y in (h // 3, h // 2, 2 * h // 3):
        cv2.line(struck, (0, y), (w - 1, y + 1), 30, 2)
    scribble = paper.copy()
    for y in range(2, h - 2, 4):
        cv2.line(scribble, (1, y), (w - 2, y + 3), 50, 2)
    faint = paper.copy()
    cv2.line(faint, (2, 2), (w - 3, h - 3), 170, 2)
    cv2.line(faint, (w - 3, 2), (2, h - 3), 170, 2)
    noisy = np.clip(boxes[1].astype(int) + rng.integers(-25, 26, shape), 0, 255).astype(np.uint8)
    random = rng.integers(0, 256, shape, dtype=np.uint8)
    return [struck, *boxes, scribble, paper, np.zeros(shape, np.uint8), faint, noisy, random]


@pytest.mark.parametrize("shape", [(48, 48), (47, 50), (9, 13), (3, 4), (4, 3)])
def test_stacked_stroke_directions_equal_each_box_own(shape):
    fines = _fine_boxes(shape, seed=sum(shape))
    fines.insert(2, _fine_boxes((40, 44), seed=1)[0])  # another size: its own stack (of one)
    for level in (150.0, 160.7, 0.0):
        stacked = stacked_stroke_directions(fines, level)
        for fine, shape_measures in zip(fines, stacked):
            own = _stroke_directions(fine, level)
            assert shape_measures == own  # floats included: the same sums of the same values
            assert [type(v) for v in shape_measures.values()] == [type(v) for v in own.values()]


def test_stacked_stroke_directions_on_random_boxes():
    rng = np.random.default_rng(5)
    for _ in range(20):
        h, w = rng.integers(3, 60, 2)
        fines = [cv2.GaussianBlur(rng.integers(0, 256, (h, w), dtype=np.uint8), (3, 3), rng.random() + 0.3)
                 for _ in range(int(rng.integers(2, 12)))]
        level = float(rng.random() * 255)
        assert stacked_stroke_directions(fines, level) == [_stroke_directions(f, level) for f in fines]


def test_no_box_gives_no_measures():
    assert stacked_stroke_directions([], 150.0) == []


def test_float32_root_equals_hypot_on_every_gradient_pair():
    """Every (gx, gy) a 3x3 Sobel of 8-bit levels can give: the same float32 hypotenuse."""
    from kiemphieu.ocr.boxshape import _hypot_of_levels

    values = np.arange(-4 * 255, 4 * 255 + 1, dtype=np.float32)
    gx, gy = np.meshgrid(values, values)
    assert np.array_equal(_hypot_of_levels(gx, gy), np.hypot(gx, gy))
