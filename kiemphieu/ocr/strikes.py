"""Stage 4a: strike-form rows: measures of each name's row, and the decision from them.

The stage's entry point: `read_strikes` measures every row (`strike_measures`) and decides it.
Its parts, by stage: pen runs (`strikeruns`), column measures in the strike zone
(`strikezone`), the fold-crease check (`crease`), and the decisions, pure functions of a row's
measures and the profile (`strikedecisions`). Their names are re-exported here: callers and
tests use them as `strikes.<name>`, and `strike_measures` looks up its helpers here (a test or
benchmark that patches `strikes.<name>` patches the function the stage uses).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .arrays import _column_cumsum, _percentile, _shifted_band
from .crease import _AROUND_LINE, _crease_cover, _line_fit  # noqa: F401
from .darkline import PageTone, line_excess
from .faintline import line_shade
from .halo import not_printed_runs as halo_not_printed_runs
from .rows import aligned, tint_band
from .rowmasks import band_runs, group_stack, row_groups
from .strikedecisions import (  # noqa: F401
    bleeds_to_edge, crosses_openly, decide_strike, ink_on_edge_only, is_clean, is_kept, is_line, kept_runs, kept_score,
    pen_run_min_px, print_merges, runs_by_slivers, runs_on_edge_only, span_ignores_edge, strike_margin,
    strikes_by_faint_line, wants_crossing, wants_dark_line, wants_edge_gap, wants_faint_line, wants_line_check,
    wants_line_shade, wants_open_runs, wants_run_strike_check, wants_sliver_check, wants_split_lines, would_strike)
from .strikeruns import (  # noqa: F401
    _NEIGHBOURS, _pen_and_touched_labelled, _pen_and_touched_runs, _pen_runs, _runs_leaving, _runs_near_pen, _runs_touched_openly)
from .strikezone import (  # noqa: F401
    _centred_in_zone, _centred_in_zone_rows, _count_and_rows, _gap_off_edge, _ink_on_edges, _measure_split_lines,
    _no_ink, _off_line, _open_crossing, _straddle_share, _thick_share, _through_share, _segment_cover, _span, _stroke_in_zone, split_row)
from .neighbours import colour_without_neighbours, without_neighbours
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
            new, shift, align = aligned(ctx, warped, ink, template, row, out=stacked[i], skip_clean=True)
            by0, by1, bx0, bx1 = row.band
            runs_out = stacked[count + i]
            if new.any():
                runs, touched, labelled = _pen_and_touched_labelled(
                    band_runs(ink, template, row, shift) & not_printed_runs[by0:by1, bx0:bx1], new, pen_run_px)
                if touched is not runs and bolder_not_printed is not None:
                    touched = _runs_leaving(touched, bolder_not_printed[by0:by1, bx0:bx1])
                if run_reach and runs.any():
                    runs = _runs_near_pen(runs, new, run_reach, merged_px, labelled)
                np.copyto(runs_out, runs)
                touched = runs_out if touched is runs else touched
            else:  # no ink off the print: no pen run (what _pen_runs gives, without the runs' band)
                runs_out.fill(0)
                touched = runs_out
            # Faint ink off the print where the row's print really is (as `new`): on a page that does
            # not lie flat a row is a millimetre off the page map, and its letters' own grey is no pen.
            faint = cv2.bitwise_and(_shifted_band(ctx.faint, row, shift), template.not_glyph[by0:by1, bx0:bx1],
                                    dst=stacked[2 * count + i])
            tint = None
            if tinted:
                tint = stacked[3 * count + i]
                np.copyto(tint, tint_band(ctx, row, shift))
            rows[index] = {"row": row, "new": new, "runs": runs_out, "touched_runs": touched, "faint": faint,
                           "tint": tint, "shift": shift, "align": align, "page_ink": ink}
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
        # Running sums of the inked masks only (an empty mask's are 0: most rows of a page).
        new_inked = inked[:count]
        in_zone = _inked_cumsums(stacks["new"][:, z0:z1], new_inked, rows_axis=1)
        sums_all = _inked_cumsums(centred, inked)
        hit_sums = {kind: sums_all[i * count:(i + 1) * count] for i, kind in enumerate(kinds)}
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


def _inked_cumsums(stack: np.ndarray, inked: np.ndarray, rows_axis: int | None = None) -> np.ndarray:
    """`_column_cumsum` of each mask's per-column values (`stack` (masks, width), or (masks,
    height, width) summed over `rows_axis` first), made only for the `inked` masks: an empty
    mask's running sums are 0, and most masks of a page are empty."""
    sums = np.zeros((stack.shape[0], stack.shape[-1] + 1), np.int64)
    if inked.any():
        chosen = stack[inked]
        if rows_axis is not None:
            chosen = chosen.sum(axis=rows_axis, dtype=np.int32)
        sums[inked] = _column_cumsum(chosen)
    return sums


