"""What the reader expects to see, precomputed once per layout and profile.

The blank ballot is rasterised from the printed PDF at the working resolution; from it come the
glyph mask (printed ink grown by a margin, subtracted from every scan), the printed horizontal
runs (so a letter's bar is never a strike), the zones where nothing should be written, and each
row's pixel boxes.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import Box, Layout
from .printing import render_layout_image
from .profiles import Profile

RUN_TOLERANCE_MM = 0.254  # one pixel at 100 dpi
PRINTED_INK = 160  # grey level below which the rasterised template counts as printed ink
TINTED = 235  # grey level below which a template pixel carries any printed ink (antialiasing)
SEAL_SPILL_MM = 8.0  # a round seal may overflow its area


@dataclass(frozen=True)
class RowPixels:
    id: str
    band: tuple[int, int, int, int]  # y0, y1, x0, x1 of the row band in page pixels
    name: tuple[int, int]  # x0, x1 of the printed name, relative to the band
    zone: tuple[int, int]  # y0, y1 of the strike zone, relative to the band
    match: tuple[int, int, int, int]  # y0, y1, x0, x1 around the name for re-alignment (page pixels)
    agree: tuple[int, int, int, int] | None  # inner box, relative to the band
    disagree: tuple[int, int, int, int] | None
    boxes_area: tuple[int, int, int, int] | None  # x-range relative to band holding both boxes (+margin)
    size_mm: float = 0.0  # the name's font size


class Template:
    def __init__(self, layout: Layout, profile: Profile):
        self.layout = layout
        self.dpi = profile.scan.work_dpi
        k = self.k = self.dpi / 25.4
        self.width = int(round(layout.paper.width * k))
        self.height = int(round(layout.paper.height * k))
        grey = _fit(render_layout_image(layout, self.dpi, grey=True), self.height, self.width)
        self.grey = grey
        self.grey_float = grey.astype(np.float32)  # for the per-row re-alignment
        printed = (grey < TINTED).astype(np.uint8)
        self.core = grey < 90  # the solid inside of printed strokes: the measure of print contrast
        margin = max(1, int(round(profile.ink.glyph_margin_mm * k)))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
        self.glyph = cv2.dilate(printed, disc)  # 1 where printed ink may be
        self.not_glyph = (1 - self.glyph).astype(np.uint8)
        self.run_px = max(3, int(round(profile.strike.run_mm * k)))
        # A stroke's runs are joined across this many pixels up and down: one pixel at 100 dpi,
        # as many millimetres (rounded up) at a finer working resolution.
        self.run_tolerance = max(1, math.ceil(RUN_TOLERANCE_MM * k - 1e-6))
        # Printed runs from every tinted pixel of the template, so blurred letters that merge in a
        # scan (at the reader's generous ink level) still count as print, not as a stroke. The
        # template is rendered sharp: its runs keep one pixel's tolerance at every resolution
        # (more would take a small letter's curves for bars and hide a pen's line beside them).
        tinted = (grey < TINTED).astype(np.uint8)
        self.printed_runs = cv2.dilate(horizontal_runs(tinted, self.run_px), np.ones((3, 5), np.uint8))
        self.not_printed_runs = (1 - self.printed_runs).astype(np.uint8)
        self.free_zones = self._free_zones(profile)  # where nothing but print should be
        self.free = cv2.bitwise_and(self.free_zones, self.not_glyph)  # and off the print
        self.rows = tuple(self._row(row, profile) for row in layout.rows)
        self.visible = {row.id: self._visible(row) for row in self.rows}
        self.rows_box = self._rows_box(profile)
        self._glyph_edges: dict = {}
        self.reduced: dict = {}  # the grey template reduced to other sizes (the print fit's levels)
        self.core_index = np.flatnonzero(self.core)  # for the print's mean grey level, per page
        self.stamp = self.box_px(layout.stamp_mm)
        self.qr_expected, self.qr_data = _qr_reference(layout.qr_payload)

    def glyph_distance(self) -> np.ndarray:
        """Per pixel, how far (pixels, OpenCV's 3x3 L2 estimate) it lies from the glyph mask: 0
        on it. Computed once per template (the halo's rings, the boxes' print rings and the
        writing check's clearance all start from it)."""
        distance = self.__dict__.get("_glyph_distance")
        if distance is None:
            distance = self.__dict__["_glyph_distance"] = cv2.distanceTransform(self.not_glyph, cv2.DIST_L2, 3)
        return distance

    def glyph_edge(self, row: RowPixels) -> np.ndarray:
        """The row band's print mask grown by one pixel: ink there may be the print's own edge."""
        edge = self._glyph_edges.get(row.id)
        if edge is None:
            y0, y1, x0, x1 = row.band
            edge = self._glyph_edges[row.id] = cv2.dilate(self.glyph[y0:y1, x0:x1], np.ones((3, 3), np.uint8))
        return edge

    def stacked_glyph_edges(self, ids: tuple[str, ...]) -> np.ndarray:
        """glyph_edge of several rows (of one band size), stacked; kept for the next page."""
        stacked = self._glyph_edges.get(ids)
        if stacked is None:
            rows = {row.id: row for row in self.rows}
            stacked = self._glyph_edges[ids] = np.stack([self.glyph_edge(rows[i]) for i in ids])
        return stacked

    def px(self, mm: float) -> int:
        return int(round(mm * self.k))

    def box_px(self, box: Box, grow_mm: float = 0.0) -> tuple[int, int, int, int]:
        x, y, w, h = box
        x0 = max(0, self.px(x - grow_mm))
        y0 = max(0, self.px(y - grow_mm))
        x1 = min(self.width, self.px(x + w + grow_mm))
        y1 = min(self.height, self.px(y + h + grow_mm))
        return y0, y1, x0, x1

    def _free_zones(self, profile: Profile) -> np.ndarray:
        """1 where nothing but print should be: outside rows, stamp, markers, QR codes and the page edge."""
        free = np.ones((self.height, self.width), np.uint8)
        edge = self.px(profile.writing.edge_mm)
        if edge:
            free[:edge, :] = free[-edge:, :] = 0
            free[:, :edge] = free[:, -edge:] = 0
        zones = [(self.layout.stamp_mm, SEAL_SPILL_MM)] + [(box, 2.0) for box in self.layout.code_boxes]
        zones += [(box, 2.0) for _, box in self.layout.markers]
        zones += [(row.row_mm, 3.0) for row in self.layout.rows]
        # A strike overshooting through the row number runs on to the left of the row.
        reach = profile.writing.row_overshoot_mm
        zones += [((row.row_mm[0] - reach, row.row_mm[1], reach, row.row_mm[3]), 1.0) for row in self.layout.rows]
        for box, grow in zones:
            y0, y1, x0, x1 = self.box_px(box, grow)
            free[y0:y1, x0:x1] = 0
        return free

    def _rows_box(self, profile: Profile) -> tuple[int, int, int, int]:
        """y0, y1, x0, x1 holding every row band with room for the row search and a stroke run.

        Per-row masks (pen colour, runs) need only be made inside it; the margin keeps the
        morphology at its border from reaching any row.
        """
        margin = self.px(profile.geometry.align_search_mm) + self.run_px + 2
        y0 = min(row.band[0] for row in self.rows) - margin
        y1 = max(row.band[1] for row in self.rows) + margin
        x0 = min(row.band[2] for row in self.rows) - margin
        x1 = max(row.band[3] for row in self.rows) + margin
        return max(0, y0), min(self.height, y1), max(0, x0), min(self.width, x1)

    def _visible(self, row: RowPixels) -> tuple[float, int]:
        """Share and count of the name's columns with paper between the glyphs in the strike zone."""
        y0, y1, x0, x1 = row.band
        z0, z1 = row.zone
        n0, n1 = row.name
        visible = (self.glyph[y0:y1, x0:x1][z0:z1, n0:n1] == 0).any(axis=0)
        return float(visible.mean()), int(visible.sum())

    def _row(self, row, profile: Profile) -> RowPixels:
        y0, y1, x0, x1 = self.box_px(row.row_mm)
        nx, _, nw, _ = row.name_mm
        name = (self.px(nx) - x0, self.px(nx + nw) - x0)
        size = row.name.size
        top = self.px(row.name.baseline - profile.strike.zone_top * size) - y0
        bottom = self.px(row.name.baseline - profile.strike.zone_bottom * size) - y0
        zone = (max(0, top), min(y1 - y0, max(top + 1, bottom)))
        match = self.box_px(row.name_mm, 0.3)
        agree = disagree = area = None
        if row.agree_mm:
            inset = profile.boxes.inset_mm + profile.ink.glyph_margin_mm

            def inner(box):
                by0, by1, bx0, bx1 = self.box_px(box, -inset)
                return by0 - y0, max(by0 + 1, by1) - y0, bx0 - x0, max(bx0 + 1, bx1) - x0

            agree, disagree = inner(row.agree_mm), inner(row.disagree_mm)
            _, _, ax0, _ = self.box_px(row.agree_mm, 1.5)
            _, _, _, dx1 = self.box_px(row.disagree_mm, 1.5)
            area = (0, y1 - y0, ax0 - x0, dx1 - x0)
        return RowPixels(row.id, (y0, y1, x0, x1), name, zone, match, agree, disagree, area, size)


def horizontal_runs(ink: np.ndarray, run_px: int, tolerance: int = 1,
                    work: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Ink that belongs to a near-horizontal stroke at least `run_px` long.

    Growing the ink by `tolerance` pixels up and down first keeps thin slanted (or, with a
    larger tolerance, wavy) strokes continuous. `work` and `out` are optional arrays of the
    ink's shape to compute in (the reader reuses them from page to page).
    """
    thick = cv2.dilate(ink, np.ones((2 * tolerance + 1, 1), np.uint8), dst=work)
    return cv2.morphologyEx(thick, cv2.MORPH_OPEN, np.ones((1, run_px), np.uint8), dst=out)


def _qr_reference(payload: str) -> tuple[np.ndarray, np.ndarray]:
    """The expected QR modules and which of them carry data (they differ between payloads)."""
    import hashlib

    from .printing import qr_cells

    expected = np.array(qr_cells(payload), bool)
    varies = np.zeros_like(expected)
    prefix, fingerprint, round_, digest = payload.split("/")
    for n in range(12):
        other = hashlib.sha256(f"{payload}/{n}".encode()).hexdigest().upper()
        varies |= np.array(qr_cells(f"{prefix}/{other[:12]}/{round_}/{other[12:22]}"), bool) != expected
    return expected, varies


def _fit(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop or pad (with white) a raster to exactly height x width."""
    out = np.full((height, width), 255, np.uint8)
    h, w = min(height, image.shape[0]), min(width, image.shape[1])
    out[:h, :w] = image[:h, :w]
    return out


_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str], Template] = OrderedDict()


def profile_for(layout: Layout, profile: Profile) -> Profile:
    """The profile a page of this layout is decoded and measured with: its working resolution
    chosen from the smallest printed name (scan.small_print_mm, scan.small_print_dpi)."""
    return profile.for_print(min(row.name.size for row in layout.rows))


def template_for(layout: Layout, profile: Profile) -> Template:
    key = (layout.digest, profile.digest)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    template = Template(layout, profile)
    with _lock:
        _cache[key] = template
        while len(_cache) > 8:
            _cache.popitem(last=False)
    return template
