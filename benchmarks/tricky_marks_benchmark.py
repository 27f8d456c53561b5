#!/usr/bin/env python3
"""Tricky row marks on the tuning split's strike elections, through other scanner models.

The failure-class benchmark draws plain marks only on its class ballots, and the default mix
(partial strikes, ticks, circles, corrections, underlines, dots) never passes through another
scanner model. This set does both: ballot i is the "tricky" scenario (1-3 tricky rows, the rest
struck or kept as a voter would) on the tuning split's strike elections in turn (15, 45, 58, 64,
66 names), levels L0-L2 in turn, L1-L2 through `draw_scanner`. Seed of ballot i:
`zlib.crc32(f"safety:{i}")` (scanner: that seed ^ 0x5CA77E). Only tuning elections are used.

Prints, per row kind, how many rows and how many definite answers were wrong, and names every
wrong definite mark on a `read` ballot (a silent error).

    .venv/bin/python benchmarks/tricky_marks_benchmark.py --n 400 --workers 2
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import sys
import zlib
from dataclasses import replace

import cv2
import numpy as np

cv2.setNumThreads(1)

from kiemphieu.ocr import load_profile, read_images  # noqa: E402
from kiemphieu.ocr.synthetic import ballots  # noqa: E402
from kiemphieu.ocr.synthetic.classes import _form, split_elections  # noqa: E402
from kiemphieu.ocr.synthetic.degrade import degrade, draw_scanner, encode, level_params  # noqa: E402

NAMES = [name for name, e in split_elections("tune").items() if _form(e) == "strike"]


def make(i: int) -> tuple[str, str, bytes, str, dict]:
    name = NAMES[i % len(NAMES)]
    level = ("L0", "L1", "L2")[(i // len(NAMES)) % 3]
    seed = zlib.crc32(f"safety:{i}".encode())
    rng = np.random.default_rng(seed)
    image, truth = ballots.draw_ballot(split_elections("tune")[name], "tricky", rng, ballots.DPI)
    params = level_params(level)
    if level != "L0":
        params = replace(params, scanner=draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), level))
    image, _ = degrade(image, params, rng, ballots.DPI)
    data, ext = encode(image, params)
    return name, level, data, ext, truth


_PROFILE = None


def read(i: int) -> tuple[int, str, str, dict, dict | None, str]:
    global _PROFILE
    _PROFILE = _PROFILE or load_profile("feeder-200dpi-colour")
    name, level, data, ext, truth = make(i)
    reading = read_images(data, split_elections("tune")[name], _PROFILE, f"{level}{ext}")[0]
    return i, name, level, truth, reading.marks, reading.status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(read, range(args.n), chunksize=4)
    rows, wrong, silent = collections.Counter(), collections.Counter(), []
    for i, name, level, truth, marks, status in results:
        for cid, row in truth["marks"].items():
            got = (marks or {}).get(cid)
            rows[row["kind"]] += 1
            if got and got != "uncertain" and got not in row["accept"]:
                wrong[row["kind"]] += 1
                if status == "read":
                    silent.append(f"ballot {i} ({name} {level}) {cid}: {row['kind']} read {got}")
    print(f"{args.n} ballots; rows per kind, wrong definite answers (any ballot status):")
    for kind, n in rows.most_common():
        print(f"  {kind:12} {n:6}  wrong {wrong[kind]}")
    print(f"silent errors (a wrong mark on a read ballot): {len(silent)}")
    for line in silent:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
