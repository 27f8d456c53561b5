"""A row with no ink off its print where the page map puts it is not searched for its print
(`rows.aligned(skip_clean=True)`): most rows of a page are kept names, and the per-row search
(`cv2.matchTemplate`) was most of their cost (about 0.18 ms a row, 11 ms of a 62-name page).
Rows with ink off the print, faint ink or pen colour are searched as before, and the marks are
those of the search everywhere."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiemphieu.ocr import rows, strikes
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_bytes
from kiemphieu.ocr.synthetic import demo_election, make_ballot_file
from kiemphieu.tally import Kind

PROFILE = load_profile("feeder-200dpi-colour")


def _ballot(candidates: int, seed: int, level: str = "L1"):
    election = demo_election(candidates, candidates - 5, seed=seed, kind=Kind.COMMITTEE)
    data, _, truth = make_ballot_file(election, seed, level, seed=seed)
    return data, election, truth


def _read_without_skip(data, election, monkeypatch):
    searched = rows.aligned

    def always_searched(*args, **kwargs):
        kwargs["skip_clean"] = False
        return searched(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(strikes, "aligned", always_searched)
        return read_bytes(data, election, PROFILE).to_json()


@pytest.mark.parametrize("candidates, seed", [(62, 3), (62, 4), (17, 5), (33, 6)])
def test_marks_are_those_of_rows_all_searched(candidates, seed, monkeypatch):
    data, election, _ = _ballot(candidates, seed)
    skipped = read_bytes(data, election, PROFILE).to_json()
    searched = _read_without_skip(data, election, monkeypatch)
    assert skipped["marks"] == searched["marks"]
    assert skipped["status"] == searched["status"] and skipped["flags"] == searched["flags"]


def test_clean_kept_rows_are_not_searched_and_marked_rows_are(monkeypatch):
    data, election, truth = _ballot(62, 3)
    calls = []
    match = cv2.matchTemplate

    def counted(*args):
        calls.append(args[1].shape)
        return match(*args)

    monkeypatch.setattr(rows.cv2, "matchTemplate", counted)
    reading = read_bytes(data, election, PROFILE).to_json()
    details = reading["rows"]
    not_searched = [cid for cid, row in details.items() if row["align"] is None]
    # Small print at 150 dpi: most kept names have no ink off their print at all.
    assert len(not_searched) > len(details) // 2
    assert len(calls) == len(details) - len(not_searched)
    for cid in not_searched:
        assert details[cid]["shift_px"] == [0, 0]
        assert details[cid]["ink_mm2"] == 0 and details[cid]["faint_mm2"] == 0
        assert reading["marks"][cid] == "kept"
    struck = [cid for cid, mark in reading["marks"].items() if mark == "struck"]
    assert struck and all(details[cid]["align"] is not None for cid in struck)


class _Ctx:
    def __init__(self, faint, tint=None):
        self.faint, self.tint = faint, tint
        self.profile = PROFILE


def _template_row():
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.template import profile_for, template_for

    election = demo_election(17, 13, seed=1, kind=Kind.COMMITTEE)
    layout = layout_for(election)
    template = template_for(layout, profile_for(layout, PROFILE))
    return template, template.rows[3]


def test_faint_ink_or_pen_colour_near_a_row_makes_it_searched():
    template, row = _template_row()
    warped = template.grey.copy()
    ink = (warped < 128).astype(np.uint8)  # the print alone: nothing off it
    by0, by1, bx0, bx1 = row.band
    blank = np.zeros_like(ink)
    assert rows.aligned(_Ctx(blank), warped, ink, template, row, skip_clean=True)[2] is None
    assert rows.aligned(_Ctx(blank), warped, ink, template, row)[2] is not None
    faint = blank.copy()
    gaps = np.flatnonzero(template.not_glyph[(by0 + by1) // 2, bx0:bx1])
    faint[(by0 + by1) // 2, bx0 + gaps[len(gaps) // 2]] = 1  # one faint pixel between letters
    assert rows.aligned(_Ctx(faint), warped, ink, template, row, skip_clean=True)[2] is not None
    tint = blank.copy()
    tint[by0 - 2, (bx0 + bx1) // 2] = 1  # pen colour just above the band, within the search
    assert rows.aligned(_Ctx(blank, tint), warped, ink, template, row, skip_clean=True)[2] is not None
    tint[:] = 0
    tint[0, 0] = 1  # far from the row
    assert rows.aligned(_Ctx(blank, tint), warped, ink, template, row, skip_clean=True)[2] is None
