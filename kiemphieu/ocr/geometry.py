"""The one geometry of a ballot, in millimetres from the page's top-left corner.

`layout_for(election)` decides everything that is printed and everything the reader looks at:
page size, header text, the stamp area, one row per candidate in ballot order, the boxes of the
boxes form, four ArUco corner markers and the QR code. Printing draws exactly this; reading warps
a scan onto exactly this. `Layout.to_json()` is the contract's `kiemphieu/layout-1` object.

The QR code carries the election's fingerprint, the round and a digest of the layout, and is the
same on every ballot of a round: a ballot never carries a serial number (the vote is secret).
A second QR code with the same payload sits in the opposite corner (top-right, under the marker):
a feeder that cuts the bottom-left corner (or the bottom edge) off a scan leaves it whole, so the
page is still identified. `legacy_layout_for` is the layout as printed before the second code
(same rows, same digest as then), so ballots printed with it still read.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

from kiemphieu.labels import meeting_name, place_date
from kiemphieu.tally import Body, Election, Form

from .fonts import metrics, wrap

LAYOUT_SCHEMA = "kiemphieu/layout-1"
QR_PREFIX = "KP1"

Box = tuple[float, float, float, float]  # x, y, width, height (mm)


@dataclass(frozen=True)
class Paper:
    name: str
    width: float
    height: float
    marker_ids: tuple[int, int, int, int]  # top-left, top-right, bottom-right, bottom-left


# Distinct marker ids per paper size: the ids alone tell the reader the page size and,
# being different in each corner, the page's orientation.
PAPERS = {
    "A5": Paper("A5", 148.0, 210.0, (0, 1, 2, 3)),
    "A4": Paper("A4", 210.0, 297.0, (4, 5, 6, 7)),
}
ARUCO_DICTIONARY = "DICT_4X4_50"
MARKER_MARGIN = 6.0  # from the page edge: inside every printer's unprintable margin
MARKER_SIZE = 9.0  # the black square including the ArUco border
QR_VERSION = 2  # 25 x 25 modules
QR_MODULE = 0.8  # mm: about 3 pixels at 100 dpi
QR_SIZE = 25 * QR_MODULE
ROWS_BOTTOM_CLEARANCE = MARKER_MARGIN + QR_SIZE + 4.0  # keep the QR's quiet zone free
QR_QUIET = 4 * QR_MODULE  # the white margin a QR decoder needs around the code
MARKER_TO_QR = 4.0  # gap between a corner marker and the QR code beside it

LINE_SPACING = 1.25
MAX_PITCH = 10.0
# (paper, columns, smallest row pitch in mm) tried in order; the first that fits wins.
PAGE_CHOICES = (("A5", 1, 8.0), ("A4", 1, 6.5), ("A4", 2, 4.8))


def r2(value: float) -> float:
    return round(value + 0.0, 2)


def rbox(x: float, y: float, w: float, h: float) -> Box:
    return (r2(x), r2(y), r2(w), r2(h))


@dataclass(frozen=True)
class TextItem:
    """One line of text placed by its left end and baseline."""

    text: str
    x: float
    baseline: float
    size: float  # font size in mm (1 pt = 0.3528 mm)
    style: str = "regular"  # regular | bold | italic

    @property
    def width(self) -> float:
        return metrics(self.style).width(self.text, self.size)

    @property
    def box(self) -> Box:
        """The ascent-to-descent box: every glyph, stacked diacritics included."""
        font = metrics(self.style)
        return rbox(self.x, self.baseline - font.ascent * self.size, self.width,
                    (font.ascent + font.descent) * self.size)

    def to_json(self) -> dict:
        return {"text": self.text, "x": self.x, "baseline": self.baseline, "size": self.size,
                "style": self.style}


def placed(text: str, x: float, baseline: float, size: float, style: str = "regular",
           align: str = "left") -> TextItem:
    width = metrics(style).width(text, size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    return TextItem(text, r2(x), r2(baseline), r2(size), style)


@dataclass(frozen=True)
class Row:
    id: str
    order: int
    column: int
    row_mm: Box  # the whole row band: where a voter's mark for this candidate may land
    number: TextItem  # "1."
    name: TextItem
    agree_mm: Box | None = None
    disagree_mm: Box | None = None
    # A namesake's "(sinh năm 1972)", printed after the name, outside name_mm.
    note: TextItem | None = None

    @property
    def name_mm(self) -> Box:
        return self.name.box

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "order": self.order,
            "name": self.name.text,
            "name_mm": list(self.name_mm),
            "agree_mm": list(self.agree_mm) if self.agree_mm else None,
            "disagree_mm": list(self.disagree_mm) if self.disagree_mm else None,
            "row_mm": list(self.row_mm),
            "column": self.column,
            "baseline_mm": self.name.baseline,
            "font_mm": self.name.size,
            # Only on namesakes' rows, so every other layout (and its digest) is as before.
            **({"note": self.note.to_json()} if self.note else {}),
        }


@dataclass(frozen=True)
class Layout:
    form: Form
    paper: Paper
    columns: int
    pitch: float
    stamp_mm: Box
    rows: tuple[Row, ...]
    texts: tuple[TextItem, ...]  # header, labels, instructions (names and numbers are in rows)
    rules: tuple[Box, ...]  # filled black rectangles (underlines)
    markers: tuple[tuple[int, Box], ...]  # (ArUco id, box) top-left, top-right, bottom-right, bottom-left
    qr_mm: Box
    fingerprint: str
    round: int
    digest: str = ""
    qr_payload: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # The second QR code (same payload) in the opposite corner; None on layouts printed before it.
    qr2_mm: Box | None = None

    @property
    def code_boxes(self) -> tuple[Box, ...]:
        """Where the ballot's identifying QR codes are printed: the first, then the second."""
        return (self.qr_mm,) if self.qr2_mm is None else (self.qr_mm, self.qr2_mm)

    @property
    def page_size(self) -> tuple[float, float]:
        return self.paper.width, self.paper.height

    def row(self, candidate_id: str) -> Row:
        for row in self.rows:
            if row.id == candidate_id:
                return row
        raise KeyError(candidate_id)

    def body_json(self) -> dict:
        """Everything the digest covers (all but the digest and the payload built from it)."""
        return {
            "schema": LAYOUT_SCHEMA,
            "form": str(self.form),
            "page": {"width_mm": self.paper.width, "height_mm": self.paper.height,
                     "paper": self.paper.name},
            "stamp_mm": list(self.stamp_mm),
            "candidates": [row.to_json() for row in self.rows],
            "columns": self.columns,
            "pitch_mm": self.pitch,
            "fiducials": {"dictionary": ARUCO_DICTIONARY,
                          "markers": [{"id": mid, "box_mm": list(box)} for mid, box in self.markers]},
            "election": {"fingerprint": self.fingerprint, "round": self.round},
            "texts": [t.to_json() for t in self.texts],
            "rules_mm": [list(b) for b in self.rules],
            "qr_box_mm": list(self.qr_mm),
            # Only when printed, so a layout without it (and its digest) is exactly as before.
            **({"qr2_box_mm": list(self.qr2_mm)} if self.qr2_mm is not None else {}),
        }

    def to_json(self) -> dict:
        data = self.body_json()
        data["digest"] = self.digest
        data["qr"] = {"payload": self.qr_payload, "box_mm": list(self.qr_mm), "version": QR_VERSION}
        if self.qr2_mm is not None:
            # The same payload again, in the opposite corner (read when the first is cut off).
            data["qr2"] = {"payload": self.qr_payload, "box_mm": list(self.qr2_mm), "version": QR_VERSION}
        return data


