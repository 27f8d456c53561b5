"""Ballot entry through the test client: what is stored, what the screen is told."""

from __future__ import annotations

import re

from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Ballot, Role


def live(round_, entry_pass="A"):
    return db.session.scalars(
        select(Ballot).where(Ballot.round_id == round_.id, Ballot.entry_pass == entry_pass,
                             Ballot.superseded.is_(False)).order_by(Ballot.sequence)
    ).all()


def test_entry_screen_lists_candidates_in_ballot_order(client, make_round, counter):
    round_ = make_round()
    counter(round_.congress)
    page = client.get(f"/rounds/{round_.id}/entry/A")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Ballot order is by given name: An, Bình, Cường, Dung.
    positions = [html.index(name) for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung")]
    assert positions == sorted(positions)
    assert "Phiếu số 1" in html and "Lượt A" in html
    assert 'name="csrf-token"' in html and "entry.js" in html


def test_save_stores_marks_and_sequence_and_audits(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    user = counter(round_.congress)
    c = codes(round_)
    first = post.save(round_, "A", {"struck": [c[3], c[1]]}, key="key-00000001")
    assert first.status_code == 201
    body = first.get_json()
    assert body["sequence"] == 1 and body["duplicate"] is False
    assert body["verdict"] == {"valid": True, "reason": None, "label": "Phiếu hợp lệ", "votes": sorted([c[0], c[2]])}
    assert body["summary"] == "gạch 2, 4"
    second = post.save(round_, "A", {"struck": [c[0], c[1]]})
    assert second.get_json()["sequence"] == 2
    rows = live(round_)
    assert [(b.sequence, b.marks) for b in rows] == [(1, {"struck": sorted([c[1], c[3]])}), (2, {"struck": [c[0], c[1]]})]
    assert rows[0].entered_by_id == user.id and rows[0].idempotency_key == "key-00000001"
    saves = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ballot.save")).all()
    assert [e.detail["sequence"] for e in saves] == [1, 2]


def test_repeated_key_is_stored_once_and_returns_the_same_sequence(client, make_round, counter, post, codes):
    round_ = make_round()
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]})
    first = post.save(round_, "A", {"struck": [c[2], c[3]]}, key="same-key-123")
    again = post.save(round_, "A", {"struck": [c[2], c[3]]}, key="same-key-123")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["sequence"] == again.get_json()["sequence"] == 2
    assert again.get_json()["duplicate"] is True
    assert len(live(round_)) == 2
    assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 2


def test_key_of_another_pass_is_refused(client, make_round, counter, post, codes):
    round_ = make_round()
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]}, key="shared-key-1")
    reply = post.save(round_, "B", {"struck": [c[0], c[1]]}, key="shared-key-1")
    assert reply.status_code == 409
    assert live(round_, "B") == []


def test_invalid_by_rule_needs_confirmation_before_it_is_stored(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    over = post.save(round_, "A", {"struck": [c[0]]})  # keeps 3 of 4 for 2 seats
    assert over.status_code == 422
    assert over.get_json()["needs_confirmation"] is True
    assert over.get_json()["verdict"]["reason"] == "over_seats"
    assert "Bầu quá số lượng cần bầu" in over.get_json()["error"]
    assert live(round_) == []
    none_kept = post.save(round_, "A", {"struck": c})
    assert none_kept.status_code == 422 and none_kept.get_json()["verdict"]["label"] == "Không bầu ai"
    confirmed = post.save(round_, "A", {"struck": [c[0]]}, confirm=True)
    assert confirmed.status_code == 201
    assert confirmed.get_json()["verdict"]["valid"] is False
    assert live(round_)[0].marks == {"struck": [c[0]]}


def test_committee_invalid_reason_is_stored_without_confirmation(client, make_round, counter, post):
    round_ = make_round()
    counter(round_.congress)
    reply = post.save(round_, "A", {"invalid": "no_stamp"})
    assert reply.status_code == 201
    assert reply.get_json()["summary"] == "không hợp lệ: phiếu không có dấu"
    assert live(round_)[0].marks == {"invalid": "no_stamp"}
    bad = post.save(round_, "A", {"invalid": "over_seats"})  # an engine reason cannot be typed as a ruling
    assert bad.status_code == 400


def test_unknown_candidate_or_bad_key_is_refused(client, make_round, counter, post):
    round_ = make_round()
    counter(round_.congress)
    assert post.save(round_, "A", {"struck": ["c99"]}).status_code == 400
    assert post.save(round_, "A", {"boxes": {}}).status_code == 400  # strike-form election
    assert post.save(round_, "A", {"struck": []}, key="short").status_code == 400
    assert live(round_) == []


def test_judge_endpoint_asks_the_engine(client, make_round, counter, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    ok = client.post(f"/rounds/{round_.id}/judge", json={"marks": {"struck": [c[0], c[1]]}}).get_json()
    assert ok["valid"] is True and ok["votes"] == sorted([c[2], c[3]])
    over = client.post(f"/rounds/{round_.id}/judge", json={"marks": {"struck": []}}).get_json()
    assert over == {"valid": False, "reason": "over_seats", "label": "Bầu quá số lượng cần bầu", "votes": []}


def test_undo_supersedes_the_last_ballot_and_the_position_is_entered_again(client, make_round, counter, post, codes):
    round_ = make_round()
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]})
    post.save(round_, "A", {"struck": [c[2], c[3]]})
    wrong_guess = post.undo(round_, "A", sequence=1)
    assert wrong_guess.status_code == 409 and "phiếu số 2" in wrong_guess.get_json()["error"]
    undone = post.undo(round_, "A", sequence=2)
    assert undone.status_code == 200
    body = undone.get_json()
    assert body["undone"] == 2 and body["totals"]["counted"] == 1 and body["totals"]["last_sequence"] == 1
    kept = db.session.scalars(select(Ballot).where(Ballot.sequence == 2)).one()
    assert kept.superseded is True and kept.superseded_at is not None  # never deleted
    again = post.save(round_, "A", {"struck": [c[1], c[3]]})
    assert again.get_json()["sequence"] == 2
    assert [b.marks["struck"] for b in live(round_)] == [[c[0], c[1]], sorted([c[1], c[3]])]
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(AuditEntry.action == "ballot.undo")) == 1


