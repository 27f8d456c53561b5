"""The failure classes found on ballots the reader had never seen (issue 11), in two splits.

Each class is a way real ballots differ from the benchmark's mixed set: a box mark cancelled by
horizontal lines, a fold crease along a kept name, corner markers cut off by the feeder, a double
strike whose second line runs along the baseline, a strike overshooting through the row number,
grey and bitonal captures with and without the seal, and plain ballots on layouts of every size.

Two splits draw them: ``tune`` (what the reader is tuned on) and ``held`` (held back: never
looked at while tuning). They differ in seed space (``zlib.crc32(f"{split}:{class}:{level}:{i}")``),
in the elections (other candidate counts: 17, 33, 62 names; 1, 5, 9 boxes rows) and in every
parameter range (``VARIETY``), so a rule fitted to one split's examples is tested on the other.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import replace

import cv2
import numpy as np

from ...tally import Kind
from . import marks as mk
from .ballots import (
    DPI,
    GENERATOR_VERSION,
    _row,
    blank_ballot,
    demo_election,
    demo_elections,
    mark_lost_in_capture,
    text_lines_px,
)
from .degrade import LEVEL_NUMBER, degrade, draw_scanner, encode, level_params
from .held_back import HELD_BACK
from .ink import box_to_px, draw_strokes, mm_to_px, random_pen
from .probe import is_probe, probe_elections, probe_number, probe_variety
from .variety import Variety

SPLITS = ("tune", "held")
CLASS_LEVELS = ("L0", "L1", "L2")


VARIETY = {
    "tune": Variety(
        # A mark taken back by one to three lines, short of the box's sides or well past them.
        cancel_lines=(1, 3), cancel_overshoot=(-0.15, 0.6), cancel_slant_deg=(-10, 10),
        crease_darkness=(0.25, 0.45), crease_height=(0.45, 0.75), crease_width_px=(0.7, 1.4),
        crease_slope_deg=0.3, cut_depth=(0.15, 0.55), cut_rotation_deg=(0.8, 2.5), cut_fill=0.3,
        # Wider than the held-back split's on the strike classes (second lines well under the
        # baseline, long overshoots, thin and thick pens): the faults must show here first.
        # Seals from a light impression (0.5) to a heavy one: a light red seal on a low-contrast
        # scan keeps its hue but little saturation.
        baseline_offset=(-0.15, 0.22), number_overshoot_mm=(5.0, 18.0), seal_strength=(0.5, 0.95),
        pen_width_scale=(0.6, 1.7), cut_corner_depth=(0.15, 1.1), x_size=(0.45, 1.2), x_strokes=(1, 3),
        cancelled_marks={"x": 0.7, "tick": 0.15, "circle": 0.15},
        other_marks={"x": 0.6, "tick": 0.2, "circle": 0.1, "filled": 0.1},
        # Other scanner models (blur kernels, tone curves, lamps, sensors, resampling, JPEG
        # subsampling, curled and tinted paper): variety the reader was not tuned to.
        scanner_levels=("L1", "L2")),
    "held": HELD_BACK,
}

# class -> (forms it applies to, capture colour, status class at L0-L2)
CLASSES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "plain": (("strike", "boxes"), "color", "must_read_exactly"),
    "box_cancel": (("boxes",), "color", "may_review"),
    "crease": (("strike",), "color", "may_review"),
    "cut_corner": (("strike", "boxes"), "color", "must_read_exactly"),
    "double_baseline": (("strike",), "color", "must_read_exactly"),
    "overshoot_number": (("strike",), "color", "must_read_exactly"),
    "grey_seal": (("strike", "boxes"), "grey", "must_read_exactly"),
    "grey_no_seal": (("strike", "boxes"), "grey", "may_review"),
    "colour_no_seal": (("strike", "boxes"), "color", "may_review"),
    "bitonal_seal": (("strike", "boxes"), "bitonal", "may_review"),
    "bitonal_no_seal": (("strike", "boxes"), "bitonal", "may_review"),
}


@functools.lru_cache(maxsize=8)
def split_elections(split: str) -> dict[str, object]:
    """The elections a split draws from: tuning uses the benchmark's own and two more sizes;
    the held-back split has sizes (and names) tuning never saw; a probe split (`probe`) sizes
    neither has."""
    if is_probe(split):
        return probe_elections(probe_number(split))
    if split == "tune":
        base = demo_elections()
        return {**base,
                "strike58": demo_election(58, 45, seed=21, title="Bầu đại biểu đi dự Đại hội cấp trên"),
                "boxes6": demo_election(6, 6, seed=23, title="Bầu Ban Thường vụ", kind=Kind.STANDING_COMMITTEE),
                # Small print (A4, two columns, 3.5-3.6 mm names): clean kept names must read kept.
                "strike64": demo_election(64, 50, seed=24, title="Bầu đại biểu đi dự Đại hội cấp trên"),
                "strike66": demo_election(66, 52, seed=25, title="Bầu đại biểu đi dự Đại hội cấp trên")}
    if split == "held":
        return {"strike17": demo_election(17, 13, seed=101),
                "strike33": demo_election(33, 25, seed=102, title="Bầu đại biểu đi dự Đại hội cấp trên"),
                "strike62": demo_election(62, 50, seed=103, title="Bầu đại biểu đi dự Đại hội cấp trên"),
                "boxes1h": demo_election(1, 1, seed=104, title="Bầu Bí thư", kind=Kind.SECRETARY),
                "boxes5": demo_election(5, 5, seed=105, title="Bầu Ban Thường vụ", kind=Kind.STANDING_COMMITTEE),
                "boxes9": demo_election(9, 9, seed=106, title="Bầu Ban Thường vụ", kind=Kind.STANDING_COMMITTEE)}
    raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")


def variety_of(split: str) -> Variety:
    """A split's ranges (a probe split: the tuning split's on our own scanner ladder)."""
    if is_probe(split):
        return probe_variety(VARIETY["tune"])
    return VARIETY[split]


def class_seed(split: str, cls: str, level: str, index: int) -> int:
    return zlib.crc32(f"{split}:{cls}:{level}:{index}".encode())


def class_plan(n_per_class: int, split: str, classes: tuple[str, ...] | None = None) -> list[tuple[str, str, str, int, str]]:
    """(split, class, level, index, election name) for ``n_per_class`` ballots of every class,
    the levels L0-L2 in turn and the class's elections drawn from each ballot's seed."""
    plan = []
    elections = split_elections(split)
    for cls in classes or tuple(CLASSES):
        forms = CLASSES[cls][0]
        names = [name for name, e in elections.items() if _form(e) in forms]
        for i in range(n_per_class):
            level = CLASS_LEVELS[i % len(CLASS_LEVELS)]
            pick = np.random.default_rng(class_seed(split, cls, level, i) ^ 0x5EED).integers(len(names))
            plan.append((split, cls, level, i, names[int(pick)]))
    return plan


def _form(election) -> str:
    from ..geometry import layout_for

    return str(layout_for(election).form)


def make_class_ballot_file(split: str, cls: str, level: str, index: int, election_name: str,
                           dpi: int = DPI) -> tuple[bytes, str, dict]:
    """The scan file of one class ballot and its truth (the benchmark's truth format)."""
    election = split_elections(split)[election_name]
    forms, colour, status = CLASSES[cls]
    variety = variety_of(split)
    seed = class_seed(split, cls, level, index)
    rng = np.random.default_rng(seed)
    blank, layout = blank_ballot(election, dpi)
    layout = {**layout, "seats": election.seats}
    image = np.array(blank, copy=True)
    sealed = not cls.endswith("no_seal")
    truth: dict = {"index": index, "level": level, "seed": seed, "generator": GENERATOR_VERSION,
                   "split": split, "class": cls, "scenario": cls, "form": layout["form"],
                   "election": {"title": election.title, "round": election.round},
                   "drawn_election": {"title": election.title, "round": election.round},
                   "election_name": election_name, "marks": {}, "expect_flags": [], "seal": sealed,
                   "fold": None, "margin_writing": False}
    if sealed:
        mk.stamp_seal(image, box_to_px(layout["stamp_mm"], dpi), dpi, rng, strength=rng.uniform(*variety.seal_strength))
    else:
        truth["expect_flags"].append("no_stamp")  # or seal_unchecked: see scoring.FLAG_ALTERNATIVES
    if layout["form"] == "strike":
        truth["marks"] = _mark_strikes(image, layout, dpi, rng, cls, variety, truth)
    else:
        truth["marks"] = _mark_boxes(image, layout, dpi, rng, cls, variety)
    params = replace(level_params(level), color=colour)
    if level in variety.scanner_levels and colour != "bitonal":
        # (Not bitonal: which faint marks its threshold erases is estimated on our tone curve.)
        params = replace(params, scanner=draw_scanner(np.random.default_rng(seed ^ 0x5CA77E), level))
    if colour == "bitonal":
        params = replace(params, jpeg_quality=0)
        mark_lost_in_capture(image, election, truth, params, dpi)
    if cls == "cut_corner":
        params = replace(params, rotation_deg=float(rng.uniform(*variety.cut_rotation_deg)))
    image, applied = degrade(image, params, rng, dpi)
    truth["degradation"] = {"level": level, **params.to_json(), **applied}
    if cls == "cut_corner":
        image, truth["cut"] = cut_corners(image, layout, applied, dpi, rng, variety)
    truth["status_class"] = status if LEVEL_NUMBER.get(level, 99) <= 2 else "may_review"
    if status == "must_read_exactly" and any(r["accept"] == [] for r in truth["marks"].values()):
        truth["status_class"] = "may_review"
    data, ext = encode(image, params)
    return data, ext, truth


# --- Marks ------------------------------------------------------------------------------------

def _mark_strikes(image, layout, dpi, rng, cls: str, variety: Variety, truth: dict) -> dict:
    cands = layout["candidates"]
    n = len(cands)
    pen = _pen(rng, variety)
    surplus = n - layout["seats"]
    k = int(np.clip(surplus + rng.integers(-1, 2), 1, n))
    struck = set(rng.choice(n, size=k, replace=False).tolist())
    marks = {}
    for i, c in enumerate(cands):
        if i not in struck:
            marks[c["id"]] = _row("kept", ["kept"], "none")
            continue
        box = box_to_px(c["name_mm"], dpi)
        baseline, font = text_lines_px(c, dpi)
        if cls == "double_baseline":
            kind, strokes = "double_baseline", double_on_baseline(box, dpi, rng, baseline, font, variety)
        elif cls == "overshoot_number":
            kind, strokes = "overshoot_number", overshoot_through_number(box, c, dpi, rng, baseline, font, variety)
        else:
            kind = ("straight", "slanted", "wavy", "double", "overshoot")[int(rng.choice(5, p=[0.5, 0.2, 0.1, 0.1, 0.1]))]
            strokes = mk.strike(box, kind, dpi, rng, baseline, font)
        draw_strokes(image, strokes, pen, dpi, rng)
        marks[c["id"]] = _row("struck", ["struck"], kind, pen.name)
    if cls == "crease":
        kept = [i for i in range(n) if i not in struck]
        target = cands[int(rng.choice(kept))] if kept else cands[0]
        truth["fold"] = crease_along_name(image, target, dpi, rng, variety)
        marks[target["id"]]["kind"] = "creased"
    return marks


def _pen(rng, variety: Variety):
    pen = random_pen(rng)
    if variety.pen_width_scale is not None:
        # No ballpoint draws under 0.18 mm (a 0.28 mm needle-tip gel pen).
        pen = replace(pen, width_mm=max(0.18, pen.width_mm * float(rng.uniform(*variety.pen_width_scale))))
    return pen


def double_on_baseline(box, dpi, rng, baseline, font, variety: Variety) -> list[np.ndarray]:
    """Two lines through the whole name: one through the lowercase letters, one along the baseline."""
    x0, _, x1, _ = box
    w = x1 - x0
    baseline, font = mk.text_lines(box, baseline, font)
    mm = mm_to_px(1.0, dpi)
    middle = baseline - rng.uniform(0.22, 0.34) * font
    low = baseline + rng.uniform(*variety.baseline_offset) * font
    lines = []
    for y in (middle, low):
        sx = x0 + rng.uniform(-0.06, 0.02) * w
        ex = x1 - rng.uniform(-0.06, 0.02) * w
        pts = mk._line((sx, y), (ex, y + rng.normal(0, 0.03) * font), 40)
        lines.append(mk._hand(pts, rng, rng.uniform(0.15, 0.45) * mm))
    if rng.random() < 0.5:
        lines.reverse()  # drawn in either order
    return lines


def overshoot_through_number(box, row: dict, dpi, rng, baseline, font, variety: Variety) -> list[np.ndarray]:
    """A strike that starts left of the row number and runs through it, past the name's end."""
    x0, _, x1, _ = box
    baseline, font = mk.text_lines(box, baseline, font)
    mm = mm_to_px(1.0, dpi)
    y = baseline - rng.uniform(0.2, 0.34) * font
    left = x0 - rng.uniform(*variety.number_overshoot_mm) * mm
    row_x0 = mm_to_px(row["row_mm"][0], dpi) if row.get("row_mm") else left
    left = max(left, row_x0 - 2 * mm)
    right = x1 + rng.uniform(0, 6) * mm
    pts = mk._line((left, y), (right, y + rng.normal(0, 0.05) * font), 50)
    return [mk._hand(pts, rng, rng.uniform(0.15, 0.45) * mm)]


def crease_along_name(image: np.ndarray, row: dict, dpi, rng, variety: Variety) -> dict:
    """A fold crease across the whole page, in the paper's own (neutral) shade, running along
    the letters of one name (the tops of its lowercase letters or of its capitals)."""
    H, W = image.shape[:2]
    baseline, font = text_lines_px(row, dpi)
    if baseline is None:
        baseline, font = mk.text_lines(box_to_px(row["name_mm"], dpi))
    x0, _, x1, _ = box_to_px(row["name_mm"], dpi)
    centre_x = (x0 + x1) / 2
    y = baseline - rng.uniform(*variety.crease_height) * font
    slope = math.tan(math.radians(rng.uniform(-variety.crease_slope_deg, variety.crease_slope_deg)))
    sigma = rng.uniform(*variety.crease_width_px)
    darkness = rng.uniform(*variety.crease_darkness)
    ys = np.arange(H, dtype=np.float32)[:, None]
    xs = np.arange(W, dtype=np.float32)[None, :]
    dist = ys - (y + slope * (xs - centre_x))
    # Uneven along its length, as a crease is pressed harder in places.
    along = 1.0 - 0.3 * np.abs(np.sin(xs / W * math.pi * rng.uniform(1, 4) + rng.uniform(0, math.pi)))
    shade = 1.0 - darkness * along * np.exp(-(dist ** 2) / (2 * sigma ** 2))
    side = 1 if rng.random() < 0.5 else -1  # the fold's soft shadow on one side
    shadow = rng.uniform(0.02, 0.08)
    shade -= shadow * np.exp(-np.maximum(side * dist, 0) / mm_to_px(rng.uniform(2, 5), dpi)) * (side * dist > 0)
    shade = np.clip(shade, 0.3, 1.0).astype(np.float32)
    image[...] = np.clip(image * shade[..., None], 0, 255).astype(np.uint8)
    return {"horizontal": True, "position_px": round(float(y), 1), "darkness": round(float(darkness), 3),
            "candidate": row["id"]}


def _mark_boxes(image, layout, dpi, rng, cls: str, variety: Variety) -> dict:
    cands = layout["candidates"]
    pen = _pen(rng, variety)
    cancelled = set()
    if cls == "box_cancel":
        cancelled = set(rng.choice(len(cands), size=min(len(cands), 1 + int(rng.random() < 0.3)), replace=False).tolist())
    marks = {}
    for i, c in enumerate(cands):
        agree, disagree = box_to_px(c["agree_mm"], dpi), box_to_px(c["disagree_mm"], dpi)
        if i in cancelled:
            first, second = (agree, disagree) if rng.random() < 0.5 else (disagree, agree)
            if variety.cancelled_marks is None:
                draw_strokes(image, mk.x_mark(first, dpi, rng), pen, dpi, rng)
                draw_strokes(image, cancel_lines(first, dpi, rng, variety), pen, dpi, rng)
                again = mk.x_mark(second, dpi, rng) if rng.random() < 0.8 else mk.tick(second, dpi, rng, size_mm=rng.uniform(5, 7))
            else:
                draw_strokes(image, _box_mark(first, dpi, rng, variety, variety.cancelled_marks), pen, dpi, rng)
                draw_strokes(image, cancel_lines(first, dpi, rng, variety), pen, dpi, rng)
                again = _box_mark(second, dpi, rng, variety, variety.other_marks)
            draw_strokes(image, again, pen, dpi, rng)
            marks[c["id"]] = _row("uncertain", [], "cancelled_x", pen.name)
            continue
        choice = ("agree", "disagree", "none")[int(rng.choice(3, p=[0.75, 0.2, 0.05]))]
        if choice != "none":
            target = agree if choice == "agree" else disagree
            x = mk.x_mark(target, dpi, rng) if variety.x_strokes is None else _box_mark(target, dpi, rng, variety, {"x": 1.0})
            draw_strokes(image, x, pen, dpi, rng)
        marks[c["id"]] = _row(choice, [choice], "x" if choice != "none" else "none", pen.name if choice != "none" else None)
    return marks


def _box_mark(box, dpi, rng, variety: Variety, weights: dict[str, float]) -> list[np.ndarray]:
    """One mark in a box, its kind drawn from `weights` (x, tick, circle, filled)."""
    kinds = list(weights)
    kind = kinds[int(rng.choice(len(kinds), p=np.asarray([weights[k] for k in kinds]) / sum(weights.values())))]
    if kind == "x":
        low, high = variety.x_strokes or (2, 2)
        return mk.x_mark(box, dpi, rng, size=variety.x_size or (0.6, 1.1), strokes=int(rng.integers(low, high + 1)))
    if kind == "tick":
        return mk.tick(box, dpi, rng, size_mm=rng.uniform(4, 7))
    if kind == "circle":
        return mk.box_circle(box, dpi, rng)
    return mk.filled_box(box, dpi, rng)


def cancel_lines(box, dpi, rng, variety: Variety) -> list[np.ndarray]:
    """Two to four horizontal lines struck through a mark in a box: "not this one"."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    count = int(rng.integers(variety.cancel_lines[0], variety.cancel_lines[1] + 1))
    ys = np.linspace(y0 + 0.3 * h, y1 - 0.3 * h, count) + rng.normal(0, 0.05 * h, count)
    mm = mm_to_px(1.0, dpi)
    lines = []
    for y in ys:
        over_l, over_r = rng.uniform(*variety.cancel_overshoot, 2) * w
        tilt = math.tan(math.radians(rng.uniform(*variety.cancel_slant_deg))) * w / 2
        pts = mk._line((x0 - over_l + 0.05 * w, y - tilt), (x1 + over_r - 0.05 * w, y + tilt), 20)
        lines.append(mk._hand(pts, rng, 0.15 * mm))
    return lines


# --- The feeder: corners outside the image -------------------------------------------------------

def marker_quads_px(layout: dict, applied: dict, shape: tuple[int, int], dpi: float) -> list[np.ndarray]:
    """The printed corner markers' corners in the degraded image (before any cut)."""
    from ..geometry import PAPERS, marker_boxes

    paper = PAPERS[layout["page"]["paper"]]
    h, w = shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), applied.get("rotation_deg", 0.0), 1.0)
    m[:, 2] += applied.get("shift_px", (0.0, 0.0))
    quads = []
    for _, (x, y, s, _) in marker_boxes(paper):
        pts = np.float32([[x, y], [x + s, y], [x + s, y + s], [x, y + s]]) * (dpi / 25.4)
        quads.append(pts @ m[:, :2].T + m[:, 2])
    return quads


