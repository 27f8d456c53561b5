"""The hall presentation: progress only while counting, the announcement once finalised, and the
presentation files (PPTX and 16:9 PDF) read back."""

from __future__ import annotations

import io
import json
import re
import unicodedata

import pypdfium2
import pytest

from kiemphieu.models import Role
from kiemphieu.results import services as results_services

from ..conftest import enter, get_document

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
# 9 ballots, 2 seats, base 12 (majority 7): Bình 9 (75,00 %), An 7 (58,33 %), Cường 2, Dung 0.
ELECTED = [("Trần Thị Bình", 9, "75,00"), ("Nguyễn Văn An", 7, "58,33")]
CANDIDATE_FIGURES = ["75,00", "58,33", "16,67"]


@pytest.fixture
def hall(make_round, make_user, make_congress, make_election, auth, post, codes):
    """A congress with a committee election counted in both passes (not finalised) and a
    second election still in set-up; logged in as the congress's organiser."""
    congress = make_congress(convened=12, committee=["Lê Thị Thu", "Hà Văn Tâm"])
    round_ = make_round(seats=2, candidates=NAMES, present=10, issued=10, congress=congress)
    make_election(congress=congress, title="Bầu Bí thư Đảng bộ xã", seats=1, candidates=["Hoàng Văn Đức"])
    make_user("totruong", Role.ORGANISER, congresses={congress: Role.ORGANISER})
    auth.login("totruong")
    c = codes(round_)
    by_name = dict(zip([cand.name for cand in round_.candidates], c))
    stack = [{"struck": [by_name["Lê Văn Cường"], by_name["Phạm Thị Dung"]]}] * 7 + [
        {"struck": [by_name["Nguyễn Văn An"], by_name["Phạm Thị Dung"]]}] * 2
    enter(post, round_, "A", stack)
    enter(post, round_, "B", stack[:8])  # pass B one ballot behind
    return round_


def finalise(round_, post, codes):
    c = codes(round_)
    by_name = dict(zip([cand.name for cand in round_.candidates], c))
    post.save(round_, "B", {"struck": [by_name["Nguyễn Văn An"], by_name["Phạm Thị Dung"]]}, confirm=True)
    results_services.finalise(round_, ["Lê Thị Thu"])


def test_during_counting_only_progress_leaves_the_server(client, hall):
    state = client.get(f"/congresses/{hall.congress.id}/hall.json")
    assert state.status_code == 200 and state.headers["Cache-Control"] == "no-store"
    slides = state.get_json()["slides"]
    assert [s["state"] for s in slides] == ["counting", "setup"]
    # Counted = positions both passes typed (B is one behind), of the issued ballots.
    assert slides[0]["counted"] == 8 and slides[0]["issued"] == 10 and slides[0]["seats"] == 2
    assert not {"elected", "outcome", "base", "majority", "valid", "invalid"} & slides[0].keys()
    page = client.get(f"/congresses/{hall.congress.id}/hall")
    assert page.status_code == 200
    for text in (state.get_data(as_text=True), page.get_data(as_text=True)):
        text = json.dumps(json.loads(text), ensure_ascii=False) if text.lstrip().startswith("{") else text
        for figure in CANDIDATE_FIGURES:
            assert figure not in text
        for name in NAMES:
            assert name not in text
        assert "trúng cử" not in text
    html = page.get_data(as_text=True)
    assert 'value="8" max="10"' in html and "Đang kiểm phiếu" in html and "Chưa bắt đầu kiểm phiếu" in html


def test_after_finalisation_the_hall_shows_the_announcement(client, hall, post, codes):
    finalise(hall, post, codes)
    slide = client.get(f"/congresses/{hall.congress.id}/hall.json").get_json()["slides"][0]
    assert slide["state"] == "final"
    assert (slide["base"], slide["majority"], slide["counted"], slide["valid"], slide["invalid"]) == (12, 7, 9, 9, 0)
    assert [(r["name"], r["votes"], r["percent"]) for r in slide["elected"]] == ELECTED
    assert slide["elected_heading"].startswith("Những đồng chí trúng cử vào Ban Chấp hành")
    assert slide["outcome"] == ["Đã bầu đủ số lượng cần bầu: 2 đồng chí."]
    html = client.get(f"/congresses/{hall.congress.id}/hall").get_data(as_text=True)
    for name, votes, percent in ELECTED:
        assert name in html and f"{votes} phiếu" in html and f"{percent}%" in html
    # The projector page has no navigation and no inline script (CSP-friendly).
    assert "mainnav" not in html and "<script>" not in html and 'src="/static/hall.js"' in html


