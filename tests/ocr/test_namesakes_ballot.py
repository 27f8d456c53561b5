"""Namesakes on the ballot: "Nguyễn Văn Dũng (sinh năm 1972)", the widest lists still fit, and
a strike through one namesake reads as that one (the PDF's text is read back)."""

from __future__ import annotations

import json

import pypdfium2
import pytest

from kiemphieu.ocr.geometry import QR_QUIET, layout_for
from kiemphieu.ocr.printing import render_ballot_image, render_ballot_pdf
from kiemphieu.ocr.reader import read_images
from kiemphieu.tally import parse_election

from . import marks as m

LONG = "Tôn Nữ Hoàng Nguyễn Thị Ngọc Quỳnh"  # a long Vietnamese full name


def election(candidates, seats, **extra):
    data = {
        "schema": "kiemphieu/election-1", "organization": "Đảng bộ xã Yên Lập",
        "congress": "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030",
        "title": "Bầu Ban Chấp hành Đảng bộ xã khóa XXI", "kind": "committee", "seats": seats,
        "convened": 150, "candidates": candidates, "place": "Yên Lập", "date": "2025-06-20", **extra,
    }
    return parse_election(json.dumps(data, ensure_ascii=False))


def two_dung(extra=3, seats=3):
    people = [{"id": "d1", "name": "Nguyễn Văn Dũng", "born": "1972-05-01"},
              {"id": "d2", "name": "Nguyễn Văn Dũng", "born": "1968-09-12"}]
    others = ["Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Hoa", "Hoàng Văn Khánh"][:extra]
    people += [{"id": f"o{i}", "name": n} for i, n in enumerate(others)]
    return election(people, seats)


def page_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def inside(inner, outer, tol=0.01):
    x, y, w, h = inner
    X, Y, W, H = outer
    return x >= X - tol and y >= Y - tol and x + w <= X + W + tol and y + h <= Y + H + tol


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def notes_of(layout):
    return [row.note for row in layout.rows if row.note]


def test_the_ballot_prints_each_namesake_with_the_birth_year():
    e = two_dung()
    text = page_text(render_ballot_pdf(e))
    assert "Nguyễn Văn Dũng (sinh năm 1968)" in text
    assert "Nguyễn Văn Dũng (sinh năm 1972)" in text
    assert "Trần Thị Bình (sinh" not in text  # a name nobody shares is printed as it is


def test_the_struck_box_is_the_name_and_the_note_follows_it_in_the_row():
    e = two_dung()
    layout = layout_for(e)
    notes = notes_of(layout)
    assert sorted(n.text for n in notes) == ["(sinh năm 1968)", "(sinh năm 1972)"]
    for cid in ("d1", "d2"):
        row = layout.row(cid)
        assert row.name.text == "Nguyễn Văn Dũng"  # name_mm: the full name the voter strikes
        note = row.note
        assert note.x > row.name_mm[0] + row.name_mm[2]
        assert inside(note.box, row.row_mm)


def _widest(count, seats):
    """`count` candidates in namesake pairs of a long name, each pair born the same year (the
    longest note: the full date)."""
    people = []
    for i in range(count):
        pair, second = divmod(i, 2)
        people.append({"id": f"c{i:02d}", "name": f"{LONG} {chr(ord('A') + pair % 26)}{'a' * (pair // 26)}",
                       "born": f"1972-{second + 1:02d}-{(pair % 28) + 1:02d}"})
    return election(people, seats)


@pytest.mark.parametrize("count,seats,paper,columns", [
    (4, 2, "A5", 1), (4, 4, "A5", 1),  # strike and boxes on A5
    (80, 70, "A4", 2), (80, 80, "A4", 2),  # the largest list: A4, two columns, both forms
])
def test_the_widest_namesake_lists_still_fit(count, seats, paper, columns):
    e = _widest(count, seats)
    assert all("(sinh ngày" in e.display_name(c.id) for c in e.candidates)
    layout = layout_for(e)
    assert (layout.paper.name, layout.columns) == (paper, columns)
    notes = notes_of(layout)
    assert len(notes) == count
    page = (0, 0, layout.paper.width, layout.paper.height)
    codes = [(x - QR_QUIET, y - QR_QUIET, w + 2 * QR_QUIET, h + 2 * QR_QUIET) for x, y, w, h in layout.code_boxes]
    assert len(codes) == 2 and all(inside(code, page) for code in codes)
    for item in layout.texts:  # the header beside the second code keeps clear of its quiet zone
        assert not any(overlaps(item.box, code) for code in codes), item
    for row in layout.rows:
        assert not any(overlaps(row.row_mm, code) for code in codes)
        note = row.note
        assert layout.to_json()["candidates"][row.order - 1]["note"]["text"] == note.text
        assert inside(note.box, row.row_mm) and inside(note.box, page)
        for box in (row.agree_mm, row.disagree_mm):
            if box:
                assert not overlaps(note.box, box) and not overlaps(row.name_mm, box)
    text = page_text(render_ballot_pdf(e))
    for c in e.candidates:
        assert e.display_name(c.id) in text


def test_a_strike_through_one_namesake_reads_as_that_one():
    dpi = 200
    e = two_dung()
    layout = layout_for(e)
    img = render_ballot_image(e, dpi)
    m.seal(img, layout, dpi)
    m.strike(img, layout, dpi, "d1")
    m.strike(img, layout, dpi, "o0")
    (reading,) = read_images(m.jpeg(m.scanner_blur(img)), e)
    assert reading.status == "read", reading.to_json()
    assert reading.marks["d1"] == "struck" and reading.marks["d2"] == "kept"


def test_a_ballot_of_the_committee_meeting_names_the_meeting_not_the_congress():
    people = [{"id": "a", "name": "Nguyễn Văn An"}]
    committee = page_text(render_ballot_pdf(election(people, 1, kind="secretary", body="committee",
                                                     title="Bầu Bí thư Đảng ủy xã khóa XXI")))
    assert "Hội nghị lần thứ nhất Ban Chấp hành Đảng bộ xã Yên Lập khóa mới" in committee
    assert "Đại hội đại biểu" not in committee
    congress = page_text(render_ballot_pdf(election(people, 1, kind="secretary", title="Bầu Bí thư")))
    assert "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI" in congress