def test_undo_with_nothing_entered(client, make_round, counter, post):
    round_ = make_round()
    counter(round_.congress)
    reply = post.undo(round_, "A")
    assert reply.status_code == 409 and "Chưa có phiếu" in reply.get_json()["error"]


def test_state_gives_the_engine_totals_of_the_pass(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[2], c[3]]})
    post.save(round_, "A", {"struck": [c[1], c[3]]})
    post.save(round_, "A", {"invalid": "added_name"})
    post.save(round_, "B", {"struck": [c[0], c[1]]})
    state = client.get(f"/rounds/{round_.id}/entry/A/state").get_json()
    assert state["totals"] == {"counted": 3, "valid": 2, "invalid": 1, "last_sequence": 3,
                               "votes": {c[0]: 2, c[1]: 1, c[2]: 1, c[3]: 0}}
    assert [r["sequence"] for r in state["recent"]] == [3, 2, 1]
    page = client.get(f"/rounds/{round_.id}/entry/A").get_data(as_text=True)
    assert "Phiếu số 4" in page


def test_boxes_form_ballots(client, make_round, counter, post, codes):
    round_ = make_round(seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình"])
    counter(round_.congress)
    c = codes(round_)
    html = client.get(f"/rounds/{round_.id}/entry/A").get_data(as_text=True)
    assert "Đồng ý" in html and "Không đồng ý" in html and "form-boxes" in html
    reply = post.save(round_, "A", {"boxes": {c[0]: "agree"}})
    assert reply.status_code == 201 and reply.get_json()["verdict"]["votes"] == [c[0]]
    # Stored with every row spelled out, so two readings compare as equal JSON.
    assert live(round_)[0].marks == {"boxes": {c[0]: "agree", c[1]: "none"}}
    assert post.save(round_, "A", {"boxes": {c[0]: "disagree", c[1]: "both"}}).status_code == 422


def test_single_candidate_unclear_is_flagged(client, make_round, counter, post, codes):
    from kiemphieu.tally import Kind

    round_ = make_round(seats=1, candidates=["Nguyễn Văn An"], kind=Kind.SECRETARY, title="Bầu Bí thư",
                        body="congress")
    counter(round_.congress)
    c = codes(round_)
    reply = post.save(round_, "A", {"boxes": {c[0]: "both"}})
    assert reply.status_code == 422 and reply.get_json()["verdict"]["reason"] == "unclear"


def test_single_entry_is_labelled_and_has_no_pass_b(client, make_round, counter, post, codes):
    round_ = make_round(entry_mode="single")
    counter(round_.congress)
    html = client.get(f"/rounds/{round_.id}/entry/A").get_data(as_text=True)
    assert "Nhập một lần — không đối chiếu" in html
    assert client.get(f"/rounds/{round_.id}/entry/B").status_code == 404
    assert post.save(round_, "B", {"struck": codes(round_)[:2]}).status_code == 404
    assert client.get(f"/rounds/{round_.id}/entry/X").status_code == 404


def test_entry_is_refused_before_the_list_is_frozen(client, make_election, counter, post):
    election = make_election(present=10, issued=10)
    round_ = election.rounds[0]
    counter(election.congress)
    page = client.get(f"/rounds/{round_.id}/entry/A")
    assert page.status_code == 409 and "chưa bắt đầu nhập phiếu" in page.get_data(as_text=True)
    reply = post.save(round_, "A", {"invalid": "no_stamp"})
    assert reply.status_code == 409 and live(round_) == []


def test_counter_of_another_congress_gets_403(client, make_round, make_congress, make_organisation, counter, post):
    round_ = make_round()
    other = make_congress(organisation=make_organisation("Đảng bộ xã Khác"))
    counter(other)
    assert client.get(f"/rounds/{round_.id}/entry/A").status_code == 403
    assert post.save(round_, "A", {"invalid": "no_stamp"}).status_code == 403
    assert client.post(f"/rounds/{round_.id}/judge", json={"marks": {"struck": []}}).status_code == 403
    assert live(round_) == []


def test_viewer_cannot_enter(client, make_round, counter, post):
    round_ = make_round()
    counter(round_.congress, Role.VIEWER)
    assert client.get(f"/rounds/{round_.id}/entry/A").status_code == 403
    assert post.save(round_, "A", {"invalid": "no_stamp"}).status_code == 403


def test_json_save_needs_the_csrf_header(app, client, make_round, make_user):
    round_ = make_round()
    make_user("nhap", Role.COUNTER, password="mat-khau-nhap", congresses={round_.congress: Role.COUNTER})
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    logged_in = client.post("/login", data={"username": "nhap", "password": "mat-khau-nhap", "csrf_token": token})
    assert logged_in.status_code == 302
    screen = client.get(f"/rounds/{round_.id}/entry/A").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', screen).group(1)
    url = f"/rounds/{round_.id}/entry/A/ballots"
    body = {"key": "csrf-key-0001", "marks": {"invalid": "no_stamp"}}
    assert client.post(url, json=body).status_code == 400
    assert live(round_) == []
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 201
    assert len(live(round_)) == 1
