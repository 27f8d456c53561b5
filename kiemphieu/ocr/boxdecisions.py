"""Stage 4b's decisions: pure functions of a box's measures (`boxes.box_scores`' values) and
the profile's [boxes], callable by a test without an image. The stage (`boxes.read_boxes`)
re-exports them: callers and tests use them as `boxes.<name>`."""

from __future__ import annotations

import math


def box_state(m, bx) -> str:
    """marked | empty | unsure for one box from its measures `m` (unrounded): score, fill,
    crossings, sides, pale_sides, long_rows, long_cols, pale_score, tint_mm2, ink_mm2 (its new
    ink's area; when absent, any ink is a pen's trace), and the shape of its ink's edges at fine
    resolution (edge_excess, edge_diagonal, edge_run, edge_balance, fine_fill: None when the box
    scored under marginal)."""
    score, fill = m["score"], m["fill"]
    state = "marked" if score >= bx.definite else "empty" if score < bx.marginal else "unsure"
    # A thick pen's X reaches the sides' middles and fills much of a small box, but its arms
    # cross the box's rows (and columns) in short runs: few long lines.
    long_lines = max(m["long_rows"], m["long_cols"])
    heavy = fill > bx.max_fill or m["sides"] >= 3
    if heavy and long_lines <= bx.x_max_long and fill <= bx.x_max_fill:
        heavy = False
    # At 8 px/mm a thick pen's X shows its two arms (the working resolution merges them into
    # rows of ink that look one way, and its halo reaches every side): however much it covers.
    x_shape = _x_edges(m, bx)
    # Long lines across the rows but not the columns (or the reverse): strokes drawn back and
    # forth one way, a scribble, however few sides it reaches.
    one_way = abs(m["long_rows"] - m["long_cols"]) >= bx.max_one_way and not x_shape
    pale_scribble = m["pale_sides"] >= 4 and not x_shape
    # Edges along horizontals far more than along verticals, or one long level edge: a line
    # struck through the mark.
    struck_through = m.get("edge_excess") is not None and (
        m["edge_excess"] >= bx.cancel_edge_excess or m["edge_run"] >= bx.cancel_edge_run)
    # An X drawn without lifting the pen, or one arm gone over again, is crossed a third time.
    scribbled = m["crossings"] > (bx.x_max_crossings if x_shape else bx.max_crossings)
    if (heavy and not x_shape) or one_way or struck_through or scribbled or pale_scribble:
        return "unsure"  # blacked out, scribbled or struck through: a correction as likely as a mark
    # A faint pen's X: under the ink level in places, whole in the faint ink. Its weaker arm loses
    # more of its edges to the blur than a dark pen's (x_min_balance_faint); a page with such a
    # pen has its blank rows checked for marks the scan all but lost (`lost_to_the_scan`).
    if faint_mark(m, bx) and _x_edges(m, bx, bx.x_min_balance_faint):
        return "marked"
    # A trace of a pen: a person must look. Not a scanner's speck (dust, noise: a lone pixel at
    # the working resolution, without the faint ink around it that a light pen's stroke leaves).
    speck = m.get("ink_mm2", math.inf) <= bx.empty_speck_mm2
    if state == "empty" and (m["pale_score"] >= bx.marginal or (fill > 0 and not speck)
                             or m["tint_mm2"] >= bx.empty_tint_mm2):
        return "unsure"
    return state


def faint_mark(m, bx) -> bool:
    """A box holding a faint pen's mark: scored under definite by its ink, over it by its faint
    ink (whether it is then read marked or left unsure)."""
    return m["score"] < bx.definite and m["pale_score"] >= bx.definite


def lost_to_the_scan(row_measures, bx) -> bool:
    """A row found blank whose boxes hold faint ink over `lost_trace` of a box: on a page whose
    pen leaves marks at the edge of what the scan keeps (`faint_mark`), the same pen's X may be
    all but lost there (a column of faint ink where a stroke crossed), and reading the row blank
    would drop a vote silently."""
    return any(m["pale_score"] > bx.lost_trace for m in row_measures)


def box_mark(states: list[str], values: dict, stray_mm2: float, bx) -> str:
    """agree | disagree | both | none | uncertain from the two boxes' states, the row's
    `box_scores` values and the ink in the row outside the boxes."""
    if "unsure" in states:
        return "uncertain"
    mark = {("marked", "marked"): "both", ("marked", "empty"): "agree",
            ("empty", "marked"): "disagree", ("empty", "empty"): "none"}[tuple(states)]
    if mark == "none" and stray_mm2 >= bx.stray_mm2:
        return "uncertain"
    # Both boxes, one heavily inked (an X and a scribbled-over X), or one struck through.
    fills = sorted((values["agree_fill"], values["disagree_fill"]))
    if mark == "both" and (fills[1] >= bx.both_fill_ratio * max(fills[0], 1e-3) or _cancelled(values, bx)):
        return "uncertain"
    return mark


def _x_edges(m, bx, min_balance: float | None = None) -> bool:
    """An X's edges at fine resolution: along its two diagonals, both ways (a blacked-out
    box's or a scribble's run every way, or one way), no more along horizontals than along
    verticals and none level for long (a line struck through adds a long level edge), with
    white left between its arms."""
    if m.get("edge_excess") is None:
        return False
    # A ring round the box or a box blacked out reaches the middle of all four sides, and its
    # edges run every way (half of them along the diagonals): only a box that leaves a side's
    # middle white is an X with its edges nearer that (a thick pen's arms, blurred).
    diagonal = bx.x_min_diagonal if m["sides"] >= 4 else bx.x_min_diagonal_open
    return (m["edge_excess"] <= bx.x_max_edge_excess and m["edge_run"] <= bx.x_max_edge_run
            and m["edge_diagonal"] >= diagonal
            and m["edge_balance"] >= (bx.x_min_balance if min_balance is None else min_balance)
            and m["fine_fill"] <= bx.x_max_fine_fill)


def _margin(score: float, marginal: float, definite: float) -> float:
    """How far a score is from the uncertain band (negative inside it)."""
    if score >= definite:
        return score - definite
    if score < marginal:
        return marginal - score
    return -min(score - marginal, definite - score)


def _cancelled(values: dict, bx) -> bool:
    """Both boxes marked, one of them struck through: lines right across it (two or more
    separate ones), long lines one way more than an X has (lines drawn close together merge
    into one band), or edges along horizontals, or a level edge, more than an X has (at fine
    resolution). The voter took one mark back: a person reads which."""
    return any(values[f"{side}_line_groups"] > bx.max_line_groups
               or values[f"{side}_one_way"] >= bx.both_max_one_way
               or values.get(f"{side}_edge_excess", 0.0) > bx.both_max_edge_excess
               or values.get(f"{side}_edge_run", 0.0) > bx.both_max_edge_run for side in ("agree", "disagree"))


def counted_stray(stray_mm2: float, off_edge_mm2: float, edge_halo: float, bx) -> float:
    """The ink outside a row's boxes that counts against 'none' (`box_mark`'s stray_mm2), for a
    row with no box marked: on a page whose print halo's first ring reaches `stray_edge_halo`
    (blurred or bled print, short of the ink level, still leaves slivers of its own edge by
    every letter), ink wholly on the print's edge but for `stray_edge_free_mm2` is the print's
    and only the ink off the edge counts; else the whole. A pen's mark by the name never lies
    wholly on the edge: a line shows past the name's ends and in its word gaps, a tick, circle
    or underline on open paper."""
    if edge_halo >= bx.stray_edge_halo and off_edge_mm2 <= bx.stray_edge_free_mm2:
        return off_edge_mm2
    return stray_mm2
