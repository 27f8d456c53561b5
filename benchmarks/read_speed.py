#!/usr/bin/env python3
"""Read time / decode time per layout, on one core: issue 11's speed measure.

For each layout (A4 strike ballots of 15, 17, 33, 45 and 62 names; A5 boxes ballots of 1, 3, 5 and 9
candidates) N generated 200 dpi JPEG scans (levels L0-L2 in turn) are, in one process with
OpenCV on one thread, decoded (`cv2.imdecode`, full size, colour: a warm decoder, the same run)
and read (`read_images` on the file's bytes, everything the reader does including its own
decode). Each file is timed several times and its fastest time kept, by default in CPU time (the
machine is shared);
the table prints per layout the median over files of read, decode and their ratio.

    .venv/bin/python benchmarks/read_speed.py [--n 20] [--repeat 3] [--stages]

`--against DIR`: another checkout's reader (DIR is its `kiemphieu/ocr`, e.g. main's from
`git archive main kiemphieu scanner_profiles | tar -x -C /tmp/main`), imported beside this one
in the same process and timed file by file alternating with it (the machine's speed drifts; both
see the same minutes): the table then prints both readers' read time and ratio per layout.

Targets (issue 11): read <= 1.5x decode on A4, <= 2x on A5. `--stages` adds, per layout, the
time of each reader stage (decode, markers, page map, print fit, QR, pen colour, checks, strike or
box rows, row alignment, the rest: the page warp and masks; the stage functions wrapped, same clock) and at the end
a cProfile of the reader over every file (top functions by own time).

`--floor`: per layout, the stages every page needs whatever it holds, each timed alone on the
same files (fastest of --repeat): the decode at the reader's own reduction, the grey image, the
corner-marker search and the page's warp onto the layout (its page map from a reading), their
sum against the target's budget (1.5x or 2x the full decode), and what the budget leaves for
the rest (QR, pen colour, page checks, every row).
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
    # The OCR benchmark's strike layouts (demo_elections); last, so that the others keep their seeds.
    "A4 strike 15": (15, 11, Kind.COMMITTEE),
    "A4 strike 45": (45, 37, Kind.COMMITTEE),
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


# (label, module, attribute, where it is looked up): each reader stage, timed by a wrapper at the
# name its caller uses (cheap: a few calls per page, rows.aligned once per row).
STAGES = (
    ("decode", "decode", "_imdecode", ("decode",)),
    ("markers", "markers", "find_markers", ("reader",)),
    ("page map", "pagemap", "homography", ("pagemap",)),
    ("print fit", "pagemap", "fit_to_print", ("pagemap",)),
    ("QR", "pagemap", "identify", ("pagemap",)),
    ("pen colour", "pencolour", "pen_colour", ("reader",)),
    ("checks", "checks", ("quality", "streaks", "writing", "seal"), ("checks",)),
    ("strike rows", "strikes", "read_strikes", ("strikes",)),
    ("box rows", "boxes", "read_boxes", ("boxes",)),
    ("row alignment", "rows", "aligned", ("strikes", "boxes")),
    ("whole read", "reader", "_read_bytes", ("reader",)),
)


class StageClock:
    """Per stage, the time spent in it (the clock given), by wrapping the stage functions."""

    def __init__(self, clock):
        import importlib

        self.clock, self.spent, self.undo = clock, {}, []
        for label, module, names, holders in STAGES:
            for name in (names,) if isinstance(names, str) else names:
                original = getattr(importlib.import_module(f"kiemphieu.ocr.{module}"), name)
                wrapped = self._wrap(label, original)
                for holder in holders:
                    target = importlib.import_module(f"kiemphieu.ocr.{holder}")
                    self.undo.append((target, name, getattr(target, name)))
                    setattr(target, name, wrapped)

    def _wrap(self, label, function):
        def timed(*args, **kwargs):
            started = self.clock()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + self.clock() - started
        return timed

    def close(self) -> None:
        for target, name, original in reversed(self.undo):
            setattr(target, name, original)

    def table(self, reads: int) -> str:
        whole = self.spent.get("whole read", 0.0)
        parts = [f"{label} {1000 * self.spent[label] / reads:.1f}" for label, *_ in STAGES if label in self.spent]
        inner = sum(v for k, v in self.spent.items() if k not in ("whole read", "print fit", "row alignment"))
        parts.append(f"rest (page warp, masks) {1000 * (whole - inner) / reads:.1f}")
        return "    ms per read: " + ", ".join(parts)


def other_reader(directory: str):
    """(read_images, load_profile) of the reader in `directory` (a `kiemphieu/ocr` folder),
    imported as the package `other_ocr` (its relative imports stay inside it)."""
    import importlib.util
    from pathlib import Path

    init = Path(directory) / "__init__.py"
    spec = importlib.util.spec_from_file_location("other_ocr", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_ocr"] = module
    spec.loader.exec_module(module)
    return module.read_images, module.load_profile


def paired(args, chosen, clock) -> int:
    """This reader and another, file by file alternating (fastest of --repeat each)."""
    other_read, other_load = other_reader(args.against)
    readers = {"this": (read_images, load_profile("feeder-200dpi-colour")),
               "other": (other_read, other_load("feeder-200dpi-colour"))}
    print(f"read / decode of the same 200 dpi JPEG, one core, {args.n} scans per layout (L0-L2), "
          f"fastest of {args.repeat} ({args.clock} time); other = {args.against}, alternating file by file")
    print(f"{'layout':<14}{'decode ms':>10}{'other ms':>10}{'ratio':>7}{'this ms':>9}{'ratio':>7}{'gain':>7}")
    for seed, name in enumerate(chosen, start=300):
        election, files = scans(args.n, *LAYOUTS[name], seed=seed)
        times: dict[str, list[float]] = {"decode": [], "this": [], "other": []}
        for i, data in enumerate(files):
            buffer = np.frombuffer(data, np.uint8)
            cv2.imdecode(buffer, cv2.IMREAD_COLOR)  # warm
            times["decode"].append(fastest(lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR), args.repeat, clock))
            order = ("this", "other") if i % 2 else ("other", "this")
            for which in order:
                read, profile = readers[which]
                read(data, election, profile)  # warm
                times[which].append(fastest(lambda: read(data, election, profile), args.repeat, clock))
        decode = statistics.median(times["decode"])
        ratio = {k: statistics.median(r / d for r, d in zip(times[k], times["decode"])) for k in ("this", "other")}
        this, other = statistics.median(times["this"]), statistics.median(times["other"])
        print(f"{name:<14}{1000 * decode:>10.1f}{1000 * other:>10.1f}{ratio['other']:>7.2f}{1000 * this:>9.1f}"
              f"{ratio['this']:>7.2f}{100 * (1 - this / other):>6.0f}%", flush=True)
    return 0


def floor(args, chosen, clock) -> int:
    """The stages every page needs, timed alone (see --floor)."""
    from kiemphieu.ocr.decode import _decode_raster_once, half_if_a5
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.markers import find_markers
    from kiemphieu.ocr.template import profile_for, template_for

    profile = load_profile("feeder-200dpi-colour")
    print(f"the stages every page needs, one core, {args.n} scans per layout (L0-L2), fastest of "
          f"{args.repeat} each ({args.clock} time), medians over files, ms")
    print(f"{'layout':<14}{'decode':>8}{'budget':>8}{'half dec':>9}{'grey':>6}{'markers':>8}{'warp':>6}"
          f"{'floor':>7}{'floor/dec':>10}{'left':>6}{'read':>7}")
    for seed, name in enumerate(chosen, start=300):
        election, files = scans(args.n, *LAYOUTS[name], seed=seed)
        layout = layout_for(election)
        work = profile_for(layout, profile)
        template = template_for(layout, work)
        allowed = 1.5 if layout.paper.name == "A4" else 2.0
        rows: dict[str, list[float]] = {}
        for data in files:
            reading = read_images(data, election, profile)[0]
            if reading.homography is None:
                continue
            buffer = np.frombuffer(data, np.uint8)
            page = _decode_raster_once(data, work, half_if_a5(layout))
            image = page.image
            grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
            k = template.k
            # The reading's page map is of the image it was read from (decoded at this reduction).
            to_page = np.array([[k, 0, -0.5], [0, k, -0.5], [0, 0, 1.0]]) @ np.array(reading.homography)
            timed = {
                "decode": lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR),
                "half": lambda: _decode_raster_once(data, work, half_if_a5(layout)),
                "grey": lambda: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image,
                "markers": lambda: find_markers(grey),
                "warp": lambda: cv2.warpPerspective(grey, to_page, (template.width, template.height),
                                                    flags=cv2.INTER_LINEAR, borderValue=255),
                "read": lambda: read_images(data, election, profile),
            }
            for label, action in timed.items():
                action()  # warm
                rows.setdefault(label, []).append(1000 * fastest(action, args.repeat, clock))
        med = {label: statistics.median(values) for label, values in rows.items()}
        floor_ms = med["half"] + med["grey"] + med["markers"] + med["warp"]
        budget = allowed * med["decode"]
        print(f"{name:<14}{med['decode']:>8.1f}{budget:>8.1f}{med['half']:>9.1f}{med['grey']:>6.1f}"
              f"{med['markers']:>8.1f}{med['warp']:>6.1f}{floor_ms:>7.1f}{floor_ms / med['decode']:>9.2f}x"
              f"{budget - floor_ms:>6.1f}{med['read']:>7.1f}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="scans per layout")
    parser.add_argument("--repeat", type=int, default=3, help="timings per scan (the fastest is kept)")
    parser.add_argument("--layouts", help="comma-separated subset of: " + ", ".join(LAYOUTS))
    parser.add_argument("--clock", choices=CLOCKS, default="cpu",
                        help="cpu: this thread's CPU time (steady on a shared machine; on an idle one the "
                        "same as wall), wall: elapsed time")
    parser.add_argument("--stages", action="store_true", help="also profile the reader (cProfile)")
    parser.add_argument("--floor", action="store_true",
                        help="time the stages every page needs, alone, against the target's budget")
    parser.add_argument("--against", metavar="DIR", help="another reader's kiemphieu/ocr folder, timed alternating with this one")
    args = parser.parse_args(argv)
    chosen = [x.strip() for x in args.layouts.split(",")] if args.layouts else list(LAYOUTS)
    if args.floor:
        return floor(args, chosen, CLOCKS[args.clock])
    if args.against:
        return paired(args, chosen, CLOCKS[args.clock])
    profile = load_profile("feeder-200dpi-colour")
    profilers = []
    clock = CLOCKS[args.clock]
    print(f"read / decode of the same 200 dpi JPEG, one core, {args.n} scans per layout (L0-L2), "
          f"fastest of {args.repeat} ({args.clock} time)")
    print(f"{'layout':<14}{'read ms':>9}{'decode ms':>11}{'ratio':>7}{'ratio p90':>11}  statuses")
    for seed, name in enumerate(chosen, start=300):
        election, files = scans(args.n, *LAYOUTS[name], seed=seed)
        reads, decodes, ratios, statuses = [], [], [], {}
        profiler = cProfile.Profile(clock) if args.stages else None
        stage_spent: dict[str, float] = {}
        for data in files:
            buffer = np.frombuffer(data, np.uint8)
            cv2.imdecode(buffer, cv2.IMREAD_COLOR)  # warm
            decode = fastest(lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR), args.repeat, clock)
            read = fastest(lambda: read_images(data, election, profile), args.repeat, clock)
            status = read_images(data, election, profile)[0].status
            statuses[status] = statuses.get(status, 0) + 1
            if profiler:
                profiler.runcall(read_images, data, election, profile)
                stages = StageClock(clock)
                for _ in range(args.repeat):
                    read_images(data, election, profile)
                stages.close()
                for label, spent in stages.spent.items():
                    stage_spent[label] = stage_spent.get(label, 0.0) + spent
            reads.append(read)
            decodes.append(decode)
            ratios.append(read / decode)
        ratios.sort()
        p90 = ratios[min(len(ratios) - 1, int(0.9 * len(ratios)))]
        print(f"{name:<14}{1000 * statistics.median(reads):>9.1f}{1000 * statistics.median(decodes):>11.1f}"
              f"{statistics.median(ratios):>7.2f}{p90:>11.2f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())), flush=True)
        if profiler:
            profilers.append(profiler)
            table = StageClock.__new__(StageClock)
            table.spent = stage_spent
            print(table.table(len(files) * args.repeat), flush=True)
    if profilers:
        out = io.StringIO()
        pstats.Stats(*profilers, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
