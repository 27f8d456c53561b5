"""Stage 4a's column measures of a strike row: which columns' ink is centred in the strike
zone (column centres, or stroke by stroke), its spread over the name (`span`), the share of
the name's parts and gaps it covers, and the ink off a strike's line."""

from __future__ import annotations

import functools
import math

import numpy as np

from .arrays import _median, _scratch, _sorted_percentile
from .template import Template


def split_row(template: Template, row, st) -> int:
    """The band's pixel row of `strike.split_line` (where a hand strikes), inside the zone."""
    z0, z1 = row.zone
    return max(z0, z1 - template.px((st.split_line - st.zone_bottom) * row.size_mm))


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
    hits = _stroke_in_zone(np.stack([mask[:, n0:n1] for mask in masks]), z0, z1, split_row(template, m["row"], st))
    visible_share, visible_count = template.visible[m["row"].id]
    gap = int(np.count_nonzero(hits[0])) / max(1, visible_count) if visible_share >= st.min_visible else 0.0
    run = int(np.count_nonzero(hits[1])) / width
    tint = int(np.count_nonzero(hits[2])) / width if len(masks) > 2 else 0.0
    split_score = max(gap, run, tint)
    m["split_score"] = split_score
    if split_score > m["score"]:
        m.update(gap_cover=max(gap, m["gap_cover"]), run_cover=max(run, m["run_cover"]),
                 tint_cover=max(tint, m["tint_cover"]), score=split_score)


def _gap_off_edge(new: np.ndarray, template: Template, row) -> float:
    """gap_cover from the new ink off the print's edge (`Template.glyph_edge`): the share of the
    name's visible columns whose such ink is centred in the strike zone."""
    n0, n1 = row.name
    z0, z1 = row.zone
    off_edge = new[:, n0:n1] & ~template.glyph_edge(row)[:, n0:n1].view(bool)
    hits = _centred_in_zone(off_edge, z0, z1)
    return int(np.count_nonzero(hits)) / max(1, template.visible[row.id][1])


def _open_crossing(new: np.ndarray, template: Template, row, reach: int, inside: float,
                   line: int | None = None) -> float:
    """The share of the places where a line through the name must show on open paper that it
    does: past each end of the name (new ink off the print's edge centred in the zone within
    `reach` columns beyond the end or `inside` of the name's width into it) and in every word
    gap (the name's columns whose zone is open paper from top to bottom, off the print's edge).

    Small or bled print hides a pen's line across its letters: on such a row the only columns
    where the line shows are the gaps between words and the paper past the name's ends. A line
    struck through the whole name crosses every one of them; a partial strike, a tick or an
    underline misses an end or a gap, and slivers of the print's edge do not count.

    With `line` (a row measured stroke by stroke: its pen ink spans the name) a column also
    counts when one of its strokes is centred in the zone or starts in it and crosses `line`
    (`_stroke_in_zone`): a double strike's second line along or under the baseline puts the
    column's ink centre under the zone at the name's ends and in its gaps, as on its letters.
    """
    n0, n1 = row.name
    z0, z1 = row.zone
    edge = template.glyph_edge(row)
    off_edge = new & (1 - edge)
    hits = _centred_in_zone(off_edge, z0, z1)
    if line is not None:
        hits = hits | _stroke_in_zone(off_edge[None], z0, z1, line)[0]
    within = int(round(inside * (n1 - n0)))
    ends = [hits[max(0, n0 - reach):n0 + within].any(), hits[max(n0, n1 - within):n1 + reach].any()]
    # Word gaps: runs of name columns with no print (nor its edge) anywhere in the zone.
    open_columns = np.concatenate(([0], (~edge[z0:z1, n0:n1].any(axis=0)).astype(np.int8), [0]))
    steps = np.diff(open_columns)
    gaps = [hits[n0 + a:n0 + b].any() for a, b in zip(np.flatnonzero(steps == 1), np.flatnonzero(steps == -1))]
    places = ends + gaps
    return sum(bool(p) for p in places) / len(places)


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


def _off_line(new: np.ndarray, n0: int, n1: int, half: int) -> tuple[int, float]:
    """Ink off a strike's line, and the share of name columns crossed three times or more.

    In each column the ink of a plain strike (straight, slanted, wavy, or two lines) lies within
    `half` pixels, plus the pen's width, of the column's ink centre; a circle round the name,
    loops or a tick across it do not.
    """
    ink = new.view(bool) if new.dtype == np.uint8 else new.astype(bool)  # 0/1 masks
    # Everything from the inked pixels alone (a few per cent of the band), counted per column
    # with bincount: the same integers as the band-wide column sums, without passes over the band.
    ys, xs = np.nonzero(ink)
    width = new.shape[1]
    counts = np.bincount(xs, minlength=width)
    # A run starts where a column's ink begins: in the top row, or below a paper pixel.
    upper = ys > 0
    below_paper = np.ones(ys.size, bool)
    below_paper[upper] = ~ink[ys[upper] - 1, xs[upper]]
    starts = np.bincount(xs[below_paper], minlength=width)
    weighted = np.bincount(xs, weights=ys, minlength=width)  # sums of small integers: exact
    centre = weighted / np.maximum(counts, 1)
    inked = starts > 0
    pen = _median(counts[inked] / starts[inked]) if inked.any() else 0.0
    extra = int(np.count_nonzero(np.abs(ys - centre[xs]) > half + pen))
    multi = float((starts[n0:n1] >= 3).mean()) if n1 > n0 else 0.0
    return extra, multi


