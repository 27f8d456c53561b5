"""Elections held by the new committee at its first meeting count against the committee's
own figures (issue 9, item 1): set-up, round, results, minutes (verified) and ballots."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import Election, Role
from kiemphieu.tally import Body, Kind

from .conftest import COMMITTEE, html_text, pdf_text
from ..conftest import get_document


@pytest.fixture
def plenum(make_congress, make_election):
    """The issue's congress: 152 convened, 2 excluded; the committee of 9 elected; the Bí thư
    elected by the committee's first meeting, 1 member excluded, 8 present."""
    congress = make_congress(convened=152, exclusions=[(1, "Vắng cả kỳ đại hội"), (1, "Đình chỉ sinh hoạt")],
                             committee=COMMITTEE)
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Vũ Thị Giang",
             "Đặng Văn Hải", "Bùi Thị Hạnh", "Đỗ Văn Hùng", "Ngô Thị Hương", "Dương Văn Khánh"]
    make_election(congress=congress, seats=9, candidates=names)
    secretary = make_election(congress=congress, kind=Kind.SECRETARY, title="Bầu Bí thư Đảng ủy xã khóa XXI",
                              seats=1, candidates=["Nguyễn Văn An"])
    services.add_exclusion(congress, 1, "Ủy viên Ban Chấp hành đi chữa bệnh dài ngày", Body.COMMITTEE)
    services.set_round_numbers(secretary.rounds[0], 8, 8)
    return secretary


def test_the_secretary_defaults_to_the_committee_and_counts_its_members(plenum):
    assert plenum.body == "committee"
    engine = plenum.rounds[0].to_election()
    assert (engine.convened, engine.excluded, engine.present, engine.base, engine.majority) == (9, 1, 8, 8, 5)
    # The congress's own figures are untouched.
    assert (plenum.congress.convened, plenum.congress.excluded, plenum.congress.base) == (152, 2, 150)


def test_a_bi_thu_of_a_nine_member_committee_has_base_8_majority_5_in_results_and_minutes(
        client, plenum, make_user, auth, post):
    from kiemphieu.minutes import verify_minutes

    round_ = plenum.rounds[0]
    services.start_entry(round_)
    make_user("totruong", Role.ORGANISER, congresses={plenum.congress: Role.ORGANISER})
    auth.login("totruong")
    code = round_.candidates[0].code
    for marks in [{"boxes": {code: "agree"}}] * 6 + [{"boxes": {code: "disagree"}}] * 2:
        assert post.save(round_, "A", marks, confirm=True).status_code == 201
        assert post.save(round_, "B", marks, confirm=True).status_code == 201

    page = html_text(client.get(f"/rounds/{round_.id}/results"))
    assert "Hội nghị lần thứ nhất Ban Chấp hành khóa mới" in page
    assert "Ủy viên Ban Chấp hành được triệu tập 9" in page
    assert "Cơ sở tính quá bán 8" in page and "Số phiếu tối thiểu để trúng cử 5" in page
    assert "75,00" in page  # 6 of base 8

    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    assert reply.status_code == 302
    minutes = get_document(client, f"/rounds/{round_.id}/minutes.pdf").data
    text = pdf_text(minutes)
    assert "Hội nghị lần thứ nhất Ban Chấp hành Đảng bộ xã Yên Lập khóa mới tiến hành bầu cử" in text
    assert "Tổng số ủy viên Ban Chấp hành được triệu tập: 9 đồng chí" in text
    assert "Ủy viên Ban Chấp hành đi chữa bệnh dài ngày: 1 đồng chí" in text
    assert "Tổng số làm căn cứ tính kết quả bầu cử: 8 đồng chí" in text
    assert "(quá một nửa): 5 phiếu" in text
    assert "Số có mặt lúc bầu cử: 8 đồng chí; vắng mặt: 1 đồng chí" in text
    figures = re.sub(r"[0-9a-f]{16,}", "", text)  # digests and hashes may hold "152" by chance
    assert "152" not in figures and "150" not in figures
    report = verify_minutes(minutes)
    assert report.ok, report.text()


