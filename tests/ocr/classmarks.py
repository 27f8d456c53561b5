"""A failure-class ballot (issue 11) read with a pen's mark added by one row's name."""

from __future__ import annotations

import numpy as np

from kiemphieu.ocr import read_images
from kiemphieu.ocr.synthetic import classes
from kiemphieu.ocr.synthetic.ballots import text_lines_px
from kiemphieu.ocr.synthetic.ink import PEN_MODELS, Pen, box_to_px, draw_strokes

PENS = {m[0]: Pen(*m) for m in PEN_MODELS}


def read_with_mark_by_name(ballot: tuple, cid: str, extra, pen: str, profile):
    """(reading, truth) of `ballot` (split, class, level, index, election), the strokes
    `extra(name_box_px, dpi, rng, baseline, font)` drawn by row `cid`'s name in `pen` (none when
    `extra` is None)."""
    original = classes._mark_boxes

    def marked(image, layout, dpi, rng, cls, variety):
        truth = original(image, layout, dpi, rng, cls, variety)
        if extra is not None:
            row = next(c for c in layout["candidates"] if c["id"] == cid)
            box = box_to_px(row["name_mm"], dpi)
            draw_strokes(image, extra(box, dpi, np.random.default_rng(5), *text_lines_px(row, dpi)),
                         PENS[pen], dpi, np.random.default_rng(6))
        return truth

    classes._mark_boxes = marked
    try:
        data, _, truth = classes.make_class_ballot_file(*ballot)
    finally:
        classes._mark_boxes = original
    election = classes.split_elections(ballot[0])[ballot[-1]]
    return read_images(data, election, profile)[0], truth
