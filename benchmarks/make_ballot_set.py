#!/usr/bin/env python3
"""Write a synthetic ballot set to a folder: DIR/<level>/<index>.jpg|png, the truth beside each
image as <index>.json, and DIR/truth.jsonl with every truth (one line per ballot, plan order).

The layout is the one `benchmarks/ocr_benchmark.py --cache DIR` reads, so a set written once can
be read many times while the reader is tuned:

    .venv/bin/python benchmarks/make_ballot_set.py /tmp/ballots --n 2000
    .venv/bin/python benchmarks/ocr_benchmark.py --n 2000 --cache /tmp/ballots
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
from pathlib import Path

import cv2

from kiemphieu.ocr.synthetic import ALL_LEVELS, ballot_plan, demo_elections, make_ballot_file


def _write(args: tuple[str, tuple[str, int, str]]) -> dict:
    root, (level, index, name) = args
    cv2.setNumThreads(1)
    stem = Path(root) / level / f"{index:05d}"
    data, ext, truth = make_ballot_file(demo_elections()[name], index, level)
    truth["election_name"] = name
    truth["file"] = str(stem.with_suffix(ext).relative_to(root))
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(ext).write_bytes(data)
    stem.with_suffix(".json").write_text(json.dumps(truth, ensure_ascii=False, default=str))
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--levels", help="comma-separated subset of: " + ",".join(ALL_LEVELS))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    shares = {lvl.strip(): 1.0 for lvl in args.levels.split(",")} if args.levels else None
    if shares and set(shares) - set(ALL_LEVELS):
        ap.error(f"unknown levels: {', '.join(sorted(set(shares) - set(ALL_LEVELS)))}")
    plan = ballot_plan(args.n, shares)
    root = Path(args.folder)
    root.mkdir(parents=True, exist_ok=True)
    with mp.get_context("fork").Pool(args.workers) as pool:
        truths = pool.map(_write, [(str(root), item) for item in plan], chunksize=8)
    with open(root / "truth.jsonl", "w", encoding="utf-8") as out:
        for t in truths:
            out.write(json.dumps(t, ensure_ascii=False, default=str) + "\n")
    print(f"wrote {len(truths)} ballots and truth.jsonl to {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
