"""The ballot geometry: page choice, rows, boxes, and the layout JSON of contract section 3."""

import json

import numpy as np
import pytest

from kiemphieu.ocr.geometry import (
    LayoutError,
    election_fingerprint,
    layout_for,
    parse_qr_payload,
)
from kiemphieu.ocr.printing import render_ballot_image
from kiemphieu.tally import Form

from .conftest import make_election


def inside(inner, outer, tol=0.0):
    x, y, w, h = inner
    X, Y, W, H = outer
    return x >= X - tol and y >= Y - tol and x + w <= X + W + tol and y + h <= Y + H + tol


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def page_box(layout):
    return (0, 0, layout.paper.width, layout.paper.height)


def test_few_candidates_fit_a5_one_column(strike_election):
    layout = layout_for(strike_election)
    assert (layout.paper.name, layout.columns) == ("A5", 1)
    assert layout.page_size == (148.0, 210.0)
    assert layout.pitch >= 8.0


def test_medium_list_uses_a4_and_80_candidates_fit_a4_in_two_columns():
    medium = layout_for(make_election(20, 15))
    assert (medium.paper.name, medium.columns) == ("A4", 1)
    for form_seats in (70, 80):  # strike form (70 seats) and boxes form (80 seats)
        layout = layout_for(make_election(80, form_seats))
        assert (layout.paper.name, layout.columns) == ("A4", 2)
        assert len(layout.rows) == 80
        assert all(inside(r.row_mm, page_box(layout)) for r in layout.rows)
        assert all(inside(r.name_mm, r.row_mm) for r in layout.rows)
        assert {r.column for r in layout.rows} == {0, 1}


def test_too_many_candidates_is_a_clear_error():
    with pytest.raises(LayoutError):
        layout_for(make_election(200, 150))


def test_rows_follow_ballot_order_and_never_overlap():
    election = make_election(30, 20)
    layout = layout_for(election)
    assert [r.id for r in layout.rows] == list(election.candidate_ids)
    assert [r.order for r in layout.rows] == list(range(1, 31))
    for a, b in zip(layout.rows, layout.rows[1:]):
        assert not overlaps(a.name_mm, b.name_mm)
    for r in layout.rows:
        for mid, box in layout.markers:
            assert not overlaps(r.row_mm, box)
        assert not overlaps(r.row_mm, layout.qr_mm)
        assert not overlaps(r.row_mm, layout.stamp_mm)


def test_boxes_form_has_agree_and_disagree_columns(boxes_election):
    layout = layout_for(boxes_election)
    assert layout.form == Form.BOXES
    agree_x = {r.agree_mm[0] for r in layout.rows}
    disagree_x = {r.disagree_mm[0] for r in layout.rows}
    assert len(agree_x) == 1 and len(disagree_x) == 1
    assert agree_x.pop() < disagree_x.pop()
    for r in layout.rows:
        assert r.name_mm[0] + r.name_mm[2] < r.agree_mm[0]
        assert inside(r.agree_mm, r.row_mm) and inside(r.disagree_mm, r.row_mm)
    labels = {t.text for t in layout.texts}
    assert {"Đồng ý", "Không đồng ý"} <= labels


def test_strike_form_has_no_boxes(strike_election):
    layout = layout_for(strike_election)
    assert layout.form == Form.STRIKE
    assert all(r.agree_mm is None and r.disagree_mm is None for r in layout.rows)


def test_layout_json_has_the_contract_fields(strike_election, boxes_election):
    for election in (strike_election, boxes_election):
        data = json.loads(json.dumps(layout_for(election).to_json()))
        assert data["schema"] == "kiemphieu/layout-1"
        assert data["form"] == str(election.form)
        assert set(data["page"]) >= {"width_mm", "height_mm"}
        assert len(data["stamp_mm"]) == 4
        assert [c["id"] for c in data["candidates"]] == list(election.candidate_ids)
        for c in data["candidates"]:
            assert set(c) >= {"id", "order", "name_mm", "agree_mm", "disagree_mm"}
            assert len(c["name_mm"]) == 4
            if election.form == Form.BOXES:
                assert len(c["agree_mm"]) == 4 and len(c["disagree_mm"]) == 4
        assert [m["id"] for m in data["fiducials"]["markers"]] == [0, 1, 2, 3]


def test_qr_identifies_election_round_and_layout_without_serial(strike_election):
    layout = layout_for(strike_election)
    fingerprint, round_, digest = parse_qr_payload(layout.qr_payload)
    assert fingerprint == election_fingerprint(strike_election)
    assert round_ == strike_election.round
    assert layout.digest.upper().startswith(digest)
    assert layout_for(make_election(5, 3)).qr_payload == layout.qr_payload  # same on every ballot
    assert layout_for(make_election(5, 3, round_=2)).qr_payload != layout.qr_payload
    assert election_fingerprint(make_election(5, 2)) != fingerprint


def test_printed_name_ink_lies_inside_name_mm(strike_election):
    """The box the reader measures holds every printed glyph of the name (diacritics included)."""
    dpi = 300
    k = dpi / 25.4
    layout = layout_for(strike_election)
    grey = render_ballot_image(strike_election, dpi)[..., 0]
    tol = 0.12  # mm: about one pixel at 300 dpi
    for row in layout.rows:
        x, y, w, h = row.name_mm
        x0, x1 = int((x - 0.5) * k), int((x + w + 4) * k)
        y0, y1 = int((y - 2) * k), int((y + h + 2) * k)
        ys, xs = np.nonzero(grey[y0:y1, x0:x1] < 160)
        assert xs.size
        ink = ((x0 + xs.min()) / k, (y0 + ys.min()) / k,
               (xs.max() - xs.min() + 1) / k, (ys.max() - ys.min() + 1) / k)
        assert inside(ink, row.name_mm, tol), (row.name.text, ink, row.name_mm)
        assert ink[2] > 0.9 * w  # the box is not much wider than the name
