#!/usr/bin/env python3
"""Short partial strikes the print hides, on small and bled print through other scanner models.

A short pen line over only part of a name (3-8 mm: the first word, the last word or the middle;
at the x-height, on the baseline or slightly slanted; black, blue and thin ballpoints) is a
strike the voter began, so its row may read `struck` or `uncertain`, never `kept`. On small,
bold or bled print the letters hide most of such a line, and no other benchmark draws one: the
`tricky_marks` partial strikes cover 15-52 % of the name at the x-height. Ballot i is a plain
ballot of the failure-class generator (`classes._mark_strikes`, its pen and strikes) on the
tuning split's A4 strike elections in turn (45, 58, 64, 66 names), L1 and L2 in turn, both
through `draw_scanner`; 1-3 of its kept rows then get a hidden partial line. Seed of ballot i:
`zlib.crc32(f"hidden:{i}")` (scanner: that seed ^ 0x5CA77E). Only tuning elections are used.

Prints, per layout and level, the partial rows and how they read, the rows read `kept` (WRONG)
and the ballots `read` with such a row (silent errors), then the same by place, height and pen;
`--dump FILE` writes every partial and kept row's measures (JSON lines) for study.

    .venv/bin/python benchmarks/hidden_partial_benchmark.py --n 800 --workers 2
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import multiprocessing as mp
import sys
import zlib
from dataclasses import replace

import cv2
import numpy as np

cv2.setNumThreads(1)

from kiemphieu.ocr import load_profile, read_images  # noqa: E402
from kiemphieu.ocr.synthetic import marks as mk  # noqa: E402
from kiemphieu.ocr.synthetic.ballots import DPI, blank_ballot, text_lines_px  # noqa: E402
from kiemphieu.ocr.synthetic.classes import VARIETY, _mark_strikes, split_elections  # noqa: E402
from kiemphieu.ocr.synthetic.degrade import degrade, draw_scanner, encode, level_params  # noqa: E402
from kiemphieu.ocr.synthetic.ink import PEN_MODELS, Pen, box_to_px, draw_strokes, mm_to_px  # noqa: E402

NAMES = ("strike45", "strike58", "strike64", "strike66")
LEVELS = ("L1", "L2")
PLACES = ("first_word", "last_word", "middle")
HEIGHTS = ("x_height", "baseline", "slanted")
PENS = ("black_ballpoint", "blue_ballpoint", "thin_black")
OPEN_BINS = (0.5, 0.75, 1.0)  # mm² of the line's ink on open paper before the scan


def open_bin(mm2: float) -> str:
    low = max([0.0] + [b for b in OPEN_BINS if mm2 >= b])
    high = min([b for b in OPEN_BINS if b > mm2], default=None)
    return f"{low:.2f}-{high:.2f}" if high is not None else f">= {low:.2f}"


def pen(name: str, rng: np.random.Generator) -> Pen:
    """The pen model `name` with a voter's colour and width noise (as `ink.random_pen`)."""
    _, colour, width, opacity, pressure = next(m for m in PEN_MODELS if m[0] == name)
    noisy = tuple(int(np.clip(c + rng.normal(0, 12), 0, 255)) for c in colour)
    return Pen(name, noisy, width * float(rng.uniform(0.85, 1.2)),
               float(np.clip(opacity * rng.uniform(0.9, 1.08), 0.3, 1.0)), pressure)


