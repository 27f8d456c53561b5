"""Tamper evidence over everything certified (issue 10, item 3 and findings 4-5).

Each test does what someone with write access to the database could do, below the app, and
asserts that ``audit-check``'s per-congress check and the pages show it:
- a finalised ballot's marks edited in SQL (the ballot rows are covered by the chain);
- the last entries cut off, round.finalise included (the head record and the versions);
- an old entry rewritten and every later hash recomputed, head record too (the anchor printed
  on the minutes);
- a result version rewritten with both stored digests made consistent (the round.finalise entry).
Runs on SQLite and on PostgreSQL (KIEMPHIEU_TEST_DATABASE_URL).
"""

from __future__ import annotations

import io
import json
import re

import pypdfium2
import pytest
from sqlalchemy import text

from kiemphieu import audit, tally
from kiemphieu.audit.check import check_congress
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Ballot, ResultVersion, Role
from kiemphieu.results import services as results_services

from .results.test_results import enter, login_as
from .conftest import get_document


def _unguarded(sql: str, **params) -> None:
    """Run SQL as an attacker with the database would: append-only triggers dropped first."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_entry")
    conn.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def finalised(make_round, make_user, auth, post, codes):
    """A double-entry round of 6 ballots, finalised through the services (version 1)."""
    round_ = make_round(seats=2, present=6, issued=6)
    login_as(make_user, auth, "totruong", Role.ADMIN)
    c = codes(round_)
    stack = [{"struck": [c[2], c[3]]}] * 4 + [{"struck": [c[1], c[3]]}] + [{"invalid": "no_stamp"}]
    enter(post, round_, "A", stack)
    enter(post, round_, "B", stack)
    results_services.finalise(round_, ["Lê Thị Thu"])
    assert check_congress(round_.election.congress_id).ok
    return round_


def _chain(congress_id: int) -> list[AuditEntry]:
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.chain == audit.chain_key(congress_id))
                              .order_by(AuditEntry.seq)).all()


def test_ballot_save_entries_carry_the_ballot_digest(finalised):
    saves = [e for e in _chain(finalised.election.congress_id) if e.action == "ballot.save"]
    assert len(saves) == 12
    for entry in saves:
        row = db.session.get(Ballot, entry.detail["ballot_id"])
        assert entry.detail["ballot_digest"] == audit.ballot_digest(row)


def test_editing_a_finalised_ballot_is_detected(client, finalised, codes):
    c = codes(finalised)
    target = finalised.active_ballots("A")[4]
    _unguarded("UPDATE ballot SET marks = :m WHERE id = :i", m=json.dumps({"struck": [c[0], c[3]]}), i=target.id)
    result = check_congress(finalised.election.congress_id)
    assert result.chain.ok  # the log itself is intact
    assert not result.ok and [p.ballot_id for p in result.ballots.problems] == [target.id]
    assert "phiếu số 5 lượt A" in result.problems()[0]
    html = client.get(f"/rounds/{finalised.id}/results").get_data(as_text=True)
    assert "Dữ liệu phiếu KHÔNG khớp nhật ký thao tác (1 phiếu)" in html and "phiếu số 5 lượt A" in html
    # A reopen and a new finalisation cannot certify the altered ballot.
    results_services.reopen(finalised, "Kiểm tra lại")
    with pytest.raises(results_services.ResultsError, match="không khớp nhật ký"):
        results_services.finalise(finalised, ["Lê Thị Thu"])


def test_an_undone_ballot_brought_back_is_detected(finalised, make_round, post, codes):
    round_ = make_round(seats=2, present=6, issued=6, congress=finalised.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}])
    assert post.undo(round_, "A").status_code == 200
    undone = db.session.scalar(db.select(Ballot).where(Ballot.round_id == round_.id))
    assert undone.superseded and check_congress(round_.election.congress_id).ok
    _unguarded("UPDATE ballot SET superseded = :f WHERE id = :i", f=False, i=undone.id)
    problems = check_congress(round_.election.congress_id).ballots.problems
    assert [p.problem for p in problems] == ["phiếu đã hủy trong nhật ký nhưng đang được tính"]


def test_deleting_a_counted_ballot_is_detected(finalised):
    target_id, congress_id = finalised.active_ballots("B")[0].id, finalised.election.congress_id
    _unguarded("DELETE FROM ballot WHERE id = :i", i=target_id)
    problems = check_congress(congress_id).ballots.problems
    assert [(p.ballot_id, p.problem) for p in problems] == [(target_id, "phiếu có trong nhật ký nhưng đã bị xóa")]


def test_cutting_off_the_last_entries_with_round_finalise_is_detected(client, finalised):
    congress_id = finalised.election.congress_id
    log = _chain(congress_id)
    assert log[-1].action == "round.finalise"
    _unguarded("DELETE FROM audit_entry WHERE chain = :c AND seq >= :s", c=log[-2].chain, s=log[-2].seq)
    result = check_congress(congress_id)
    assert not result.chain.ok and "mất 2 mục cuối" in result.chain.problem
    assert [v.problem for v in result.versions] == ["không có mục chốt kết quả (round.finalise) trong nhật ký"]
    # The head record rewritten to match does not help: version 1 has no round.finalise entry.
    _unguarded("UPDATE audit_head SET seq = :s, hash = :h WHERE chain = :c", s=log[-3].seq, h=log[-3].hash,
               c=log[-3].chain)
    result = check_congress(congress_id)
    assert result.chain.ok and not result.ok
    html = client.get(f"/rounds/{finalised.id}/versions").get_data(as_text=True)
    assert "KHÔNG KHỚP</b>: không có mục chốt kết quả" in html


def _rewrite_from(congress_id: int, seq: int, detail: dict) -> None:
    """Change entry ``seq``, then recompute every later hash and the head record, consistently."""
    prev = None
    for entry in _chain(congress_id):
        if entry.seq < seq:
            prev = entry.hash
            continue
        forged = AuditEntry(chain=entry.chain, seq=entry.seq, at=entry.at, user_id=entry.user_id,
                            username=entry.username, congress_id=entry.congress_id, action=entry.action,
                            detail=detail if entry.seq == seq else entry.detail, prev_hash=prev)
        new_hash = audit.entry_hash(forged)
        _unguarded("UPDATE audit_entry SET detail = :d, prev_hash = :p, hash = :h WHERE id = :i",
                   d=json.dumps(forged.detail, ensure_ascii=False), p=prev, h=new_hash, i=entry.id)
        prev = new_hash
    _unguarded("UPDATE audit_head SET hash = :h WHERE chain = :c", h=prev, c=audit.chain_key(congress_id))


def _printed_anchor(client, round_) -> tuple[int, str]:
    pdf = pypdfium2.PdfDocument(io.BytesIO(get_document(client, f"/rounds/{round_.id}/minutes.pdf").data))
    footer = " ".join(page.get_textpage().get_text_range() for page in pdf)
    match = re.search(r"Nhật ký thao tác, đại hội (\d+), mục (\d+): ([0-9a-f]{64})", footer.replace("\r\n", " "))
    assert match, footer[-400:]
    assert int(match[1]) == round_.election.congress_id
    return int(match[2]), match[3]


def test_rewriting_an_old_entry_and_every_later_hash_is_caught_by_the_printed_anchor(client, finalised):
    congress_id = finalised.election.congress_id
    anchor = _printed_anchor(client, finalised)
    finalise_entry = _chain(congress_id)[-1]
    assert anchor == (finalise_entry.seq, finalise_entry.hash)
    assert check_congress(congress_id, anchor).ok
    _rewrite_from(congress_id, 2, {"forged": True})
    result = check_congress(congress_id)
    assert result.chain.ok  # consistent forgery: the chain alone cannot tell
    result = check_congress(congress_id, anchor)
    assert not result.ok and "nhật ký đã bị viết lại" in result.anchor_problem


def test_rewriting_a_result_version_and_both_digests_is_detected(client, finalised, codes):
    c = codes(finalised)
    version = finalised.result_versions[0]
    record = json.loads(json.dumps(version.record))
    record["ballots"][0] = {"struck": [c[0], c[3]]}
    election = tally.parse_election(json.dumps(record["election"], ensure_ascii=False), "forged")
    ballots = [tally.parse_ballot(b, election) for b in record["ballots"]]
    forged = tally.round_digest(election, ballots, tally.tally(election, ballots))
    _unguarded("UPDATE result_version SET record = :r, digest = :d WHERE id = :i",
               r=json.dumps(record, ensure_ascii=False), d=forged, i=version.id)
    _unguarded("UPDATE round SET digest = :d WHERE id = :i", d=forged, i=finalised.id)
    version = db.session.get(ResultVersion, version.id)
    assert results_services.version_result(version).digest == version.digest == finalised.digest  # consistent
    result = check_congress(finalised.election.congress_id)
    assert [v.problem for v in result.versions] == ["mã xác thực đã lưu khác với mã ghi trong nhật ký khi chốt"]
    versions_page = client.get(f"/rounds/{finalised.id}/versions").get_data(as_text=True)
    assert "KHÔNG KHỚP</b>: mã xác thực đã lưu khác" in versions_page
    results_page = client.get(f"/rounds/{finalised.id}/results").get_data(as_text=True)
    assert "Mã xác thực KHÔNG khớp nhật ký thao tác" in results_page


def test_untouched_round_pages_say_everything_matches(client, finalised):
    results_page = client.get(f"/rounds/{finalised.id}/results").get_data(as_text=True)
    assert "Đã đối chiếu 12 dòng phiếu với nhật ký thao tác: khớp." in results_page
    assert "Mã xác thực khớp mục chốt kết quả trong nhật ký thao tác." in results_page
    versions_page = client.get(f"/rounds/{finalised.id}/versions").get_data(as_text=True)
    assert '<td class="logged-check">khớp</td>' in versions_page
