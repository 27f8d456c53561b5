"""The decoder's reduction: an A4 page at 200 dpi decodes at half size; an A5 ballot keeps the
full decode (halved, a cancelled box mark loses its strike-through: see decode.half_if_a5), and
the reduction asked for an A5 page still reads it; a page that turns out larger is read from
the full decode."""

import cv2
import numpy as np

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


def test_an_a5_boxes_ballot_keeps_the_full_decode_and_a_halved_one_still_reads(boxes_election, boxes_blank):
    assert not half_if_a5(layout_for(boxes_election))
    img, first, second = marked_boxes(boxes_election, boxes_blank)
    data = m.jpeg(m.scanner_blur(img))
    [page] = decode_pages(data, PROFILE, half_if_a5=True)
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
