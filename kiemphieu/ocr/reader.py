"""Reading scanned ballots (contract section 4).

Per page: decode; find the four ArUco corner markers (their ids give paper size and
orientation, so a rotated or upside-down page is simply mapped back); check the geometry; read
the QR code (another election or round is rejected); warp to the layout; subtract the printed
ballot; score every name (strike form) or box (boxes form) against two thresholds with an
uncertain band between; look for the red seal, writing where none belongs and scanner streaks.
Every decision keeps its score. The reader applies no counting rule: the tally engine does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiemphieu.tally import Election, Form

from . import boxes, checks, halo, pagemap, strikes
from .arrays import _below, _flatten, _ink_fraction, _percentile, _scratch, _two_levels
from .decode import Page, Unreadable, decode_pages, half_if_a5
from .geometry import PAPERS, Layout, layout_for, legacy_layout_for
from .markers import code_anchors, find_markers
from .pencolour import pen_colour
from .profiles import Profile, finer_look_profile, load_profile
from .reasons import Flag, Reason, Rejection
from .strikedecisions import off_its_line
from .template import profile_for, template_for

READ, REVIEW, REJECTED = "read", "review", "rejected"


@dataclass
class Reading:
    file: str
    page: int
    status: str
    marks: dict | None = None
    boxes: dict | None = None
    flags: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)
    reason: Reason | None = None  # a Reason (its value is the contract string)
    detail: str | None = None
    box_scores: dict | None = None
    rows: dict | None = None  # per candidate: every measurement behind the decision
    checks: dict = field(default_factory=dict)  # page-level scores: seal, writing, streak, contrast...
    confidence: float | None = None  # lowest distance of a score to the uncertain band
    rotation: int | None = None  # degrees the page was turned in the image (0, 90, 180, 270)
    homography: list | None = None  # image pixels -> page millimetres (3x3)
    profile: str = ""
    profile_digest: str = ""
    layout_digest: str = ""
    # The page warped upright onto the layout (grey, the profile's working resolution; its own
    # array), kept for a page a person will look at (review): what the worker shows as the
    # preview without decoding the scan again. None on a page read (nobody looks at it) and on a
    # page rejected before it was warped.
    page_image: np.ndarray | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        return {
            "file": self.file, "page": self.page, "status": self.status,
            "marks": self.marks, "boxes": self.boxes, "flags": list(self.flags),
            "scores": self.scores, "reason": self.reason, "detail": self.detail,
            "box_scores": self.box_scores, "rows": self.rows, "checks": self.checks,
            "confidence": self.confidence, "rotation": self.rotation,
            "homography": self.homography, "profile": self.profile,
            "profile_digest": self.profile_digest, "layout_digest": self.layout_digest,
        }


def read_images(source: str | os.PathLike | bytes, election: Election, profile: Profile | str | None = None,
                file_name: str | None = None) -> list[Reading]:
    """Every ballot (page) in one scan file, given as a path or as the file's bytes."""
    profile = load_profile(profile) if not isinstance(profile, Profile) else profile
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = file_name or "<bytes>"
        return _read_bytes(bytes(source), name, election, profile)
    name = file_name or str(source)
    base = Reading(name, 0, REJECTED, reason=Reason.UNREADABLE_FILE, profile=profile.name,
                   profile_digest=profile.digest)
    try:
        size = Path(source).stat().st_size
        if size > profile.scan.max_file_mb * 1_000_000:
            base.detail = f"file too large ({size} bytes)"
            return [base]
        data = Path(source).read_bytes()
    except OSError as exc:
        base.detail = f"cannot read file: {exc.strerror}"
        return [base]
    return _read_bytes(data, name, election, profile)


read_file = read_images


def read_bytes(data: bytes, election: Election, profile: Profile | str | None = None,
               file_name: str = "<bytes>") -> Reading:
    """One single-page image's reading (the first page of a multi-page file)."""
    return read_images(bytes(data), election, profile, file_name)[0]


def _read_bytes(data: bytes, name: str, election: Election, profile: Profile) -> list[Reading]:
    layout = layout_for(election)
    profile = profile_for(layout, profile)  # small print: decoded and measured finer
    readings: list[Reading] = []
    try:
        for page in decode_pages(data, profile, half_if_a5(layout)):
            readings.append(read_page(page, election, profile, name, layout))
    except Unreadable as exc:
        readings.append(_rejected(name, len(readings), Reason.UNREADABLE_FILE, str(exc), profile, layout))
    except Exception as exc:  # a corrupt file must never stop a batch
        readings.append(_rejected(name, len(readings), Reason.UNREADABLE_FILE,
                                  f"decoder failure ({type(exc).__name__})", profile, layout))
    if not readings:
        readings.append(_rejected(name, 0, Reason.UNREADABLE_FILE, "no pages", profile, layout))
    return readings


