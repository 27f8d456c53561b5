"""Several clerk pairs on one round: the stack in numbered batches (tệp phiếu), each typed and
compared on its own, the totals and results over every batch; and triple entry."""

from __future__ import annotations

import uuid

import pytest

from kiemphieu import tally
from kiemphieu.congress import services as setup
from kiemphieu.entry import comparison
from kiemphieu.extensions import db
from kiemphieu.models import EntryPass, Role
from kiemphieu.results import services as results


def save(client, round_, entry_pass, batch, marks, confirm=False):
    url = (f"/rounds/{round_.id}/entry/{entry_pass}/ballots" if batch == 1
           else f"/rounds/{round_.id}/batches/{batch}/entry/{entry_pass}/ballots")
    return client.post(url, json={"key": uuid.uuid4().hex, "marks": marks, "confirm_invalid": confirm})


@pytest.fixture
def two_batches(app, make_round, make_user, auth, codes):
    """A double-entry round split in two batches; four clerks, each typing one pass of one batch."""
    app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] = True
    round_ = make_round(seats=2)
    setup.set_batches(round_, 2)
    for name in ("an", "binh", "cuong", "dung"):
        make_user(name, Role.COUNTER, congresses={round_.congress: Role.COUNTER})
    return round_, codes(round_)


def type_as(client, auth, user, round_, entry_pass, batch, stack):
    auth.logout()
    auth.login(user)
    for marks in stack:
        reply = save(client, round_, entry_pass, batch, marks)
        assert reply.status_code == 201, reply.get_json()
    return [reply]