def election_fingerprint(election: Election) -> str:
    """A short hash of what makes one round's ballot that round's ballot (12 hex digits)."""
    identity = [
        election.organization, election.congress, election.title, str(election.kind),
        election.round, election.seats, [[c.id, c.name] for c in election.candidates],
    ]
    raw = json.dumps(identity, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:12].upper()


def qr_payload(fingerprint: str, round_: int, digest: str) -> str:
    """Upper-case alphanumeric so the QR stays version 2: KP1/<fingerprint>/<round>/<digest>."""
    return f"{QR_PREFIX}/{fingerprint}/{round_}/{digest[:10].upper()}"


def parse_qr_payload(text: str) -> tuple[str, int, str] | None:
    parts = text.strip().split("/")
    if len(parts) != 4 or parts[0] != QR_PREFIX or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3]


def marker_boxes(paper: Paper) -> tuple[tuple[int, Box], ...]:
    m, s, w, h = MARKER_MARGIN, MARKER_SIZE, paper.width, paper.height
    corners = ((m, m), (w - m - s, m), (w - m - s, h - m - s), (m, h - m - s))
    return tuple((mid, rbox(x, y, s, s)) for mid, (x, y) in zip(paper.marker_ids, corners))


def qr_box(paper: Paper) -> Box:
    """Fixed per paper size (bottom-left, beside the marker), so any of our ballots can be identified."""
    return rbox(MARKER_MARGIN + MARKER_SIZE + MARKER_TO_QR, paper.height - MARKER_MARGIN - QR_SIZE, QR_SIZE, QR_SIZE)


