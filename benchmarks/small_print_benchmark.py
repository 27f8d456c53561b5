#!/usr/bin/env python3
"""Small print: plain ballots not read and the read CPU time per ballot, per election, at the
working resolutions the profile would choose (or one forced for every layout).

The tuning split of issue 11's failure classes only (the held-back split is reported by
ocr_benchmark.py --classes). One process; the CPU time (time.process_time) around read_images
only, generation excluded.

    .venv/bin/python benchmarks/small_print_benchmark.py --n 150 --elections strike64,strike66,strike45
    .venv/bin/python benchmarks/small_print_benchmark.py --n 150 --elections strike64 --small-dpi 100
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import defaultdict

import cv2

cv2.setNumThreads(1)

from kiemphieu.ocr import reader  # noqa: E402
from kiemphieu.ocr.geometry import layout_for  # noqa: E402
from kiemphieu.ocr.profiles import load_profile  # noqa: E402
from kiemphieu.ocr.synthetic import judge_reading  # noqa: E402
from kiemphieu.ocr.synthetic.classes import CLASSES, class_plan, make_class_ballot_file, split_elections  # noqa: E402
from kiemphieu.ocr.template import profile_for  # noqa: E402

PROFILE_FOR = {"grey": "feeder-200dpi-colour", "color": "feeder-200dpi-colour", "bitonal": "bw-300dpi"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="ballots per class drawn (then kept for the chosen elections)")
    ap.add_argument("--elections", default="strike64,strike66,strike58,strike45")
    ap.add_argument("--small-dpi", type=float, help="override scan.small_print_dpi (100: small print at the normal resolution)")
    ap.add_argument("--classes", help="comma-separated classes (default: those that must read exactly)")
    args = ap.parse_args()
    wanted = set(args.elections.split(","))
    classes = tuple(args.classes.split(",")) if args.classes else tuple(
        c for c, (forms, _, status) in CLASSES.items() if status == "must_read_exactly" and "strike" in forms)
    plan = [item for item in class_plan(args.n, "tune", classes) if item[4] in wanted]
    elections = split_elections("tune")
    profiles = {}
    for name in ("feeder-200dpi-colour", "bw-300dpi"):
        p = load_profile(name)
        if args.small_dpi:
            p = dataclasses.replace(p, scan=dataclasses.replace(p.scan, small_print_dpi=args.small_dpi))
        profiles[name] = p
    for name in wanted:  # templates built and work arrays allocated before the clock runs
        first = next(item for item in plan if item[4] == name)
        reader.read_images(make_class_ballot_file(*first)[0], elections[name], profiles["feeder-200dpi-colour"])
    stats: dict = defaultdict(lambda: {"n": 0, "not_read": 0, "silent": 0, "cpu": 0.0, "reasons": defaultdict(int)})
    for split, cls, level, index, name in plan:
        data, ext, truth = make_class_ballot_file(split, cls, level, index, name)
        truth["status_class"] = CLASSES[cls][2]
        profile = profiles[PROFILE_FOR[CLASSES[cls][1]]]
        election = elections[name]
        start = time.process_time()
        reading = reader.read_images(data, election, profile, f"{cls}-{index}{ext}")[0].to_json()
        cpu = time.process_time() - start
        judged = judge_reading(truth, reading)
        for key in (name, "all"):
            s = stats[key]
            s["n"] += 1
            s["cpu"] += cpu
            s["silent"] += judged.silent_error
            s["not_read"] += judged.status != "read"
            for f in reading.get("flags") or ():
                s["reasons"][f] += 1
            for v in (reading.get("marks") or {}).values():
                s["reasons"]["uncertain"] += v == "uncertain"
    print(f"tuning split, classes {','.join(classes)}, {args.n} per class drawn; small_print_dpi "
          f"{args.small_dpi or 'from the profile'}")
    print(f"{'election':<10}{'name mm':>8}{'dpi':>6}{'n':>5}{'not read':>14}{'silent':>7}{'cpu ms':>8}  flags / uncertain rows")
    for key in sorted(stats, key=lambda k: (k == "all", k)):
        s = stats[key]
        if key == "all":
            size, dpi = "", ""
        else:
            layout = layout_for(elections[key])
            size = min(r.name.size for r in layout.rows)
            dpi = profile_for(layout, profiles["feeder-200dpi-colour"]).scan.work_dpi
        rate = f"{s['not_read']} ({100 * s['not_read'] / s['n']:.1f} %)"
        reasons = ", ".join(f"{k}:{v}" for k, v in sorted(s["reasons"].items()) if v)
        print(f"{key:<10}{size:>8}{dpi:>6}{s['n']:>5}{rate:>14}{s['silent']:>7}{1000 * s['cpu'] / s['n']:>8.1f}  {reasons}")


if __name__ == "__main__":
    main()
