"""Stage 4a: strike-form rows: measures of each name's row, and the decision from them."""

from __future__ import annotations

import functools
import itertools
import math

import cv2
import numpy as np

from .arrays import _column_cumsum, _median, _percentile, _scratch, _shifted_band, _sorted_percentile
from .halo import not_printed_runs as halo_not_printed_runs
from .rows import aligned, tint_band
from .rowmasks import band_runs, group_stack, row_groups, thick_components
from .template import Template

def strike_measures(ctx, warped, ink, template: Template) -> list[dict]:
    """Per row (ballot order): the aligned masks and the measures a strike is judged by.

    The rows' masks are stacked and measured together (rows of one size at once): the same
    numbers as row by row, without a few dozen small NumPy calls per row.
    """
    area_px = template.k * template.k
    # The print's own runs as far as the print reaches on this page (bold or bled print merges
    # letters into runs the sharp template does not have: `halo.not_printed_runs`).
    not_printed_runs = getattr(ctx, "not_printed_runs", None)
    if not_printed_runs is None:
        not_printed_runs = template.not_printed_runs
    st = ctx.profile.strike
    pen_run_px = pen_run_min_px(ctx.checks.get("halo"), st, area_px)
    run_reach, merged_px = template.px(st.run_reach_mm), st.run_merged_mm * template.k
    slivers = span_ignores_edge(ctx.checks.get("halo"), st)
    # Where the print bleeds, a run that new ink barely touches and that lies wholly where the
    # print's own runs would be one pixel bolder still is the print's (not a trace of a pen).
    bolder_not_printed = None
    if pen_run_px > 2:
        bolder_not_printed = halo_not_printed_runs(template, getattr(ctx, "print_reach", 0) + 1)
    rows: list = [None] * len(template.rows)
    tinted = ctx.tint is not None
    kinds = ["new", "runs", "faint"] + (["tint"] if tinted else [])
    for group, ((z0, z1), indices) in enumerate(row_groups(template)):
        count = len(indices)
        # Every kind of mask of every row in the group, made in place (no per-row arrays stacked).
        stacked = group_stack(group, len(kinds) * count, template.rows[indices[0]])
        for i, index in enumerate(indices):
            row = template.rows[index]
            new, shift, align = aligned(ctx, warped, ink, template, row, out=stacked[i])
            by0, by1, bx0, bx1 = row.band
            runs_out = stacked[count + i]
            if new.any():
                runs, touched = _pen_and_touched_runs(
                    band_runs(ink, template, row, shift) & not_printed_runs[by0:by1, bx0:bx1], new, pen_run_px)
                if touched is not runs and bolder_not_printed is not None:
                    touched = _runs_leaving(touched, bolder_not_printed[by0:by1, bx0:bx1])
                if run_reach and runs.any():
                    runs = _runs_near_pen(runs, new, run_reach, merged_px)
                np.copyto(runs_out, runs)
                touched = runs_out if touched is runs else touched
            else:  # no ink off the print: no pen run (what _pen_runs gives, without the runs' band)
                runs_out.fill(0)
                touched = runs_out
            # Faint ink off the print where the row's print really is (as `new`): on a page that does
            # not lie flat a row is a millimetre off the page map, and its letters' own grey is no pen.
            faint = np.bitwise_and(_shifted_band(ctx.faint, row, shift), template.not_glyph[by0:by1, bx0:bx1],
                                   out=stacked[2 * count + i])
            tint = None
            if tinted:
                tint = stacked[3 * count + i]
                np.copyto(tint, tint_band(ctx, row, shift))
            rows[index] = {"row": row, "new": new, "runs": runs_out, "touched_runs": touched, "faint": faint,
                           "tint": tint, "shift": shift, "align": align}
        members = [rows[index] for index in indices]
        stacks = {kind: stacked[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
        # Per name column: ink centred in the strike zone (new ink, pen runs, faint ink, pen colour).
        # Most masks of a page are empty (kept names: no pen, no faint ink): measured only the others.
        inked = stacked.reshape(len(stacked), -1).max(axis=1).astype(bool)
        centred, column_counts = _centred_in_zone_rows(stacked, z0, z1, inked)
        hits = {kind: centred[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
        # Ink on open paper, not touching the print's edge: a scan's blur and a sub-pixel
        # misregistration leave slivers of the print itself along it; a pen's mark lies on the paper.
        edges = template.stacked_glyph_edges(tuple(m["row"].id for m in members))
        # Where along the name the pen went, the zone grown by half: a slanted strike leaves it.
        # Where the print bleeds, not its slivers (new ink on its edge that no pen run touches).
        s0, s1 = max(0, z0 - (z1 - z0) // 2), z1 + (z1 - z0) // 2
        new_band = stacks["new"][:, s0:s1]
        if slivers:
            new_band = new_band & (1 - edges[:, s0:s1])
        pen = (new_band | stacks["runs"][:, s0:s1]).any(axis=1)
        if "tint" in stacks:
            pen |= stacks["tint"][:, s0:s1].any(axis=1)
        in_zone = _column_cumsum(stacks["new"][:, z0:z1].sum(axis=1, dtype=np.int32))
        hit_sums = {kind: _column_cumsum(h) for kind, h in hits.items()}
        sums = column_counts.sum(axis=1).astype(np.int64).tolist()  # each mask's ink
        totals = {kind: sums[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
        on_edge = {kind: _ink_on_edges(stacks[kind], edges, inked[i * count:(i + 1) * count])
                   for i, kind in enumerate(kinds) if kind in ("new", "faint")}
        for i, m in enumerate(members):
            m["free_px"] = totals["new"][i] - on_edge["new"][i]
            m["faint_free_px"] = totals["faint"][i] - on_edge["faint"][i]
            n0, n1 = m["row"].name
            width = n1 - n0

            def in_name(sums, i=i, n0=n0, n1=n1):
                return int(sums[i, n1] - sums[i, n0])

            visible_share, visible_count = template.visible[m["row"].id]
            gap_cover = in_name(hit_sums["new"]) / max(1, visible_count)
            if visible_share < ctx.profile.strike.min_visible:
                gap_cover = 0.0  # too little paper between glyphs to judge by the gaps
            run_cover = in_name(hit_sums["runs"]) / width if width else float("nan")
            # A coloured pen is seen across the letters too: the print is black.
            tint_cover = in_name(hit_sums["tint"]) / width if "tint" in hits and width else 0.0
            total = totals["new"][i]
            m.update(
                visible_share=visible_share, gap_cover=gap_cover, run_cover=run_cover, tint_cover=tint_cover,
                score=max(run_cover, gap_cover, tint_cover), span=_span(pen[i, n0:n1]),
                ink_mm2=total / area_px, stray=(total - in_name(in_zone)) / area_px,
                faint_cover=in_name(hit_sums["faint"]) / width if width else float("nan"),
                faint_mm2=totals["faint"][i] / area_px,
                tint_mm2=totals["tint"][i] / area_px if "tint" in totals else 0.0)
    for m in rows:
        if wants_split_lines(m["score"], m["span"], ctx.profile.strike):
            _measure_split_lines(m, template, ctx.profile.strike)
    return rows


def _measure_split_lines(m: dict, template: Template, st) -> None:
    """The covers again, a column hit when one of its separate strokes is centred in the zone.

    Two lines, one through the letters and one along (or under) the baseline, put a column's
    ink centre between them, under the zone; each line on its own is where it is. Only for rows
    whose pen ink spans the name and scores under `definite` (a few per page): it costs more.
    """
    n0, n1 = m["row"].name
    z0, z1 = m["row"].zone
    width = n1 - n0
    if not width:
        return
    masks = [m["new"], m["runs"]] + ([] if m["tint"] is None else [m["tint"]])
    line = z1 - template.px((st.split_line - st.zone_bottom) * m["row"].size_mm)
    hits = _stroke_in_zone(np.stack([mask[:, n0:n1] for mask in masks]), z0, z1, max(z0, line))
    visible_share, visible_count = template.visible[m["row"].id]
    gap = int(np.count_nonzero(hits[0])) / max(1, visible_count) if visible_share >= st.min_visible else 0.0
    run = int(np.count_nonzero(hits[1])) / width
    tint = int(np.count_nonzero(hits[2])) / width if len(masks) > 2 else 0.0
    split_score = max(gap, run, tint)
    m["split_score"] = split_score
    if split_score > m["score"]:
        m.update(gap_cover=max(gap, m["gap_cover"]), run_cover=max(run, m["run_cover"]),
                 tint_cover=max(tint, m["tint_cover"]), score=split_score)


def read_strikes(ctx, warped, ink, template: Template) -> None:
    st = ctx.profile.strike
    area_px = template.k * template.k
    marks, scores, details = {}, {}, {}
    confidence = math.inf
    paper_level = ctx.paper_level  # the page's white (measured by the reader)
    halo = ctx.checks.get("halo")
    print_halo = halo[0] if halo else 0.0  # how dark the print's first ring is on this page
    for m in strike_measures(ctx, warped, ink, template):
        row, new, shift, align = m["row"], m["new"], m["shift"], m["align"]
        runs, tint, faint = m["runs"], m["tint"], m["faint"]
        n0, n1 = row.name
        z0, z1 = row.zone
        score, span, ink_mm2, stray = m["score"], m["span"], m["ink_mm2"], m["stray"]
        run_cover, gap_cover, tint_cover = m["run_cover"], m["gap_cover"], m["tint_cover"]
        faint_cover, faint_mm2, tint_mm2 = m["faint_cover"], m["faint_mm2"], m["tint_mm2"]
        visible_share = m["visible_share"]
        extra = multi = 0.0
        line_cover = faint_extra = None
        corridor = template.px(st.corridor * row.size_mm)
        if score >= min(st.definite, st.line_score):
            extra, multi = _off_line(new, n0, n1, corridor)
            extra /= area_px
            if tint is not None and tint.any():  # (no pen colour: nothing off any line)
                # A pale coloured pen shows by its colour only: look off the line in that ink too.
                tint_extra, tint_multi = _off_line(tint, n0, n1, corridor)
                extra, multi = max(extra, tint_extra / area_px), max(multi, tint_multi)
        clean = is_clean(span, extra, multi, st)
        # A line's own evidence is a horizontal run or the pen's colour (a blurred print also
        # fills the gaps between letters), on a row whose print is clearly recognised.
        pen_score = max(run_cover, tint_cover)
        if wants_line_check(clean, align, pen_score, score, st):
            # A thin or pale pen, or a wave, whose line the print hides in places: struck when
            # its ink crosses every part of the name and nothing (not even faint ink) is off it.
            low = min(new.shape[0], z1 + template.px(st.line_below * row.size_mm))
            masks = (new, runs) + (() if tint is None else (tint,))
            wide, _ = _centred_in_zone_rows(np.stack([mask[:, n0:n1] for mask in masks]), z0, low)
            line_cover = _segment_cover(wide.any(axis=0), st.line_segments)
            faint_extra = _off_line(faint, n0, n1, corridor)[0] / area_px
        free_mm2 = faint_free_mm2 = edge_gap = None
        touched_cover = run_cover
        if wants_edge_gap(score, max(run_cover, tint_cover), print_halo, st):
            # Bled or blurred print a fraction of a pixel off leaves slivers of its own edge in
            # the gaps between letters: the gap columns again, without the print's edge.
            edge_gap = _gap_off_edge(new, template, row) if visible_share >= st.min_visible else 0.0
        if score < st.marginal or edge_gap is not None:
            free_mm2, faint_free_mm2 = m["free_px"] / area_px, m["faint_free_px"] / area_px
            if m["touched_runs"] is not runs and n1 > n0:
                touched = _centred_in_zone(m["touched_runs"][:, n0:n1], z0, z1)
                touched_cover = int(np.count_nonzero(touched)) / (n1 - n0)
        values = {"score": score, "span": span, "extra_mm2": extra, "multi": multi, "run_cover": run_cover,
                  "tint_cover": tint_cover, "line_cover": line_cover, "faint_extra_mm2": faint_extra,
                  "ink_mm2": ink_mm2, "free_mm2": free_mm2, "faint_free_mm2": faint_free_mm2,
                  "faint_cover": faint_cover, "faint_mm2": faint_mm2, "tint_mm2": tint_mm2, "crease": None,
                  "touched_run_cover": touched_cover, "off_edge_gap": edge_gap,
                  "bled_print": bleeds_to_edge(print_halo, getattr(ctx, "print_reach", 0), st)}
        if would_strike(values, st):
            # A fold crease along the letters is no strike: it runs on across the page.
            if paper_level is None:
                paper_level = _percentile(warped, 0.90)
            values["crease"] = _crease_cover(warped, template, row, shift, new | runs, st, paper_level)
        mark = decide_strike(values, st)
        crease = values["crease"]
        marks[row.id] = mark
        scores[row.id] = round(score, 3)
        details[row.id] = {"run_cover": round(run_cover, 3), "gap_cover": round(gap_cover, 3),
                           "tint_cover": round(tint_cover, 3), "span": round(span, 3),
                           "faint_cover": round(faint_cover, 3), "ink_mm2": round(ink_mm2, 2),
                           "faint_mm2": round(faint_mm2, 2), "tint_mm2": round(tint_mm2, 2),
                           "extra_mm2": round(extra, 2), "multi": round(multi, 3),
                           "visible": round(visible_share, 3), "stray_mm2": round(stray, 2),
                           "shift_px": list(shift), "align": None if align is None else round(align, 3),
                           "line_cover": None if line_cover is None else round(line_cover, 3),
                           "faint_extra_mm2": None if faint_extra is None else round(faint_extra, 2),
                           "free_mm2": None if free_mm2 is None else round(free_mm2, 2),
                           "faint_free_mm2": None if faint_free_mm2 is None else round(faint_free_mm2, 2),
                           "crease": None if crease is None else round(crease, 3),
                           "split_score": None if "split_score" not in m else round(m["split_score"], 3),
                           "touched_run_cover": round(touched_cover, 3),
                           "off_edge_gap": None if edge_gap is None else round(edge_gap, 3),
                           "bled_print": values["bled_print"]}
        confidence = min(confidence, strike_margin(mark, values, st))
    ctx.reading.marks, ctx.reading.scores, ctx.reading.rows = marks, scores, details
    ctx.reading.confidence = round(confidence, 3)


# -- decisions: pure functions of a row's measures (the `rows` values) and the profile's [strike]


def pen_run_min_px(halo: list[float] | None, st, area_px: float) -> int:
    """New-ink pixels a horizontal run needs to be a pen's: two on a sharp page, `pen_run_mm2`
    where the print bleeds (its halo's first ring at `pen_run_halo` or darker), since there
    slivers of the print's own edge touch the runs of its merged letters."""
    if not halo or halo[0] < st.pen_run_halo:
        return 2
    return max(2, math.ceil(st.pen_run_mm2 * area_px - 1e-9))


def span_ignores_edge(halo: list[float] | None, st) -> bool:
    """Whether new ink on the print's edge is left out of where the pen went (`span`): on a page
    whose print bleeds (its halo's first ring at `span_edge_halo` or darker) such ink may be the
    print's own sliver along a letter; a pen's line there still shows by its runs or off the edge."""
    return bool(halo) and halo[0] >= st.span_edge_halo


def is_clean(span: float, extra_mm2: float, multi: float, st) -> bool:
    """A plain strike's shape: spread over the name, no ink off its line, few columns crossed
    three times (loops, a circle, a tick)."""
    return (span >= st.min_span and extra_mm2 < st.extra_mm2
            and not (multi >= st.max_multi and extra_mm2 >= 0.4 * st.extra_mm2))


def wants_split_lines(score: float, span: float, st) -> bool:
    """Whether a row is measured again stroke by stroke (`_stroke_in_zone`): pen ink
    spread over the name that the column centres did not find struck."""
    return span >= st.min_span and score < st.definite


def wants_line_check(clean: bool, align: float | None, pen_score: float, score: float, st) -> bool:
    """Whether a row under `definite` may still be a thin, pale or wavy line the print hides in
    places: clean, on a sharp row, with a run or pen colour over `line_score` of the name."""
    sharp = align is not None and align >= st.line_min_align
    return clean and sharp and st.line_score <= pen_score and score < st.definite


def is_line(v, st) -> bool:
    return (v["line_cover"] is not None and v["line_cover"] >= st.line_cover
            and v["faint_extra_mm2"] < st.line_faint_extra_mm2)


def would_strike(v, st) -> bool:
    """Struck by its own evidence (before the fold-crease check)."""
    clean = is_clean(v["span"], v["extra_mm2"], v["multi"], st)
    return clean and (v["score"] >= st.definite or is_line(v, st))


def wants_edge_gap(score: float, pen_score: float, print_halo: float, st) -> bool:
    """Whether a row's gap cover is measured again off the print's edge: the gaps alone (no pen
    run, no pen colour) put it over `marginal`, on a page whose print bleeds (`kept_edge_halo`)."""
    return print_halo >= st.kept_edge_halo and pen_score < st.marginal <= score


def kept_score(v, st) -> float:
    """The score that forbids 'kept': the row's score, or, where the gaps were measured again off
    the print's edge (`off_edge_gap`, on a page whose print bleeds) and the row has under
    `kept_edge_free_mm2` of ink on open paper, the pen runs, the pen colour and those gaps (a
    sliver of the print's own edge is no trace of a pen; a pen's line crossing a gap between
    words leaves some ink on open paper)."""
    if v.get("off_edge_gap") is None or v.get("free_mm2") is None or v["free_mm2"] >= st.kept_edge_free_mm2:
        return v["score"]
    return max(v["run_cover"], v["tint_cover"], v["off_edge_gap"])


def bleeds_to_edge(print_halo: float, print_reach: int, st) -> bool:
    """Whether the page's print bleeds (its halo's first ring reaches `kept_bled_halo`) no
    farther than the print's edge (`print_reach`, the rings that are ink themselves, at most
    one): there its own ink lies on the edge, and ink off the edge is a pen's. Where the second
    ring is ink too, the print fills the gaps between letters and a thin pen hides there."""
    return print_halo >= st.kept_bled_halo and print_reach <= 1


def ink_on_edge_only(v, st) -> bool:
    """Whether a row's ink is the bled print's own (`bled_print`: the page's print halo reaches
    `kept_bled_halo`) and it has under `kept_edge_free_mm2` of new ink on open paper: its ink
    and faint ink in all (`ink_mm2`, `faint_mm2`) are then the print's edge and grey beside
    every letter, and only the ink off that edge tells a pen (`free_mm2`, `faint_free_mm2`)."""
    return bool(v.get("bled_print")) and v.get("free_mm2") is not None and v["free_mm2"] < st.kept_edge_free_mm2


def is_kept(v, st) -> bool:
    """Not a trace of a pen in the row (needs `free_mm2`, `faint_free_mm2`: measured when the
    score is under `marginal`; `touched_run_cover`, the runs any new ink touches, stands in for
    the pen runs: a thin pen's line hidden on the print touches its runs as little as a bold
    print's sliver does, so what is not evidence of a strike still forbids 'kept')."""
    whole_ink = not ink_on_edge_only(v, st)
    return (kept_score(v, st) < st.marginal and v.get("touched_run_cover", 0.0) < st.marginal
            and not (whole_ink and v["ink_mm2"] >= st.kept_ink_mm2) and v["free_mm2"] < st.kept_free_mm2
            and v["faint_cover"] < st.faint_marginal and v["tint_mm2"] < st.kept_tint_mm2
            and not (v["free_mm2"] >= 0.6 * st.kept_free_mm2 and v["faint_free_mm2"] >= st.kept_faint_mm2)
            and v["faint_free_mm2"] < st.kept_faint_alone_mm2
            and not (whole_ink and v["ink_mm2"] >= 0.4 * st.kept_ink_mm2 and v["faint_mm2"] >= st.kept_pale_mm2))


def decide_strike(v, st) -> str:
    """struck | kept | uncertain from a row's measures `v` (keys as in a reading's `rows`, values
    unrounded; `crease` None when not measured)."""
    if would_strike(v, st):
        if v["crease"] is not None and v["crease"] >= st.crease_cover:
            return "uncertain"  # the line runs on across the page: a fold crease
        return "struck"
    if is_kept(v, st):
        return "kept"
    return "uncertain"


def strike_margin(mark: str, v, st) -> float:
    """How far the row is from changing its answer (negative: inside the uncertain band)."""
    score = v["score"]
    if mark == "struck":
        if v["score"] >= st.definite or not is_line(v, st):
            return score - st.definite
        return min(max(v["run_cover"], v["tint_cover"]) - st.line_score, v["line_cover"] - st.line_cover)
    if mark == "kept":
        ink = st.kept_edge_free_mm2 - v["free_mm2"] if ink_on_edge_only(v, st) else st.kept_ink_mm2 - v["ink_mm2"]
        return min(st.marginal - kept_score(v, st), ink, st.kept_free_mm2 - v["free_mm2"])
    return -min(abs(score - st.marginal), abs(st.definite - score))


def _crease_cover(warped: np.ndarray, template: Template, row, shift: tuple[int, int], pen: np.ndarray,
                  st, paper: float) -> float | None:
    """How far the row's line runs on across the page, away from the name: the least share, on
    either side (from `crease_gap_mm` past the name to the page's margin), of columns where the
    paper is darkened along the line's extension. None when no side is long enough to tell.

    A voter's strike ends within a few millimetres of the name (through the row number at
    most); a fold crease crosses the whole page.
    """
    n0, n1 = row.name
    z0, z1 = row.zone
    grow = (z1 - z0) // 2
    y0 = max(0, z0 - grow)
    band = pen[y0:z1 + grow, n0:n1]
    ys, xs = np.nonzero(band)
    if xs.size < 8 or int(xs.max()) - int(xs.min()) < 4:
        return None
    slope, intercept = _line_fit(xs, ys)
    dx, dy = shift
    by0, _, bx0, _ = row.band
    top = by0 + dy + y0 + intercept  # page row of the line at the name's first column
    left_x = bx0 + dx + n0
    gap, margin, shortest = template.px(st.crease_gap_mm), template.px(5.0), template.px(st.crease_min_mm)
    sides = ((margin, left_x - gap), (left_x + (n1 - n0) + gap, template.width - margin))
    middle = top + slope * (n1 - n0) / 2  # the line's height at the name's middle
    stretches = [(side, a, b) for side, (a, b) in enumerate(sides) if b - a >= shortest]
    if not stretches:
        return None
    # Both sides' columns, and along them two lines: the fitted one, and one level through the
    # name's middle (fitted on a few centimetres of letters, a slope carried across the page
    # drifts off a crease, which runs level). Every stretch in one gather of the five page rows
    # around its line, taken by flat page index; rows off the page are clipped and not counted.
    columns = np.concatenate([np.arange(a, b) for _, a, b in stretches])
    lines = np.stack([np.round(top + slope * (columns - left_x)), np.round(np.full(columns.shape, middle))]).astype(int)
    ok = (lines >= 2) & (lines < template.height - 2)
    at = np.clip(lines[None] + _AROUND_LINE[:, :, None], 0, template.height - 1) * template.width + columns
    open_paper = ok & ~np.take(template.glyph, at).any(axis=0)
    dark = open_paper & (np.take(warped, at).min(axis=0) < paper * st.crease_level)
    starts = list(itertools.accumulate((b - a for _, a, b in stretches[:-1]), initial=0))
    open_counts = np.add.reduceat(open_paper, starts, axis=1, dtype=np.int64).tolist()  # (line, side)
    dark_counts = np.add.reduceat(dark, starts, axis=1, dtype=np.int64).tolist()
    best: dict[int, float] = {}
    for line in range(2):
        for (side, _, _), open_count, dark_count in zip(stretches, open_counts[line], dark_counts[line]):
            if open_count >= shortest:
                # A NumPy float, as always returned: round() (the reading's details) rounds it by
                # NumPy's rule (half to even after scaling), which a Python float would not.
                cover = np.float64(dark_count) / open_count
                best[side] = max(best.get(side, cover), cover)
    return min(best.values()) if best else None


_AROUND_LINE = np.arange(-2, 3)[:, None]  # the rows a crease's line is looked for in


def _line_fit(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """Least-squares line y = slope * x + intercept through the points (np.polyfit's degree 1,
    in closed form: a fifth of its time; the same values to a few units in the last place)."""
    x, y = xs.astype(np.float64), ys.astype(np.float64)
    mean_x, mean_y = x.mean(), y.mean()
    dx = x - mean_x
    slope = float(dx @ (y - mean_y)) / float(dx @ dx)
    return slope, float(mean_y - slope * mean_x)


def _gap_off_edge(new: np.ndarray, template: Template, row) -> float:
    """gap_cover from the new ink off the print's edge (`Template.glyph_edge`): the share of the
    name's visible columns whose such ink is centred in the strike zone."""
    n0, n1 = row.name
    z0, z1 = row.zone
    off_edge = new[:, n0:n1] & ~template.glyph_edge(row)[:, n0:n1].view(bool)
    hits = _centred_in_zone(off_edge, z0, z1)
    return int(np.count_nonzero(hits)) / max(1, template.visible[row.id][1])


def _segment_cover(hits: np.ndarray, segments: int) -> float:
    """The least share of hit columns over `segments` equal parts of the name.

    A line from one end of the name to the other leaves evidence in every part, even where the
    print hides it here and there; a partial strike or a stroke over one word leaves parts empty.
    """
    if hits.size < segments:
        return 0.0
    return float(min(np.count_nonzero(part) / part.size for part in np.array_split(hits, segments)))


def _span(hits: np.ndarray) -> float:
    """Share of the name between the 5th and 95th percentile of the struck columns.

    A strike runs from one end of the name to the other; a stroke over half of it (a partial
    strike, a correction) does not, however densely it covers that half.
    """
    columns = np.flatnonzero(hits)
    if columns.size < 2:
        return 0.0
    low, high = _sorted_percentile(columns, 0.05), _sorted_percentile(columns, 0.95)
    return float(high - low) / max(1, hits.size)


def _pen_runs(runs: np.ndarray, new: np.ndarray, min_px: int = 2) -> np.ndarray:
    """The horizontal runs that show pen ink somewhere off the print (`min_px` pixels of it).

    Blurred letters can merge into a run (a crossbar with its stems); such a run lies wholly on
    printed text, while a pen's stroke crosses the paper between letters. Bold or bled print
    also leaves slivers of its own edge past the glyph mask: a pixel or two of "new" ink that
    touches a run of merged letters does not make it a pen's.
    """
    if not runs.any():
        return runs
    if not new.any():
        return np.zeros_like(runs)  # no ink off the print at all: no run can touch paper
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    on_paper = np.bincount(labels[new > 0], minlength=count) >= min_px
    on_paper[0] = False
    if on_paper[1:].all():
        return runs  # every run touches paper: the mask is the runs themselves (labels > 0)
    if not on_paper.any():
        return np.zeros_like(runs)
    return on_paper[labels].astype(np.uint8)


def _pen_and_touched_runs(runs: np.ndarray, new: np.ndarray, min_px: int) -> tuple[np.ndarray, np.ndarray]:
    """`_pen_runs` at `min_px` (a pen's: evidence of a strike) and at two pixels (any run new ink
    touches: what forbids 'kept', since a thin pen's line hidden on the print touches its runs
    as little as a bold print's sliver does), from one labelling."""
    if min_px <= 2 or not runs.any() or not new.any():
        pen = _pen_runs(runs, new)
        return pen, pen
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    touching = np.bincount(labels[new > 0], minlength=count)
    touching[0] = 0
    touched = (touching >= 2)[labels].astype(np.uint8)
    if not (touching >= 2).any():
        return touched, touched
    return (touching >= min_px)[labels].astype(np.uint8), touched


def _runs_near_pen(runs: np.ndarray, new: np.ndarray, reach: int, merged_px: float) -> np.ndarray:
    """The pen runs, those as thick as merged print (`merged_px` pixels high on average) only
    within `reach` columns of a column where new ink touches them.

    A run is a pen's when new ink touches it (`_pen_runs`); but bold or blurred print merges a
    word's letters, or a whole name's, into one run as high as the letters, and a short stroke
    touching it made it a line across the name. A pen's own run is as high as the pen is wide.
    """
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    thick = thick_components(labels, count, merged_px)
    if not thick.any():
        return runs
    merged = thick[labels]
    touching = (new.view(bool) if new.dtype == np.uint8 else new.astype(bool)) & \
        cv2.dilate(merged.view(np.uint8), _NEIGHBOURS).view(bool)
    columns = touching.any(axis=0)
    # Columns within reach of a touching column: running sums over a window of 2 * reach + 1.
    sums = np.concatenate(([0], np.cumsum(columns, dtype=np.int32)))
    idx = np.arange(columns.size)
    near = sums[np.minimum(idx + reach + 1, columns.size)] > sums[np.maximum(idx - reach, 0)]
    if near.all():
        return runs
    return (runs.view(bool) & ~(merged & ~near[None, :])).view(np.uint8)


_NEIGHBOURS = np.ones((3, 3), np.uint8)


def _runs_leaving(runs: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """The runs (8-connected parts of a 0/1 mask) with a pixel where `outside` is 1."""
    count, labels = cv2.connectedComponents(runs, connectivity=8)
    keep = np.zeros(count, bool)
    keep[labels[(runs > 0) & (outside > 0)]] = True
    keep[0] = False
    return keep[labels].astype(np.uint8)


def _off_line(new: np.ndarray, n0: int, n1: int, half: int) -> tuple[int, float]:
    """Ink off a strike's line, and the share of name columns crossed three times or more.

    In each column the ink of a plain strike (straight, slanted, wavy, or two lines) lies within
    `half` pixels, plus the pen's width, of the column's ink centre; a circle round the name,
    loops or a tick across it do not.
    """
    h = new.shape[0]
    ink = new.view(bool) if new.dtype == np.uint8 else new.astype(bool)  # 0/1 masks
    ys, xs = np.nonzero(ink)  # the inked pixels (a few per cent of the band)
    counts = np.bincount(xs, minlength=new.shape[1]).astype(np.int32)
    # A run starts where a column's ink begins: in the top row, or below a paper pixel.
    starts = np.count_nonzero(ink[1:] > ink[:-1], axis=0) + ink[0]
    rows = np.arange(h, dtype=np.float32)
    weighted = rows @ ink.astype(np.float32)  # small integer sums: exact in float32
    centre = weighted / np.maximum(counts, 1)
    inked = starts > 0
    pen = _median(counts[inked] / starts[inked]) if inked.any() else 0.0
    # Only the inked pixels can be off the line: measured there, not over the whole band.
    extra = int(np.count_nonzero(np.abs(rows[ys] - centre[xs]) > half + pen))
    multi = float((starts[n0:n1] >= 3).mean()) if n1 > n0 else 0.0
    return extra, multi


def _stroke_in_zone(stack: np.ndarray, z0: int, z1: int, line: int) -> np.ndarray:
    """Per mask of a stack (masks, height, width), the columns where one vertical run of ink
    (one stroke crossing the column) is centred in the zone [z0, z1), or starts in the zone
    and crosses row `line` (where a hand strikes, the middle of the lowercase letters).

    Unlike the column's ink centre, a second stroke elsewhere in the column (a second line
    along or under the baseline, apart or merged with the first) does not move it; an underline
    alone or a circle's arcs, whose strokes lie outside the zone, still do not hit.
    """
    ink = stack.astype(bool)
    above = np.zeros_like(ink)
    above[:, 1:] = ink[:, :-1]
    below = np.zeros_like(ink)
    below[:, :-1] = ink[:, 1:]
    ys = np.arange(ink.shape[1], dtype=np.int32)[None, :, None]
    # At every pixel the row where its run began (runs scanned downwards).
    began = np.maximum.accumulate(np.where(ink & ~above, ys, -1), axis=1)
    last = ink & ~below  # a run's last pixel: the run is [began, ys]
    twice_centre = began + ys
    centred = (twice_centre >= 2 * z0) & (twice_centre < 2 * z1)
    crossing = (began >= z0) & (began <= line) & (ys >= line)
    return (last & (centred | crossing)).any(axis=1)


def _centred_in_zone(mask: np.ndarray, z0: int, z1: int) -> np.ndarray:
    """Columns whose ink (within the row band) is centred in the strike zone.

    Taking the centre, not any pixel, keeps a thick underline that touches the zone's bottom,
    or a stroke with a stray dot above it, from counting as a line through the name.
    """
    values = mask.astype(np.float32)  # small integer sums: exact in float32
    counts = values.sum(axis=0)
    weighted = np.arange(mask.shape[0], dtype=np.float32) @ values  # sum of the inked rows' indices
    # Ink in the zone itself too: the arcs of a circle above and below a name average to its middle.
    inside = mask[z0:z1].any(axis=0)
    # centre = weighted / counts, compared without dividing (inside implies counts > 0)
    return inside & (weighted >= z0 * counts) & (weighted < z1 * counts)


@functools.lru_cache(maxsize=64)
def _count_and_rows(height: int) -> np.ndarray:
    """(2, height) float32: ones (a column's ink count) and the row indices (their sum)."""
    weights = np.stack([np.ones(height, np.float32), np.arange(height, dtype=np.float32)])
    weights.flags.writeable = False
    return weights


@functools.lru_cache(maxsize=16)
def _no_ink(shape: tuple[int, int]) -> np.ndarray:
    """An empty row mask of this shape (read-only, shared)."""
    empty = np.zeros(shape, np.uint8)
    empty.flags.writeable = False
    return empty


def _ink_on_edges(stack: np.ndarray, edges: np.ndarray, inked: np.ndarray) -> list[int]:
    """Per mask of a stack, its ink on the print's edge (0 for an empty mask, not looked at)."""
    counts = [0] * len(stack)
    for i in np.flatnonzero(inked).tolist():
        counts[i] = int(np.count_nonzero(stack[i] & edges[i]))
    return counts


def _centred_in_zone_rows(stack: np.ndarray, z0: int, z1: int,
                          inked: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """_centred_in_zone for a stack of 0/1 row masks (rows, height, width) at once.

    Also returns each mask's ink per column (rows, width), which the caller needs anyway.
    `inked` (rows,) bool, if given, says which masks have any ink: the empty ones (most on a
    page) are not multiplied out (no column of theirs is centred anywhere, their counts are 0).
    """
    if inked is not None and not inked.all():
        centred = np.zeros((stack.shape[0], stack.shape[2]), bool)
        counts = np.zeros((stack.shape[0], stack.shape[2]), np.float32)
        if inked.any():
            centred[inked], counts[inked] = _centred_in_zone_rows(stack[inked], z0, z1)
        return centred, counts
    values = _scratch.view("centred", stack.shape)
    np.copyto(values, stack)  # small integer sums: exact in float32
    # One product gives both: the ink per column and the sum of its inked rows' indices.
    product = _count_and_rows(stack.shape[1]) @ values  # (rows, 2, width)
    counts, weighted = product[:, 0], product[:, 1]
    inside = stack[:, z0:z1].any(axis=1)
    return inside & (weighted >= z0 * counts) & (weighted < z1 * counts), counts
