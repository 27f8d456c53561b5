"""The season benchmark the README quotes still runs end to end (it broke unseen once: its bulk
ballots had no audit entries, and finalising now checks every ballot against its entry)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_season_benchmark_runs_on_three_congresses(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KIEMPHIEU_INSTANCE")}
    done = subprocess.run([sys.executable, "benchmarks/season_benchmark.py", "--congresses", "3",
                           "--keep", str(tmp_path / "season")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "kiemphieu import: exit 0" in done.stdout
    assert "dashboard all, page 1" in done.stdout and "queries" in done.stdout
