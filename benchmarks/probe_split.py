#!/usr/bin/env python3
"""A probe split of issue 11's failure classes: fresh ballots whose failures may be looked at.

The held-back split is read as summary figures only; the tuning split is what thresholds were
chosen on. A probe split (`kiemphieu/ocr/synthetic/probe.py`) is the tuning split's ranges on
our own scanner ladder (the held-back split's capture) with elections and seeds neither split
has, drawn from a number. It answers "what fails on ballots like the held-back split's?" without
looking at the held-back split. Once a probe has been studied it is tuning data: the next
question takes the next number.

Prints, per form and level, ballots, silent errors, wrong definite marks on ballots in review,
and plain ballots not read (the must-read classes: review or rejected); then why those were not
read: each uncertain mark by its truth (a true strike by its kind, a kept name, a box), flags and
rejections.

    .venv/bin/python benchmarks/probe_split.py --probe 2 --classes 100 --workers 2
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import sys

import cv2

cv2.setNumThreads(1)

from kiemphieu.ocr import load_profile  # noqa: E402
from kiemphieu.ocr.reader import read_bytes  # noqa: E402
from kiemphieu.ocr.synthetic.classes import CLASS_LEVELS, CLASSES, _form, class_plan, make_class_ballot_file, split_elections  # noqa: E402
from kiemphieu.ocr.synthetic.scoring import judge_reading  # noqa: E402

PROFILE_BY_CAPTURE = {"color": "feeder-200dpi-colour", "grey": "feeder-200dpi-colour", "bitonal": "bw-300dpi"}
_PROFILES: dict = {}


def read_one(item: tuple) -> dict:
    split, cls, level, index, name = item
    data, _, truth = make_class_ballot_file(*item)
    capture = CLASSES[cls][1]
    if capture not in _PROFILES:  # loaded once a worker (setdefault would parse the file every ballot)
        _PROFILES[capture] = load_profile(PROFILE_BY_CAPTURE[capture])
    profile = _PROFILES[capture]
    reading = read_bytes(data, split_elections(split)[name], profile, f"{cls}:{level}:{index}:{name}").to_json()
    judgement = judge_reading(truth, reading)
    return {"truth": truth, "status": reading["status"], "reason": reading.get("reason"),
            "flags": reading.get("flags") or [], "got": (reading.get("marks") if truth["form"] == "strike"
                                                          else reading.get("boxes")) or {},
            "silent": judgement.silent_error, "wrong_in_review": judgement.wrong_definite_in_review}


def why_not_read(result: dict) -> list[str]:
    """An uncertain mark by its truth, each flag, the rejection."""
    t = result["truth"]
    reasons = set()
    for cid, answer in result["got"].items():
        if answer != "uncertain":
            continue
        row = t["marks"].get(cid, {})
        if t["form"] == "strike":
            reasons.add(f"uncertain true strike ({row.get('kind')})" if row.get("expected") == "struck"
                        else "uncertain kept name")
        else:
            reasons.add(f"uncertain box ({row.get('kind')})")
    reasons.update(f"flag {flag}" for flag in result["flags"])
    if result["status"] == "rejected":
        reasons.add(f"rejected {result['reason']}")
    return sorted(reasons)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe", type=int, default=1, help="the probe split's number (1, 2, ...)")
    ap.add_argument("--classes", type=int, default=100, metavar="N", help="ballots of every class")
    ap.add_argument("--levels", default=",".join(CLASS_LEVELS), help="a subset of L0,L1,L2")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--class", dest="only_classes", help="a comma-separated subset of: " + ",".join(CLASSES))
    ap.add_argument("--form", choices=("strike", "boxes"), help="only the ballots of this form")
    args = ap.parse_args(argv)
    split = f"probe:{args.probe}"
    levels = set(args.levels.split(","))
    chosen = tuple(args.only_classes.split(",")) if args.only_classes else None
    if chosen and not set(chosen) <= set(CLASSES):
        ap.error(f"unknown class in --class: {', '.join(sorted(set(chosen) - set(CLASSES)))}")
    elections = split_elections(split)
    plan = [item for item in class_plan(args.classes, split, chosen) if item[2] in levels
            and (args.form is None or _form(elections[item[4]]) == args.form)]
    print(f"probe split {split}: {len(plan)} ballots, elections "
          + ", ".join(f"{name} ({len(e.candidates)})" for name, e in elections.items()))
    with mp.Pool(args.workers) as pool:
        results = pool.map(read_one, plan, chunksize=4)

    table = collections.defaultdict(collections.Counter)
    reasons = collections.defaultdict(collections.Counter)
    for r in results:
        t = r["truth"]
        key = f"{t['form']} {t['level']}"
        must_read = t["status_class"] == "must_read_exactly"  # as ocr_benchmark.py counts plain ballots
        row = table[key]
        row["ballots"] += 1
        row["silent"] += r["silent"]
        row["wrong in review"] += r["wrong_in_review"]
        if must_read:
            row["plain"] += 1
            if r["status"] != "read":
                row["not read"] += 1
                for reason in why_not_read(r):
                    reasons[t["form"]][reason] += 1
    print(f"\n{'form level':12} {'ballots':>8} {'silent':>7} {'wrong in review':>16} {'plain not read':>20}")
    for key in sorted(table):
        row = table[key]
        share = 100 * row["not read"] / row["plain"] if row["plain"] else 0.0
        print(f"{key:12} {row['ballots']:8d} {row['silent']:7d} {row['wrong in review']:16d} "
              f"{share:12.1f} % ({row['not read']}/{row['plain']})")
    for form, counter in sorted(reasons.items()):
        print(f"\n{form}: plain ballots not read, by reason (a ballot may have several)")
        for reason, count in counter.most_common():
            print(f"  {count:5d}  {reason}")
    return 1 if any(row["silent"] for row in table.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
