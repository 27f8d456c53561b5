"""Marked, degraded ballots with their truth.

``make_ballot(election, index, level)`` draws a blank ballot of ``election`` (rendered by the
printing code from the reader's own geometry), marks it according to a
scenario, degrades it, and returns the image with a truth dict that says, per candidate id, what
a careful committee would read and which machine answers are acceptable:

- ``accept``: the definite answers that are correct (``uncertain`` is always acceptable: it sends
  the ballot to a person). Ambiguous rows have ``accept == []``: only ``uncertain`` is right.
- ``status_class``: ``must_read_exactly`` (plain marks at L0-L2: read right, or review, which
  counts against the review-rate target), ``may_review`` (anything else a person may rightly want
  to see), ``must_reject`` (a blank page, a ballot of another election or round).
- ``expect_flags``: flags whose absence makes a ``read`` wrong (no seal, writing in the margin).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import replace
from datetime import date

import cv2
import numpy as np

from ...tally import Candidate, Election, Kind
from . import marks as mk
from .degrade import BITONAL_THRESHOLD, LEVEL_NUMBER, Degradation, degrade, encode, level_params
from .ink import box_to_px, draw_strokes, mm_to_px, random_pen

DPI = 200
GENERATOR_VERSION = 2  # bump when the same seed draws a different ballot or truth (invalidates caches)

# Scenario weights for a realistic mixed set (they need not sum to 1).
DEFAULT_KIND_MIX: dict[str, float] = {
    "plain": 0.56,
    "unmarked": 0.03,
    "tricky": 0.20,
    "fold": 0.05,
    "margin": 0.04,
    "no_seal": 0.04,
    "second_pen": 0.03,
    "blank_page": 0.02,
    "other_election": 0.03,
}
MUST_REJECT = ("blank_page", "other_election")
PLAIN_SCENARIOS = ("plain", "unmarked")


def seed_for(level: str, index: int) -> int:
    return zlib.crc32(f"{level}:{index}".encode())


# --- Elections to draw ----------------------------------------------------------------------

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Phan")
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Quốc", "Hữu", "Ngọc", "Thị Thu", "Xuân", "Công", "Thị Hồng")
_GIVEN = (
    "An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam", "Phong",
    "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Việt", "Yến", "Khánh", "Nguyệt", "Hưng",
)


def demo_election(n: int, seats: int, *, seed: int = 0, round_: int = 1, title: str | None = None,
                  kind: Kind = Kind.COMMITTEE) -> Election:
    """A plausible election with ``n`` Vietnamese names (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    names: set[str] = set()
    cands = []
    while len(cands) < n:
        name = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
        if name in names:
            continue
        names.add(name)
        born = date(int(rng.integers(1965, 1992)), int(rng.integers(1, 13)), int(rng.integers(1, 28)))
        cands.append(Candidate(id=f"c{len(cands) + 1:02d}", name=name, born=born))
    return Election(
        title=title or f"Bầu Ban Chấp hành Đảng bộ khóa XXI ({n} ứng cử viên)",
        kind=kind,
        seats=seats,
        convened=150,
        excluded=2,
        candidates=tuple(cands),
        round=round_,
        organization="Đảng bộ xã Yên Lập",
        congress="Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030",
        place="Yên Lập",
        date=date(2025, 6, 20),
    )


@functools.lru_cache(maxsize=1)
def demo_elections() -> dict[str, Election]:
    """The elections of the benchmark mix: small and large strike forms, two boxes forms."""
    return {
        "strike15": demo_election(15, 11, seed=1),
        "strike45": demo_election(45, 37, seed=2, title="Bầu đại biểu đi dự Đại hội cấp trên"),
        "boxes3": demo_election(3, 3, seed=3, title="Bầu Ban Thường vụ", kind=Kind.STANDING_COMMITTEE),
        "boxes1": demo_election(1, 1, seed=4, title="Bầu Bí thư", kind=Kind.SECRETARY),
    }


ELECTION_SHARES = {"strike15": 0.40, "strike45": 0.35, "boxes3": 0.15, "boxes1": 0.10}


def other_election(election: Election, rng: np.random.Generator) -> Election:
    """A ballot that looks right but is not of this round: the next round, or another election."""
    if rng.random() < 0.5:
        return replace(election, round=election.round + 1)
    n = len(election.candidates)
    return demo_election(max(2, n), max(1, election.seats), seed=999 + n, title="Bầu Ủy ban Kiểm tra")


# --- Blank ballots, from the printing code ----------------------------------------------------

@functools.lru_cache(maxsize=16)
def blank_ballot(election: Election, dpi: int = DPI) -> tuple[np.ndarray, dict]:
    """(blank printed ballot BGR uint8, layout-1 JSON), rendered by kiemphieu.ocr.printing from
    the same geometry the reader uses. Cached: callers must copy the image."""
    from ..geometry import layout_for
    from ..printing import render_ballot_image

    layout = layout_for(election).to_json()
    image = render_ballot_image(election, dpi=dpi)
    image.setflags(write=False)
    return image, layout


# --- Marking --------------------------------------------------------------------------------

def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _row(expected: str, accept: list[str], kind: str, pen: str | None = None, **extra) -> dict:
    return {"expected": expected, "accept": accept, "kind": kind, "pen": pen, **extra}


def text_lines_px(row: dict, dpi: float) -> tuple[float | None, float | None]:
    """(baseline, font size) of a printed name in pixels when the layout gives them."""
    if row.get("baseline_mm") is None or row.get("font_mm") is None:
        return None, None
    return mm_to_px(row["baseline_mm"], dpi), mm_to_px(row["font_mm"], dpi)


def mark_strike_form(image, layout, dpi, rng, scenario: str) -> dict[str, dict]:
    """Mark a strike-form ballot; returns the per-candidate truth."""
    cands = layout["candidates"]
    n = len(cands)
    pen = random_pen(rng)
    truth: dict[str, dict] = {}
    if scenario == "unmarked":
        return {c["id"]: _row("kept", ["kept"], "none") for c in cands}
    # How many to strike: most voters strike the surplus, some more or fewer.
    seats_hint = layout.get("seats")
    surplus = n - seats_hint if seats_hint else max(1, n // 4)
    k = int(np.clip(surplus + rng.integers(-2, 3), 0, n))
    struck = set(rng.choice(n, size=k, replace=False).tolist()) if k else set()
    tricky: set[int] = set()
    if scenario == "tricky":
        tricky = set(rng.choice(n, size=min(n, int(rng.integers(1, 4))), replace=False).tolist())
    second = random_pen(rng) if scenario == "second_pen" else None
    for i, c in enumerate(cands):
        box = box_to_px(c["name_mm"], dpi)
        text = text_lines_px(c, dpi)
        use = second if (second is not None and rng.random() < 0.5) else pen
        if i in tricky:
            kind = _pick(rng, {"partial": 3, "tick": 3, "circle": 2, "correction": 2, "underline": 3, "dot": 1, "zigzag": 1, "steep": 1})
            if kind == "partial":
                strokes, share = mk.partial_strike(box, dpi, rng, *text)
                truth[c["id"]] = _row("uncertain", [], kind, use.name, covered=round(share, 3))
            elif kind in mk.OTHER_STRIKES:
                strokes = mk.strike(box, kind, dpi, rng, *text)
                truth[c["id"]] = _row("struck", ["struck"], kind, use.name)
            elif kind == "correction":
                strokes = mk.correction(box, dpi, rng, *text)
                truth[c["id"]] = _row("uncertain", [], kind, use.name)
            elif kind in mk.KEPT_ROW_MARKS:
                strokes = getattr(mk, kind)(box, dpi, rng)
                truth[c["id"]] = _row("kept", ["kept"], kind, use.name)
            else:
                strokes = getattr(mk, kind)(box, dpi, rng)
                truth[c["id"]] = _row("uncertain", [], kind, use.name)
            draw_strokes(image, strokes, use, dpi, rng)
        elif i in struck:
            kind = _pick(rng, {"straight": 5, "slanted": 2, "wavy": 1.5, "double": 1, "overshoot": 1.5})
            draw_strokes(image, mk.strike(box, kind, dpi, rng, *text), use, dpi, rng)
            truth[c["id"]] = _row("struck", ["struck"], kind, use.name)
        else:
            truth[c["id"]] = _row("kept", ["kept"], "none")
    return truth


def mark_boxes_form(image, layout, dpi, rng, scenario: str) -> dict[str, dict]:
    """Mark a boxes-form ballot; returns the per-candidate truth (agree/disagree/both/none)."""
    cands = layout["candidates"]
    pen = random_pen(rng)
    truth: dict[str, dict] = {}
    tricky = set()
    if scenario == "tricky":
        tricky = {int(rng.integers(0, len(cands)))}
    for i, c in enumerate(cands):
        agree = box_to_px(c["agree_mm"], dpi)
        disagree = box_to_px(c["disagree_mm"], dpi)
        if scenario == "unmarked":
            truth[c["id"]] = _row("none", ["none"], "none")
            continue
        if i in tricky:
            kind = _pick(rng, {"tick": 2, "scribble": 1, "correction": 1})
            target = agree if rng.random() < 0.6 else disagree
            which = "agree" if target is agree else "disagree"
            if kind == "tick":
                draw_strokes(image, mk.tick(target, dpi, rng, size_mm=rng.uniform(5, 8)), pen, dpi, rng)
                truth[c["id"]] = _row(which, [which], "tick", pen.name)
            elif kind == "scribble":
                draw_strokes(image, mk.scribble(target, dpi, rng), pen, dpi, rng)
                truth[c["id"]] = _row("uncertain", [], "scribble", pen.name)
            else:
                other = disagree if target is agree else agree
                draw_strokes(image, mk.box_correction(target, dpi, rng), pen, dpi, rng)
                draw_strokes(image, mk.x_mark(other, dpi, rng), pen, dpi, rng)
                truth[c["id"]] = _row("uncertain", [], "correction", pen.name)
            continue
        choice = _pick(rng, {"agree": 0.72, "disagree": 0.2, "none": 0.05, "both": 0.03})
        if choice in ("agree", "both"):
            draw_strokes(image, mk.x_mark(agree, dpi, rng), pen, dpi, rng)
        if choice in ("disagree", "both"):
            draw_strokes(image, mk.x_mark(disagree, dpi, rng), pen, dpi, rng)
        truth[c["id"]] = _row(choice, [choice], "x" if choice != "none" else "none", pen.name if choice != "none" else None)
    return truth


def free_area(blank: np.ndarray, layout: dict, dpi: float, rng: np.random.Generator,
              w_mm: float = 45, h_mm: float = 9) -> tuple[float, float] | None:
    """Top-left (px) of a ``w_mm`` x ``h_mm`` area with no print, away from names, boxes, the
    stamp and the page corners: where nothing should be written."""
    H, W = blank.shape[:2]
    ink = cv2.cvtColor(np.ascontiguousarray(blank), cv2.COLOR_BGR2GRAY) < 200
    keep_out = np.zeros((H, W), np.uint8)
    pad = mm_to_px(3, dpi)
    boxes = [layout["stamp_mm"]]
    for c in layout["candidates"]:
        boxes += [b for b in (c.get("name_mm"), c.get("agree_mm"), c.get("disagree_mm")) if b]
    for c in layout["candidates"]:
        if c.get("row_mm"):
            boxes.append(c["row_mm"])
    for b in boxes:
        x0, y0, x1, y1 = box_to_px(b, dpi)
        # The whole row band: a note beside a name is still on that name's row.
        cv2.rectangle(keep_out, (0, int(y0 - pad)), (W, int(y1 + pad)), 1, -1)
    keep_out |= cv2.dilate(ink.astype(np.uint8), np.ones((int(pad), int(pad)), np.uint8))
    edge = int(mm_to_px(14, dpi))
    keep_out[:edge, :] = 1
    keep_out[-edge:, :] = 1
    keep_out[:, : int(mm_to_px(8, dpi))] = 1
    keep_out[:, -int(mm_to_px(8, dpi)) :] = 1
    ww, hh = int(mm_to_px(w_mm, dpi)), int(mm_to_px(h_mm, dpi))
    integral = cv2.integral(keep_out)
    for _ in range(200):
        x = int(rng.integers(0, max(1, W - ww)))
        y = int(rng.integers(0, max(1, H - hh)))
        s = integral[y + hh, x + ww] - integral[y, x + ww] - integral[y + hh, x] + integral[y, x]
        if s == 0:
            return float(x), float(y)
    return None


def make_ballot(election: Election, index: int, level: str, kind_mix: dict[str, float] | None = None,
                seed: int | None = None, dpi: int = DPI) -> tuple[np.ndarray, dict]:
    """One marked, degraded ballot and its truth (see the module docstring)."""
    image, truth, params = _make(election, index, level, kind_mix, seed, dpi)
    if params.jpeg_quality > 0 and params.color != "bitonal":
        data, _ = encode(image, params)
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return image, truth


def make_ballot_file(election: Election, index: int, level: str, kind_mix: dict[str, float] | None = None,
                     seed: int | None = None, dpi: int = DPI) -> tuple[bytes, str, dict]:
    """Like :func:`make_ballot` but returns the file a scanner would write: (bytes, ext, truth)."""
    image, truth, params = _make(election, index, level, kind_mix, seed, dpi)
    data, ext = encode(image, params)
    return data, ext, truth


def _make(election, index, level, kind_mix, seed, dpi) -> tuple[np.ndarray, dict, Degradation]:
    params = level_params(level)
    seed = seed_for(level, index) if seed is None else seed
    rng = np.random.default_rng(seed)
    mix = dict(kind_mix or DEFAULT_KIND_MIX)
    if params.color != "color":
        mix.pop("no_seal", None)  # a grey or bitonal scan cannot show the seal's colour
    scenario = _pick(rng, mix)
    image, truth = draw_ballot(election, scenario, rng, dpi)
    truth = {"index": index, "level": level, "seed": seed, "generator": GENERATOR_VERSION, **truth}
    if params.color == "bitonal" and truth["marks"]:
        mark_lost_in_capture(image, election, truth, params, dpi)
    image, applied = degrade(image, params, rng, dpi)
    truth["degradation"] = {"level": level, **params.to_json(), **applied}
    truth["status_class"] = status_class(truth)
    return image, truth, params


def mark_lost_in_capture(marked: np.ndarray, election: Election, truth: dict, params: Degradation, dpi: int) -> None:
    """A bitonal scanner's fixed threshold drops faint ink: mark rows whose ink would not
    survive it ``visible: False``. No reader can see such a mark; the benchmark counts a
    wrong answer there as a capture loss, not as a reader's silent error."""
    if truth["scenario"] == "other_election":
        return
    blank, layout = blank_ballot(election, dpi)
    grey0 = cv2.cvtColor(np.ascontiguousarray(blank), cv2.COLOR_BGR2GRAY).astype(np.int16)
    grey1 = cv2.cvtColor(marked, cv2.COLOR_BGR2GRAY).astype(np.int16)
    faded = 255 - (255 - grey1) * params.contrast
    for c in layout["candidates"]:
        row = truth["marks"].get(c["id"])
        if row is None or row["kind"] == "none":
            continue
        boxes = [c[k] for k in ("name_mm", "agree_mm", "disagree_mm") if c.get(k)]
        if c.get("row_mm"):
            boxes = [c["row_mm"]]
        x0, y0, x1, y1 = (int(round(v)) for v in box_to_px(boxes[0], dpi))
        new_ink = (grey0[y0:y1, x0:x1] - grey1[y0:y1, x0:x1]) > 20
        survives = new_ink & (faded[y0:y1, x0:x1] < BITONAL_THRESHOLD - 10)
        if new_ink.sum() and survives.sum() < 0.25 * new_ink.sum():
            row["visible"] = False


SCENARIOS = tuple(DEFAULT_KIND_MIX)


def draw_ballot(election: Election, scenario: str, rng: np.random.Generator, dpi: int = DPI) -> tuple[np.ndarray, dict]:
    """A marked ballot before any degradation (BGR uint8, the blank's size) and its truth.
    ``scenario`` is one of :data:`SCENARIOS`."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    drawn = other_election(election, rng) if scenario == "other_election" else election
    blank, layout = blank_ballot(drawn, dpi)
    layout = {**layout, "seats": drawn.seats}
    image = np.array(blank, copy=True)
    truth: dict = {
        "scenario": scenario,
        "form": layout["form"],
        "election": {"title": election.title, "round": election.round},
        "drawn_election": {"title": drawn.title, "round": drawn.round},
        "marks": {},
        "expect_flags": [],
        "seal": False,
        "fold": None,
        "margin_writing": False,
    }
    if scenario == "blank_page":
        image[...] = (250, 250, 248)
        return image, truth
    if scenario != "no_seal":
        mk.stamp_seal(image, box_to_px(layout["stamp_mm"], dpi), dpi, rng)
        truth["seal"] = True
    else:
        truth["expect_flags"].append("no_stamp")
    marker = mark_strike_form if layout["form"] == "strike" else mark_boxes_form
    truth["marks"] = marker(image, layout, dpi, rng, scenario)
    if scenario == "margin":
        spot = free_area(blank, layout, dpi, rng)
        if spot is not None:
            x, y = spot
            pen = random_pen(rng)
            box = mk.handwriting(image, x, y + mm_to_px(7, dpi), dpi, rng, mm_to_px(44, dpi), pen.color)
            truth["margin_writing"] = True
            truth["margin_box_px"] = list(box)
            truth["expect_flags"].append("extra_writing")
        else:
            truth["scenario"] = "plain"  # no free area on this layout: an ordinary ballot
    if scenario == "fold":
        truth["fold"] = mk.fold(image, dpi, rng)
    return image, truth


def status_class(truth: dict) -> str:
    if truth["scenario"] in MUST_REJECT:
        return "must_reject"
    plain = truth["scenario"] in PLAIN_SCENARIOS and all(
        r["kind"] in mk.PLAIN_STRIKES + mk.PLAIN_BOX_MARKS + ("none",) for r in truth["marks"].values()
    )
    if plain and LEVEL_NUMBER.get(truth["level"], 99) <= 2:
        return "must_read_exactly"
    return "may_review"


# --- A mixed set ----------------------------------------------------------------------------

BENCHMARK_LEVEL_SHARES = {
    "L0": 0.16, "L1": 0.16, "L2": 0.16, "L3": 0.16, "L4": 0.16,
    "rot90": 0.04, "upside_down": 0.04, "grey": 0.04, "bitonal": 0.04, "phone": 0.04,
}


def ballot_plan(n: int, level_shares: dict[str, float] | None = None,
                election_shares: dict[str, float] | None = None) -> list[tuple[str, int, str]]:
    """``n`` (level, index, election name) triples: the levels in proportion, the election of
    each ballot drawn from its own seed so a plan of any size is a prefix-stable mix."""
    shares = level_shares or BENCHMARK_LEVEL_SHARES
    elections = election_shares or ELECTION_SHARES
    total = sum(shares.values())
    counts = {lvl: int(round(n * s / total)) for lvl, s in shares.items()}
    diff = n - sum(counts.values())
    first = next(iter(counts))
    counts[first] += diff
    names = list(elections)
    p = np.asarray([elections[k] for k in names], float)
    p /= p.sum()
    plan = []
    for lvl, count in counts.items():
        for i in range(count):
            u = np.random.default_rng(seed_for(lvl, i) ^ 0x5EED).random()
            plan.append((lvl, i, names[int(np.searchsorted(np.cumsum(p), u))]))
    return plan


def iter_ballot_set(n: int, level_shares: dict[str, float] | None = None, kind_mix: dict[str, float] | None = None,
                    dpi: int = DPI):
    """Yield ``(election_name, image_bgr, truth)`` for a mixed set of ``n`` ballots."""
    elections = demo_elections()
    for level, index, name in ballot_plan(n, level_shares):
        image, truth = make_ballot(elections[name], index, level, kind_mix, dpi=dpi)
        truth["election_name"] = name
        yield name, image, truth
