"""Stage 4a's decisions: pure functions of a strike row's measures (the reading's `rows`
values, unrounded) and the profile's [strike] settings: struck, kept or uncertain, and how far
from changing its answer."""

from __future__ import annotations

import math


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


def loop_free(thick: float, through: float, straddle: float, st) -> bool:
    """No sign of loops or a circle however much of them the print hides: about as thick all
    along (`thick`), next to no column crossed from above the zone to below it by one stroke
    (`through`), next to no ink on open paper above and below the zone in the same columns
    (`straddle`)."""
    return thick < st.max_thick and through < st.max_through and straddle < st.max_straddle


def row_loop_free(v, st) -> bool:
    """`loop_free` of a row's measures (0 where not measured)."""
    return loop_free(v.get("thick", 0.0), v.get("through", 0.0), v.get("straddle", 0.0), st)


def nothing_off_line(extra_mm2: float, multi: float, st, thick: float = 0.0, through: float = 0.0,
                     straddle: float = 0.0) -> bool:
    """No ink off a strike's line: under `extra_mm2` of it, few columns crossed three times (with
    some ink off the line), and no sign of loops (`loop_free`)."""
    return (extra_mm2 < st.extra_mm2 and loop_free(thick, through, straddle, st)
            and not (multi >= st.max_multi and extra_mm2 >= 0.4 * st.extra_mm2))


def off_its_line(v, st) -> bool:
    """Whether a row holds ink off its line as a correction's loops, a circle or a tick's other
    stroke leave it (`nothing_off_line` not so, or faint ink off the line), whatever else it
    holds: a shape, not a want of evidence (values as in a reading's `rows`)."""
    faint = v.get("faint_extra_mm2")
    return (not nothing_off_line(v.get("extra_mm2") or 0.0, v.get("multi", 0.0), st, v.get("thick", 0.0),
                                 v.get("through", 0.0), v.get("straddle", 0.0))
            or (faint is not None and faint >= st.line_faint_extra_mm2))


def is_clean(span: float, extra_mm2: float, multi: float, st, thick: float = 0.0, through: float = 0.0,
             straddle: float = 0.0) -> bool:
    """A plain strike's shape: spread over the name, no ink off its line, few columns crossed
    three times (loops, a circle, a tick), about as thick all along (`thick`: loops scribbled
    along part of the strike, however merged into one blot, make it thicker there), and next
    to no column crossed from above the zone to below it by one stroke (`through`: a loop's
    sides, where small print hides the rest of a correction) nor ink on open paper above and
    below the zone in the same columns (`straddle`: their arcs, where it hides their sides too)."""
    return span >= st.min_span and nothing_off_line(extra_mm2, multi, st, thick, through, straddle)


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


def wants_crossing(score: float, st) -> bool:
    """Whether a row is measured for a line the print hides (`open_cross`): some pen evidence
    (`marginal`), not enough to strike it by its covers (`definite`)."""
    return st.cross_cover <= 1.0 and st.marginal <= score < st.definite


def crosses_openly(v, st) -> bool:
    """A line through the whole name that small or bled print hides across its letters: its ink
    shows on open paper past both ends and in every word gap (`open_cross`), in the gaps
    between the name's letters too (`gap_cover` at `marginal`: a fold crease's shade along a
    kept name crosses its ends and leaves runs on the letters, but no ink between them), and
    nothing is off its line (`extra_mm2`, `multi`; faint ink too, `faint_extra_mm2`: a circle's
    or a correction's loops cross the same places). Its spread over the name is not asked
    (`span`): where the print hides the line, the ends and gaps are all there is of it, and
    they lie at both ends of the name."""
    cross = v.get("open_cross")
    return (cross is not None and cross >= st.cross_cover and v["gap_cover"] >= st.marginal
            and v["faint_extra_mm2"] is not None
            and v["faint_extra_mm2"] < st.line_faint_extra_mm2 and full_extra_mm2(v) < st.extra_mm2
            and row_loop_free(v, st)
            and not (v["multi"] >= st.max_multi and full_extra_mm2(v) >= 0.4 * st.extra_mm2))


def covers_score(v) -> float:
    """The score a strike by its covers asks for: without the neighbours' strokes where any were
    left out of the row's shape (`own_score`; the shape measures leave them out, so must this)."""
    own = v.get("own_score")
    return v["score"] if own is None else min(v["score"], own)


def full_extra_mm2(v) -> float:
    """The ink off the line with the neighbours' strokes counted again (`neighbour_mm2`): the
    checks for a line the print hides ask the shape of all the row's ink, as before they were left out."""
    return v["extra_mm2"] + (v.get("neighbour_mm2") or 0.0)