def test_the_committee_size_follows_the_congress_committee_election_or_the_organiser(plenum):
    congress = plenum.congress
    assert congress.convened_for(Body.COMMITTEE) == 9  # its seats, while not finalised
    services.set_committee_convened(congress, 11)
    assert plenum.rounds[0].to_election().convened == 11
    services.set_committee_convened(congress, None)
    assert plenum.rounds[0].to_election().convened == 9
    with pytest.raises(services.SetupError, match="Số có mặt \\(10\\) không thể lớn hơn số được triệu tập \\(9\\)"):
        services.set_round_numbers(plenum.rounds[0], 10, 8)


def test_without_a_committee_election_the_plenum_needs_its_convened_count(make_congress, make_election):
    congress = make_congress(convened=40, committee=COMMITTEE)
    secretary = make_election(congress=congress, kind=Kind.SECRETARY, title="Bầu Bí thư", seats=1,
                              candidates=["Nguyễn Văn An"], present=7, issued=7)
    with pytest.raises(services.SetupError, match="nhập số ủy viên Ban Chấp hành được triệu tập"):
        services.start_entry(secretary.rounds[0])
    services.set_committee_convened(congress, 7)
    services.start_entry(secretary.rounds[0])
    assert secretary.rounds[0].to_election().base == 7


def test_the_election_form_offers_the_body_with_the_default_per_kind(client, auth, make_congress, app):
    congress = make_congress(committee=COMMITTEE)
    auth.as_role(Role.ORGANISER)
    form = client.get(f"/congresses/{congress.id}/elections/new").get_data(as_text=True)
    assert "Cơ quan bầu" in form and "Hội nghị lần thứ nhất Ban Chấp hành khóa mới" in form
    cases = [("committee", "", "congress"), ("delegates", "", "congress"), ("alternates", "", "congress"),
             ("standing_committee", "", "committee"), ("secretary", "", "committee"),
             ("deputy_secretary", "", "committee"), ("inspection_committee", "", "committee"),
             ("inspection_chair", "", "committee"), ("secretary", "congress", "congress")]
    for kind, chosen, expected in cases:
        title = f"Bầu {kind.replace('_', ' ')} {chosen or 'mặc định'}"
        reply = client.post(f"/congresses/{congress.id}/elections/new",
                            data={"kind": kind, "title": title, "seats": "1", "body": chosen,
                                  "entry_mode": "double"})
        assert reply.status_code == 302
        election = db.session.scalar(select(Election).where(Election.title == title))
        assert election.body == expected, (kind, chosen)


def test_the_congress_page_sets_the_committee_figures(client, auth, plenum):
    congress = plenum.congress
    auth.as_role(Role.ORGANISER)
    page = html_text(client.get(f"/congresses/{congress.id}"))
    assert "Hội nghị lần thứ nhất Ban Chấp hành khóa mới" in page
    assert "Ủy viên Ban Chấp hành được triệu tập 9" in page and "Cơ sở tính quá bán 8" in page
    reply = client.post(f"/congresses/{congress.id}/exclusions?body=committee",
                        data={"committee-count": "1", "committee-reason": "Đang bị tạm giam"})
    assert reply.status_code == 302
    assert congress.excluded_for(Body.COMMITTEE) == 2 and congress.excluded == 2
    client.post(f"/congresses/{congress.id}/committee-convened", data={"committee_convened": "10"})
    assert congress.convened_for(Body.COMMITTEE) == 10
    page = html_text(client.get(f"/rounds/{plenum.rounds[0].id}"))
    assert "Ủy viên Ban Chấp hành được triệu tập 10" in page and "Cơ sở tính quá bán 8" in page


def test_the_ballot_pdf_of_a_plenum_election_prints(client, auth, plenum):
    auth.as_role(Role.ORGANISER)
    reply = get_document(client, f"/rounds/{plenum.rounds[0].id}/ballots.pdf?copies=2")
    assert reply.status_code == 200
    assert "Nguyễn Văn An" in pdf_text(reply.data)