def page_quad_px(layout: dict, applied: dict, shape: tuple[int, int], dpi: float) -> np.ndarray:
    """The page's four corners in the degraded image (before any cut)."""
    h, w = shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), applied.get("rotation_deg", 0.0), 1.0)
    m[:, 2] += applied.get("shift_px", (0.0, 0.0))
    width, height = layout["page"]["width_mm"], layout["page"]["height_mm"]
    pts = np.float32([[0, 0], [width, 0], [width, height], [0, height]]) * (dpi / 25.4)
    return pts @ m[:, :2].T + m[:, 2]


def _marked_extent_px(layout: dict, applied: dict, shape: tuple[int, int], dpi: float, axis: int) -> tuple[float, float]:
    """The smallest and largest image coordinate (x: axis 0, y: 1) of any name or box."""
    h, w = shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), applied.get("rotation_deg", 0.0), 1.0)
    m[:, 2] += applied.get("shift_px", (0.0, 0.0))
    boxes = [c[key] for c in layout["candidates"] for key in ("name_mm", "agree_mm", "disagree_mm") if c.get(key)]
    pts = np.float32([[x + dx * bw, y + dy * bh] for x, y, bw, bh in boxes for dx in (0, 1) for dy in (0, 1)])
    at = (pts * (dpi / 25.4)) @ m[:, :2].T + m[:, 2]
    return float(at[:, axis].min()), float(at[:, axis].max())


