"""The minutes PDF carries every figure of `tally`, in the official layout (text read back)."""

from __future__ import annotations

import re

import pytest
from minutes_support import SCENARIOS, flat, make_election, pdf_pages

from kiemphieu.minutes import WORDING, render_minutes
from kiemphieu.minutes.formatting import percent_vi
from kiemphieu.tally import PLENUM_KINDS, REASON_LABELS, Body, Kind, Outcome, round_digest, tally


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for page in pdf_pages(pdf) for line in page.split("\n")]


def section(lines: list[str], start: str, end: str) -> list[str]:
    begin = next(i for i, line in enumerate(lines) if line.startswith(start))
    stop = next(i for i, line in enumerate(lines) if i > begin and line.startswith(end))
    return lines[begin + 1:stop]


def table(lines: list[str]) -> list[str]:
    return [line for line in lines if re.match(r"^\d+ \D+ \d+ \d+,\d\d", line)]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_figure_of_tally_is_printed(rendered, name):
    election, ballots, pdf = rendered(name)
    result = tally(election, ballots)
    text = flat(pdf)
    lines = lines_of(pdf)

    assert f"Tổng số làm căn cứ tính kết quả bầu cử: {result.base} đồng chí" in text
    assert f"số phiếu bầu tối thiểu để trúng cử (quá một nửa): {result.majority} phiếu" in text
    assert f"số phiếu thu về: {result.counted} phiếu" in text
    assert f"Số phiếu hợp lệ: {result.valid} phiếu" in text
    assert f"số phiếu không hợp lệ: {result.invalid} phiếu" in text
    assert f"được triệu tập: {election.convened} đồng chí" in text
    assert f"kết quả bầu cử: {election.excluded} đồng chí" in text
    for reason, count in result.invalid_reasons.items():
        assert f"{REASON_LABELS[reason]}: {count} phiếu" in text

    # Results in ballot order, percent against the base with a decimal comma.
    results = table(section(lines, "Kết quả kiểm phiếu (xếp theo", "Tỷ lệ % tính so với"))
    assert results == [f"{c.order} {c.name} {c.votes} {percent_vi(c.percent)}" for c in result.candidates]
    assert all("." not in row.split()[-1] for row in results)

    # The elected, by votes.
    elected = table(section(lines, "Những đồng chí", "Kiểm phiếu kết thúc"))
    expected = [result.by_id(cid) for cid in result.elected]
    assert elected == [f"{i} {c.name} {c.votes} {percent_vi(c.percent)}" for i, c in enumerate(expected, 1)]
    assert [c.votes for c in expected] == sorted((c.votes for c in expected), reverse=True)

    # The round's digest in the footer of every page.
    digest = round_digest(election, ballots)
    for page in pdf_pages(pdf):
        assert f"Mã xác thực (SHA-256): {digest}" in re.sub(r"\s+", " ", page)
        assert f"/verify/{digest}" in page.replace("\n", "")


def test_layout_header_title_committee_and_signatures(rendered):
    election, _, pdf = rendered("complete_with_invalid")
    text = flat(pdf)
    first_page = pdf_pages(pdf)[0]
    for expected in ("ĐẢNG BỘ XÃ YÊN LẬP", "ĐẠI HỘI ĐẠI BIỂU LẦN THỨ XXI", "BAN KIỂM PHIẾU",
                     "ĐẢNG CỘNG SẢN VIỆT NAM", "Yên Lập, ngày 20 tháng 6 năm 2025", "BIÊN BẢN KIỂM PHIẾU",
                     "Bầu Ban Chấp hành Đảng bộ xã khóa XXI, nhiệm kỳ 2025 - 2030"):
        assert expected in first_page
    assert "(lần " not in first_page  # round 1 carries no round label
    assert "Đại hội đã biểu quyết số lượng Ủy viên Ban Chấp hành khóa mới là 3 đồng chí." in text
    assert "Danh sách bầu cử gồm 5 đồng chí" in text
    candidates = section(lines_of(pdf), "TT Họ và tên Ghi chú", "- Ban kiểm phiếu")
    assert candidates == [f"{i} {c.name}" for i, c in enumerate(election.candidates, 1)]
    assert "Đ/c Lê Thị Thu, Trưởng ban" in text and "Đ/c Hà Văn Tâm, Ủy viên" in text
    assert "Số có mặt lúc bầu cử: 37 đồng chí; vắng mặt: 3 đồng chí." in text
    assert "Số phiếu phát ra: 37 phiếu" in text
    assert "TM. BAN KIỂM PHIẾU TRƯỞNG BAN Lê Thị Thu" in text
    assert "Hà Văn Tâm" in text.split("CÁC ỦY VIÊN BAN KIỂM PHIẾU")[1]
    assert "Đỗ Thị Ngọc Ánh" in text.split("CÁC ỦY VIÊN BAN KIỂM PHIẾU")[1]
    assert "Kiểm phiếu kết thúc vào lúc 16 giờ 45 phút, ngày 20 tháng 6 năm 2025." in text
    assert "Đã bầu đủ số lượng cần bầu: 3 đồng chí." in text


