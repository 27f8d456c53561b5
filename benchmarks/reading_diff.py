#!/usr/bin/env python3
"""Does a reader change alter any reading? A fixed set of generated ballots, read and compared.

    .venv/bin/python benchmarks/reading_diff.py make /tmp/reading-set          # generate once
    .venv/bin/python benchmarks/reading_diff.py dump /tmp/reading-set before.jsonl
    ... change the reader ...
    .venv/bin/python benchmarks/reading_diff.py dump /tmp/reading-set after.jsonl
    .venv/bin/python benchmarks/reading_diff.py compare before.jsonl after.jsonl

The set: issue 11's failure classes on the tuning split (every class, L0-L2, both forms, the
58/64/66-name small-print layouts among them), more small-print plain and cut-corner ballots,
the read-speed layouts (A4 strike 17/33/62, A5 boxes 1/3/5/9) and the default benchmark's mix
(L0-L4, rotated, upside down, grey, bitonal, phone). `compare` says which ballots changed a
decision (status, reason, flags, a mark or box, a row's state) and which only a number.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import cv2

cv2.setNumThreads(1)

from kiemphieu.ocr import load_profile, read_images  # noqa: E402
from kiemphieu.ocr.synthetic import ballot_plan, demo_election, demo_elections, make_ballot_file  # noqa: E402
from kiemphieu.ocr.synthetic.classes import CLASSES, class_plan, make_class_ballot_file, split_elections  # noqa: E402
from kiemphieu.tally import Kind  # noqa: E402

SPEED_LAYOUTS = {"strike17": (17, 13, Kind.COMMITTEE), "strike33": (33, 25, Kind.COMMITTEE),
                 "strike62": (62, 50, Kind.COMMITTEE), "boxes1": (1, 1, Kind.SECRETARY),
                 "boxes3": (3, 3, Kind.STANDING_COMMITTEE), "boxes5": (5, 5, Kind.STANDING_COMMITTEE),
                 "boxes9": (9, 9, Kind.STANDING_COMMITTEE)}
SMALL_PRINT = ("strike58", "strike64", "strike66")
PROFILE_BY_CAPTURE = {"bitonal": "bw-300dpi", "phone": "phone-photo"}


def make(directory: Path, per_class: int, speed: int, mix: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    items = []
    tune = split_elections("tune")
    for split, cls, level, index, name in class_plan(per_class, "tune"):
        data, _, _ = make_class_ballot_file(split, cls, level, index, name)
        items.append((f"class:{cls}:{level}:{index}:{name}", tune[name],
                      PROFILE_BY_CAPTURE.get(CLASSES[cls][1], "feeder-200dpi-colour"), data))
    for split, cls, level, index, name in class_plan(4 * per_class, "tune", ("plain", "cut_corner")):
        if name in SMALL_PRINT and index >= per_class:
            data, _, _ = make_class_ballot_file(split, cls, level, index, name)
            items.append((f"small:{cls}:{level}:{index}:{name}", tune[name], "feeder-200dpi-colour", data))
    for seed, (name, spec) in enumerate(SPEED_LAYOUTS.items(), start=300):
        election = demo_election(spec[0], spec[1], seed=seed, kind=spec[2])
        for i in range(speed):
            data, _, _ = make_ballot_file(election, 7000 + i, ("L0", "L1", "L2")[i % 3])
            items.append((f"speed:{name}:{i}", election, "feeder-200dpi-colour", data))
    demo = demo_elections()
    for level, index, name in ballot_plan(mix):
        data, _, _ = make_ballot_file(demo[name], index, level)
        items.append((f"mix:{level}:{index}:{name}", demo[name], PROFILE_BY_CAPTURE.get(level, "feeder-200dpi-colour"), data))
    with open(directory / "set.pickle", "wb") as out:
        pickle.dump(items, out)
    print(f"{len(items)} ballots in {directory}")


def dump(directory: Path, out_path: Path) -> None:
    with open(directory / "set.pickle", "rb") as f:
        items = pickle.load(f)
    profiles = {}
    with open(out_path, "w") as out:
        for key, election, profile_name, data in items:
            profile = profiles.setdefault(profile_name, load_profile(profile_name))
            reading = read_images(data, election, profile, key)[0].to_json()
            out.write(json.dumps(reading, sort_keys=True, default=str) + "\n")
    print(f"{len(items)} readings in {out_path}")


DECISIONS = ("status", "reason", "flags", "marks", "boxes")


def _states(reading: dict) -> dict:
    """Every decision in a reading: the page's and each row's states (not its measures)."""
    rows = {}
    for cid, row in (reading.get("rows") or {}).items():
        rows[cid] = {k: v for k, v in row.items() if isinstance(v, (str, bool)) or v is None}
    boxes = {}
    for cid, row in (reading.get("box_scores") or {}).items():
        if isinstance(row, dict):
            boxes[cid] = {k: v for k, v in row.items() if isinstance(v, (str, bool)) or v is None}
    checks = {k: v for k, v in (reading.get("checks") or {}).items() if isinstance(v, (str, bool))}
    return {**{k: reading.get(k) for k in DECISIONS}, "rows": rows, "box_states": boxes, "checks": checks}


def _numbers_differ(a, b, path="") -> list[tuple[str, object, object]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _numbers_differ(a.get(k), b.get(k), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _numbers_differ(x, y, f"{path}[{i}]")]
    return [] if a == b else [(path, a, b)]


def compare(before: Path, after: Path, show: int) -> int:
    a = [json.loads(line) for line in open(before)]
    b = [json.loads(line) for line in open(after)]
    assert [r["file"] for r in a] == [r["file"] for r in b], "not the same set"
    decided, numbers, identical = [], [], 0
    for x, y in zip(a, b):
        x.pop("profile_digest", None), y.pop("profile_digest", None)
        if x == y:
            identical += 1
        elif _states(x) != _states(y):
            decided.append((x, y))
        else:
            numbers.append((x, y))
    print(f"{len(a)} ballots: {identical} identical, {len(numbers)} with only measures changed, "
          f"{len(decided)} with a decision changed")
    for x, y in decided[:show]:
        diffs = _numbers_differ(_states(x), _states(y))
        print(f"  DECISION {x['file']}: {x['status']} -> {y['status']}; " + "; ".join(
            f"{p}: {u!r} -> {v!r}" for p, u, v in diffs[:6]))
    for x, y in numbers[:show]:
        diffs = _numbers_differ(x, y)
        print(f"  measures {x['file']}: " + "; ".join(f"{p}: {u!r} -> {v!r}" for p, u, v in diffs[:4])
              + (f" (+{len(diffs) - 4})" if len(diffs) > 4 else ""))
    return 1 if decided else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make")
    p.add_argument("directory", type=Path)
    p.add_argument("--per-class", type=int, default=15)
    p.add_argument("--speed", type=int, default=6, help="ballots per read-speed layout")
    p.add_argument("--mix", type=int, default=60, help="ballots of the default benchmark's mix")
    p = sub.add_parser("dump")
    p.add_argument("directory", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("compare")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--show", type=int, default=10)
    args = parser.parse_args(argv)
    if args.command == "make":
        make(args.directory, args.per_class, args.speed, args.mix)
        return 0
    if args.command == "dump":
        dump(args.directory, args.out)
        return 0
    return compare(args.before, args.after, args.show)


if __name__ == "__main__":
    sys.exit(main())
