"""Synthetic marked and degraded ballots with their truth, for tests and the OCR benchmark.

Pure NumPy/OpenCV, seeded (``zlib.crc32(f"{level}:{index}")``) and reproducible.
"""

from .ballots import (
    BENCHMARK_LEVEL_SHARES,
    DEFAULT_KIND_MIX,
    DPI,
    GENERATOR_VERSION,
    ballot_plan,
    blank_ballot,
    demo_election,
    demo_elections,
    draw_ballot,
    SCENARIOS,
    free_area,
    iter_ballot_set,
    make_ballot,
    make_ballot_file,
    seed_for,
    status_class,
)
from .degrade import ALL_LEVELS, LEVELS, VARIANTS, Degradation, degrade, encode, level_params
from .ink import PEN_MODELS, Pen, box_to_px, draw_strokes, mm_to_px, random_pen
from .scoring import Judgement, judge_reading

__all__ = [name for name in dir() if not name.startswith("_")]
