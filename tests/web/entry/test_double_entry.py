"""Double entry: passes A and B compared per stack position, differences settled against the paper."""

from __future__ import annotations

from sqlalchemy import select

from kiemphieu import tally
from kiemphieu.entry import comparison, services
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Ballot, Role

from ..conftest import enter


def organiser_login(make_user, auth, congress, name="totruong"):
    make_user(name, Role.ORGANISER, congresses={congress: Role.ORGANISER})
    auth.login(name)


def test_differences_are_listed_with_both_readings_in_names(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}, {"struck": [c[2], c[3]]}, {"invalid": "no_stamp"}])
    enter(post, round_, "B", [{"struck": [c[1], c[0]]}, {"struck": [c[1], c[3]]}])
    report = comparison.compare_passes(round_)
    assert (report.a_count, report.b_count, report.agreed) == (3, 2, 1)
    assert [d.sequence for d in report.differences] == [2, 3]
    page = client.get(f"/rounds/{round_.id}/compare")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # Sequence 2: A struck Cường and Dung, B struck Bình and Dung; sequence 3 is missing in B.
    assert "Phiếu số 2" in html and "Phiếu số 3" in html and "Phiếu số 1<" not in html
    assert "Gạch: 3. Lê Văn Cường, 4. Phạm Thị Dung" in html
    assert "Gạch: 2. Trần Thị Bình, 4. Phạm Thị Dung" in html
    assert "Không hợp lệ: Phiếu không có dấu" in html and "— không có phiếu —" in html
    # A counter sees the differences but the committee (organiser) settles them.
    assert "Lưu kết luận" not in html
    assert client.post(f"/rounds/{round_.id}/compare/2", data={"choice": "A"}).status_code == 403


def test_settling_creates_a_settled_ballot_and_is_logged(client, make_round, make_user, auth, post, codes):
    round_ = make_round(seats=2)
    organiser_login(make_user, auth, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}, {"struck": [c[2], c[3]]}, {"invalid": "no_stamp"}])
    enter(post, round_, "B", [{"struck": [c[0], c[1]]}, {"struck": [c[1], c[3]]}])
    assert "Lưu kết luận phiếu số 2" in client.get(f"/rounds/{round_.id}/compare").get_data(as_text=True)
    # Position 2: the paper says B. Position 3: the committee enters its own reading.
    assert client.post(f"/rounds/{round_.id}/compare/2", data={"choice": "B"}).status_code == 302
    reply = client.post(f"/rounds/{round_.id}/compare/3",
                        data={"choice": "marks", "struck": [c[0], c[3]], "invalid": "", "note": "xem lại phiếu"})
    assert reply.status_code == 302
    settled = db.session.scalars(select(Ballot).where(Ballot.entry_pass == "settled").order_by(Ballot.sequence)).all()
    assert [(b.sequence, b.marks) for b in settled] == [(2, {"struck": sorted([c[1], c[3]])}),
                                                        (3, {"struck": sorted([c[0], c[3]])})]
    report = comparison.compare_passes(round_)
    assert report.complete and not report.unsettled
    # The counted stack: A where A and B agree, the settled reading elsewhere.
    assert [b.marks for b in round_.counted_ballots()] == [{"struck": [c[0], c[1]]}, settled[0].marks, settled[1].marks]
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ballot.settle")).all()
    assert [(e.detail["sequence"], e.detail["choice"]) for e in logged] == [(2, "B"), (3, "marks")]
    assert logged[1].detail["note"] == "xem lại phiếu"
    html = client.get(f"/rounds/{round_.id}/compare").get_data(as_text=True)
    assert "Mọi chỗ khác nhau đã được Ban kiểm phiếu xử lý" in html


def test_settling_again_supersedes_the_earlier_ruling(client, make_round, make_user, auth, post, codes):
    round_ = make_round(seats=2)
    organiser_login(make_user, auth, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}])
    enter(post, round_, "B", [{"struck": [c[2], c[3]]}])
    client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "A"})
    client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "marks", "invalid": "identifying_mark"})
    rows = db.session.scalars(select(Ballot).where(Ballot.entry_pass == "settled").order_by(Ballot.id)).all()
    assert [(r.superseded, r.marks) for r in rows] == [(True, {"struck": [c[0], c[1]]}),
                                                       (False, {"invalid": "identifying_mark"})]


def test_a_position_only_one_pass_typed_can_be_settled_as_absent(client, make_round, make_user, auth, post, codes):
    round_ = make_round(seats=2)
    organiser_login(make_user, auth, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}, {"struck": [c[0], c[1]]}])
    enter(post, round_, "B", [{"struck": [c[0], c[1]]}])
    client.post(f"/rounds/{round_.id}/compare/2", data={"choice": "absent"})
    assert comparison.compare_passes(round_).complete
    assert len(round_.counted_ballots()) == 1
    assert tally.tally(round_.to_election(), round_.engine_ballots()).counted == 1


def test_boxes_readings_compare_as_equal_whatever_rows_were_typed(make_round):
    round_ = make_round(seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình"])
    election = round_.to_election()
    a, b = election.candidate_ids
    assert services.same_reading({"boxes": {a: "agree"}}, {"boxes": {a: "agree", b: "none"}}, election)
    assert not services.same_reading({"boxes": {a: "agree"}}, {"boxes": {a: "agree", b: "disagree"}}, election)


def test_compare_page_redirects_for_single_entry(client, make_round, counter):
    round_ = make_round(entry_mode="single")
    counter(round_.congress)
    reply = client.get(f"/rounds/{round_.id}/compare")
    assert reply.status_code == 302 and f"/rounds/{round_.id}/results" in reply.headers["Location"]
