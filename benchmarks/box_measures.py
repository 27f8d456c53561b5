#!/usr/bin/env python3
"""Dump every box's measures (`box_scores`) beside what was drawn in it, for tuning-split boxes
ballots of the failure classes (issue 11): one JSON line per box, for studying which measure
tells a thick pen's X from an X cancelled by lines. Tuning split only.

    .venv/bin/python benchmarks/box_measures.py --n 150 --out /tmp/boxes.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys

import cv2

cv2.setNumThreads(1)

from kiemphieu.ocr.reader import read_bytes  # noqa: E402
from kiemphieu.ocr.synthetic import classes as cl  # noqa: E402
from kiemphieu.ocr.synthetic.ink import box_to_px  # noqa: E402

PROFILE_FOR = {"bitonal": "bw-300dpi"}
BOX_CLASSES = ("plain", "box_cancel", "cut_corner", "grey_seal", "bitonal_seal")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100, help="ballots per class")
    ap.add_argument("--classes", default=",".join(BOX_CLASSES))
    ap.add_argument("--mix", type=int, default=0, help="instead: N boxes ballots of the benchmark's mix "
                    "(ticks, scribbles, corrections, both), levels L0-L2 and the capture variants")
    ap.add_argument("--half", action="store_true", help="decode A5 boxes ballots at half size (decode.half_if_a5 forced on)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.half:
        from kiemphieu.ocr import reader

        reader.half_if_a5 = lambda layout: str(layout.form) == "boxes"
    if args.mix:
        return dump_mix(args.mix, args.out)
    drawn: dict = {}
    cancel_lines, pen_of = cl.cancel_lines, cl._pen

    def recording_cancel(box, dpi, rng, variety):
        drawn.setdefault("cancelled", []).append(box)
        return cancel_lines(box, dpi, rng, variety)

    def recording_pen(rng, variety):
        pen = drawn["pen"] = pen_of(rng, variety)
        return pen

    cl.cancel_lines, cl._pen = recording_cancel, recording_pen
    elections = cl.split_elections("tune")
    plan = [p for p in cl.class_plan(args.n, "tune", tuple(args.classes.split(",")))
            if str(cl._form(elections[p[4]])) == "boxes"]
    with open(args.out, "w") as out:
        for n, (split, cls, level, index, name) in enumerate(plan):
            drawn.clear()
            data, ext, truth = cl.make_class_ballot_file(split, cls, level, index, name)
            capture = cl.CLASSES[cls][1]
            reading = read_bytes(data, elections[name], PROFILE_FOR.get(capture, "feeder-200dpi-colour")).to_json()
            layout = {c["id"]: c for c in cl.blank_ballot(elections[name], cl.DPI)[1]["candidates"]}
            cancelled = [tuple(round(v, 1) for v in b) for b in drawn.get("cancelled", [])]
            pen = drawn.get("pen")
            for cid, row in truth["marks"].items():
                values = (reading.get("box_scores") or {}).get(cid, {})
                for side in ("agree", "disagree"):
                    px = tuple(round(v, 1) for v in box_to_px(layout[cid][f"{side}_mm"], cl.DPI))
                    what = ("cancel" if px in cancelled else
                            "other" if row["kind"] == "cancelled_x" else
                            "x" if row["expected"] == side else "empty")
                    record = {"cls": cls, "level": level, "index": index, "election": name, "cand": cid,
                              "side": side, "what": what, "status": reading["status"],
                              "reason": reading.get("reason"), "mark": (reading.get("boxes") or {}).get(cid),
                              "expected": row["expected"], "pen": pen.name if pen else None,
                              "pen_mm": round(pen.width_mm, 3) if pen else None}
                    record.update({k[len(side) + 1:]: v for k, v in values.items() if k.startswith(side + "_")})
                    record["score"] = values.get(side)
                    out.write(json.dumps(record) + "\n")
            if n % 50 == 0:
                print(n, len(plan), file=sys.stderr, flush=True)
    return 0


def dump_mix(n: int, path: str) -> int:
    from kiemphieu.ocr.synthetic import ballot_plan, demo_elections, judge_reading, make_ballot_file

    elections = demo_elections()
    levels = {"L0": 1, "L1": 1, "L2": 1, "grey": 0.5, "bitonal": 0.5, "phone": 0.3, "rot90": 0.2}
    plan = ballot_plan(n, levels, {"boxes3": 0.6, "boxes1": 0.4})
    silent = []
    with open(path, "w") as out:
        for k, (level, index, name) in enumerate(plan):
            data, ext, truth = make_ballot_file(elections[name], index, level)
            profile = {"bitonal": "bw-300dpi", "phone": "phone-photo"}.get(level, "feeder-200dpi-colour")
            reading = read_bytes(data, elections[name], profile).to_json()
            if judge_reading(truth, reading).silent_error:
                silent.append((level, index, name))
            for cid, row in truth["marks"].items():
                values = (reading.get("box_scores") or {}).get(cid, {})
                for side in ("agree", "disagree"):
                    what = (row["kind"] if row["kind"] in ("scribble", "correction") else
                            row["kind"] if row["expected"] in (side, "both") else "empty")
                    record = {"cls": "mix", "level": level, "index": index, "election": name, "cand": cid,
                              "side": side, "what": what, "status": reading["status"],
                              "reason": reading.get("reason"), "mark": (reading.get("boxes") or {}).get(cid),
                              "expected": row["expected"], "pen": row.get("pen")}
                    record.update({k[len(side) + 1:]: v for k, v in values.items() if k.startswith(side + "_")})
                    record["score"] = values.get(side)
                    out.write(json.dumps(record) + "\n")
            if k % 100 == 0:
                print(k, len(plan), file=sys.stderr, flush=True)
    print(f"{len(plan)} ballots, silent errors: {len(silent)} {silent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
