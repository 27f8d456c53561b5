"""The read-speed benchmarks still run end to end and print what they promise: the stages every
page needs against the speed target's budget (`read_speed.py --floor`) and the mean read time
by the reader's path (`read_paths.py`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_floor_prints_each_stage_and_what_the_budget_leaves():
    out = _run("benchmarks/read_speed.py", "--floor", "--n", "2", "--repeat", "1", "--layouts", "A5 boxes 1")
    row = next(line for line in out.splitlines() if line.startswith("A5 boxes 1"))
    decode, budget, half, grey, markers, warp, floor, ratio, left, read = row.split()[3:]
    # Each figure printed to 0.1 ms: a sum or product of printed figures is off by their rounding.
    assert abs(float(budget) - 2 * float(decode)) <= 0.15 + 1e-9  # A5: read <= 2x the full decode
    assert abs(float(floor) - (float(half) + float(grey) + float(markers) + float(warp))) <= 0.25 + 1e-9
    assert abs(float(left) - (float(budget) - float(floor))) <= 0.15 + 1e-9 and ratio.endswith("x")


def test_read_paths_splits_the_mean_by_the_readers_path():
    out = _run("benchmarks/read_paths.py", "--scans", "6", "--candidates", "5", "--seats", "4", "--level", "L0")
    assert re.search(r"6 scans, 5 names / 4 seats, L0, .*mean [\d.]+ ms a page", out)
    pages = [int(line[52:58]) for line in out.splitlines()[2:] if line.strip()]
    assert sum(pages) == 6