def strikes_by_covers(v, st) -> bool:
    """Struck by its covers: a clean row scoring `definite` (`covers_score`), or a line
    (`is_line`, on a row none of whose ink was left out as a neighbour's)."""
    clean = is_clean(v["span"], v["extra_mm2"], v["multi"], st, v.get("thick", 0.0), v.get("through", 0.0),
                     v.get("straddle", 0.0))
    return clean and (covers_score(v) >= st.definite or (v.get("own_score") is None and is_line(v, st)))


def wants_dark_line(v, st) -> bool:
    """Whether a row is measured for a dark line through its whole name (`line_excess`): it has
    new ink by its covers (`marginal`) and is neither struck nor kept by its other measures."""
    return (st.dark_line <= 1.0 and v["score"] >= st.marginal
            and not strikes_by_covers(v, st) and not crosses_openly(v, st) and not is_kept(v, st))


def dark_line_clean(v, st) -> bool:
    """Nothing off the line: a correction's loops or circle, a tick's other stroke."""
    return (full_extra_mm2(v) < st.dark_line_extra_mm2 and v["multi"] < st.max_multi
            and row_loop_free(v, st)
            and v["faint_extra_mm2"] is not None and v["faint_extra_mm2"] < st.line_faint_extra_mm2)


def strikes_by_dark_line(v, st) -> bool:
    """A pen's line through the whole name that small, bold or bled print hides from the covers
    (the glyph margin takes in most of the x-height): one scanline in the strike zone darker
    than this page prints there by `dark_line` of the print's headroom in every quarter of the
    name (`line_excess`, `darkline`), and nothing off the line (`dark_line_clean`). A partial
    strike leaves a quarter empty, an underline lies under the zone, a fold crease is pale (and
    is checked after, as every strike is)."""
    return (v.get("line_excess") is not None and v["line_excess"] >= st.dark_line
            and dark_line_clean(v, st))


def wants_faint_line(v, st) -> bool:
    """Whether a row is measured for a pale line through its whole name (`faint_cross`): it has
    faint ink centred in its zone and is neither struck nor kept by its other measures (its
    score may be under `marginal`: a pale pen leaves no ink, only faint ink, off small print)."""
    return (st.faint_cross <= 1.0 and v["faint_cover"] > 0
            and not would_strike(v, st) and not is_kept(v, st))


def strikes_by_faint_line(v, st) -> bool:
    """A pale or thin pen's line through the whole name that small print hides across its
    letters: its faint ink centred in the zone past both ends of the name and in every word gap
    (`faint_cross`, as `open_cross` of the faint ink), the letters darkened along it in every
    quarter of the name (`line_excess` at `faint_line_excess`), nothing off the line
    (`dark_line_clean`). A partial line misses an end or a gap, an underline lies under the
    zone, a fold crease runs on across the page (checked after, as every strike is)."""
    cross = v.get("faint_cross")
    return (cross is not None and cross >= st.faint_cross and v.get("line_excess") is not None
            and v["line_excess"] >= st.faint_line_excess and dark_line_clean(v, st))


def struck_by_faint_line_only(v, st) -> bool:
    """Struck by a pale line and by nothing else (the crease check then asks more of it)."""
    return (strikes_by_faint_line(v, st) and not strikes_by_covers(v, st) and not crosses_openly(v, st)
            and not strikes_by_dark_line(v, st))


def would_strike(v, st) -> bool:
    """Struck by its own evidence (before the fold-crease check)."""
    return (strikes_by_covers(v, st) or crosses_openly(v, st) or strikes_by_dark_line(v, st)
            or strikes_by_faint_line(v, st))


def wants_edge_gap(score: float, pen_score: float, print_halo: float, st) -> bool:
    """Whether a row's gap cover is measured again off the print's edge: the gaps alone (no pen
    run, no pen colour) put it over `marginal`, on a page whose print bleeds (`kept_edge_halo`)."""
    return print_halo >= st.kept_edge_halo and pen_score < st.marginal <= score


def wants_open_runs(run_cover: float, gap_cover: float, tint_cover: float, print_halo: float, st) -> bool:
    """Whether a row's runs are measured again by where new ink lies in them (`open_run_cover`):
    its runs alone put it over `marginal` (no gaps, no pen colour) and under `definite`, on a
    page whose print spreads (its halo's first ring at `kept_edge_halo`): only blurred or bled
    print merges its letters into runs. On a sharp page a run the template does not have is a
    pen's, however hidden (a short partial strike across small print touches its run only on
    the print's edge, as a sliver does)."""
    return print_halo >= st.kept_edge_halo and max(gap_cover, tint_cover) < st.marginal <= run_cover < st.definite