def _rejected(name, index, reason, detail, profile, layout) -> Reading:
    return Reading(name, index, REJECTED, reason=reason, detail=detail, profile=profile.name,
                   profile_digest=profile.digest, layout_digest=layout.digest)


def read_page(page: Page, election: Election, profile: Profile, name: str = "<image>",
              layout: Layout | None = None) -> Reading:
    layout = layout or layout_for(election)
    profile = profile_for(layout, profile)
    reading = _read_page_once(page, election, profile, name, layout)
    finer = finer_look_profile(profile)
    if finer is None or page.decode_for is None or not wants_finer_look(reading, layout, profile):
        return reading
    try:
        second = _read_page_once(page.decode_for(finer), election, finer, name, layout)
    except Exception:  # the second look can only add to the first: whatever stops it leaves the first
        return reading
    # What the second look found where the first was unsure, and what it left unsure itself.
    first_marks, second_marks = _row_marks(reading) or {}, _row_marks(second) or {}
    unsure = sorted(k for k, v in first_marks.items() if v == "uncertain")
    reading.checks["finer_look"] = {"dpi": finer.scan.work_dpi, "status": second.status,
                                    "found": {k: second_marks.get(k) for k in unsure},
                                    "uncertain": sorted(k for k, v in second_marks.items() if v == "uncertain")}
    if not finer_look_agrees(reading, second):
        return reading  # a person looks at the page, told what the second look found
    second.checks["first_look"] = {"dpi": profile.scan.work_dpi, "uncertain": unsure}
    return second


def _row_marks(reading: Reading) -> dict | None:
    """Each row's mark: the names' (strike form) or the boxes' (boxes form)."""
    return reading.marks if reading.marks is not None else reading.boxes


def wants_finer_look(reading: Reading, layout: Layout, profile: Profile) -> bool:
    """Whether a page goes to review for uncertain rows alone (no flag), each one that a finer
    look could settle: a thin or pale pen's line, or a thick pen's X whose arms the working
    resolution blurs into a box filled in, may show at a finer resolution what the working one
    lost. Strike form: each uncertain name with its pen's ink spread over
    `scan.finer_look_span` of it and none with ink off its line (`off_its_line`: a correction's
    loops, a circle, a tick are a person's to judge at any resolution; the second look can only
    strike a name, and one with ink over a small part of it stays uncertain). Boxes form: each
    uncertain row with ink in a box (`boxes.marginal`, its new or its faint ink): a row
    uncertain for ink beside its boxes alone could at best be found blank, which is no answer."""
    if reading.status != REVIEW or reading.flags:
        return False
    if layout.form == Form.STRIKE:
        unsure = [cid for cid, v in (reading.marks or {}).items() if v == "uncertain"]
        rows = reading.rows or {}
        return bool(unsure) and all(rows.get(cid, {}).get("span", 0.0) >= profile.scan.finer_look_span
                                    and not off_its_line(rows.get(cid, {}), profile.strike) for cid in unsure)
    unsure = [cid for cid, v in (reading.boxes or {}).items() if v == "uncertain"]
    scores = reading.box_scores or {}
    return bool(unsure) and all(_box_inked(scores.get(cid, {}), profile.boxes.marginal) for cid in unsure)


def _box_inked(values: dict, marginal: float) -> bool:
    return max(values.get(key, 0.0) for key in ("agree", "disagree", "agree_pale", "disagree_pale")) >= marginal


def finer_look_agrees(first: Reading, second: Reading) -> bool:
    """Whether the finer look's reading may stand for the page: read (no uncertain row, no
    flag), every row the first reading decided decided alike (two measures of one page that
    disagree are a person's to settle), and every row the first left uncertain found marked:
    a name struck, one box of a row marked (agree or disagree).
    Found kept is no answer: the first look saw ink there, and a finer look can lose a short
    line that small or bled print hides (the glyph mask follows the letters closer); measured
    on the hidden partial lines' benchmark, where it would have read 7 more ballots of 800, each
    with a partial line read kept. Nor is a row of boxes found blank or both marked: the first
    look saw a mark it could not name."""
    first_marks, second_marks = _row_marks(first), _row_marks(second)
    if second.status != READ or second_marks is None or first_marks is None:
        return False
    found = ("struck",) if first.marks is not None else ("agree", "disagree")
    return all(second_marks.get(cid) in found if mark == "uncertain" else second_marks.get(cid) == mark
               for cid, mark in first_marks.items())