def test_each_batch_is_its_own_stack_compared_on_its_own(client, auth, two_batches):
    round_, c = two_batches
    first = [{"struck": [c[0], c[1]]}, {"struck": [c[2], c[3]]}]
    second = [{"struck": [c[1], c[2]]}, {"struck": [c[0], c[3]]}, {"struck": [c[0], c[2]]}]
    type_as(client, auth, "an", round_, "A", 1, first)
    type_as(client, auth, "binh", round_, "B", 1, first)
    type_as(client, auth, "binh", round_, "A", 2, second)  # binh typed B of batch 1: A of batch 2 is fine
    slipped = [second[0], {"struck": [c[0], c[1]]}, second[2]]
    type_as(client, auth, "cuong", round_, "B", 2, slipped)
    numbered = [(b.batch, b.sequence) for b in round_.active_ballots("A")]
    assert numbered == [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3)]

    report = comparison.compare_passes(round_)
    assert (report.a_count, report.b_count, report.agreed) == (5, 5, 4)
    assert [(d.batch, d.sequence) for d in report.unsettled] == [(2, 2)]
    assert [(b.batch, b.agreed, len(b.differences)) for b in report.batches] == [(1, 2, 0), (2, 2, 1)]
    assert "tệp 2 số 2" in " ".join(results.finalisation_blockers(round_))

    # The comparison page lists the difference under its batch; settling it names the batch.
    auth.logout()
    setup_user = "totruong"
    from kiemphieu.auth import services as users

    users.create_user(setup_user, "matkhau-thu-nghiem", Role.ORGANISER)
    auth.login(setup_user)
    html = client.get(f"/rounds/{round_.id}/compare").get_data(as_text=True)
    assert 'id="tep-2-phieu-2"' in html and "Tệp 2, phiếu số 2" in html and 'id="batches"' in html
    response = client.post(f"/rounds/{round_.id}/batches/2/compare/2", data={"choice": "A"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#tep-2-phieu-2")
    assert comparison.compare_passes(round_).complete

    # Results over every batch: the engine's tally of all five ballots.
    rr = results.current_result(round_)
    assert rr.result.counted == 5
    expected = tally.tally(round_.to_election(), [tally.parse_ballot(m, round_.to_election()) for m in first + second])
    assert [x.votes for x in rr.result.candidates] == [x.votes for x in expected.candidates]
    version = results.finalise(round_, ["Lê Thị Thu"], acknowledge_checks=True)
    assert version.digest == tally.round_digest(rr.election, rr.ballots, rr.result)


def test_one_clerk_may_not_type_two_passes_of_one_batch(client, auth, two_batches):
    round_, c = two_batches
    type_as(client, auth, "an", round_, "A", 2, [{"struck": [c[0], c[1]]}])
    reply = save(client, round_, "B", 2, {"struck": [c[0], c[1]]})
    assert reply.status_code == 409 and "tệp phiếu số 2" in reply.get_json()["error"]
    assert save(client, round_, "B", 1, {"struck": [c[0], c[1]]}).status_code == 201  # another batch


def test_the_entry_screen_shows_the_batch_and_the_position_in_it(client, auth, two_batches):
    round_, c = two_batches
    type_as(client, auth, "an", round_, "A", 2, [{"struck": [c[0], c[1]]}])
    html = client.get(f"/rounds/{round_.id}/batches/2/entry/A").get_data(as_text=True)
    assert "Tệp phiếu số 2/2" in html and "Phiếu số 2 của tệp 2" in html
    assert f"/rounds/{round_.id}/batches/2/entry/A/ballots" in html
    assert client.get(f"/rounds/{round_.id}/batches/3/entry/A").status_code == 404


def test_batches_cannot_drop_below_one_holding_ballots(client, auth, two_batches):
    round_, c = two_batches
    type_as(client, auth, "an", round_, "A", 2, [{"struck": [c[0], c[1]]}])
    with pytest.raises(setup.SetupError, match="Tệp phiếu số 2 đã có phiếu"):
        setup.set_batches(round_, 1)
    setup.set_batches(round_, 3)
    assert round_.batches == 3


def test_the_round_page_sets_batches_and_links_each_batch_and_pass(client, auth, two_batches):
    round_, _ = two_batches
    auth.as_role(Role.ORGANISER)
    response = client.post(f"/rounds/{round_.id}/batches", data={"batches": "3"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    db.session.expire_all()
    assert round_.batches == 3 and "Đã chia xấp phiếu thành 3 tệp." in html
    for batch in (1, 2, 3):
        for entry_pass in ("A", "B"):
            assert f"Nhập tệp {batch}, lượt {entry_pass}" in html


def test_triple_entry_compares_three_passes(client, make_round, counter, codes):
    round_ = make_round(seats=2, entry_mode="triple")
    counter(round_.congress)
    c = codes(round_)
    good, slip = {"struck": [c[0], c[1]]}, {"struck": [c[0], c[2]]}
    for entry_pass, marks in (("A", good), ("B", good), ("C", slip)):
        assert save(client, round_, entry_pass, 1, marks).status_code == 201
        assert save(client, round_, entry_pass, 1, good).status_code == 201
    report = comparison.compare_passes(round_)
    assert (report.a_count, report.b_count, report.c_count, report.agreed) == (2, 2, 2, 1)
    (difference,) = report.unsettled
    assert difference.sequence == 1 and difference.c.marks == slip
    assert difference.agreeing == (EntryPass.A, EntryPass.B) and difference.dissenting == EntryPass.C
    html = client.get(f"/rounds/{round_.id}/compare").get_data(as_text=True)
    assert "Lượt A và lượt B đọc giống nhau; lượt C khác." in html
    comparison.settle(round_, 1, "A")
    assert comparison.compare_passes(round_).complete
    assert results.current_result(round_).result.counted == 2


def test_triple_entry_names_no_pair_when_all_three_differ(client, make_round, counter, codes):
    round_ = make_round(seats=2, entry_mode="triple")
    counter(round_.congress)
    c = codes(round_)
    for entry_pass, marks in (("A", {"struck": [c[0], c[1]]}), ("B", {"struck": [c[0], c[2]]}),
                              ("C", {"struck": [c[1], c[2]]})):
        assert save(client, round_, entry_pass, 1, marks).status_code == 201
    (difference,) = comparison.compare_passes(round_).unsettled
    assert difference.agreeing is None and difference.dissenting is None
    assert "đọc giống nhau" not in client.get(f"/rounds/{round_.id}/compare").get_data(as_text=True)


def test_double_entry_differences_name_no_pair(client, auth, two_batches):
    round_, c = two_batches
    type_as(client, auth, "an", round_, "A", 1, [{"struck": [c[0], c[1]]}])
    type_as(client, auth, "binh", round_, "B", 1, [{"struck": [c[2], c[3]]}])
    (difference,) = comparison.compare_passes(round_).unsettled
    assert difference.agreeing is None