def second_qr_box(paper: Paper) -> Box:
    """The second QR code, fixed per paper size: top-right, under the corner marker (diagonally
    opposite the first, so a cut corner or a cut edge never takes both), right-aligned with it."""
    return rbox(paper.width - MARKER_MARGIN - QR_SIZE, MARKER_MARGIN + MARKER_SIZE + MARKER_TO_QR, QR_SIZE, QR_SIZE)


# ------------------------------------------------------------------------------------ header


def _date_line(election: Election) -> str:
    """"Yên Lập, ngày 20 tháng 6 năm 2025": the minutes' own style (kiemphieu.labels)."""
    if election.date is None:
        return ""
    return place_date(election.place, election.date)


def _header(election: Election, paper: Paper, second_code: Box | None = None
            ) -> tuple[list[TextItem], list[Box], Box, float]:
    """The header's text, rules, the stamp area and the y where the candidate list may start.

    With a second QR code (top-right), the right block (party name, date) sits between the
    stamp area and the code's quiet zone, and the full-width lines start below the code."""
    w = paper.width
    side = MARKER_MARGIN + MARKER_SIZE + 1.0
    block_w = (w - 2 * side) / 2
    left_c, right_c = side + block_w / 2, w - side - block_w / 2
    right_w = block_w
    if second_code is not None:
        right_end = min(w - side, second_code[0] - QR_QUIET)
        right_w = right_end - (side + block_w)
        right_c = right_end - right_w / 2
    texts: list[TextItem] = []
    rules: list[Box] = []

    size = 3.2
    y = 12.0
    for line in wrap(election.organization.upper(), size, block_w - 2, "bold")[:3]:
        texts.append(placed(line, left_c, y, size, "bold", "center"))
        y += size * LINE_SPACING
    if election.organization:
        texts.append(placed("*", left_c, y + 0.6, size, "regular", "center"))
        y += size * LINE_SPACING
    left_bottom = y

    party = placed("ĐẢNG CỘNG SẢN VIỆT NAM", right_c, 12.0, 3.4, "bold", "center")
    if party.width > right_w:  # narrow pages: shrink rather than overlap the stamp area
        party = placed(party.text, right_c, 12.0, 3.4 * right_w / party.width, "bold", "center")
    texts.append(party)
    rule_w = party.width * 0.6
    rules.append(rbox(right_c - rule_w / 2, 13.9, rule_w, 0.25))
    y = 19.0
    for line in wrap(_date_line(election), 3.0, right_w, "italic"):
        texts.append(placed(line, right_c, y, 3.0, "italic", "center"))
        y += 3.0 * LINE_SPACING
    stamp = rbox(side, MARKER_MARGIN, block_w, 30.0)
    y = max(left_bottom, y, stamp[1] + stamp[3]) + 6.0

    centre, width = w / 2, w - 2 * side
    texts.append(placed("PHIẾU BẦU CỬ", centre, y, 5.6, "bold", "center"))
    y += 5.6 * 1.4
    if second_code is not None:  # full-width lines below the second code's quiet zone
        y = max(y, second_code[1] + second_code[3] + QR_QUIET + 4.0 * metrics("bold").ascent)
    for text, size, style in (
        (election.title, 4.0, "bold"),
        # Who votes: the congress, or the new committee's first meeting (its own ballots).
        (election.congress if election.body is Body.CONGRESS
         else meeting_name(election.body, election.organization, election.congress), 3.3, "italic"),
        (f"Bầu lần thứ {election.round}" if election.round > 1 else "", 3.3, "bold"),
    ):
        for line in wrap(text, size, width, style):
            texts.append(placed(line, centre, y, size, style, "center"))
            y += size * LINE_SPACING
    y += 1.5
    if election.form == Form.STRIKE:
        advice = (f"Số người cần bầu: {election.seats}. "
                  "Gạch ngang cả họ và tên người không bầu.")
    else:
        advice = "Đánh dấu X vào ô Đồng ý hoặc Không đồng ý ở mỗi dòng."
    for line in wrap(advice, 3.2, width, "italic"):
        texts.append(placed(line, centre, y, 3.2, "italic", "center"))
        y += 3.2 * LINE_SPACING
    return texts, rules, stamp, y + 1.0


# ------------------------------------------------------------------------------------ rows


def _name_size(election: Election, pitch: float, name_width: float) -> float:
    size = min(4.6, 0.58 * pitch)
    font = metrics("regular")
    shown = election.display_names
    longest = max(font.width(shown[c.id], 1.0) for c in election.candidates)
    return min(size, name_width / longest)


def _namesake_note(election: Election, candidate_id: str, name: TextItem) -> TextItem | None:
    """" (sinh năm 1972)" printed after a namesake's name, outside the box the voter strikes
    (``name_mm`` stays the full name, as the contract says), in the name's size."""
    shown = election.display_names[candidate_id]
    note = shown[len(name.text):].strip()
    if not note:
        return None
    space = metrics("regular").width(" ", name.size)
    return placed(note, name.x + name.width + space, name.baseline, name.size)


