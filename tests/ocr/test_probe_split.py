"""Probe splits: fresh failure-class ballots on elections neither the tuning nor the held-back
split has, through our own scanner ladder, drawn from a number; and the benchmark that reads
one (`benchmarks/probe_split.py`) still runs end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiemphieu.ocr.synthetic.classes import (
    SPLITS, VARIETY, class_plan, class_seed, make_class_ballot_file, split_elections, variety_of)
from kiemphieu.ocr.synthetic.probe import TAKEN_STRIKE, probe_number

ROOT = Path(__file__).resolve().parents[2]


def _sizes(split: str) -> set[tuple[str, int]]:
    return {(name.rstrip("hp").rstrip("0123456789"), len(e.candidates)) for name, e in split_elections(split).items()}


def test_a_probe_draws_elections_neither_split_has():
    taken = set().union(*(_sizes(split) for split in SPLITS))
    assert {n for form, n in taken if form == "strike"} <= TAKEN_STRIKE
    for number in (1, 2, 3):
        sizes = _sizes(f"probe:{number}")
        assert not sizes & taken, sizes & taken
        assert len([s for s in sizes if s[0] == "strike"]) == 3 and len([s for s in sizes if s[0] == "boxes"]) == 2
    assert split_elections("probe:2") is split_elections("probe:2")  # drawn once per number
    names = {c.name for e in split_elections("probe:1").values() for c in e.candidates}
    assert names != {c.name for e in split_elections("probe:2").values() for c in e.candidates}


def test_a_probe_uses_tuning_ranges_on_our_own_scanner_ladder_and_its_own_seeds():
    probe = variety_of("probe:1")
    assert VARIETY["tune"].scanner_levels and probe.scanner_levels == ()
    assert probe.baseline_offset == VARIETY["tune"].baseline_offset
    assert variety_of("held") is VARIETY["held"] and variety_of("tune") is VARIETY["tune"]
    assert class_seed("probe:1", "plain", "L2", 0) != class_seed("probe:2", "plain", "L2", 0)
    assert class_seed("probe:1", "plain", "L2", 0) != class_seed("tune", "plain", "L2", 0)


def test_a_probe_ballot_is_generated_with_its_truth():
    item = next(p for p in class_plan(3, "probe:3", ("plain",)) if p[2] == "L2")
    data, ext, truth = make_class_ballot_file(*item)
    assert ext == ".jpg" and len(data) > 10_000
    assert truth["split"] == "probe:3" and truth["election_name"] in split_elections("probe:3")
    assert truth["degradation"]["scanner"] is None  # the tuning split's L2 passes another model


@pytest.mark.parametrize("split", ["probe:0", "probe:x"])
def test_a_probe_number_is_a_positive_integer(split):
    with pytest.raises(ValueError):
        probe_number(split)
    assert probe_number("probe") == 1


def test_the_probe_benchmark_runs_and_names_why_ballots_are_not_read():
    done = subprocess.run([sys.executable, "benchmarks/probe_split.py", "--probe", "4", "--classes", "3",
                           "--workers", "1"], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "probe split probe:4" in done.stdout
    rows = re.findall(r"^(strike|boxes) (L\d) +(\d+) +(\d+) +(\d+) +[\d.]+ % \((\d+)/(\d+)\)$", done.stdout, re.M)
    assert {(form, level) for form, level, *_ in rows} >= {("strike", "L0"), ("boxes", "L0")}
    assert all(silent == "0" for _, _, _, silent, *_ in rows)


def test_the_probe_benchmark_reads_only_the_classes_and_form_asked_for():
    done = subprocess.run([sys.executable, "benchmarks/probe_split.py", "--probe", "4", "--classes", "6",
                           "--class", "plain", "--form", "boxes", "--workers", "1"], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    forms = set(re.findall(r"^(strike|boxes) L\d ", done.stdout, re.M))
    assert forms == {"boxes"}
    plan = [p for p in class_plan(6, "probe:4", ("plain",)) if "boxes" in p[4]]
    assert f"probe:4: {len(plan)} ballots" in done.stdout
    refused = subprocess.run([sys.executable, "benchmarks/probe_split.py", "--class", "nonsense"], cwd=ROOT,
                             env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "nonsense" in refused.stderr
