"""Scanner profiles: every threshold the reader uses, validated on load.

A profile is a TOML file in `scanner_profiles/` (or any path). Its sections mirror the
dataclasses below; a missing key takes the default written here, an unknown key, a wrong type,
a value out of range or a marginal threshold above its definite one is an error naming the key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

PROFILE_DIR = Path(__file__).resolve().parents[2] / "scanner_profiles"
DEFAULT_PROFILE = "feeder-200dpi-colour"
PROFILE_NAME = re.compile(r"^[a-z0-9-]+$")


class ProfileError(ValueError):
    pass


def setting(default, lo=None, hi=None, doc: str = ""):
    return field(default=default, metadata={"min": lo, "max": hi, "doc": doc})


@dataclass(frozen=True)
class ScanSettings:
    colour: bool = setting(True, doc="scans are in colour (needed for the seal check)")
    bitonal: bool = setting(False, doc="scans are black and white only")
    work_dpi: float = setting(100.0, 60.0, 300.0, "resolution the page is measured at")
    small_print_mm: float = setting(4.0, 0.0, 20.0, "a layout whose names are printed smaller than this (font size, mm) is measured at small_print_dpi (0: never)")
    small_print_dpi: float = setting(150.0, 60.0, 300.0, "resolution small print is measured at (a strike through small letters leaves little paper between them at work_dpi)")
    finer_look: bool = setting(True, doc="a ballot measured under small_print_dpi that would go to review for uncertain rows alone is read again at small_print_dpi (a thin pen's line loses its contrast at work_dpi, a thick pen's X fills its box); the second reading is kept only when it has no uncertain row, no flag, decides every row the first decided alike and finds marked every row the first left uncertain (a name struck; one box of a row marked)")
    finer_look_span: float = setting(0.3, 0.0, 1.0, "a strike ballot only when the pen's ink of every uncertain name spreads over this share of it (span): a line the working resolution could not settle (the second look can only strike a name); a boxes ballot only when every uncertain row has ink in a box")
    min_dpi: float = setting(90.0, 40.0, 600.0, "below this resolution a ballot is flagged low_quality")
    max_pixels: int = setting(80_000_000, 1_000_000, 400_000_000, "larger images are rejected")
    max_file_mb: float = setting(200.0, 1.0, 2000.0, "larger files are rejected")
    max_pages: int = setting(1000, 1, 100_000, "pages read from one PDF or TIFF")
    pdf_dpi: float = setting(200.0, 72.0, 600.0, "resolution PDF pages are rasterised at")
    flatten_illumination: bool = setting(False, doc="divide out uneven lighting (phone photos)")


@dataclass(frozen=True)
class GeometrySettings:
    min_markers: int = setting(2, 2, 4, "corner markers required (2: two corners may be cut off; the page is then fitted to its print)")
    max_skew_deg: float = setting(5.0, 0.0, 45.0, "tilt from a multiple of 90 degrees")
    max_perspective: float = setting(0.03, 0.0, 0.5, "relative difference of opposite page sides")
    max_aspect_error: float = setting(0.03, 0.0, 0.5, "relative error of the page's aspect ratio")
    max_corner_error_mm: float = setting(1.0, 0.05, 10.0, "marker corners off the fitted page")
    min_print_match: float = setting(0.6, 0.0, 1.0, "a page fitted to its print (a corner marker cut off) must match the layout this well (correlation)")
    align_search_mm: float = setting(0.5, 0.0, 5.0, "per-row search for the printed name")
    min_align_score: float = setting(0.35, 0.0, 1.0, "below this correlation the row is not re-aligned")


@dataclass(frozen=True)
class InkSettings:
    ink_level: float = setting(0.78, 0.1, 0.95, "ink is darker than this fraction of the paper's white")
    faint_level: float = setting(0.9, 0.1, 0.99, "faint ink: never a mark, but forbids 'kept' and 'none'")
    glyph_margin_mm: float = setting(0.35, 0.0, 2.0, "printed text grown by this before subtraction")
    min_contrast: float = setting(0.35, 0.0, 1.0, "printed text vs paper, below this: low_quality")
    tint_level: int = setting(20, 1, 255, "blue minus red above this is a blue or purple pen's ink (colour scans)")
    halo_reach_mm: float = setting(0.8, 0.0, 3.0, "strike form: ink and faint ink this close beside the print (past glyph_margin_mm) are judged against the page's own print halo (0: off)")
    halo_share: float = setting(0.95, 0.5, 1.0, "the halo of a ring round the print: the darkening this share of its pixels stays under")
    halo_margin: float = setting(0.05, 0.0, 0.5, "a pixel in the halo is ink (or faint ink) only when darker than the halo by this (a fraction of the paper's white)")


@dataclass(frozen=True)
class StrikeSettings:
    marginal: float = setting(0.1, 0.0, 1.0, "below: the name is not struck")
    definite: float = setting(0.5, 0.0, 1.0, "at or above: the name is struck")
    min_span: float = setting(0.65, 0.0, 1.0, "struck columns must spread over this share of the name (5th-95th percentile)")
    zone_top: float = setting(0.80, 0.0, 1.5, "strike zone top, in font sizes above the baseline")
    zone_bottom: float = setting(0.05, -0.5, 1.0, "strike zone bottom, in font sizes above the baseline")
    run_mm: float = setting(2.5, 0.5, 10.0, "shortest horizontal run taken as a stroke")
    min_visible: float = setting(0.15, 0.0, 1.0, "least share of name columns visible between glyphs")
    faint_marginal: float = setting(0.65, 0.0, 1.0, "faint line across this share of the name forbids 'kept'")
    kept_ink_mm2: float = setting(3.0, 0.0, 100.0, "any new ink in the row beyond this forbids 'kept' (print-edge slivers included)")
    kept_free_mm2: float = setting(0.5, 0.0, 100.0, "new ink on open paper (not touching the print) beyond this forbids 'kept'")
    kept_faint_mm2: float = setting(2.0, 0.0, 100.0, "faint ink on open paper beyond this, with 60% of kept_free_mm2 of ink there, forbids 'kept'")
    kept_faint_alone_mm2: float = setting(1.0, 0.0, 100.0, "faint ink on open paper beyond this forbids 'kept' on its own (a thin pen's line a worn scan all but lost)")
    shade_faint_mm2: float = setting(0.15, 0.0, 100.0, "a row otherwise 'kept' with this much faint ink on open paper (faint_free_mm2) is looked at for a pale line (line_shade)")
    kept_line_shade: float = setting(0.08, 0.0, 1.01, "such a row whose paper between the letters darkens along a line (the darkest scanline along the name, at the slope darkening it most, over the median one: a fraction of the paper's white) by this much is 'uncertain': a pen too pale for the faint-ink mask (over 1: off)")
    kept_pale_mm2: float = setting(8.0, 0.0, 200.0, "faint ink beyond this anywhere in the row (a pale line), with 40% of kept_ink_mm2 of ink, forbids 'kept'")
    kept_tint_mm2: float = setting(0.5, 0.0, 100.0, "pen-coloured ink in the row beyond this forbids 'kept'")
    corridor: float = setting(0.3, 0.05, 2.0, "ink farther than this (font sizes) plus the pen width from a column's centre is off the strike")
    extra_mm2: float = setting(2.5, 0.0, 100.0, "ink off the strike's line beyond this forbids 'struck'")
    max_multi: float = setting(0.06, 0.0, 1.0, "share of name columns crossed 3+ times that, with 40% of extra_mm2, forbids 'struck'")
    neighbours_apart: bool = setting(True, doc="when the ink off a strike's line is measured (extra_mm2, multi), strokes in the row's band that reach the next row's strike zone and never come into this row's are the neighbour's marks, left out (neighbour_mm2)")
    bridge_print_mm: float = setting(2.0, 0.0, 10.0, "when the ink off a strike's line is measured (extra_mm2, multi), new ink above and below the print in a column is one stroke where only print (grown by ink.glyph_margin_mm) lies between them for up to this: a broad pen's line, or a double strike's two merged lines, cut by a letter's bar (0: off)")
    max_thick: float = setting(0.15, 0.0, 1.01, "share of the name's inked columns where the pen's ink (in the strike zone grown by half) spans thick_reach more than where it is thinnest that forbids 'struck': loops scribbled along part of a strike, a correction (over 1: off)")
    thick_reach: float = setting(0.6, 0.0, 5.0, "how much farther (font sizes) a column's ink must span than the row's thinnest columns (their 20th percentile) to count for max_thick: more than a double strike's two lines apart")
    max_through: float = setting(0.02, 0.0, 1.01, "share of the name's columns one stroke of new ink (bridged across the print) crosses from above the strike zone to below it that forbids 'struck': a loop's sides, a correction (over 1: off)")
    through_stroke_mm: float = setting(1.0, 0.0, 10.0, "only stretches of columns so crossed up to this wide count for max_through (a loop's side: a pen's width; a broad pen's double strike merged across small print fills the zone along the name)")
    max_straddle: float = setting(0.05, 0.0, 1.01, "share of the name's columns with new ink on open paper (off the print's edge) both above the strike zone and below it that forbids 'struck': a correction's loops whose sides small print hides, a circle (over 1: off)")
    thick_window_mm: float = setting(1.0, 0.0, 10.0, "the columns' spans are a running median over this width (the specks of a thin pen's hidden line)")
    line_score: float = setting(0.25, 0.0, 1.0, "a row under definite whose runs or pen colour cover this is 'struck' when the pen's line crosses the whole name cleanly (line_*)")
    line_min_align: float = setting(0.55, 0.0, 1.0, "only on a row whose print matches the template this well (a blurred scan's smear is no line)")
    line_cover: float = setting(0.3, 0.0, 1.0, "such a line's ink must cover this share of every part of the name")
    line_segments: int = setting(4, 1, 20, "parts of the name (equal lengths) the line must each cross")
    line_below: float = setting(0.25, 0.0, 1.0, "the line may run this far (font sizes) below the zone (a wave's troughs)")
    line_faint_extra_mm2: float = setting(1.0, 0.0, 100.0, "faint ink off the line beyond this keeps such a line uncertain (a pale circle or loops)")
    dark_line: float = setting(0.6, 0.0, 1.01, "a row neither struck nor kept by its other measures, with new ink by its covers (marginal), is 'struck' when one scanline in its strike zone fills this share of the print's headroom (the page's print darkness over what its own print makes there, from the template) in every quarter of the name, over the row's median scanline: a pen's line through small, bold or bled letters that the glyph margin hides (over 1: off)")
    dark_line_extra_mm2: float = setting(1.0, 0.0, 100.0, "and only with less ink off the line than this (extra_mm2; faint ink too, line_faint_extra_mm2) and few columns crossed three times (max_multi): a correction's loops or circle lie off it")
    faint_cross: float = setting(1.0, 0.0, 1.01, "a row neither struck nor kept by its other measures, with faint ink centred in its strike zone, is 'struck' when faint ink (a pale or thin pen) is centred in the zone at this share of the places a line through the name shows on open paper (past both ends and in every word gap, as cross_cover), its line darkens the letters in every quarter of the name (faint_line_excess) and nothing is off it (dark_line_extra_mm2, line_faint_extra_mm2, max_multi): a pale pen's line that small print hides across its letters (over 1: off)")
    faint_line_excess: float = setting(0.2, 0.0, 1.0, "and only where one scanline in the strike zone fills this share of the print's headroom in every quarter of the name (line_excess, as dark_line): the line runs through the letters too")
    faint_crease_cover: float = setting(0.15, 0.0, 1.0, "such a pale line going on over this share of both sides of the page (as crease_cover, which holds for every strike) is a fold crease: a crease is itself a pale line, and a pale pen's line ends near the name")
    crease_gap_mm: float = setting(20.0, 5.0, 100.0, "a struck row's line is followed across the page from this far past the name (a strike's overshoot stays nearer)")
    crease_min_mm: float = setting(15.0, 2.0, 200.0, "a side of the page shorter than this (open paper) tells nothing")
    crease_level: float = setting(0.93, 0.5, 1.0, "darker than this fraction of the paper's white along the line counts as the line going on")
    crease_cover: float = setting(0.5, 0.0, 1.0, "a line going on over this share of both sides is a fold crease, not a strike: uncertain")
    pen_run_mm2: float = setting(0.25, 0.0, 10.0, "on a page whose print bleeds (pen_run_halo), a horizontal run is a pen's only with this much new ink (off the print) in it: bold or bled print merges letters into runs that a sliver of the print's own edge touches (a run any new ink touches still forbids 'kept')")
    pen_run_halo: float = setting(0.12, 0.0, 1.0, "a page whose print halo (its first ring's darkening, ink.halo_*) reaches this bleeds: pen_run_mm2 applies there (a sharp page has no slivers, and a thin pen's line hidden on the print touches its runs only a little)")
    kept_edge_halo: float = setting(0.1, 0.0, 1.0, "on a page whose print halo (its first ring's darkening, ink.halo_*) reaches this, a gap column whose new ink lies wholly on the print's edge (the pixel past the glyph margin) is the print's own sliver (bled, blurred or shifted by a fraction of a pixel), not a pen: it no longer forbids 'kept' (1: off; every other kept test still holds)")
    bold_fill: float = setting(0.5, 0.0, 1.01, "a page whose ink fills this share of the glyph margin (ink.glyph_margin_mm, off the print itself) on its cleanest rows has bold print that merges letters into runs, as print whose halo reaches kept_edge_halo does: there a row struck by its pen runs alone needs ink off the print's edge in runs over definite of the name (open_run_cover) or kept_edge_free_mm2 of new ink on open paper, else it is 'uncertain' (over 1: only the halo)")
    kept_edge_free_mm2: float = setting(0.2, 0.0, 10.0, "and only on a row with less new ink than this on open paper (free_mm2): a pen's line through a gap between words leaves some there")
    run_reach_mm: float = setting(2.0, 0.0, 100.0, "a pen run as thick as merged print (run_merged_mm) counts only this far along the name from where new ink (off the print) touches it: bold or blurred print merges a name's letters into one run that a short stroke touches (0: off)")
    run_merged_mm: float = setting(1.5, 0.0, 100.0, "a run this high on average (its pixels over its length) may be the print's letters merged, not a pen's line (a felt pen is 0.8 mm wide, a bold one 1.4)")
    span_edge_halo: float = setting(0.12, 0.0, 1.0, "on a page whose print halo (its first ring's darkening, ink.halo_*) reaches this, new ink wholly on the print's edge (the pixel past the glyph margin) and off any pen run does not count where along the name the pen went (span): slivers of bled or shifted print at one end of a name made a partial strike span it (1: off)")
    kept_sliver_mm2: float = setting(0.3, 0.0, 10.0, "on a page whose print halo reaches kept_edge_halo (only blurred or bled print merges its letters), a row whose runs (merged letters of small or blurred print) are touched only by new ink on the print's edge, less than this of it, and no ink off the edge, with under kept_edge_free_mm2 of new ink on open paper, is judged for 'kept' without those runs (open_run_cover): a scan's blur leaves a pixel or a few of the print's own edge in them; a pen's line hidden across the letters leaves some at every letter it crosses (0: off; every other kept test still holds)")
    kept_bled_halo: float = setting(0.12, 0.0, 1.0, "on a page whose print halo (its first ring's darkening, ink.halo_*) reaches this, a row with under kept_edge_free_mm2 of new ink on open paper is judged for 'kept' by its ink off the print's edge (free_mm2, faint_free_mm2), not its whole ink (kept_ink_mm2, kept_pale_mm2): bled print leaves mm² of its own edge and grey beside every letter; not where the print's second ring is ink too (it fills the gaps; 1: off; every other kept test still holds)")
    split_line: float = setting(0.26, 0.0, 1.0, "a row under definite whose pen ink spans the name is measured stroke by stroke: a stroke starting in the zone and crossing this height (font sizes above the baseline) counts, however far a second line below moves the column's centre")
    cross_cover: float = setting(1.0, 0.0, 1.01, "a row not struck by its covers is 'struck' when new ink off the print's edge is centred in the zone at this share of the places a line through the name shows on open paper (past both ends, cross_reach_mm and cross_inside, and in every word gap) and nothing is off its line (extra_mm2, max_multi, line_faint_extra_mm2): small or bled print hides the line across its letters (over 1: off)")
    cross_reach_mm: float = setting(2.0, 0.0, 20.0, "how far past each end of the name such a line's ink is looked for")
    cross_inside: float = setting(0.03, 0.0, 0.5, "and how far into the name from each end (a share of its width: a hand may start a little inside it)")


@dataclass(frozen=True)
class BoxSettings:
    marginal: float = setting(0.2, 0.0, 1.0, "below: the box is empty")
    definite: float = setting(0.45, 0.0, 1.0, "at or above: the box is marked")
    inset_mm: float = setting(0.5, 0.0, 3.0, "box border excluded from the measurement")
    stray_mm2: float = setting(2.0, 0.0, 100.0, "ink in the row outside the boxes that forbids 'none'")
    max_fill: float = setting(0.75, 0.0, 1.0, "a box inked over more than this share is uncertain")
    empty_tint_mm2: float = setting(0.3, 0.0, 100.0, "pen-coloured ink in a box beyond this forbids 'empty'")
    stray_edge_halo: float = setting(1.0, 0.0, 1.0, "on a page whose print halo (its first ring's darkening, ink.halo_*) reaches this, a row with no box marked whose ink outside its boxes lies on the print's edge (the pixel past the glyph margin) but for at most stray_edge_free_mm2 has that ink counted without the edge: blurred or bled print leaves slivers by every letter before its halo reaches the ink level (1: off)")
    stray_edge_free_mm2: float = setting(0.2, 0.0, 10.0, "the most ink off the print's edge (outside the boxes) such a row may have: a pen's line beside or through the name shows past its ends and in its word gaps, a tick, circle or underline on open paper")
    empty_speck_mm2: float = setting(0.0, 0.0, 1.0, "new ink in a box that scores empty, up to this much, is a speck of the scanner's (dust, noise: a pixel at the working resolution), not a pen's trace (0: any ink forbids 'empty')")
    side_fill: float = setting(0.4, 0.0, 1.0, "ink share of a side's middle that counts it as inked (3 sides: a scribble)")
    both_fill_ratio: float = setting(1.6, 1.0, 20.0, "both boxes marked, one this many times as inked as the other: uncertain (a correction)")
    max_crossings: float = setting(2.5, 1.0, 20.0, "strokes crossed along a line through a box: more is a scribble")
    long_run: float = setting(0.6, 0.1, 1.0, "a run of ink across this share of a box's width (height) makes a long line")
    x_max_long: float = setting(0.3, 0.0, 1.0, "a box with 3 inked sides or over max_fill is still an X (a thick pen) when at most this share of its rows (columns) are long lines")
    x_max_fill: float = setting(0.85, 0.0, 1.0, "and when it is inked over at most this share")
    max_one_way: float = setting(0.25, 0.0, 1.0, "long lines across this much more of the rows than of the columns (or the reverse): a scribble")
    max_line_groups: int = setting(1, 0, 10, "both boxes marked, one with more separate lines right across it (edge to edge) than this: a mark struck through, uncertain")
    both_max_one_way: float = setting(0.15, 0.0, 1.0, "both boxes marked, one with long lines one way over this share (see max_one_way): a mark struck through, uncertain")
    x_max_edge_excess: float = setting(0.2, -1.0, 1.0, "a box with 3 inked sides or over max_fill is still an X (a thick pen) when its ink's edges (measured at 8 px/mm) run along horizontals at most this share of their strength more than along verticals (thick pens' X measured up to 0.19 on the tuning split; up to cancel_edge_excess, what any marked box may have: the level edge a line struck across adds is x_max_edge_run's)")
    x_max_edge_run: float = setting(0.35, 0.0, 1.0, "and when its longest level edge spans at most this share of the box (a line struck across has one as long as itself)")
    x_min_diagonal: float = setting(0.6, 0.0, 1.0, "and when at least this share of the edges runs along the diagonals (an X's arms; a blacked-out box's or a scribble's run every way)")
    x_min_diagonal_open: float = setting(0.52, 0.0, 1.0, "the same for a box that leaves the middle of a side white (under 4 inked sides): a thick pen's X, whose blurred arms' edges run nearer every way; a ring round the box or a box blacked out reaches all four sides and keeps x_min_diagonal")
    x_min_balance: float = setting(0.3, 0.0, 0.5, "and when the weaker of its two diagonals holds at least this share of their edges (an X has both arms; strokes one way are a scribble)")
    x_min_balance_faint: float = setting(0.2, 0.0, 0.5, "the same for a faint pen's X (scored under definite, its faint ink over definite): a thin line's weaker arm loses more of its edges to a blurred scan")
    lost_trace: float = setting(0.0, 0.0, 1.01, "on a page holding a faint pen's mark (scored under definite, its faint ink over definite), a row found blank with faint ink over this share of a box (pale score) is uncertain: the same pen's X may be all but lost to the scan (over 1: off)")
    x_max_fine_fill: float = setting(0.95, 0.0, 1.0, "and when it is inked over at most this share at 8 px/mm (white left between the arms)")
    x_max_crossings: float = setting(3.5, 1.0, 20.0, "a box whose edges are an X's (x_*) may be crossed this many times along a line through it (an X drawn without lifting the pen, or an arm gone over again)")
    both_max_edge_excess: float = setting(0.05, -1.0, 1.0, "both boxes marked, one whose edges run along horizontals more than along verticals by over this share: uncertain (a mark struck through; an X has about as many of both)")
    both_max_edge_run: float = setting(0.25, 0.0, 1.0, "both boxes marked, one with a level edge over this share of the box: uncertain (a mark struck through)")
    cancel_edge_excess: float = setting(0.2, -1.0, 1.0, "a marked box whose edges run along horizontals this share more than along verticals is struck through: uncertain, alone or beside another mark")
    cancel_edge_run: float = setting(0.45, 0.0, 1.0, "so is a marked box with a level edge over this share of the box")


@dataclass(frozen=True)
class SealSettings:
    check: bool = setting(True, doc="look for the seal: by its red on colour scans, by its round shape on grey or bitonal ones (off: every ballot is flagged seal_unchecked)")
    hue_low_max: int = setting(10, 0, 30, "red hues 0..this (OpenCV hue 0-179)")
    hue_high_min: int = setting(155, 140, 179, "and this..179")
    min_saturation: int = setting(35, 0, 255, "a red pixel's least saturation (a light impression on a low-contrast scan keeps its hue, not its saturation)")
    saturation_over_paper: int = setting(20, 0, 255, "and at least this far over the paper's own (the stamp area's median): a tinted paper or a scanner's colour cast")
    min_value: int = setting(50, 0, 255)
    min_fraction: float = setting(0.02, 0.0, 1.0, "red share of the stamp area that counts as a seal")
    spill_mm: float = setting(6.0, 0.0, 20.0, "grey or bitonal scans: the stamp area grown by this (a seal overflows it)")
    min_radius_mm: float = setting(10.0, 3.0, 40.0, "grey or bitonal scans: the smallest seal ring radius")
    max_radius_mm: float = setting(24.0, 3.0, 60.0, "grey or bitonal scans: the largest seal ring radius")
    min_ring_cover: float = setting(0.75, 0.0, 1.0, "share of a ring's angles the ink must follow to be the seal")
    min_inside: float = setting(0.04, 0.0, 1.0, "ink density inside the ring (ring text, star) a seal has at least")
    empty_ink: float = setting(0.002, 0.0, 1.0, "ink share of the stamp area below which a grey scan has no seal (no_stamp)")


@dataclass(frozen=True)
class WritingSettings:
    check: bool = setting(True, doc="flag extra_writing")
    cell_mm: float = setting(5.0, 1.0, 30.0, "window size")
    min_fraction: float = setting(0.06, 0.0, 1.0, "ink share of one window that is writing")
    row_overshoot_mm: float = setting(10.0, 0.0, 50.0, "ink this far left of a row (a strike overshooting through the row number) is that row's, not writing")
    edge_mm: float = setting(3.0, 0.0, 20.0, "page border ignored (scanner edge shadows)")
    print_clearance_mm: float = setting(1.0, 0.0, 10.0, "on a page over min_fraction, only strokes reaching this far past the print's glyph margin count (a curled page or bled print leaves slivers beside the letters; 0: every stroke counts)")
    print_shift_mm: float = setting(1.0, 0.0, 5.0, "a window still over min_fraction is looked at again with the print moved to where it lies on the page, up to this far (a curled page shifts the headings off the template; 0: no third look)")
    moved_print_clearance_mm: float = setting(0.5, 0.0, 10.0, "in that look, only strokes reaching this far past the moved print's glyph margin count")


@dataclass(frozen=True)
class StreakSettings:
    check: bool = setting(True, doc="flag streak")
    level: float = setting(0.85, 0.1, 1.0, "a streak pixel is darker than this fraction of paper white")
    min_length: float = setting(0.9, 0.1, 1.0, "share of the page length a streak covers")


@dataclass(frozen=True)
class BlankSettings:
    max_ink_fraction: float = setting(0.002, 0.0, 0.5, "a page with less ink is blank")
    review_unmarked: bool = setting(False, doc="a ballot without any mark is flagged no_marks (a pen the scan lost looks the same)")
    review_over_seats: bool = setting(False, doc="a strike ballot keeping more names than seats is flagged few_marks (a strike may have vanished)")


SECTIONS = {
    "scan": ScanSettings, "geometry": GeometrySettings, "ink": InkSettings,
    "strike": StrikeSettings, "boxes": BoxSettings, "seal": SealSettings,
    "writing": WritingSettings, "streak": StreakSettings, "blank": BlankSettings,
}


@dataclass(frozen=True)
class Profile:
    name: str = DEFAULT_PROFILE
    description: str = ""
    scan: ScanSettings = ScanSettings()
    geometry: GeometrySettings = GeometrySettings()
    ink: InkSettings = InkSettings()
    strike: StrikeSettings = StrikeSettings()
    boxes: BoxSettings = BoxSettings()
    seal: SealSettings = SealSettings()
    writing: WritingSettings = WritingSettings()
    streak: StreakSettings = StreakSettings()
    blank: BlankSettings = BlankSettings()

    def to_json(self) -> dict:
        return asdict(self)

    def for_print(self, name_size_mm: float) -> Profile:
        """This profile measuring at the resolution a layout's smallest printed name needs
        (scan.work_dpi set to `working_dpi`; the same profile when that changes nothing).
        Applying it twice changes nothing more."""
        return self.at_dpi(working_dpi(self.scan, name_size_mm))

    def at_dpi(self, dpi: float) -> Profile:
        """This profile measuring at `dpi` (the same profile when that changes nothing)."""
        if dpi == self.scan.work_dpi:
            return self
        # Kept per profile: a fresh copy would compute its digest again on every page read.
        finer = self.__dict__.setdefault("_for_print", {})
        if dpi not in finer:
            finer[dpi] = replace(self, scan=replace(self.scan, work_dpi=dpi))
        return finer[dpi]

    @functools.cached_property
    def digest(self) -> str:
        """Stored with every reading: which thresholds produced it."""
        raw = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()[:16]


def finer_look_profile(profile: Profile) -> Profile | None:
    """The profile a second, finer look at a page is taken with (`scan.finer_look`), or None when
    the page was already measured at small_print_dpi or finer."""
    scan = profile.scan
    if not scan.finer_look or scan.small_print_dpi <= scan.work_dpi:
        return None
    return profile.at_dpi(scan.small_print_dpi)


def working_dpi(scan: ScanSettings, name_size_mm: float) -> float:
    """The resolution a page is measured at, from its smallest printed name's font size (mm).

    Every strike and kept measure is in font sizes or millimetres, but a pixel is a fixed share
    of a letter only at one resolution: small print at work_dpi leaves almost no paper between
    the letters for a strike to cross. A profile whose work_dpi is already finer keeps it.
    """
    if name_size_mm < scan.small_print_mm:
        return max(scan.work_dpi, scan.small_print_dpi)
    return scan.work_dpi


def _check_value(section: str, key: str, value, spec) -> object:
    where = f"{section}.{key}"
    kind = spec.type if isinstance(spec.type, type) else {"bool": bool, "int": int, "float": float}[spec.type]
    if kind is bool:
        if not isinstance(value, bool):
            raise ProfileError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise ProfileError(f"{where}: expected {'a whole number' if kind is int else 'a number'}, got {value!r}")
    lo, hi = spec.metadata.get("min"), spec.metadata.get("max")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ProfileError(f"{where}: {value!r} is out of range [{lo}, {hi}]")
    return kind(value)


def profile_from_dict(data: dict, source: str = "<profile>") -> Profile:
    try:
        return _profile_from_dict(data)
    except ProfileError as exc:
        raise ProfileError(f"{source}: {exc}") from None


def _profile_from_dict(data: dict) -> Profile:
    values: dict = {}
    for key, value in data.items():
        if key in ("name", "description"):
            if not isinstance(value, str):
                raise ProfileError(f"{key}: expected a string")
            values[key] = value
            continue
        if key not in SECTIONS:
            raise ProfileError(f"unknown key '{key}' (sections: {', '.join(SECTIONS)})")
        if not isinstance(value, dict):
            raise ProfileError(f"'{key}' must be a [{key}] table")
        cls = SECTIONS[key]
        specs = {f.name: f for f in fields(cls)}
        section: dict = {}
        for sub, subvalue in value.items():
            if sub not in specs:
                raise ProfileError(f"unknown key '{key}.{sub}' (known: {', '.join(specs)})")
            section[sub] = _check_value(key, sub, subvalue, specs[sub])
        values[key] = cls(**section)
    profile = Profile(**values)
    for name in ("strike", "boxes"):
        part = getattr(profile, name)
        if part.marginal > part.definite:
            raise ProfileError(f"{name}.marginal ({part.marginal}) is above {name}.definite ({part.definite})")
    if profile.ink.faint_level < profile.ink.ink_level:
        raise ProfileError(f"ink.faint_level ({profile.ink.faint_level}) is below ink.ink_level")
    if profile.strike.line_score > profile.strike.definite:
        raise ProfileError(f"strike.line_score ({profile.strike.line_score}) is above strike.definite ({profile.strike.definite})")
    bx = profile.boxes
    if bx.x_max_crossings < bx.max_crossings:
        raise ProfileError(f"boxes.x_max_crossings ({bx.x_max_crossings}) is below boxes.max_crossings ({bx.max_crossings})")
    if bx.x_min_diagonal_open > bx.x_min_diagonal:
        raise ProfileError(f"boxes.x_min_diagonal_open ({bx.x_min_diagonal_open}) is above boxes.x_min_diagonal ({bx.x_min_diagonal})")
    for measure in ("edge_excess", "edge_run"):  # an uncertain band between an X and a struck-through mark
        both, x, cancel = (getattr(bx, f"{kind}_{measure}") for kind in ("both_max", "x_max", "cancel"))
        if not both <= x <= cancel:
            raise ProfileError(f"boxes.both_max_{measure} ({both}) <= boxes.x_max_{measure} ({x}) <= boxes.cancel_{measure} ({cancel}) does not hold")
    if profile.strike.zone_bottom >= profile.strike.zone_top:
        raise ProfileError("strike.zone_bottom must be below strike.zone_top")
    if profile.scan.small_print_dpi < profile.scan.work_dpi:
        raise ProfileError(f"scan.small_print_dpi ({profile.scan.small_print_dpi}) is below scan.work_dpi ({profile.scan.work_dpi})")
    if profile.seal.min_radius_mm >= profile.seal.max_radius_mm:
        raise ProfileError("seal.min_radius_mm must be below seal.max_radius_mm")
    return profile


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """A profile by name (a file in scanner_profiles/) or by path; None is the default profile."""
    if isinstance(name_or_path, Profile):
        return name_or_path
    target = DEFAULT_PROFILE if name_or_path is None else str(name_or_path)
    if PROFILE_NAME.match(target):
        path = PROFILE_DIR / f"{target}.toml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))
            raise ProfileError(f"no scanner profile named '{target}' (known: {known})")
    else:
        path = Path(target)
        if not path.is_file():
            raise ProfileError(f"{target}: no such profile file")
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key in _loaded:  # the worker loads a profile per file: parsing it costs ~3 ms
            return _loaded[key]
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: bad TOML: {exc}") from None
    data.setdefault("name", path.stem)
    profile = profile_from_dict(data, str(path))
    if len(_loaded) > 32:
        _loaded.clear()
    _loaded[key] = profile  # immutable; a file edited on disk has another key
    return profile


_loaded: dict[tuple, Profile] = {}


def profile_toml(profile: Profile) -> str:
    """The profile written back as TOML, every key with its meaning (used to write the defaults)."""
    lines = [f'name = "{profile.name}"', f'description = "{profile.description}"']
    for section, cls in SECTIONS.items():
        lines += ["", f"[{section}]"]
        part = getattr(profile, section)
        for spec in fields(cls):
            value = getattr(part, spec.name)
            text = ("true" if value else "false") if isinstance(value, bool) else repr(value)
            doc = spec.metadata.get("doc", "")
            lines.append(f"{spec.name} = {text}" + (f"  # {doc}" if doc else ""))
    return "\n".join(lines) + "\n"