def cut_corners(image: np.ndarray, layout: dict, applied: dict, dpi: float, rng, variety: Variety) -> tuple[np.ndarray, dict]:
    """Cut the image so one or two corner markers lie partly outside it (a feeder's skew and shift).

    One side of the image is moved in until the outermost marker on that side loses ``cut_depth``
    of its width; with ``two`` the cut goes on until the other marker of that side loses as much.
    With ``cut_corner_depth`` (tuning split) a corner is picked first, any of the four, the QR
    codes' included, and one of its sides is moved in until that corner's marker loses that
    share (past 1: the marker is gone and the code beside it cut); the skew may cut the side's
    other marker as well.
    The lost part is cropped away; on some scanners the image keeps its size and the feeder's
    dark background shows on the opposite side.
    """
    quads = marker_quads_px(layout, applied, image.shape[:2], dpi)
    corner = None
    if variety.cut_corner_depth is None:
        side = ("left", "right", "top", "bottom")[int(rng.integers(4))]
    else:  # a corner first (top-left, top-right, bottom-right, bottom-left), then one of its sides
        corner = int(rng.integers(4))
        side = (("left", "top"), ("top", "right"), ("right", "bottom"), ("bottom", "left"))[corner][int(rng.integers(2))]
    axis = 0 if side in ("left", "right") else 1
    outward = 1 if side in ("right", "bottom") else -1
    on_side = {"left": (0, 3), "right": (1, 2), "top": (0, 1), "bottom": (3, 2)}[side]
    outer = [float(outward * (quads[i][:, axis] * outward).max()) for i in on_side]
    width = float(np.ptp(quads[on_side[0]][:, axis]))
    two = rng.random() < 0.5
    depth = rng.uniform(*(variety.cut_depth if corner is None else variety.cut_corner_depth)) * width
    # The edge: past the chosen marker(s) by `depth`, inward.
    reference = (min if outward > 0 else max)(outer) if two else (max if outward > 0 else min)(outer)
    if corner is not None and not two:
        reference = outer[on_side.index(corner)]  # that corner's marker (the other may lose more)
    edge = int(round(reference - outward * depth))
    if corner is not None:  # never into a name or a box: the marks must stay whole on the scan
        marked = _marked_extent_px(layout, applied, image.shape[:2], dpi, axis)
        margin = mm_to_px(1.0, dpi)
        edge = int(max(edge, marked[1] + margin)) if outward > 0 else int(min(edge, marked[0] - margin))
    size = image.shape[1 - axis]
    edge = int(np.clip(edge, 1, size - 1))
    fill = rng.random() < variety.cut_fill
    if fill:
        # The scan window keeps its size: the page slid out on one side, and the feeder's dark
        # background shows on the other.
        dark = int(rng.uniform(10, 70))
        move = {"right": size - edge, "left": -edge, "bottom": size - edge, "top": -edge}[side]
        shift = np.float32([[1, 0, move if axis == 0 else 0], [0, 1, move if axis == 1 else 0]])
        white = (246, 248, 250) if image.ndim == 3 else 248
        out = cv2.warpAffine(image, shift, (image.shape[1], image.shape[0]), flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=white)
        page = page_quad_px(layout, applied, image.shape[:2], dpi) + shift[:, 2]
        background = np.full(out.shape[:2], 255, np.uint8)
        cv2.fillConvexPoly(background, np.round(page).astype(np.int32), 0)
        out[background > 0] = dark
    else:
        out = {"right": lambda: image[:, :edge], "left": lambda: image[:, edge:],
               "bottom": lambda: image[:edge], "top": lambda: image[edge:]}[side]()
    lost = [round(float(max(0.0, outward * (o - edge)) / width), 2) for o in outer]
    cut = {"side": side, "two": bool(two), "fill": bool(fill), "lost_share": lost}
    if corner is not None:
        cut["corner"] = ("top-left", "top-right", "bottom-right", "bottom-left")[corner]
        # Share of each QR code (first bottom-left, second top-right) across the cut edge.
        cut["code_lost_share"] = [
            _lost_share(_box_px(layout[key], applied, image.shape[:2], dpi)[:, axis], edge, outward)
            for key in ("qr_box_mm", "qr2_box_mm") if layout.get(key)]
    return np.ascontiguousarray(out), cut


def _box_px(box, applied: dict, shape: tuple[int, int], dpi: float) -> np.ndarray:
    """A box's four corners (mm on the page) in the degraded image."""
    h, w = shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), applied.get("rotation_deg", 0.0), 1.0)
    m[:, 2] += applied.get("shift_px", (0.0, 0.0))
    x, y, bw, bh = box
    pts = np.float32([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]]) * (dpi / 25.4)
    return pts @ m[:, :2].T + m[:, 2]


def _lost_share(coords: np.ndarray, edge: float, outward: int) -> float:
    """The share of a box's extent (its corners' coordinates across the edge) beyond the edge."""
    outer = float((coords * outward).max() * outward)
    return round(float(np.clip(outward * (outer - edge) / max(np.ptp(coords), 1e-6), 0.0, 1.0)), 2)
