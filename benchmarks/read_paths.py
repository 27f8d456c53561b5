#!/usr/bin/env python3
"""Where a stack's mean read time goes: each page's read time (in-process, one core, CPU time),
grouped by the path the reader took on it (status; fitted to its print for a cut corner
marker; read a second time at the finer resolution; the extra-writing check's second or third
look; the rejection reason).

The median page says little about throughput when a few paths cost several times a plain
page: this table says which. The stack is the scan benchmark's (`scan_benchmark.py`: a
strike-form round of N candidates, generated scans at one level, 200 dpi JPEG mostly).

    .venv/bin/python benchmarks/read_paths.py [--scans 350] [--candidates 17] [--seats 14] [--level L2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict

import cv2

cv2.setNumThreads(1)  # one core: the figures are per core

from kiemphieu.ocr import load_profile, read_images  # noqa: E402
from kiemphieu.ocr.synthetic import demo_election, make_ballot_file  # noqa: E402
from scan_benchmark import default_seats  # noqa: E402  (benchmarks/ is the script's folder)


def path_of(reading) -> str:
    """The reader's path on a page, as words."""
    checks = reading.checks or {}
    tags = [reading.status]
    if checks.get("fit") == "print":
        tags.append("print fit")
    if "first_look" in checks:
        tags.append("finer look (read)")
    elif "finer_look" in checks:
        tags.append("finer look (left to review)")
    if "writing_in_place" in checks:
        tags.append("writing: third look")
    elif "writing_all" in checks:
        tags.append("writing: second look")
    if reading.reason:
        tags.append(str(reading.reason))
    return ", ".join(tags)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=350)
    parser.add_argument("--candidates", type=int, default=17)
    parser.add_argument("--seats", type=int, help="default: 55 for 62 names, else four fifths of the names "
                        "(as scan_benchmark.py)")
    parser.add_argument("--level", default="L2")
    args = parser.parse_args(argv)
    seats = args.seats or default_seats(args.candidates)
    election = demo_election(args.candidates, seats, seed=7)
    profile = load_profile("feeder-200dpi-colour")
    spent: dict[str, list[float]] = defaultdict(list)
    for index in range(args.scans):
        data, _, _ = make_ballot_file(election, index, args.level)
        read_images(data, election, profile)  # warm
        started = time.thread_time()
        reading = read_images(data, election, profile)[0]
        spent[path_of(reading)].append(1000 * (time.thread_time() - started))
    every = [ms for values in spent.values() for ms in values]
    total = sum(every)
    print(f"{args.scans} scans, {args.candidates} names / {seats} seats, {args.level}, one core, CPU time: "
          f"mean {total / len(every):.1f} ms a page, median {statistics.median(every):.1f} ms")
    print(f"{'path':<52}{'pages':>6}{'mean ms':>9}{'share of the time':>19}")
    for path, values in sorted(spent.items(), key=lambda item: -sum(item[1])):
        print(f"{path:<52}{len(values):>6}{statistics.mean(values):>9.1f}{100 * sum(values) / total:>18.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
