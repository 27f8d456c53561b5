#!/usr/bin/env python3
"""Double strikes and corrections side by side: the boundary the strike reader must hold.

A voter who strikes a name twice (two lines through it, or one through the letters and one
along the baseline) has struck it: `struck`, or `uncertain` at worst. A voter who struck a name
and took it back (loops along the strike, or a circle round the struck name) or who only circled
it has not said: `uncertain`, never a definite answer. Both leave ink off a single line, so a
reader that strikes more doubles risks striking corrections: this set draws many of each on the
same ballots, with every pen, and prints both sides.

The ballots (`kiemphieu/ocr/synthetic/doubles.py`): a tuning split's strike election in turn
(or a probe split's, `--split probe:N`), levels L0-L2 in turn, L1-L2 through `draw_scanner` (a
scanner model unlike ours); one pen a ballot (the failure-class generator's); every row drawn:
kept, double, double_baseline, correction (loops or a circle) or circle.

Prints, per kind and level, the rows and how they read, the wrong definite answers (a double read
`kept`; a correction, circle or kept name read anything else definite) and the ballots `read`
with one (silent errors); then the doubles not struck by pen.

    .venv/bin/python benchmarks/double_strike_benchmark.py --n 300 --workers 2
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import sys

import cv2

cv2.setNumThreads(1)

from kiemphieu.ocr import load_profile, read_images  # noqa: E402
from kiemphieu.ocr.synthetic.classes import split_elections  # noqa: E402
from kiemphieu.ocr.synthetic.doubles import ACCEPT, REPORTED, double_strike_ballot  # noqa: E402


_PROFILE = None


def read(item: tuple[str, int]) -> tuple[int, str, str, dict, dict | None, str]:
    global _PROFILE
    split, i = item
    _PROFILE = _PROFILE or load_profile("feeder-200dpi-colour")
    name, level, data, rows = double_strike_ballot(split, i)
    reading = read_images(data, split_elections(split)[name], _PROFILE, f"{name}:{level}:{i}")[0]
    measures = {cid: {**(reading.rows or {}).get(cid, {}), "score": (reading.scores or {}).get(cid)} for cid in rows}
    return i, name, level, rows, reading.marks, reading.status, measures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--split", default="tune", help="tune, or probe:N (a probe split's strike elections)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dump", help="write every row's kind, pen, answer and measures here (JSON lines)")
    args = ap.parse_args(argv)
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(read, [(args.split, i) for i in range(args.n)], chunksize=4)
    answers = collections.defaultdict(collections.Counter)  # (kind, level) -> answer -> rows
    wrong, silent, missed_by_pen = collections.Counter(), [], collections.Counter()
    pens = collections.Counter()
    wrong_by = collections.Counter()  # (kind, pen, layout) of the wrong definite answers
    if args.dump:
        with open(args.dump, "w") as out:
            for i, name, level, rows, marks, status, measures in results:
                for cid, (kind, pen) in rows.items():
                    out.write(json.dumps({"ballot": i, "layout": name, "level": level, "row": cid, "kind": kind,
                                          "pen": pen, "mark": (marks or {}).get(cid), "status": status,
                                          "measures": measures[cid]}, default=float) + "\n")
    for i, name, level, rows, marks, status, _ in results:
        for cid, (kind, pen) in rows.items():
            got = (marks or {}).get(cid, "rejected")
            answers[(kind, level)][got] += 1
            if kind.startswith("double"):
                pens[pen] += 1
                missed_by_pen[pen] += got != "struck"
            if got in ("struck", "kept") and got not in ACCEPT[kind]:
                wrong[kind] += 1
                wrong_by[(kind, pen, name)] += 1
                if status == "read":
                    silent.append(f"ballot {i} ({name} {level}) {cid}: {kind} ({pen}) read {got}")
    print(f"{args.n} ballots ({args.split}); rows by kind and level: struck / uncertain / kept (rejected)")
    for kind in REPORTED:
        for level in ("L0", "L1", "L2"):
            a = answers[(kind, level)]
            total = sum(a.values())
            if total:
                print(f"  {kind:16} {level}  {total:5}  struck {a['struck']:5}  uncertain {a['uncertain']:5}"
                      f"  kept {a['kept']:5}  ({a['rejected']} rejected)")
    print("wrong definite answers (any ballot status): "
          + ", ".join(f"{kind} {wrong[kind]}" for kind in REPORTED))
    for (kind, pen, name), n in wrong_by.most_common():
        print(f"  {kind:18} {pen:22} {name:10} {n:4}")
    print(f"silent errors (a wrong mark on a read ballot): {len(silent)}")
    for line in silent:
        print("  " + line)
    print("doubles not struck, by pen:")
    for pen, n in pens.most_common():
        print(f"  {pen:22} {missed_by_pen[pen]:4} of {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