# `_off_pen_line`'s measures of a row not measured off its line (nothing off any line).
_NOT_OFF_LINE = {"extra_mm2": 0.0, "multi": 0.0, "thick": 0.0, "through": 0.0, "straddle": 0.0,
                 "neighbour_mm2": 0.0, "own_score": None}


def _off_pen_line(m: dict, template: Template, st, area_px: float) -> dict:
    """`_off_line` of a row's new ink (mm², share of columns), and of its pen colour where there
    is any: a pale coloured pen shows by its colour only, so look off the line in that ink too;
    `_thick_share` of its pen's ink (new ink, pen runs, pen colour) in the zone grown by half;
    `_through_share` of its new ink, `_straddle_share` of its new ink on open paper. All without
    the neighbours' strokes (`neighbours.without_neighbours`): their mm² (`neighbour_mm2`), and
    where there were any, the row's covers without them (`own_score`). The new ink is bridged
    across the print first (`_bridged_across_print`). Keys as `_NOT_OFF_LINE`."""
    new, tint, row = m["new"], m["tint"], m["row"]
    n0, n1 = row.name
    z0, z1 = row.zone
    grown = (max(0, z0 - (z1 - z0) // 2), z1 + (z1 - z0) // 2)
    corridor = template.px(st.corridor * row.size_mm)
    neighbour_px, own_score = 0, None
    if st.neighbours_apart and m.get("page_ink") is not None:
        new, theirs = without_neighbours(new, m["page_ink"], template, row, m["shift"])
        if theirs is not None:
            neighbour_px = int(np.count_nonzero(theirs))
            if tint is not None:
                tint = colour_without_neighbours(tint, theirs, row.zone)
            own_score = _own_covers(m, template, st, new, tint, theirs)
    bridged = _bridged_across_print(new, template, row, template.px(st.bridge_print_mm))
    extra, multi = _off_line(bridged, n0, n1, corridor)
    extra /= area_px
    if tint is not None and tint.any():  # (no pen colour: nothing off any line)
        tint_extra, tint_multi = _off_line(tint, n0, n1, corridor)
        extra, multi = max(extra, tint_extra / area_px), max(multi, tint_multi)
    pen = new | m["runs"] if tint is None else new | m["runs"] | tint
    thick = _thick_share(pen, n0, n1, grown, template.px(st.thick_reach * row.size_mm),
                         max(1, template.px(st.thick_window_mm)))
    through = _through_share(bridged, n0, n1, z0, z1, max(1, template.px(st.through_stroke_mm)))
    straddle = _straddle_share(new & (1 - template.glyph_edge(row)), n0, n1, z0, z1)
    return {"extra_mm2": extra, "multi": multi, "thick": thick, "through": through, "straddle": straddle,
            "neighbour_mm2": neighbour_px / area_px, "own_score": own_score}


def _own_covers(m: dict, template: Template, st, new: np.ndarray, tint: np.ndarray | None,
                theirs: np.ndarray) -> float:
    """The row's score (its covers, as `strike_measures` takes them) without the neighbours'
    strokes: the new ink and pen colour without them, and the pen runs without what lies near
    them (a run is ink grown by `run_tolerance` rows: pixel by pixel, so a strike's run that
    touches a neighbour's circle keeps the rest of its length)."""
    row = m["row"]
    n0, n1 = row.name
    z0, z1 = row.zone
    visible_share, visible_count = template.visible[row.id]
    gap = 0.0
    if visible_share >= st.min_visible:
        gap = int(np.count_nonzero(_centred_in_zone(new[:, n0:n1], z0, z1))) / max(1, visible_count)
    runs = m["runs"]
    if runs.any():
        near = cv2.dilate(theirs.astype(np.uint8), np.ones((2 * template.run_tolerance + 3, 3), np.uint8))
        runs = runs & (1 - near)
    run = int(np.count_nonzero(_centred_in_zone(runs[:, n0:n1], z0, z1))) / max(1, n1 - n0)
    colour = 0.0
    if tint is not None:
        colour = int(np.count_nonzero(_centred_in_zone(tint[:, n0:n1], z0, z1))) / max(1, n1 - n0)
    return max(gap, run, colour)


def _bridged_across_print(new: np.ndarray, template: Template, row, reach: int) -> np.ndarray:
    """A row's new ink with the print between two of its strokes in a column filled in, where
    only print (grown by the glyph margin) lies between them for at most `reach` pixels.

    The new ink is the ink off the print: a broad pen's line across a letter's bar or bowl is cut
    in two there, and two lines of a double strike merged into one band are cut into three or
    more. Counted as they are, each column's pieces look like a second stroke crossing it
    (`multi`) and pull its centre off the line (`extra_mm2`), as a correction's loops do. Only
    the print is filled, only between ink above and below it in the same column (a vertical
    closing), and only over a letter's stroke or so: loops crossing a column on open paper,
    above or below the letters, stay apart."""
    if reach <= 0 or not new.any():
        return new
    by0, by1, bx0, bx1 = row.band
    # A symmetric (odd) kernel: gaps of up to `reach` (rounded up to even) close, none longer.
    closed = cv2.morphologyEx(new, cv2.MORPH_CLOSE, np.ones((2 * ((reach + 1) // 2) + 1, 1), np.uint8))
    return new | (closed & template.glyph[by0:by1, bx0:bx1])


def _free_mm2(m: dict, area_px: float) -> tuple[float, float]:
    """A row's new ink and faint ink on open paper (not touching the print's edge), mm²."""
    return m["free_px"] / area_px, m["faint_free_px"] / area_px


def _open_run_cover(m: dict, template: Template, area_px: float) -> tuple[float, float]:
    """Small, bold or blurred print's merged letters make runs that a sliver of its own edge
    touches: the share of the name's columns whose runs (of row measures `m`) hold new ink off
    the print's edge (centred in the zone), and the mm² of new ink on that edge in the other runs."""
    row = m["row"]
    n0, n1 = row.name
    z0, z1 = row.zone
    opened, sliver_px = _runs_touched_openly(m["touched_runs"] | m["runs"], m["new"], template.glyph_edge(row))
    return int(np.count_nonzero(_centred_in_zone(opened[:, n0:n1], z0, z1))) / (n1 - n0), sliver_px / area_px


def read_strikes(ctx, warped, ink, template: Template) -> None:
    st = ctx.profile.strike
    area_px = template.k * template.k
    marks, scores, details = {}, {}, {}
    confidence = math.inf
    paper_level = ctx.paper_level  # the page's white (measured by the reader; a bare ctx: here)
    if paper_level is None:
        paper_level = _percentile(warped, 0.90)
    halo = ctx.checks.get("halo")
    print_halo = halo[0] if halo else 0.0  # how dark the print's first ring is on this page
    merges = print_merges(print_halo, ctx.checks.get("print_fill", 0.0), st)
    tone = None  # the page's print tone (`darkline`), modelled once a row needs it
    for m in strike_measures(ctx, warped, ink, template):
        row, new, shift, align = m["row"], m["new"], m["shift"], m["align"]
        runs, tint, faint = m["runs"], m["tint"], m["faint"]
        n0, n1 = row.name
        z0, z1 = row.zone
        score, span, ink_mm2, stray = m["score"], m["span"], m["ink_mm2"], m["stray"]
        run_cover, gap_cover, tint_cover = m["run_cover"], m["gap_cover"], m["tint_cover"]
        faint_cover, faint_mm2, tint_mm2 = m["faint_cover"], m["faint_mm2"], m["tint_mm2"]
        visible_share = m["visible_share"]
        off = _NOT_OFF_LINE
        line_cover = faint_extra = None
        corridor = template.px(st.corridor * row.size_mm)
        off_line_measured = score >= min(st.definite, st.line_score)
        if off_line_measured:
            off = _off_pen_line(m, template, st, area_px)
        clean = is_clean(span, off["extra_mm2"], off["multi"], st, off["thick"], off["through"], off["straddle"])
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
        open_cross = None
        if wants_crossing(score, st) and n1 > n0:
            # Small or bled print hides a line across its letters: look where it must show.
            # (A row measured stroke by stroke: a double strike's second line moves no column's hit.)
            split = split_row(template, row, st) if "split_score" in m else None
            open_cross = _open_crossing(new, template, row, template.px(st.cross_reach_mm), st.cross_inside, split)
            if open_cross >= st.cross_cover:
                if not off_line_measured:
                    off = _off_pen_line(m, template, st, area_px)
                    off_line_measured = True
                if faint_extra is None:
                    faint_extra = _off_line(faint, n0, n1, corridor)[0] / area_px
        free_mm2 = faint_free_mm2 = edge_gap = None
        touched_cover = run_cover
        # Runs and gaps both over `marginal` on such a page: both measured again (`wants_sliver_check`).
        both = wants_sliver_check(run_cover, gap_cover, tint_cover, print_halo, st)
        if both or wants_edge_gap(score, max(run_cover, tint_cover), print_halo, st):
            # Bled or blurred print a fraction of a pixel off leaves slivers of its own edge in
            # the gaps between letters: the gap columns again, without the print's edge.
            edge_gap = _gap_off_edge(new, template, row) if visible_share >= st.min_visible else 0.0
        open_runs = sliver_mm2 = None
        open_wanted = both or wants_open_runs(run_cover, gap_cover, tint_cover, print_halo, st)
        if score < st.marginal or edge_gap is not None or open_wanted:
            free_mm2, faint_free_mm2 = _free_mm2(m, area_px)
            if m["touched_runs"] is not runs and n1 > n0:
                touched = _centred_in_zone(m["touched_runs"][:, n0:n1], z0, z1)
                touched_cover = int(np.count_nonzero(touched)) / (n1 - n0)
            runs_seen = max(run_cover, touched_cover)
            if n1 > n0 and (wants_open_runs(runs_seen, gap_cover, tint_cover, print_halo, st)
                            or wants_sliver_check(runs_seen, gap_cover, tint_cover, print_halo, st)):
                open_runs, sliver_mm2 = _open_run_cover(m, template, area_px)
        values = {"score": score, "span": span, **off,
                  "run_cover": run_cover,
                  "gap_cover": gap_cover,
                  "tint_cover": tint_cover, "line_cover": line_cover, "faint_extra_mm2": faint_extra,
                  "ink_mm2": ink_mm2, "free_mm2": free_mm2, "faint_free_mm2": faint_free_mm2,
                  "faint_cover": faint_cover, "faint_mm2": faint_mm2, "tint_mm2": tint_mm2, "crease": None,
                  "touched_run_cover": touched_cover, "off_edge_gap": edge_gap, "open_cross": open_cross,
                  "open_run_cover": open_runs, "run_sliver_mm2": sliver_mm2,
                  "bled_print": bleeds_to_edge(print_halo, getattr(ctx, "print_reach", 0), st),
                  "line_shade": None, "line_excess": None, "faint_cross": None}
        if wants_line_shade(values, st) and not would_strike(values, st):
            # Kept with some faint ink off the print: is it a pale line the faint mask all but lost?
            # (Measured first: such a line is then looked at as every pale line is, below.)
            values["line_shade"] = line_shade(warped, template, row, shift, paper_level)
        dark_wanted, faint_wanted = wants_dark_line(values, st), wants_faint_line(values, st)
        if (dark_wanted or faint_wanted) and n1 > n0:
            # Neither struck nor kept: a line the glyph margin hides across small or bled letters
            # (dark: new ink by its covers), or a pale pen's line there (faint ink only)?
            if not off_line_measured:
                off = _off_pen_line(m, template, st, area_px)
                off_line_measured = True
            if faint_extra is None:
                faint_extra = _off_line(faint, n0, n1, corridor)[0] / area_px
            faint_cross = None if not faint_wanted else _open_crossing(
                faint, template, row, template.px(st.cross_reach_mm), st.cross_inside)
            excess = None
            if dark_wanted or faint_cross >= st.faint_cross:
                tone = tone or PageTone(warped, template, paper_level)
                excess = line_excess(warped, tone, template, row, shift)
            values.update(**off, faint_extra_mm2=faint_extra,
                          line_excess=excess, faint_cross=faint_cross)
        if would_strike(values, st):
            as_line = score < st.definite and is_line(values, st)
            if n1 > n0 and wants_run_strike_check(run_cover, gap_cover, tint_cover, merges, st, as_line):
                # Struck by its runs alone where the print merges its letters: are they a pen's?
                # (Measured only for a row that would strike: the answer can only take it back.)
                if open_runs is None:
                    open_runs, sliver_mm2 = _open_run_cover(m, template, area_px)
                if free_mm2 is None:
                    free_mm2, faint_free_mm2 = _free_mm2(m, area_px)
                values.update(run_strike_check=True, open_run_cover=open_runs, run_sliver_mm2=sliver_mm2,
                              free_mm2=free_mm2, faint_free_mm2=faint_free_mm2)
            # A fold crease along the letters is no strike: it runs on across the page.
            # (A pale line's course is its faint ink: the new ink alone may be a few specks.)
            line = new | runs | faint if strikes_by_faint_line(values, st) else new | runs
            values["crease"] = _crease_cover(warped, template, row, shift, line, st, paper_level)
        mark = decide_strike(values, st)
        crease = values["crease"]
        marks[row.id] = mark
        scores[row.id] = round(score, 3)
        details[row.id] = {"run_cover": round(run_cover, 3), "gap_cover": round(gap_cover, 3),
                           "tint_cover": round(tint_cover, 3), "span": round(span, 3),
                           "faint_cover": round(faint_cover, 3), "ink_mm2": round(ink_mm2, 2),
                           "faint_mm2": round(faint_mm2, 2), "tint_mm2": round(tint_mm2, 2),
                           "extra_mm2": round(values["extra_mm2"], 2), "multi": round(values["multi"], 3),
                           "thick": round(values["thick"], 3), "through": round(values["through"], 3),
                           "straddle": round(values["straddle"], 3),
                           "neighbour_mm2": round(values["neighbour_mm2"], 2),
                           "own_score": None if values["own_score"] is None else round(values["own_score"], 3),
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
                           "open_cross": None if open_cross is None else round(open_cross, 3),
                           "open_run_cover": None if open_runs is None else round(open_runs, 3),
                           "run_sliver_mm2": None if sliver_mm2 is None else round(sliver_mm2, 2),
                           "bled_print": values["bled_print"],
                           "line_shade": None if values["line_shade"] is None else round(values["line_shade"], 3),
                           "line_excess": None if values["line_excess"] is None else round(values["line_excess"], 3),
                           "faint_cross": None if values["faint_cross"] is None else round(values["faint_cross"], 3)}
        confidence = min(confidence, strike_margin(mark, values, st))
    ctx.reading.marks, ctx.reading.scores, ctx.reading.rows = marks, scores, details
    ctx.reading.confidence = round(confidence, 3)