def test_a_tie_is_stated_in_words_with_the_runoff(rendered):
    election, ballots, pdf = rendered("tie")
    result = tally(election, ballots)
    assert result.outcome is Outcome.TIE
    text = flat(pdf)
    b, c = result.by_id("b"), result.by_id("c")
    assert (f"Các đồng chí {b.name} và {c.name} có số phiếu bằng nhau ({b.votes} phiếu, đạt "
            f"{percent_vi(b.percent)}%)") in text
    assert f"Đề nghị Đại hội bầu tiếp (lần 2) 1 đồng chí trong số các đồng chí: {b.name} và {c.name}." in text


def test_unfilled_seats_are_stated_with_the_proposed_list(rendered):
    election, ballots, pdf = rendered("unfilled")
    result = tally(election, ballots)
    assert result.outcome is Outcome.UNFILLED
    text = flat(pdf)
    assert "Số đồng chí trúng cử (1) chưa đủ số lượng cần bầu (3), còn thiếu 2 đồng chí." in text
    names = [result.by_id(cid).name for cid in result.next_round.candidates]
    assert (f"quyết định bầu tiếp (lần 2) 2 đồng chí; danh sách đề nghị gồm các đồng chí chưa trúng cử: "
            f"{', '.join(names[:-1])} và {names[-1]}.") in text
    assert "54,55" in text  # 12 / 22 rounded half up


def test_single_candidate_boxes_form(rendered):
    election, ballots, pdf = rendered("single_candidate_boxes")
    text = flat(pdf)
    assert "Bầu Bí thư Đảng ủy xã khóa XXI" in text
    assert "Những đồng chí trúng cử Bí thư" in text
    assert f"{REASON_LABELS['unclear']}: 2 phiếu" in text
    # Elected by the new committee's first plenum, whose members are the base.
    assert "Hội nghị lần thứ nhất Ban Chấp hành Đảng bộ xã Yên Lập khóa mới tiến hành bầu cử" in text
    assert "Tổng số ủy viên Ban Chấp hành được triệu tập: 15" in text
    # No present/issued in the file: dots to fill in by hand.
    assert "Số có mặt lúc bầu cử: ………… đồng chí" in text


def test_round_two_label_and_visible_checks(rendered):
    election, ballots, pdf = rendered("round_two_with_checks")
    result = tally(election, ballots)
    text = flat(pdf)
    assert "nhiệm kỳ 2025 - 2030 (lần 2)" in text
    assert result.checks
    assert "Chênh lệch số liệu Ban kiểm phiếu phải làm rõ trước khi ký biên bản:" in text
    for check in result.checks:
        assert check.message in text


@pytest.mark.parametrize("kind", list(Kind))
def test_wording_follows_the_kind(kind):
    election = make_election("abc", seats=2, convened=10, kind=kind, title="Bầu cử thử")
    from minutes_support import keep

    ballots = keep(election, "ab", 6) + keep(election, "bc", 3)
    text = flat(render_minutes(election, ballots))
    wording = WORDING[kind]
    assert f"Những đồng chí {wording.elected_as} (xếp theo số phiếu từ cao đến thấp" in text
    assert f"{wording.seats_intro} là 2 đồng chí." in text
    # Without a body the congress holds the vote (contract §1), whatever the kind.
    assert "Tổng số đại biểu chính thức được triệu tập: 10 đồng chí" in text


