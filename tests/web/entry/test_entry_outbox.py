"""What the entry screen's ordered outbox relies on: the engine's verdict table, saves in batches
with their stack position, idempotent retries and undo by key."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import select

from kiemphieu import tally
from kiemphieu.entry import services
from kiemphieu.extensions import db
from kiemphieu.models import Ballot


def live(round_, entry_pass="A"):
    return [(b.sequence, b.marks) for b in db.session.scalars(
        select(Ballot).where(Ballot.round_id == round_.id, Ballot.entry_pass == entry_pass,
                             Ballot.superseded.is_(False)).order_by(Ballot.sequence))]


def table_says(table, election, marks):
    """The screen's lookup (entry.js verdictOf), in Python."""
    ids = election.candidate_ids
    if table["by"] == "kept":
        return table["verdicts"][len(ids) - len(marks["struck"])]
    if table["by"] == "mark":
        return table["verdicts"][marks["boxes"][ids[0]]]
    return table["verdicts"][sum(1 for m in marks["boxes"].values() if m == "agree")]


def test_the_verdict_table_equals_the_engine_on_every_ballot_of_small_lists(make_round):
    cases = [dict(seats=2), dict(seats=1), dict(seats=4), dict(seats=4, candidates=["Nguyễn Văn An"]),
             dict(seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình"])]
    for case in cases:
        round_ = make_round(**case)
        election = round_.to_election()
        table = services.verdict_table(election)
        ids = election.candidate_ids
        if election.form is tally.Form.STRIKE:
            every = [{"struck": list(s)} for n in range(len(ids) + 1) for s in itertools.combinations(ids, n)]
        else:
            every = [{"boxes": dict(zip(ids, marks))}
                     for marks in itertools.product(["agree", "disagree", "both", "none"], repeat=len(ids))]
        for marks in every:
            engine = services.verdict_json(tally.judge(election, tally.parse_ballot(marks, election)))
            looked_up = table_says(table, election, marks)
            assert (looked_up["valid"], looked_up["reason"]) == (engine["valid"], engine["reason"]), (case, marks)


def test_a_batch_is_stored_in_order_and_a_retry_stores_nothing_new(client, make_round, counter, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    batch = {"ballots": [
        {"key": "k" * 10 + "1", "sequence": 1, "marks": {"struck": [c[0], c[1]]}},
        {"key": "k" * 10 + "2", "sequence": 2, "marks": {"invalid": "no_stamp"}},
        {"key": "k" * 10 + "3", "sequence": 3, "marks": {"struck": []}, "confirm_invalid": True},
    ]}
    url = f"/rounds/{round_.id}/entry/A/ballots"
    first = client.post(url, json=batch).get_json()
    assert first["error"] is None
    assert [(b["sequence"], b["duplicate"]) for b in first["saved"]] == [(1, False), (2, False), (3, False)]
    again = client.post(url, json=batch).get_json()  # the answer was lost: the screen sends it again
    assert [(b["sequence"], b["duplicate"]) for b in again["saved"]] == [(1, True), (2, True), (3, True)]
    assert live(round_) == [(1, {"struck": sorted([c[0], c[1]])}), (2, {"invalid": "no_stamp"}), (3, {"struck": []})]


def test_a_batch_stops_at_the_first_refusal_and_keeps_what_came_before(client, make_round, counter, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    response = client.post(f"/rounds/{round_.id}/entry/A/ballots", json={"ballots": [
        {"key": uuid.uuid4().hex, "sequence": 1, "marks": {"struck": [c[0], c[1]]}},
        {"key": uuid.uuid4().hex, "sequence": 2, "marks": {"struck": []}},  # over the seats, not confirmed
        {"key": uuid.uuid4().hex, "sequence": 3, "marks": {"struck": [c[2], c[3]]}},
    ]}).get_json()
    assert [b["sequence"] for b in response["saved"]] == [1]
    assert response["error_status"] == 422 and "quá số lượng" in response["error"]
    assert live(round_) == [(1, {"struck": sorted([c[0], c[1]])})]


def test_a_ballot_typed_for_another_stack_position_is_refused(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]})
    response = client.post(f"/rounds/{round_.id}/entry/A/ballots",
                           json={"key": uuid.uuid4().hex, "sequence": 3, "marks": {"struck": [c[0], c[1]]}})
    assert response.status_code == 409
    assert "phiếu số 3" in response.get_json()["error"] and "số 2" in response.get_json()["error"]
    assert len(live(round_)) == 1


def test_undo_by_key_is_idempotent(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]}, key="first-key-1")
    post.save(round_, "A", {"struck": [c[2], c[3]]}, key="second-key-2")
    url = f"/rounds/{round_.id}/entry/A/undo"
    assert client.post(url, json={"sequence": 2, "key": "second-key-2"}).get_json()["undone"] == 2
    repeated = client.post(url, json={"sequence": 2, "key": "second-key-2"})
    assert repeated.status_code == 200 and repeated.get_json()["undone"] == 2
    assert live(round_) == [(1, {"struck": sorted([c[0], c[1]])})]  # ballot 1 untouched
    # A key that is not the last live ballot is refused rather than undoing another paper.
    post.save(round_, "A", {"struck": [c[1], c[2]]}, key="third-key-3")
    refused = client.post(url, json={"sequence": 2, "key": "first-key-1"})
    assert refused.status_code == 409 and len(live(round_)) == 2


def test_the_screen_gets_the_verdict_table_and_each_recent_ballot_key(client, make_round, counter, post, codes):
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]}, key="recent-key-1")
    html = client.get(f"/rounds/{round_.id}/entry/A").get_data(as_text=True)
    assert '"by": "kept"' in html and '"recent-key-1"' in html
