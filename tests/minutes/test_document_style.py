"""Item 5's document defects: one date style, the locality on the date line, "(lần 2)" on one
line, the deputy head not signing as an ủy viên, only members present signing, and the
presidium's signer named on the summary. Every check reads the PDF's text back."""

from __future__ import annotations

from datetime import date

import pytest
from minutes_support import COMMITTEE, flat, keep, make_election, pdf_pages

from kiemphieu.minutes import render_congress_summary, render_minutes
from kiemphieu.ocr.printing import render_ballot_pdf
from kiemphieu.tally import CommitteeMember, tally


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for page in pdf_pages(pdf) for line in page.split("\n") if line.strip()]


def signatures(pdf: bytes) -> str:
    return flat(pdf).split("TM. BAN KIỂM PHIẾU", 1)[1]


def test_ballot_minutes_and_summary_write_the_date_one_way_without_leading_zeros():
    election = make_election("abc", seats=2, convened=10, date=date(2026, 1, 5), place="Yên Lập")
    ballots = keep(election, "ab", 6)
    minutes = flat(render_minutes(election, ballots))
    ballot = flat(render_ballot_pdf(election))
    summary = flat(render_congress_summary(election.congress, election.organization,
                                           [(election, tally(election, ballots))]))
    for text in (minutes, ballot, summary):
        assert "Yên Lập, ngày 5 tháng 1 năm 2026" in text
        assert "tháng 01" not in text and "ngày 05" not in text


@pytest.mark.parametrize("extra", range(0, 48, 3))
def test_a_round_two_title_never_wraps_inside_its_round_label(extra):
    title = "Bầu Ban Chấp hành Đảng bộ xã khóa XXI " + "x" * extra
    election = make_election("bcd", seats=2, convened=22, round=2, title=title)
    lines = lines_of(render_minutes(election, keep(election, "bc", 12)))
    assert not any(line.endswith("(lần") for line in lines)
    assert any("(lần 2)" in line for line in lines)


COMMITTEE_WITH_DEPUTY = (
    CommitteeMember("Lê Thị Thu", "Trưởng ban"),
    CommitteeMember("Phạm Văn Hòa", "Phó Trưởng ban"),
    CommitteeMember("Hà Văn Tâm", "Ủy viên"),
    CommitteeMember("Đỗ Thị Ngọc Ánh", "Ủy viên"),
)


def test_the_deputy_head_signs_as_deputy_not_as_an_uy_vien():
    election = make_election("abc", seats=2, convened=10, committee=COMMITTEE_WITH_DEPUTY)
    signed = signatures(render_minutes(election, keep(election, "ab", 6)))
    deputy, members = signed.split("CÁC ỦY VIÊN BAN KIỂM PHIẾU")
    assert "PHÓ TRƯỞNG BAN" in deputy and "Phạm Văn Hòa" in deputy
    assert "Phạm Văn Hòa" not in members
    assert "Hà Văn Tâm" in members and "Đỗ Thị Ngọc Ánh" in members


def test_only_the_members_present_get_signature_lines():
    election = make_election("abc", seats=2, convened=10, committee=COMMITTEE_WITH_DEPUTY)
    pdf = render_minutes(election, keep(election, "ab", 6), signers=["Lê Thị Thu", "Hà Văn Tâm"])
    text = flat(pdf)
    # Everyone is listed as a member of the committee...
    assert "Đ/c Phạm Văn Hòa, Phó Trưởng ban;" in text and "Đ/c Đỗ Thị Ngọc Ánh, Ủy viên;" in text
    # ...but only those present sign.
    signed = signatures(pdf)
    assert "Lê Thị Thu" in signed and "Hà Văn Tâm" in signed
    assert "Phạm Văn Hòa" not in signed and "Đỗ Thị Ngọc Ánh" not in signed and "PHÓ TRƯỞNG BAN" not in signed


def test_without_a_list_of_those_present_every_member_signs():
    election = make_election("abc", seats=2, convened=10, committee=COMMITTEE)
    signed = signatures(render_minutes(election, keep(election, "ab", 6)))
    assert all(m.name in signed for m in COMMITTEE)


def test_the_summary_names_who_signs_for_the_presidium():
    election = make_election("abc", seats=2, convened=10)
    ballots = keep(election, "ab", 6)
    rounds = [(election, tally(election, ballots))]
    signed = flat(render_congress_summary(election.congress, election.organization, rounds,
                                          signer="Nguyễn Văn Hùng"))
    assert signed.split("TM. ĐOÀN CHỦ TỊCH", 1)[1].split("Mã xác thực")[0].strip().startswith("Nguyễn Văn Hùng")
    unsigned = flat(render_congress_summary(election.congress, election.organization, rounds))
    assert unsigned.split("TM. ĐOÀN CHỦ TỊCH", 1)[1].strip().startswith("…………")
