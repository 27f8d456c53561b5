"""Simple pen marks drawn on rendered ballots, in millimetres (the synthetic module does more)."""

from __future__ import annotations

import cv2
import numpy as np

PEN = (140, 50, 20)  # blue ballpoint (BGR)
SEAL_RED = (40, 30, 200)


def px(mm: float, dpi: float) -> int:
    return int(round(mm * dpi / 25.4))


def line(img, dpi, p0, p1, thick_mm=0.5, colour=PEN):
    cv2.line(img, (px(p0[0], dpi), px(p0[1], dpi)), (px(p1[0], dpi), px(p1[1], dpi)), colour,
             max(1, px(thick_mm, dpi)), cv2.LINE_AA)


def strike(img, layout, dpi, cid, slope=0.0, thick_mm=0.5, extend_mm=2.0):
    """A line through the middle of the name, past both ends."""
    row = layout.row(cid)
    x, _, w, _ = row.name_mm
    y = row.name.baseline - 0.33 * row.name.size
    half = (w / 2 + extend_mm) * slope
    line(img, dpi, (x - extend_mm, y - half), (x + w + extend_mm, y + half), thick_mm)


def underline(img, layout, dpi, cid, below_mm=0.7):
    row = layout.row(cid)
    x, _, w, _ = row.name_mm
    y = row.name.baseline + below_mm
    line(img, dpi, (x, y), (x + w, y))


def cross(img, dpi, box):
    x, y, w, h = box
    line(img, dpi, (x + 0.8, y + 0.8), (x + w - 0.8, y + h - 0.8))
    line(img, dpi, (x + w - 0.8, y + 0.8), (x + 0.8, y + h - 0.8))


def seal(img, layout, dpi):
    x, y, w, h = layout.stamp_mm
    centre = (px(x + w / 2, dpi), px(y + h / 2, dpi))
    cv2.circle(img, centre, px(14, dpi), SEAL_RED, px(1.2, dpi))
    cv2.circle(img, centre, px(9, dpi), SEAL_RED, px(0.6, dpi))
    cv2.putText(img, "UBND", (centre[0] - px(6, dpi), centre[1] + px(1.5, dpi)), cv2.FONT_HERSHEY_SIMPLEX,
                dpi / 200, SEAL_RED, max(1, px(0.4, dpi)))


def streak(img, x_mm, dpi, grey=90):
    x = px(x_mm, dpi)
    img[:, x:x + 2] = grey


def margin_writing(img, layout, dpi):
    """A few handwritten-looking words at the bottom of the page, away from every row."""
    y = layout.paper.height - 14
    cv2.putText(img, "Dong y het", (px(60, dpi), px(y, dpi)), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                dpi / 110, PEN, max(1, px(0.4, dpi)), cv2.LINE_AA)


def jpeg(img, quality=85) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def png(img) -> bytes:
    return cv2.imencode(".png", img)[1].tobytes()


def scanner_blur(img, sigma=0.7):
    return cv2.GaussianBlur(img, (0, 0), sigma)


def rotate(img, quarter_turns: int):
    return np.ascontiguousarray(np.rot90(img, quarter_turns))


# Black partial and thin lines over names (no pen colour: only the ink's shape tells them), as
# the safety tests of the print-sliver rules draw them: (start, end) as shares of the name's
# width (a negative start and an end past 1 overshoot the name by 1 mm), pen width in mm.
BLACK = (30, 30, 30)
BLACK_LINES = {"thin_line": (None, None, 0.18), "third": (1 / 3, 2 / 3, 0.25), "short": (1 / 3, 1 / 2, 0.2)}


def black_lines(img, layout, cids, kind: str, dpi: int = 200) -> None:
    """`BLACK_LINES[kind]` drawn over each name of `cids`, 0.3 font sizes above the baseline."""
    start, end, thick_mm = BLACK_LINES[kind]
    for cid in cids:
        row = layout.row(cid)
        x, _, w, _ = row.name_mm
        y = row.name.baseline - 0.3 * row.name.size
        x0, x1 = (x - 1, x + w + 1) if start is None else (x + w * start, x + w * end)
        line(img, dpi, (x0, y), (x1, y), thick_mm=thick_mm, colour=BLACK)


def through_class_scanner(img, ballot, level: str = "L2", dpi: int = 200) -> bytes:
    """`img` degraded as the failure-class ballot `ballot` (split, class, level, index) is: its
    level and the other scanner model drawn from its seed."""
    import importlib
    from dataclasses import replace

    from kiemphieu.ocr.synthetic.classes import class_seed

    # (the module: the package exports its function `degrade` under the same name)
    degrade_module = importlib.import_module("kiemphieu.ocr.synthetic.degrade")

    seed = class_seed(*ballot[:4])
    params = replace(degrade_module.level_params(level),
                     scanner=degrade_module.draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), level))
    out, _ = degrade_module.degrade(img, params, np.random.default_rng(seed), dpi)
    return degrade_module.encode(out, params)[0]


def read_black_lines(ballot, count: int, kind: str, profile) -> tuple[list[str], dict]:
    """The first `count` names of the failure-class ballot's election (`ballot`: split, class,
    level, index, election name) on a sealed blank, `black_lines(kind)` over each, through that
    ballot's scanner model, read: (the names, the reading's JSON)."""
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.reader import read_bytes
    from kiemphieu.ocr.synthetic.classes import split_elections

    from .conftest import _sealed_blank

    election = split_elections(ballot[0])[ballot[4]]
    img = np.array(_sealed_blank(election), copy=True)
    targets = [c.id for c in election.candidates[:count]]
    black_lines(img, layout_for(election), targets, kind)
    return targets, read_bytes(through_class_scanner(img, ballot, ballot[2]), election, profile).to_json()