def _rows(election: Election, paper: Paper, columns: int, pitch: float, top: float
          ) -> tuple[list[Row], list[TextItem]]:
    left, gap = 12.0, 6.0
    col_w = (paper.width - 2 * left - gap * (columns - 1)) / columns
    boxes = election.form == Form.BOXES
    number_w = 9.0
    box_col = 16.0 if columns > 1 else 20.0
    name_x_off = number_w + 2.0
    name_w = col_w - name_x_off - (2 * box_col if boxes else 0.0) - 2.0
    size = _name_size(election, pitch, name_w)
    font = metrics("regular")
    per_col = math.ceil(len(election.candidates) / columns)
    rows: list[Row] = []
    labels: list[TextItem] = []
    label_size = min(3.0, 0.5 * pitch + 0.6)
    for column in range(columns):
        x0 = left + column * (col_w + gap)
        if boxes:
            base = top - 2.0
            labels.append(placed("STT", x0 + number_w, base, label_size, "bold", "right"))
            labels.append(placed("Họ và tên", x0 + name_x_off, base, label_size, "bold"))
            for k, label in enumerate(("Đồng ý", "Không đồng ý")):
                cx = x0 + col_w - (2 - k) * box_col + box_col / 2
                lab = placed(label, cx, base, label_size, "bold", "center")
                if lab.width > box_col - 1:
                    lab = placed(label, cx, base, label_size * (box_col - 1) / lab.width, "bold", "center")
                labels.append(lab)
    for index, candidate in enumerate(election.candidates):
        column, slot = divmod(index, per_col)
        x0 = left + column * (col_w + gap)
        y0 = top + slot * pitch
        baseline = y0 + pitch / 2 + font.cap_height * size / 2
        number = placed(f"{index + 1}.", x0 + number_w, baseline, size, "regular", "right")
        name = placed(candidate.name, x0 + name_x_off, baseline, size)
        note = _namesake_note(election, candidate.id, name)
        agree = disagree = None
        if boxes:
            side = min(6.0, 0.72 * pitch)
            cy = y0 + pitch / 2
            cx1 = x0 + col_w - 2 * box_col + box_col / 2
            cx2 = cx1 + box_col
            agree = rbox(cx1 - side / 2, cy - side / 2, side, side)
            disagree = rbox(cx2 - side / 2, cy - side / 2, side, side)
        rows.append(Row(candidate.id, index + 1, column, rbox(x0, y0, col_w, pitch), number, name,
                        agree, disagree, note))
    return rows, labels


# ------------------------------------------------------------------------------------ layout


class LayoutError(ValueError):
    pass


@lru_cache(maxsize=64)
def layout_for(election: Election) -> Layout:
    """The ballot of one round. Deterministic: the same election gives the same layout."""
    return _layout(election, second_code=True)


@lru_cache(maxsize=64)
def legacy_layout_for(election: Election) -> Layout:
    """The ballot as printed before the second QR code (one QR, bottom-left): same geometry and
    digest as then, so a ballot printed with it is still read (the reader picks it by the
    digest in the QR code)."""
    return _layout(election, second_code=False)


def _layout(election: Election, second_code: bool) -> Layout:
    if not election.candidates:
        raise LayoutError("an election without candidates has no ballot")
    boxes = election.form == Form.BOXES
    for paper_name, columns, min_pitch in PAGE_CHOICES:
        paper = PAPERS[paper_name]
        qr2 = second_qr_box(paper) if second_code else None
        texts, rules, stamp, top = _header(election, paper, qr2)
        if boxes:
            top += 6.0  # the column labels "Đồng ý / Không đồng ý"
        per_col = math.ceil(len(election.candidates) / columns)
        pitch = min(MAX_PITCH, (paper.height - ROWS_BOTTOM_CLEARANCE - top) / per_col)
        if pitch >= min_pitch:
            break
    else:
        raise LayoutError(f"{len(election.candidates)} candidates do not fit on one A4 page")
    pitch = math.floor(pitch * 10) / 10
    rows, labels = _rows(election, paper, columns, pitch, top)
    layout = Layout(
        form=election.form, paper=paper, columns=columns, pitch=pitch, stamp_mm=stamp,
        rows=tuple(rows), texts=tuple(texts + labels), rules=tuple(rules),
        markers=marker_boxes(paper), qr_mm=qr_box(paper),
        fingerprint=election_fingerprint(election), round=election.round, qr2_mm=qr2,
    )
    raw = json.dumps(layout.body_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return Layout(**{**layout.__dict__, "digest": digest,
                     "qr_payload": qr_payload(layout.fingerprint, election.round, digest)})
