"""What a split of the failure-class ballots draws: the ranges of each class's variety.

The tuning split's values live in `classes.py`; the held-back split's in `held_back.py`, a module
of its own so that work on the reader never has them on screen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variety:
    """Parameter ranges of one split (low, high); the held-back split's differ from tuning's."""

    cancel_lines: tuple[int, int]  # horizontal lines through a cancelled X (inclusive)
    cancel_overshoot: tuple[float, float]  # how far (box widths) those lines run past the box
    cancel_slant_deg: tuple[float, float]
    crease_darkness: tuple[float, float]  # share of the paper's light the crease line takes
    crease_height: tuple[float, float]  # crease height above the baseline, in font sizes
    crease_width_px: tuple[float, float]  # Gaussian sigma of the crease line (200 dpi)
    crease_slope_deg: float
    cut_depth: tuple[float, float]  # share of a marker's width cut off by the image edge
    cut_rotation_deg: tuple[float, float]
    cut_fill: float  # chance the lost part is a dark feeder background instead of cropped away
    baseline_offset: tuple[float, float]  # second line of a double strike, font sizes off the baseline
    number_overshoot_mm: tuple[float, float]  # a strike's run to the left, through the row number
    seal_strength: tuple[float, float]  # seal ink opacity (a light or a heavy impression)
    # A pen's width scaled by this (a thinner or thicker pen than the models); None: the model's
    # own (no extra draw, so a split without it keeps its ballots).
    pen_width_scale: tuple[float, float] | None = None
    # Levels whose ballots pass through another scanner model (`degrade.draw_scanner`, drawn from
    # its own seed so the ballot's other draws are unchanged); empty: ours only.
    scanner_levels: tuple[str, ...] = ()
    # Box marks drawn more ways (None: the plain two-stroke X of 60-110% of the box, and an X
    # struck through beside an X or a tick; a split without them keeps its ballots): the X's
    # size (box widths) and strokes (1: without lifting the pen, 3: a diagonal gone over again),
    # and on box_cancel the mark taken back and the mark made instead drawn from
    # `cancelled_marks` and `other_marks` (x, tick, circle, filled) with their weights.
    x_size: tuple[float, float] | None = None
    x_strokes: tuple[int, int] | None = None
    cancelled_marks: dict[str, float] | None = None
    other_marks: dict[str, float] | None = None
    # Cut corners by corner: any of the four (the QR codes' included) is picked, then one of its
    # two sides is moved in by this share of its marker's width (past 1: the marker is gone and
    # the code beside it cut). None: a side is picked as before (a split without it keeps its
    # ballots).
    cut_corner_depth: tuple[float, float] | None = None
