"""The held-back split's ranges. DO NOT READ while tuning the reader: this split exists to tell
whether the reader generalises to variety it was not tuned to. Report only the benchmark's
summary tables of this split. Changing a value here changes the held-back ballots.
"""

from __future__ import annotations

from .variety import Variety

HELD_BACK = Variety(
    cancel_lines=(2, 4), cancel_overshoot=(0.1, 0.6), cancel_slant_deg=(-8, 8),
    crease_darkness=(0.2, 0.55), crease_height=(0.35, 0.85), crease_width_px=(0.5, 2.0),
    crease_slope_deg=0.6, cut_depth=(0.1, 0.7), cut_rotation_deg=(0.5, 3.0), cut_fill=0.5,
    baseline_offset=(-0.12, 0.1), number_overshoot_mm=(7.0, 15.0), seal_strength=(0.55, 1.0))