def _read_page_once(page: Page, election: Election, profile: Profile, name: str, layout: Layout) -> Reading:
    if page.image is None:
        return _rejected(name, page.index, Reason.UNREADABLE_FILE, page.error or "unreadable page", profile, layout)
    reading = Reading(name, page.index, REJECTED, profile=profile.name, profile_digest=profile.digest,
                      layout_digest=layout.digest)
    try:
        reader = _PageReader(page, layout, profile, reading, election.seats)
        # A ballot printed before the second QR code is read with the layout it was printed from.
        reader.legacy_layout = legacy_layout_for(election) if layout.qr2_mm is not None else None
        reader.run()
    except Rejection as exc:
        reading.status, reading.reason, reading.detail = REJECTED, exc.reason, exc.detail
        reading.marks = reading.boxes = None
        reading.flags, reading.scores = [], {}
    except cv2.error as exc:
        reading.status, reading.reason = REJECTED, Reason.UNREADABLE_FILE
        reading.detail = f"image processing failed: {str(exc).splitlines()[-1][:200]}"
    return reading


class _PageReader:
    """One page through the stages; holds what they share (the page, its grey image, the pen
    colour and faint-ink masks, the flags and checks so far). Stage functions take it as `ctx`."""

    legacy_layout: Layout | None = None  # the layout printed before the second QR code
    code_anchors: tuple | list = ()  # (image quad, page box) of QR codes anchoring the page map (markers.code_anchors)

    def __init__(self, page: Page, layout: Layout, profile: Profile, reading: Reading, seats: int):
        self.page, self.layout, self.profile, self.reading = page, layout, profile, reading
        self.seats = seats
        self.grey = self._grey(page.image)
        self.flags: list[str] = []
        self.checks: dict = {}
        self.paper_level: float | None = None  # the warped page's white, once it is measured
        self._bitonal: bool | None = None  # page_is_bitonal, once it is asked


    @staticmethod
    def _grey(image: np.ndarray) -> np.ndarray:
        return image if image.ndim == 2 else cv2.cvtColor(
            image, cv2.COLOR_BGR2GRAY, dst=_scratch.get("grey", image.shape[:2]))

    def run(self) -> None:
        paper, markers = self.markers()
        homography = self.page_to_mm = pagemap.homography(self, paper, markers)
        pagemap.identify(self, paper, homography)
        template = template_for(self.layout, self.profile)
        # Pixel j of the template is centred at (j + 0.5) / k mm.
        scale = np.array([[template.k, 0, -0.5], [0, template.k, -0.5], [0, 0, 1.0]])
        # Into a work array reused from page to page (a fresh page-sized array costs its page
        # faults); the reading gets its own copy only when a person will look at the page.
        warped = cv2.warpPerspective(self.grey, scale @ homography, (template.width, template.height),
                                     dst=_scratch.get("warped", (template.height, template.width)),
                                     flags=cv2.INTER_LINEAR, borderValue=255)
        if self.profile.scan.flatten_illumination:
            warped = _flatten(warped)
        size = warped.shape
        # Blue and purple pens show in colour even where they cross the printed (black) text.
        self.tint = None
        if self.page.colour and self.page.image.ndim == 3:
            self.tint = pen_colour(self.page.image, scale, homography, template.rows_box, size,
                                   self.profile.ink.tint_level)
        paper_level = self.paper_level = _percentile(warped, 0.90)  # the page's white (stages reuse it)
        ink = _below(warped, paper_level * self.profile.ink.ink_level, dst=_scratch.get("ink", size))
        # Faint ink (a light pen, a faded scan) never decides a mark; it only forbids "kept"/"none".
        # Only where the rows are: faint ink is looked at nowhere else.
        y0, y1, x0, x1 = box = template.rows_box
        self.faint, faint = _scratch.page_box("faint", size, box)
        _below(warped[y0:y1, x0:x1], paper_level * self.profile.ink.faint_level, dst=faint)
        # (Not taken off the print here: each row, or box, takes it off where its print really is.)
        if self.layout.form == Form.STRIKE:
            # Grey beside the print (blur, bleed, a tone curve, a page not lying flat) is judged
            # against the page's own halo, not taken for a pen.
            ink_settings = self.profile.ink
            levels = halo.lift(warped, [(ink, ink_settings.ink_level), (self.faint, ink_settings.faint_level)],
                               template, paper_level, ink_settings)
            self.checks["halo"] = [round(v, 3) for v in levels]
            self.print_reach = halo.print_reach(levels, ink_settings.ink_level)
            self.not_printed_runs = halo.not_printed_runs(template, self.print_reach)
            self.checks["print_fill"] = round(halo.margin_fill(ink, template), 3)
        checks.quality(self, warped, template, paper_level)
        checks.streaks(self, homography, paper_level)
        # The free zone lies off the print (template.free is within not_glyph): the ink there is
        # the new ink there, without a page-sized `ink & not_glyph` first.
        checks.writing(self, ink, template)
        checks.seal(self, homography, template, warped, paper_level)
        if self.layout.form == Form.STRIKE:
            strikes.read_strikes(self, warped, ink, template)
        else:
            boxes.read_boxes(self, warped, ink, template)
        r = self.reading
        marks = (r.marks or r.boxes).values()
        blank = self.profile.blank
        if all(v in ("kept", "none") for v in marks) and (blank.review_unmarked or self.page_is_bitonal()):
            self.flag(Flag.NO_MARKS)  # on this scanner a pen can vanish: a person looks at blank ballots
        elif (r.marks and sum(v == "kept" for v in marks) > self.seats
              and (blank.review_over_seats or self.page_is_bitonal())):
            self.flag(Flag.FEW_MARKS)  # more names kept than seats: a strike may have vanished
        r.flags = self.flags
        r.checks = self.checks
        uncertain = any(v == "uncertain" for v in (r.marks or r.boxes).values())
        r.status = REVIEW if uncertain or self.flags else READ
        r.reason = None
        if r.status != READ:
            r.page_image = warped.copy()  # the preview (its own array: `warped` is reused)


    def markers(self):
        found = find_markers(self.grey)
        chosen = choose_paper(found, self.profile.geometry.min_markers)
        if self.page.finer is not None and (chosen is None or chosen[0].height > self.page.largest_mm):
            # Decoded reduced as if A5: an A4 page (or a page whose markers were not found)
            # is read from the full decode, exactly as if it had been decoded so at once.
            self.page = self.page.finer()
            self.grey = self._grey(self.page.image)
            return self.markers()
        if chosen is not None:
            paper, seen = chosen
            self.checks["markers"] = len(seen)
            return paper, {mid: found[mid] for mid in seen}
        anchored = code_anchors(self.grey, found) if self.profile.geometry.min_markers <= 2 else None
        if anchored is not None:
            # One marker left (a third cut or on the image's edge): the QR codes where it puts
            # them anchor the page map beside it; the page is then fitted to its print.
            paper, mid, self.code_anchors = anchored
            self.checks["markers"], self.checks["code_anchors"] = 1, len(self.code_anchors)
            return paper, {mid: found[mid]}
        if _ink_fraction(self.grey, self.profile) <= self.profile.blank.max_ink_fraction:
            raise Rejection(Reason.BLANK_PAGE, "no printing or writing on the page")
        raise Rejection(Reason.NO_MARKERS, f"corner markers found: {sorted(found) or 'none'}")


    def page_is_bitonal(self) -> bool:
        """Whether this page is black and white: the profile's scanner is bitonal, or the file is
        (1 bit a pixel, or only two grey levels), whatever the profile says: a scanner set to
        black and white, whose threshold drops a red seal whole and can drop a pale or blue pen.
        (Asked by the seal check and the mark flags: the grey levels are counted once.)"""
        if self._bitonal is None:
            self._bitonal = bool(self.profile.scan.bitonal or self.page.bitonal or _two_levels(self.grey))
        return self._bitonal

    def flag(self, flag: Flag | str) -> None:
        if flag not in self.flags:
            self.flags.append(Flag(flag))


def choose_paper(found, need: int):
    """(paper, marker ids seen) from the marker ids found, or None when they make no page.

    Ids we never print are noise. The paper whose markers are seen most wins; one stray id of
    the other paper (a cut marker misread) is tolerated beside three or more, never beside fewer.
    """
    known = {mid for paper in PAPERS.values() for mid in paper.marker_ids}
    ids = [mid for mid in found if mid in known]
    paper = max(PAPERS.values(), key=lambda p: sum(mid in ids for mid in p.marker_ids))
    seen = [mid for mid in paper.marker_ids if mid in ids]
    others = [mid for mid in ids if mid not in paper.marker_ids]
    if len(seen) >= need and (not others or (len(others) == 1 and len(seen) >= 3)):
        return paper, seen
    return None
