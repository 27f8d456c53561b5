"""Probe splits of the failure-class ballots: fresh ballots to look at (issue 11).

The held-back split is read only as summary figures, and the tuning split is what the reader's
thresholds were chosen on. A probe split sits between them: the tuning split's ranges on our own
scanner ladder (the capture the held-back split uses), with elections and seeds neither split
has, drawn from a number: ``probe:1``, ``probe:2``, ... Study one probe's failures freely; once
looked at it is tuning data, and the next question gets the next number.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from ...tally import Kind
from .ballots import demo_election
from .variety import Variety

PREFIX = "probe"
# Sizes the tuning and held-back splits use (strike names, boxes rows): a probe draws others.
TAKEN_STRIKE = frozenset({15, 17, 33, 45, 58, 62, 64, 66})
STRIKE_RANGES = ((18, 32), (34, 54), (56, 70))  # normal, large, small print (A4, two columns)
BOXES_SIZES = (2, 4, 7, 8)
DELEGATES = "Bầu đại biểu đi dự Đại hội cấp trên"


def is_probe(split: str) -> bool:
    return split == PREFIX or split.startswith(PREFIX + ":")


def probe_number(split: str) -> int:
    """N of ``probe:N``; a bare ``probe`` draws probe:1's elections (its ballots' seeds come
    from the split's name, so they are not probe:1's: the benchmark always names a number)."""
    _, _, number = split.partition(":")
    try:
        value = int(number or 1)
    except ValueError:
        raise ValueError(f"a probe split is probe:N with N a number, not {split!r}") from None
    if value < 1:
        raise ValueError(f"a probe split's number starts at 1, not {value}")
    return value


def probe_elections(number: int) -> dict[str, object]:
    """Three strike elections (one a size in each of `STRIKE_RANGES`, none a size another split
    uses) and two boxes elections, drawn from the probe's number."""
    rng = np.random.default_rng(zlib.crc32(f"probe-elections:{number}".encode()))
    elections = {}
    for k, (low, high) in enumerate(STRIKE_RANGES):
        sizes = [n for n in range(low, high + 1) if n not in TAKEN_STRIKE]
        n = int(rng.choice(sizes))
        seats = max(1, round(n * 0.78))
        title = DELEGATES if n > 30 else None
        elections[f"strike{n}"] = demo_election(n, seats, seed=10_000 * number + k, title=title)
    for k, n in enumerate(sorted(rng.choice(BOXES_SIZES, size=2, replace=False).tolist())):
        elections[f"boxes{n}p"] = demo_election(n, n, seed=10_000 * number + 10 + k, title="Bầu Ban Thường vụ",
                                                kind=Kind.STANDING_COMMITTEE)
    return elections


def probe_variety(tune: Variety) -> Variety:
    """The tuning split's ranges, read through our own scanner ladder only."""
    return replace(tune, scanner_levels=())