def test_a_tie_is_announced_in_the_minutes_words(client, make_congress, make_round, make_user, auth, post, codes):
    # Base 10 (majority 6), 2 seats: An 8, Bình 6, Cường 6 — a tie at the last seat.
    congress = make_congress(convened=10, committee=["Lê Thị Thu"])
    round_ = make_round(seats=2, candidates=NAMES[:3], present=10, issued=10, entry_mode="single", congress=congress)
    make_user("to", Role.ORGANISER, congresses={congress: Role.ORGANISER})
    auth.login("to")
    an, binh, cuong = codes(round_)
    enter(post, round_, "A", [{"struck": [cuong]}] * 4 + [{"struck": [binh]}] * 4 + [{"struck": [an]}] * 2)
    results_services.finalise(round_, ["Lê Thị Thu"])
    slide = client.get(f"/congresses/{congress.id}/hall.json").get_json()["slides"][0]
    assert [(r["name"], r["votes"]) for r in slide["elected"]] == [("Nguyễn Văn An", 8)]
    assert any("Trần Thị Bình và Lê Văn Cường có số phiếu bằng nhau (6 phiếu, đạt 60,00%)" in p
               for p in slide["outcome"]), slide["outcome"]


def test_the_hall_needs_a_login_and_a_role_in_the_congress(client, hall, auth, make_user):
    auth.logout()
    assert client.get(f"/congresses/{hall.congress.id}/hall").status_code == 302
    make_user("khac", Role.COUNTER)
    auth.login("khac")
    assert client.get(f"/congresses/{hall.congress.id}/hall.json").status_code == 403


def test_presentation_files_wait_for_a_finalised_round(client, hall):
    reply = get_document(client, f"/congresses/{hall.congress.id}/results.pptx")
    assert reply.status_code == 302


def pptx_texts(data: bytes) -> list[str]:
    from pptx import Presentation

    texts = []
    for slide in Presentation(io.BytesIO(data)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
        texts.append(re.sub(r"\s+", " ", " ".join(parts)))
    return texts


def pdf_texts(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    texts = [re.sub(r"\s+", " ", unicodedata.normalize("NFC", page.get_textpage().get_text_range()))
             for page in document]
    document.close()
    return texts


def test_pptx_and_pdf_carry_every_elected_name_and_figure(client, hall, post, codes):
    finalise(hall, post, codes)
    pptx = get_document(client, f"/congresses/{hall.congress.id}/results.pptx")
    assert pptx.status_code == 200 and pptx.mimetype.endswith("presentationml.presentation")
    pdf = get_document(client, f"/congresses/{hall.congress.id}/results-slides.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from pptx import Presentation

    deck = Presentation(io.BytesIO(pptx.data))
    assert deck.slide_width * 9 == deck.slide_height * 16
    document = pypdfium2.PdfDocument(pdf.data)
    width, height = document[0].get_size()
    document.close()
    assert abs(width / height - 16 / 9) < 0.01
    for texts in (pptx_texts(pptx.data), pdf_texts(pdf.data)):
        flat = " ".join(texts)
        assert hall.congress.full_name in texts[0]
        assert "Tổng số làm căn cứ tính kết quả: 12" in flat
        assert "Số phiếu tối thiểu để trúng cử (quá một nửa): 7 phiếu" in flat
        assert "Đã bầu đủ số lượng cần bầu: 2 đồng chí." in flat
        for name, votes, percent in ELECTED:
            # The name, its votes and its percent in this order, in the order announced.
            assert re.search(rf"{name}\s+{votes}\s+{percent}", flat), name
        assert flat.index("Trần Thị Bình") < flat.index("Nguyễn Văn An")
        assert "Bầu Bí thư" not in flat  # not finalised: not in the file


def test_long_lists_are_split_over_pages():
    from kiemphieu.hall.presentation import ROWS_PER_PAGE, presentation_pages
    from kiemphieu.hall.services import FINAL, ElectedRow, Slide

    rows = [ElectedRow(i, f"Người {i}", 100 - i, "50,00") for i in range(1, 31)]
    slide = Slide(1, "Bầu Ban Chấp hành", 1, FINAL, 30, elected=rows)
    pages = presentation_pages([slide])
    assert pages[0].figures and not pages[0].rows
    assert [len(p.rows) for p in pages[1:]] == [ROWS_PER_PAGE, ROWS_PER_PAGE, 30 - 2 * ROWS_PER_PAGE]
    assert [r.rank for p in pages for r in p.rows] == list(range(1, 31))
