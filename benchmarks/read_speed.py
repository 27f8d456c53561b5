#!/usr/bin/env python3
"""Read time / decode time per layout, on one core: issue 11's speed measure.

For each layout (A4 strike ballots of 17, 33 and 62 names; A5 boxes ballots of 1, 3, 5 and 9
candidates) N generated 200 dpi JPEG scans (levels L0-L2 in turn) are, in one process with
OpenCV on one thread, decoded (`cv2.imdecode`, full size, colour: a warm decoder, the same run)
and read (`read_images` on the file's bytes, everything the reader does including its own
decode). Each file is timed several times and its fastest time kept, by default in CPU time (the
machine is shared);
the table prints per layout the median over files of read, decode and their ratio.

    .venv/bin/python benchmarks/read_speed.py [--n 20] [--repeat 3] [--stages]

Targets (issue 11): read <= 1.5x decode on A4, <= 2x on A5. `--stages` adds a cProfile of the
reader over every file (top functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)  # one core: the figures are per core

from kiemphieu.ocr import load_profile, read_images  # noqa: E402
from kiemphieu.ocr.synthetic import demo_election, make_ballot_file  # noqa: E402
from kiemphieu.tally import Kind  # noqa: E402

LAYOUTS = {
    "A4 strike 17": (17, 13, Kind.COMMITTEE),
    "A4 strike 33": (33, 25, Kind.COMMITTEE),
    "A4 strike 62": (62, 50, Kind.COMMITTEE),
    "A5 boxes 1": (1, 1, Kind.SECRETARY),
    "A5 boxes 3": (3, 3, Kind.STANDING_COMMITTEE),
    "A5 boxes 5": (5, 5, Kind.STANDING_COMMITTEE),
    "A5 boxes 9": (9, 9, Kind.STANDING_COMMITTEE),
}
LEVELS = ("L0", "L1", "L2")


def scans(n: int, candidates: int, seats: int, kind: Kind, seed: int):
    election = demo_election(candidates, seats, seed=seed, kind=kind)
    files = []
    for i in range(n):
        data, ext, _ = make_ballot_file(election, 7000 + i, LEVELS[i % len(LEVELS)])
        if ext == ".jpg":
            files.append(data)
    return election, files


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def fastest(action, repeat: int, clock) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = clock()
        action()
        best = min(best, clock() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="scans per layout")
    parser.add_argument("--repeat", type=int, default=3, help="timings per scan (the fastest is kept)")
    parser.add_argument("--layouts", help="comma-separated subset of: " + ", ".join(LAYOUTS))
    parser.add_argument("--clock", choices=CLOCKS, default="cpu",
                        help="cpu: this thread's CPU time (steady on a shared machine; on an idle one the "
                        "same as wall), wall: elapsed time")
    parser.add_argument("--stages", action="store_true", help="also profile the reader (cProfile)")
    args = parser.parse_args(argv)
    chosen = [x.strip() for x in args.layouts.split(",")] if args.layouts else list(LAYOUTS)
    profile = load_profile("feeder-200dpi-colour")
    profiler = cProfile.Profile() if args.stages else None
    clock = CLOCKS[args.clock]
    print(f"read / decode of the same 200 dpi JPEG, one core, {args.n} scans per layout (L0-L2), "
          f"fastest of {args.repeat} ({args.clock} time)")
    print(f"{'layout':<14}{'read ms':>9}{'decode ms':>11}{'ratio':>7}{'ratio p90':>11}  statuses")
    for seed, name in enumerate(chosen, start=300):
        election, files = scans(args.n, *LAYOUTS[name], seed=seed)
        reads, decodes, ratios, statuses = [], [], [], {}
        for data in files:
            buffer = np.frombuffer(data, np.uint8)
            cv2.imdecode(buffer, cv2.IMREAD_COLOR)  # warm
            decode = fastest(lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR), args.repeat, clock)
            read = fastest(lambda: read_images(data, election, profile), args.repeat, clock)
            status = read_images(data, election, profile)[0].status
            statuses[status] = statuses.get(status, 0) + 1
            if profiler:
                profiler.runcall(read_images, data, election, profile)
            reads.append(read)
            decodes.append(decode)
            ratios.append(read / decode)
        ratios.sort()
        p90 = ratios[min(len(ratios) - 1, int(0.9 * len(ratios)))]
        print(f"{name:<14}{1000 * statistics.median(reads):>9.1f}{1000 * statistics.median(decodes):>11.1f}"
              f"{statistics.median(ratios):>7.2f}{p90:>11.2f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())), flush=True)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