def words_px(blank: np.ndarray, box) -> list[tuple[float, float]]:
    """The printed words of a name box (pixels): column runs of print split by gaps of at least
    a fifth of the box's height."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    inked = (blank[y0:y1, x0:x1].min(axis=2) < 160).any(axis=0)
    cols = np.flatnonzero(inked)
    if not len(cols):
        return [(float(x0), float(x1))]
    splits = np.flatnonzero(np.diff(cols) > max(2, (y1 - y0) // 5))
    starts = np.concatenate([[cols[0]], cols[splits + 1]])
    ends = np.concatenate([cols[splits], [cols[-1]]])
    return [(float(x0 + a), float(x0 + b + 1)) for a, b in zip(starts, ends)]


def hidden_line(blank, row: dict, rng: np.random.Generator, place: str, height: str) -> tuple[list[np.ndarray], float]:
    """A 3-8 mm line (at most 60 % of the name) over `place` at `height`: strokes, length in mm."""
    box = box_to_px(row["name_mm"], DPI)
    baseline, font = mk.text_lines(box, *text_lines_px(row, DPI))
    words = words_px(blank, box)
    w0, w1 = words[0][0], words[-1][1]
    mm = mm_to_px(1.0, DPI)
    length = min(float(rng.uniform(3.0, 8.0)) * mm, mk.PARTIAL_LIMIT * (w1 - w0))
    if place == "first_word":
        sx = words[0][0] + rng.uniform(-0.5, 0.5) * mm
    elif place == "last_word":
        sx = words[-1][1] + rng.uniform(-0.5, 0.5) * mm - length
    else:
        sx = (w0 + w1) / 2 - length / 2 + rng.uniform(-1, 1) * mm
    if height == "baseline":
        cy, rise = baseline - rng.uniform(0.0, 0.1) * font, 0.0
    else:
        cy = baseline - 0.26 * font + rng.normal(0, 0.04) * font
        angle = rng.uniform(3, 10) if height == "slanted" else rng.uniform(-1.5, 1.5)
        rise = math.tan(math.radians(angle)) * length * (1 if rng.random() < 0.5 else -1)
    pts = mk._line((sx, cy + rise / 2), (sx + length, cy - rise / 2), 30)
    return [mk._hand(pts, rng, rng.uniform(0.1, 0.3) * mm)], length / mm


def make(i: int, lines: bool = True) -> tuple[str, str, bytes, str, dict]:
    name = NAMES[i % len(NAMES)]
    level = LEVELS[(i // len(NAMES)) % len(LEVELS)]
    seed = zlib.crc32(f"hidden:{i}".encode())
    rng = np.random.default_rng(seed)
    election = split_elections("tune")[name]
    blank, layout = blank_ballot(election, DPI)
    layout = {**layout, "seats": election.seats}
    image = np.array(blank, copy=True)
    mk.stamp_seal(image, box_to_px(layout["stamp_mm"], DPI), DPI, rng,
                  strength=rng.uniform(*VARIETY["tune"].seal_strength))
    marks = _mark_strikes(image, layout, DPI, rng, "plain", VARIETY["tune"], {})
    kept = [c for c in layout["candidates"] if marks[c["id"]]["kind"] == "none"]
    chosen = rng.choice(len(kept), size=min(len(kept), int(rng.integers(1, 4))), replace=False)
    for k in chosen if lines else ():
        row = kept[int(k)]
        place, height, p = (str(rng.choice(v)) for v in (PLACES, HEIGHTS, PENS))
        use = pen(p, rng)
        strokes, length = hidden_line(blank, row, rng, place, height)
        before = image.astype(np.int16)
        draw_strokes(image, strokes, use, DPI, rng)
        # The line's ink on open paper before the scan (darker by 60 levels where the blank has
        # no print within a pixel, the print's anti-aliased edge): how much of it the print does
        # not hide, whatever the reader does.
        paper = cv2.erode((blank.min(axis=2) >= 200).astype(np.uint8), np.ones((3, 3), np.uint8))
        shown = ((before - image).max(axis=2) >= 60) & (paper > 0)
        marks[row["id"]] = {"expected": "uncertain", "accept": ["struck", "uncertain"], "kind": "hidden_partial",
                            "pen": p, "width_mm": round(use.width_mm, 2), "place": place, "height": height,
                            "length_mm": round(length, 1), "font_mm": row["font_mm"],
                            "open_mm2": round(float(shown.sum()) * (25.4 / DPI) ** 2, 2)}
    params = replace(level_params(level), scanner=draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), level))
    image, _ = degrade(image, params, rng, DPI)
    data, ext = encode(image, params)
    return name, level, data, ext, marks


_PROFILE = None


_LINES = True  # --no-lines: the same ballots without their hidden lines (the plain rows alone)


def read(i: int) -> tuple[int, str, str, dict, dict, str, dict]:
    global _PROFILE
    _PROFILE = _PROFILE or load_profile("feeder-200dpi-colour")
    name, level, data, ext, truth = make(i, _LINES)
    reading = read_images(data, split_elections("tune")[name], _PROFILE, f"{level}{ext}")[0]
    rows = reading.to_json().get("rows") or {}
    partial = {cid: rows.get(cid) for cid, t in truth.items() if t["kind"] in ("hidden_partial", "none")}
    return i, name, level, truth, reading.marks or {}, reading.status, {**partial, "halo": reading.checks.get("halo")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--first", type=int, default=0,
                    help="the first ballot's number (seeds and layouts follow it): other ballots than 0..n-1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dump", help="write every partial and kept row's truth, reading and measures here (JSON lines)")
    ap.add_argument("--no-lines", action="store_true",
                    help="the same ballots without the hidden lines: how their plain rows read")
    args = ap.parse_args(argv)
    global _LINES
    _LINES = not args.no_lines
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(read, range(args.first, args.first + args.n), chunksize=4)
    table = collections.defaultdict(collections.Counter)
    silent, dump = [], []
    plain_wrong = collections.Counter()
    for i, name, level, truth, marks, status, partial in results:
        wrong_here = []
        table[(name, level)]["ballots"] += 1
        table[(name, level)][f"status {status}"] += 1
        for cid, row in truth.items():
            got = marks.get(cid) or "none"
            if row["kind"] != "hidden_partial":
                wrong = got not in ("uncertain", "none") and got not in row["accept"]
                table[(name, level)]["other rows wrong"] += wrong
                if wrong:  # the plain rows' wrong answers, by direction and by the ballot's status
                    plain_wrong[f"{row['expected']} read {got} on a ballot {status}"] += 1
                if row["kind"] == "none":  # the kept names beside them, to compare measures
                    dump.append({"ballot": i, "election": name, "level": level, "status": status, "cid": cid,
                                 "read": got, **row, "measures": partial.get(cid), "halo": partial["halo"]})
                continue
            keys = [(name, level), ("place", row["place"]), ("height", row["height"]), ("pen", row["pen"]),
                    ("open mm2", open_bin(row["open_mm2"]))]
            for key in keys:
                table[key]["rows"] += 1
                table[key][got] += 1
            if got == "kept":
                wrong_here.append(f"{cid} ({row['place']}, {row['height']}, {row['pen']} {row['width_mm']} mm, "
                                  f"{row['length_mm']} mm)")
            dump.append({"ballot": i, "election": name, "level": level, "status": status, "cid": cid, "read": got,
                         **row, "measures": partial.get(cid), "halo": partial["halo"]})
        if wrong_here and status == "read":
            silent.append(f"ballot {i} ({name} {level}): " + "; ".join(wrong_here))
            for key in {(name, level), ("all", "")}:
                table[key]["silent"] += 1
    print(f"{args.n} ballots; hidden partial rows: struck / uncertain / kept (WRONG) / not read; "
          "silent = ballots `read` with a WRONG row")
    print(f"  {'configuration':22} {'ballots':>7} {'read':>5} {'rows':>5} {'struck':>6} {'uncert':>6} "
          f"{'KEPT':>5} {'silent':>6}")
    for key in sorted(table, key=lambda k: (k[0] in NAMES, k)):
        c = table[key]
        if not c["rows"]:
            continue
        ballots = f"{c['ballots']:7} {c['status read']:5}" if c["ballots"] else f"{'':7} {'':5}"
        print(f"  {' '.join(key):22} {ballots} {c['rows']:5} {c['struck']:6} {c['uncertain']:6} {c['kept']:5} "
              f"{c['silent'] if key[0] in NAMES else '':>6}")
    total = sum(table[k]["rows"] for k in table if k[0] in NAMES)
    kept = sum(table[k]["kept"] for k in table if k[0] in NAMES)
    other = sum(table[k]["other rows wrong"] for k in table if k[0] in NAMES)
    print(f"partial rows {total}, read kept (WRONG) {kept}; other rows read wrong {other}; "
          f"silent errors (ballots): {len(silent)}")
    print("other rows read wrong, by answer and ballot: " +
          (", ".join(f"{k} {v}" for k, v in sorted(plain_wrong.items())) or "none"))
    for line in silent:
        print("  " + line)
    if args.dump:
        with open(args.dump, "w") as f:
            for d in dump:
                f.write(json.dumps(d, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