def wants_sliver_check(run_cover: float, gap_cover: float, tint_cover: float, print_halo: float, st) -> bool:
    """Whether a row's runs and gaps are both measured again without the print's edge
    (`open_run_cover`, `off_edge_gap`): both put it over `marginal` (neither `definite`, no pen
    colour), on a page whose print spreads (`kept_edge_halo`). Bled or blurred print leaves
    slivers of its own edge in the gaps between letters and on its merged letters' runs at once;
    `wants_edge_gap` and `wants_open_runs` each look again only where the other measure is
    already clean, so such a kept name stayed `uncertain`. Measuring both asks no less of it:
    it is kept only when each is clean off the edge and the row has next to no ink on open
    paper (`kept_score`, `runs_by_slivers`)."""
    return (print_halo >= st.kept_edge_halo and tint_cover < st.marginal
            and st.marginal <= min(run_cover, gap_cover) and max(run_cover, gap_cover) < st.definite)


def runs_by_slivers(v, st) -> bool:
    """Whether a row's runs are the print's own letters merged, touched by slivers of its edge:
    measured again (`open_run_cover`), with under `kept_sliver_mm2` of new ink on the print's
    edge in the runs no ink off the edge lies in (`run_sliver_mm2`: a sliver is a pixel or a
    few; a pen's line hidden across the letters leaves some at every letter it crosses) and
    under `kept_edge_free_mm2` of new ink on open paper in the row, and under `kept_free_mm2` of
    faint ink there (a thin pen's line a grey scan all but lost shows as faint ink)."""
    return (v.get("open_run_cover") is not None and v.get("free_mm2") is not None
            and v["run_sliver_mm2"] < st.kept_sliver_mm2 and v["free_mm2"] < st.kept_edge_free_mm2
            and v["faint_free_mm2"] < st.kept_free_mm2)


def kept_runs(v, st) -> tuple[float, float]:
    """The pen runs' and the touched runs' cover that forbid 'kept': as measured, or, where the
    runs are touched by slivers only (`runs_by_slivers`), the runs that ink off the print's edge
    lies in (`open_run_cover`)."""
    if runs_by_slivers(v, st):
        return v["open_run_cover"], v["open_run_cover"]
    return v["run_cover"], v.get("touched_run_cover", 0.0)


def kept_score(v, st) -> float:
    """The score that forbids 'kept': the row's score, or, where the gaps were measured again off
    the print's edge (`off_edge_gap`, on a page whose print bleeds) and the row has under
    `kept_edge_free_mm2` of ink on open paper, the pen runs, the pen colour and those gaps (a
    sliver of the print's own edge is no trace of a pen; a pen's line crossing a gap between
    words leaves some ink on open paper); the pen runs are those of `kept_runs`."""
    runs = kept_runs(v, st)[0]
    if v.get("off_edge_gap") is None or v.get("free_mm2") is None or v["free_mm2"] >= st.kept_edge_free_mm2:
        if runs_by_slivers(v, st):
            return max(runs, v["gap_cover"], v["tint_cover"])
        return v["score"]
    return max(runs, v["tint_cover"], v["off_edge_gap"])


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
    return (kept_score(v, st) < st.marginal and kept_runs(v, st)[1] < st.marginal
            and not (whole_ink and v["ink_mm2"] >= st.kept_ink_mm2) and v["free_mm2"] < st.kept_free_mm2
            and v["faint_cover"] < st.faint_marginal and v["tint_mm2"] < st.kept_tint_mm2
            and not (v["free_mm2"] >= 0.6 * st.kept_free_mm2 and v["faint_free_mm2"] >= st.kept_faint_mm2)
            and v["faint_free_mm2"] < st.kept_faint_alone_mm2
            and not (whole_ink and v["ink_mm2"] >= 0.4 * st.kept_ink_mm2 and v["faint_mm2"] >= st.kept_pale_mm2)
            and not pale_line(v, st))


def wants_line_shade(v, st) -> bool:
    """Whether a row is measured for a pale line (`line_shade`): kept by every other test, with
    `shade_faint_mm2` of faint ink off its print (`faint_free_mm2`, measured)."""
    return v["faint_free_mm2"] is not None and v["faint_free_mm2"] >= st.shade_faint_mm2 and is_kept(v, st)


def pale_line(v, st) -> bool:
    """Whether the paper between a row's letters darkens along a line (`line_shade`, measured on
    a row otherwise kept with `shade_faint_mm2` of faint ink off its print): a pen too pale for
    the faint-ink mask to hold more than scattered pixels of its line."""
    return v.get("line_shade") is not None and v["line_shade"] >= st.kept_line_shade


