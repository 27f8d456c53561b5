"""Regressions for the reader's faster paths: the A5-guess decode and its finer fallback."""

from kiemphieu.ocr.decode import decode_pages
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.printing import render_ballot_image
from kiemphieu.ocr.profiles import load_profile
from kiemphieu.ocr.reader import read_images

from . import marks as m
from .conftest import make_election


def _ballot(election, dpi, struck=()):
    img = render_ballot_image(election, dpi)
    layout = layout_for(election)
    m.seal(img, layout, dpi)
    for cid in struck:
        m.strike(img, layout, dpi, cid)
    return img


def test_a5_ballot_is_decoded_at_the_reduction_an_a5_page_allows(strike_election):
    assert layout_for(strike_election).paper.name == "A5"
    data = m.jpeg(_ballot(strike_election, 200))
    (page,) = decode_pages(data, load_profile(None))
    assert page.reduction == 2 and page.finer is not None  # an A4 guess would decode in full
    ids = strike_election.candidate_ids
    data = m.jpeg(m.scanner_blur(_ballot(strike_election, 200, struck=[ids[1]])))
    (reading,) = read_images(data, strike_election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks[ids[1]] == "struck" and reading.marks[ids[0]] == "kept"
    assert 190 < reading.checks["dpi"] < 210


def test_a4_page_too_coarse_at_the_a5_guess_is_decoded_again_and_read():
    election = make_election(30, 20)
    assert layout_for(election).paper.name == "A4"
    ids = election.candidate_ids
    # 141 dpi: the A5 guess halves it to 70 dpi, below the 100 dpi the reader works at.
    data = m.jpeg(m.scanner_blur(_ballot(election, 141, struck=[ids[0], ids[5]])))
    (page,) = decode_pages(data, load_profile(None))
    assert page.reduction == 2 and page.finer().reduction == 1
    (reading,) = read_images(data, election)
    assert reading.status == "read", reading.to_json()
    assert reading.marks[ids[0]] == reading.marks[ids[5]] == "struck"
    assert sum(v == "kept" for v in reading.marks.values()) == 28
    assert 135 < reading.checks["dpi"] < 147
