"""The decoder's reduction: an A4 page at 200 dpi decodes at half size, and so does an A5 boxes
ballot (its marks' shapes still hold at half size: see decode.half_if_a5); an A5 strike ballot
keeps the full decode; a page that turns out larger is read from the full decode."""

import cv2
import numpy as np
import pytest

from kiemphieu.ocr.decode import decode_pages, half_if_a5
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.printing import render_ballot_image
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_images, read_page

from . import marks as m
from .conftest import make_election

PROFILE = load_profile(None)


def marked_boxes(election, blank):
    img = blank.copy()
    layout = layout_for(election)
    first, second = election.candidate_ids[:2]
    m.cross(img, 200, layout.row(first).agree_mm)
    m.cross(img, 200, layout.row(second).disagree_mm)
    return img, first, second


def test_an_a5_boxes_ballot_is_decoded_at_half_size_and_reads(boxes_election, boxes_blank):
    assert half_if_a5(layout_for(boxes_election))
    img, first, second = marked_boxes(boxes_election, boxes_blank)
    data = m.jpeg(m.scanner_blur(img))
    [page] = decode_pages(data, PROFILE, half_if_a5=half_if_a5(layout_for(boxes_election)))
    assert page.reduction == 2 and page.image.shape[0] == (img.shape[0] + 1) // 2 and page.finer is not None
    [reading] = read_images(data, boxes_election)
    assert reading.status == "read", reading.to_json()
    assert reading.boxes[first] == "agree" and reading.boxes[second] == "disagree"
    assert 190 <= reading.checks["dpi"] <= 210  # the page's scan resolution, not the decoded one


def test_a_strike_ballot_on_a5_keeps_the_full_decode(strike_election):
    """Thin pen lines through letters lose contrast when halved: an A5 strike ballot is not."""
    assert layout_for(strike_election).paper.name == "A5" and not half_if_a5(layout_for(strike_election))
    data = m.jpeg(render_ballot_image(strike_election, 200))
    [page] = decode_pages(data, PROFILE, half_if_a5=half_if_a5(layout_for(strike_election)))
    assert page.reduction == 1 and page.finer is None


def test_an_a4_page_of_a5_size_is_read_from_the_full_decode(boxes_election):
    """An A4 page scanned at 141 dpi is as large as an A5 at 200 dpi: when its markers say A4 it
    is read from the full decode, exactly as if decoded so at once (a ballot of another
    election is still told by its QR code)."""
    a4 = make_election(20, 15)
    assert layout_for(a4).paper.name == "A4"
    img = render_ballot_image(a4, 200)
    m.strike(img, layout_for(a4), 200, a4.candidate_ids[3])
    data = m.jpeg(cv2.resize(img, (1166, 1654), interpolation=cv2.INTER_AREA))  # 141 dpi
    [halved] = decode_pages(data, PROFILE, half_if_a5=True)
    [full] = decode_pages(data, PROFILE)
    assert (halved.reduction, full.reduction) == (2, 1)
    from_halved, from_full = read_page(halved, a4, PROFILE), read_page(full, a4, PROFILE)
    assert from_halved.marks[a4.candidate_ids[3]] == "struck"
    assert from_halved.to_json() == from_full.to_json()
    assert np.array_equal(from_halved.page_image, from_full.page_image)
    [other] = read_images(data, boxes_election)
    assert other.status == "rejected" and other.reason in ("wrong_layout", "wrong_election"), other.to_json()


@pytest.mark.parametrize("lines", [1, 2, 3])
@pytest.mark.parametrize("pen_mm", [0.4, 0.8, 1.9])
def test_a_cancelled_box_mark_decoded_at_half_size_is_never_read_both(boxes_election, boxes_blank, pen_mm, lines):
    """What kept A5 at the full decode: a mark struck through by lines beside a mark in the other
    box read `both` once when halved. Its edges at 8 px/mm (from the halved decode) still say
    struck through."""
    from dataclasses import replace

    from kiemphieu.ocr.synthetic import marks as mk
    from kiemphieu.ocr.synthetic.classes import VARIETY, cancel_lines
    from kiemphieu.ocr.synthetic.ink import Pen, box_to_px, draw_strokes

    pen = Pen("pen", (150, 60, 25), pen_mm, 0.9, 0.0)
    variety = replace(VARIETY["tune"], cancel_lines=(lines, lines))
    layout = layout_for(boxes_election)
    img = boxes_blank.copy()
    rng = np.random.default_rng(lines)
    rows = [layout.row(cid) for cid in boxes_election.candidate_ids]
    for row in rows:
        first = box_to_px(row.agree_mm, 200)
        draw_strokes(img, mk.x_mark(first, 200, rng), pen, 200, rng)
        draw_strokes(img, cancel_lines(first, 200, rng, variety), pen, 200, rng)
        draw_strokes(img, mk.x_mark(box_to_px(row.disagree_mm, 200), 200, rng), pen, 200, rng)
    data = m.jpeg(m.scanner_blur(img))
    [page] = decode_pages(data, PROFILE, half_if_a5=True)
    assert page.reduction == 2
    [reading] = read_images(data, boxes_election)
    assert all(reading.boxes[row.id] == "uncertain" for row in rows), reading.box_scores