def print_merges(print_halo: float, print_fill: float, st) -> bool:
    """Whether the page's print merges its letters into horizontal runs: its halo's first ring
    reaches `kept_edge_halo` (blurred or bled print), or its ink fills `bold_fill` of the glyph
    margin on its cleanest rows (bold print, or a tone curve darkening its edge: the halo past
    the margin stays light, the letters merge within it)."""
    return print_halo >= st.kept_edge_halo or print_fill >= st.bold_fill


def wants_run_strike_check(run_cover: float, gap_cover: float, tint_cover: float, merges: bool, st,
                           line: bool = False) -> bool:
    """Whether a row struck by its pen runs alone (`definite`; its gaps and pen colour under it)
    is measured again by where new ink lies in its runs (`open_run_cover`), on a page whose
    print merges its letters (`print_merges`): there a sliver of the print's own edge touching
    a name's merged letters made a run across the name. `line`: the row is struck as a line
    (`is_line`, under `definite`); its runs carry it when its pen colour is under `line_score`
    (merged letters' runs along the name make a line as well as a pen does)."""
    if not merges or max(gap_cover, tint_cover) >= st.definite:
        return False
    return run_cover >= st.definite or (line and tint_cover < st.line_score)


def _runs_needed(v, st) -> float:
    """The runs' cover that struck the row: `definite`, or `line_score` for a line."""
    return st.definite if v["run_cover"] >= st.definite else st.line_score


def runs_on_edge_only(v, st) -> bool:
    """A row struck by its runs alone on such a page (`wants_run_strike_check`), whose runs hold
    ink off the print's edge over less of the name than struck it (`open_run_cover` under
    `definite`, or under `line_score` for a line) and with under `kept_edge_free_mm2` of new ink
    on open paper in the row (`free_mm2`): merged print touched by slivers of its edge, or a
    line the print hides; either way not `struck` on that evidence (a pen's line runs past the
    name's ends or through a word gap onto open paper)."""
    return (bool(v.get("run_strike_check")) and v.get("open_run_cover") is not None
            and v["open_run_cover"] < _runs_needed(v, st) and v["free_mm2"] < st.kept_edge_free_mm2)


def decide_strike(v, st) -> str:
    """struck | kept | uncertain from a row's measures `v` (keys as in a reading's `rows`, values
    unrounded; `crease` None when not measured)."""
    if would_strike(v, st):
        if v["crease"] is not None and v["crease"] >= st.crease_cover:
            return "uncertain"  # the line runs on across the page: a fold crease
        if struck_by_faint_line_only(v, st) and (v["crease"] is None or v["crease"] >= st.faint_crease_cover):
            return "uncertain"  # a pale line going on across the page, or whose course could not be followed
        if runs_on_edge_only(v, st):
            return "uncertain"
        return "struck"
    if is_kept(v, st):
        return "kept"
    return "uncertain"


def strike_margin(mark: str, v, st) -> float:
    """How far the row is from changing its answer (negative: inside the uncertain band)."""
    score = v["score"]
    if mark == "struck":
        if struck_by_faint_line_only(v, st):
            return min(v["faint_cross"] - st.faint_cross, v["line_excess"] - st.faint_line_excess,
                       st.dark_line_extra_mm2 - full_extra_mm2(v), st.line_faint_extra_mm2 - v["faint_extra_mm2"])
        if not strikes_by_covers(v, st) and not crosses_openly(v, st):  # struck by a dark line
            return min(v["line_excess"] - st.dark_line, st.dark_line_extra_mm2 - full_extra_mm2(v),
                       st.line_faint_extra_mm2 - v["faint_extra_mm2"])
        if not strikes_by_covers(v, st):  # struck by crossing openly
            return min(v["open_cross"] - st.cross_cover, st.line_faint_extra_mm2 - v["faint_extra_mm2"],
                       st.extra_mm2 - full_extra_mm2(v))
        if covers_score(v) >= st.definite or not is_line(v, st):
            return covers_score(v) - st.definite
        return min(max(v["run_cover"], v["tint_cover"]) - st.line_score, v["line_cover"] - st.line_cover)
    if mark == "kept":
        ink = st.kept_edge_free_mm2 - v["free_mm2"] if ink_on_edge_only(v, st) else st.kept_ink_mm2 - v["ink_mm2"]
        shade = st.kept_line_shade - v["line_shade"] if v.get("line_shade") is not None else math.inf
        return min(st.marginal - kept_score(v, st), ink, st.kept_free_mm2 - v["free_mm2"], shade)
    return -min(abs(score - st.marginal), abs(st.definite - score))