def _thick_share(mask: np.ndarray, n0: int, n1: int, rows: tuple[int, int], reach: int, window: int) -> float:
    """Share of the name's inked columns where the pen's ink spans `reach` rows more than where
    it is thinnest (the 20th percentile of the columns' spans).

    A strike spans about the same rows all along the name: one line, or two the same distance
    apart (a double strike); a wave or a zigzag too, column by column. Loops scribbled along
    part of a strike ("ignore this line": a correction) span the row's height there, however
    merged into one blot a broad or pale pen leaves them. A column's span runs from its first to
    its last inked row within `rows` (the strike zone grown: a neighbour's circle passing above
    or below lies outside), smoothed by a running median over `window` columns (the specks of a
    thin pen's line the print hides).
    """
    cols = mask[rows[0]:rows[1], n0:n1].view(bool) if mask.dtype == np.uint8 else mask[rows[0]:rows[1], n0:n1].astype(bool)
    inked = cols.any(axis=0)
    count = int(np.count_nonzero(inked))
    if count < max(4, window):
        return 0.0
    height = cols.shape[0]
    top = np.argmax(cols, axis=0)
    bottom = height - 1 - np.argmax(cols[::-1], axis=0)
    spans = (bottom - top + 1)[inked]
    if window > 1:
        spans = np.median(np.lib.stride_tricks.sliding_window_view(spans, window), axis=1)
    thin = _sorted_percentile(np.sort(spans), 0.20)
    return float(np.count_nonzero(spans >= thin + reach)) / spans.size


def _pen_width(mask: np.ndarray) -> float:
    """The median height of a mask's vertical runs, column by column (ink ÷ runs), as `_off_line`."""
    ink = mask.astype(bool)
    counts = ink.sum(axis=0)
    starts = ink[0].astype(np.int64) + (ink[1:] & ~ink[:-1]).sum(axis=0)
    inked = starts > 0
    return _median(counts[inked] / starts[inked]) if inked.any() else 0.0


def _straddle_share(free: np.ndarray, n0: int, n1: int, z0: int, z1: int) -> float:
    """Share of the name's columns with ink on open paper (`free`: new ink off the print's edge)
    both above the strike zone and below it.

    Loops along a strike across small print show as a row of small arcs above the letters and
    another below them, the print hiding their sides and the strike (`_through_share` then sees
    nothing); a circle's arcs lie above and below the whole name. A strike, single or double,
    lies in the zone or along the baseline; slivers of bled print lie on its edge.
    """
    if n1 <= n0:
        return 0.0
    above = free[:z0, n0:n1].any(axis=0)
    below = free[z1:, n0:n1].any(axis=0)
    return float(np.count_nonzero(above & below)) / (n1 - n0)


def _through_share(mask: np.ndarray, n0: int, n1: int, z0: int, z1: int, widest: int) -> float:
    """Share of the name's columns that one stroke crosses from above the strike zone to below
    it (the column inked from the row above the zone to the row below, without a break).

    A strike, single or double, slanted or wavy, crosses a column in short runs inside the zone;
    a loop's sides cross it from top to bottom (a correction's loops along a strike, however
    little of the strike small print leaves visible, and a circle's ends). Taken on the new ink
    bridged across the print (`strikes._bridged_across_print`): a loop's side crossing a letter
    is one stroke again. Only stretches of such columns up to `widest` pixels wide count (a
    loop's side is a pen's width): a broad pen's two lines merged across small print fill the
    zone from top to bottom along the name.
    """
    height = mask.shape[0]
    if n1 <= n0 or not mask[:, n0:n1].any():
        return 0.0
    # Past the zone by half the pen's width (its columns' median run): a broad pen's wavy or
    # double line alone fills a small name's zone here and there.
    margin = max(1, math.ceil(_pen_width(mask[:, n0:n1]) / 2))
    top, bottom = max(0, z0 - margin), min(height, z1 + margin)
    through = mask[top:bottom, n0:n1].all(axis=0)
    if not through.any():
        return 0.0
    edges = np.diff(np.concatenate(([0], through.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    widths = ends - starts
    return float(widths[widths <= widest].sum()) / (n1 - n0)


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
