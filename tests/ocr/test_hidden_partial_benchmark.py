"""The hidden partial strikes benchmark (the README quotes its silent errors) still runs end to
end, draws lines a person can see on the paper, and counts a line read `kept` as WRONG."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_hidden_partial_benchmark_counts_a_line_read_kept_as_wrong(tmp_path):
    dump = tmp_path / "rows.jsonl"
    done = subprocess.run([sys.executable, "benchmarks/hidden_partial_benchmark.py", "--n", "4", "--workers", "1",
                           "--dump", str(dump)], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = re.search(r"partial rows (\d+), read kept \(WRONG\) (\d+);", done.stdout)
    assert summary, done.stdout[-2000:]
    rows = [json.loads(line) for line in dump.read_text().splitlines()]
    lines = [r for r in rows if r["kind"] == "hidden_partial"]
    assert lines and all(r["accept"] == ["struck", "uncertain"] for r in lines)
    assert int(summary.group(1)) == len(lines)
    assert int(summary.group(2)) == sum(r["read"] == "kept" for r in lines)


def test_each_hidden_line_shows_on_the_paper_before_the_scan():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import hidden_partial_benchmark as bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for i in range(4):
        *_, truth = bench.make(i)
        drawn = [t for t in truth.values() if t["kind"] == "hidden_partial"]
        assert 1 <= len(drawn) <= 3
        assert all(3.0 <= t["length_mm"] <= 8.0 and t["open_mm2"] > 0 for t in drawn), drawn


def test_without_lines_the_same_ballots_have_no_hidden_line():
    """`--no-lines`: the same ballots (layout, level, strikes) with no partial line drawn, so their
    plain rows' answers can be read alone."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import hidden_partial_benchmark as bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for i in range(2):
        name, level, _, _, truth = bench.make(i, lines=False)
        with_lines = bench.make(i)
        assert (name, level) == with_lines[:2]
        assert not [t for t in truth.values() if t["kind"] == "hidden_partial"]
        struck = {c for c, t in truth.items() if t["expected"] == "struck"}
        assert struck == {c for c, t in with_lines[4].items() if t["expected"] == "struck"}