@pytest.mark.parametrize("kind", sorted(PLENUM_KINDS))
def test_wording_and_figures_follow_the_committee_body(kind, tmp_path):
    """The Done-when case: a 9-member committee, 1 excluded, 8 present: base 8, majority 5."""
    from minutes_support import keep

    from kiemphieu.minutes import Exclusion, verify_minutes

    election = make_election("abc", seats=1, convened=9, excluded=1, present=8, issued=8, kind=kind,
                             body=Body.COMMITTEE, title="Bầu cử thử")
    ballots = keep(election, "a", 5) + keep(election, "b", 3)
    pdf = render_minutes(election, ballots, exclusions=[Exclusion(1, "Ủy viên Ban Chấp hành đang điều trị dài ngày")])
    text = flat(pdf)
    assert "Hội nghị lần thứ nhất Ban Chấp hành Đảng bộ xã Yên Lập khóa mới tiến hành bầu cử" in text
    assert "Tổng số ủy viên Ban Chấp hành được triệu tập: 9 đồng chí" in text
    assert "Tổng số làm căn cứ tính kết quả bầu cử: 8 đồng chí" in text
    assert "số phiếu bầu tối thiểu để trúng cử (quá một nửa): 5 phiếu" in text
    assert "Số có mặt lúc bầu cử: 8 đồng chí; vắng mặt: 1 đồng chí" in text
    assert "Tỷ lệ % tính so với tổng số làm căn cứ tính kết quả bầu cử (8 ủy viên Ban Chấp hành)" in text
    assert "đại biểu" not in text.split("Ban kiểm phiếu gồm")[1].split("Kết quả kiểm phiếu")[0]
    assert "công bố trước Hội nghị Ban Chấp hành" in text
    report = verify_minutes(pdf)
    assert report.ok, report.text()


def test_a_branch_elects_its_secretary_at_the_congress():
    election = make_election("ab", seats=1, convened=12, kind=Kind.SECRETARY, organization="Chi bộ Thôn 3",
                             congress="Đại hội Chi bộ Thôn 3 lần thứ XV, nhiệm kỳ 2025 - 2027",
                             title="Bầu Bí thư Chi bộ")
    from minutes_support import keep

    text = flat(render_minutes(election, keep(election, "a", 8) + keep(election, "b", 4)))
    assert "CHI BỘ THÔN 3" in text and "ĐẠI HỘI LẦN THỨ XV" in text
    assert "Đại hội Chi bộ Thôn 3 lần thứ XV, nhiệm kỳ 2025 - 2027 tiến hành bầu cử" in text
    assert "Tổng số đảng viên chính thức được triệu tập: 12" in text


def test_namesakes_show_their_birth_year_everywhere():
    from datetime import date

    from kiemphieu.minutes import verify_minutes
    from kiemphieu.tally import Candidate

    election = make_election("ab", seats=2, convened=10, candidates=(
        Candidate("x1", "Nguyễn Văn An", date(1975, 4, 2)), Candidate("x2", "Nguyễn Văn An", date(1980, 1, 5)),
        Candidate("b", "Trần Thị Bình")))
    from minutes_support import keep

    ballots = keep(election, ["b", "x1"], 4) + keep(election, ["b", "x2"], 4) + keep(election, ["x1", "x2"], 2)
    pdf = render_minutes(election, ballots)
    text = flat(pdf)
    # List, results table and the tie sentence all tell the two apart.
    assert "1 Nguyễn Văn An (sinh năm 1975) 2 Nguyễn Văn An (sinh năm 1980) 3 Trần Thị Bình" in text
    assert "1 Nguyễn Văn An (sinh năm 1975) 6 60,00 2 Nguyễn Văn An (sinh năm 1980) 6 60,00" in text
    assert "Các đồng chí Nguyễn Văn An (sinh năm 1975) và Nguyễn Văn An (sinh năm 1980) có số phiếu bằng nhau" in text
    # The one name that is not shared is printed as it is.
    assert "Trần Thị Bình (sinh" not in text
    report = verify_minutes(pdf)
    assert report.ok, report.text()


def test_exclusion_reasons_are_listed():
    from kiemphieu.minutes import Exclusion
    from minutes_support import keep

    election = make_election("abc", seats=2, convened=12, excluded=2)
    pdf = render_minutes(election, keep(election, "ab", 8), exclusions=[
        Exclusion(1, "Vắng mặt cả kỳ đại hội có lý do"), Exclusion(1, "Đang bị đình chỉ sinh hoạt đảng")])
    text = flat(pdf)
    assert "kết quả bầu cử: 2 đồng chí, gồm: + Vắng mặt cả kỳ đại hội có lý do: 1 đồng chí;" in text
    assert "+ Đang bị đình chỉ sinh hoạt đảng: 1 đồng chí;" in text


def test_draft_watermark(rendered):
    election, ballots, final = rendered("tie")
    draft = render_minutes(election, ballots, draft=True)
    assert all("BẢN NHÁP — CHƯA KẾT THÚC" in page for page in pdf_pages(draft))
    assert "BẢN NHÁP" not in flat(final)


def test_verify_url_base_goes_into_footer_and_qr(rendered):
    election, ballots, _ = rendered("tie")
    pdf = render_minutes(election, ballots, verify_url_base="http://192.0.2.10:8000/")
    digest = round_digest(election, ballots)
    assert f"http://192.0.2.10:8000/verify/{digest}" in flat(pdf).replace(" ", "")
