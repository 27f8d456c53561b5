"""Results, finalisation, reopening, versions, next round, minutes and /verify."""

from __future__ import annotations

import io

import pypdfium2
from sqlalchemy import select

from kiemphieu import tally
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Ballot, ResultVersion, Role, Round

from ..conftest import enter, get_document
from .conftest import login_as


def test_results_show_the_engine_figures_with_decimal_commas(client, counted_round, codes):
    round_ = counted_round
    c = codes(round_)
    page = client.get(f"/rounds/{round_.id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = tally.tally(round_.to_election(), round_.engine_ballots())
    assert expected.by_id(c[0]).votes == 5 and expected.base == 12
    # 5 of base 12 = 41,67 %: below the majority (7), nobody is elected.
    assert "41,67" in html and "33,33" in html and "8,33" in html
    assert "Không đủ quá một nửa" in html and "Chưa có ai trúng cử" in html
    assert "Không có đồng chí nào có số phiếu bầu quá một nửa" in html  # the minutes' wording
    assert "Phiếu không có dấu: 1" in html
    assert "Lượt A: 6 phiếu · lượt B: 6 phiếu · khớp 6" in html
    assert "Các số liệu khớp nhau" in html
    assert "Tải biên bản (PDF)" in html and "bản nháp" in html
    # Ballot order in the table.
    rows = [html.index(name) for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung")]
    assert rows == sorted(rows)


def test_results_partial_for_the_live_refresh(client, counted_round):
    reply = client.get(f"/rounds/{counted_round.id}/results", headers={"X-Partial": "1"})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and html.lstrip().startswith("{#") is False
    assert 'id="live"' in html and "<html" not in html


def test_reconciliation_checks_are_shown(client, make_round, make_user, auth, post, codes):
    round_ = make_round(seats=2, present=2, issued=1)
    login_as(make_user, auth, "to", Role.ORGANISER, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}, {"struck": [c[0], c[1]]}])
    html = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    assert "Số phiếu thu về (2) nhiều hơn số phiếu phát ra (1)." in html


def test_finalise_with_reconciliation_problems_needs_an_acknowledgement(client, make_round, make_user, auth, post,
                                                                       codes):
    round_ = make_round(seats=2, present=2, issued=1, entry_mode="single")
    login_as(make_user, auth, "to", Role.ORGANISER, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}, {"struck": [c[0], c[1]]}])
    page = client.get(f"/rounds/{round_.id}/finalise").get_data(as_text=True)
    assert "Ban kiểm phiếu đã xem xét" in page
    refused = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    assert "Số liệu chưa khớp" in refused.get_data(as_text=True)
    accepted = client.post(f"/rounds/{round_.id}/finalise",
                           data={"confirmed": ["Lê Thị Thu"], "acknowledge_checks": "y"})
    assert accepted.status_code == 302
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "round.finalise")).one()
    assert logged.detail["checks"] == ["counted_exceeds_issued"]


def test_finalise_is_blocked_while_differences_remain(client, make_round, make_user, auth, post, codes):
    round_ = make_round(seats=2)
    login_as(make_user, auth, "totruong", Role.ORGANISER, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}, {"struck": [c[2], c[3]]}])
    enter(post, round_, "B", [{"struck": [c[0], c[1]]}, {"struck": [c[1], c[3]]}])
    page = client.get(f"/rounds/{round_.id}/finalise").get_data(as_text=True)
    assert "Còn 1 phiếu lượt A và lượt B đọc khác nhau" in page and "phiếu số 2" in page
    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    assert reply.status_code == 200 and "Chưa chốt được" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "entry"
    client.post(f"/rounds/{round_.id}/compare/2", data={"choice": "A"})
    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "finalised"


def test_finalise_needs_the_head_of_the_committee(client, counted_round):
    round_ = counted_round
    page = client.get(f"/rounds/{round_.id}/finalise").get_data(as_text=True)
    assert "Lê Thị Thu — Trưởng ban" in page and "Hà Văn Tâm — Ủy viên" in page
    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Hà Văn Tâm"]})
    assert "Cần xác nhận của Trưởng Ban kiểm phiếu (Lê Thị Thu)" in reply.get_data(as_text=True)
    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu", "Người Lạ"]})
    assert "Chỉ thành viên Ban kiểm phiếu" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "entry"


def test_finalise_stores_the_round_digest_and_version_1(client, counted_round):
    round_ = counted_round
    election, ballots = round_.to_election(), round_.engine_ballots()
    expected = tally.round_digest(election, ballots)
    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu", "Hà Văn Tâm"]})
    assert reply.status_code == 302
    db.session.expire_all()
    round_ = db.session.get(Round, round_.id)
    assert round_.status == "finalised" and round_.version == 1 and round_.digest == expected
    version = round_.result_versions[0]
    assert version.version == 1 and version.digest == expected
    assert version.record == tally.canonical_record(election, ballots)
    assert version.result == tally.tally(election, ballots).to_json()
    assert version.confirmed_by == ["Lê Thị Thu", "Hà Văn Tâm"]
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "round.finalise")).one()
    assert logged.detail["digest"] == expected
    html = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    assert expected in html and "phiên bản 1" in html and "khớp mã xác thực" in html


def test_finalised_round_refuses_entry(client, counted_round, post, codes):
    round_ = counted_round
    client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    before = db.session.scalar(select(db.func.count()).select_from(Ballot))
    reply = post.save(round_, "A", {"struck": codes(round_)[:2]})
    assert reply.status_code == 409 and "đã chốt kết quả" in reply.get_json()["error"]
    assert post.undo(round_, "A").status_code == 409
    assert client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "A"}).status_code == 302
    page = client.get(f"/rounds/{round_.id}/entry/B")
    assert page.status_code == 409 and "Vòng bầu đã chốt kết quả" in page.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == before


def test_reopen_needs_an_administrator_and_a_reason_and_keeps_version_1(
        client, counted_round, make_user, auth, post, codes):
    round_ = counted_round
    c = codes(round_)
    client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    db.session.expire_all()
    first_digest = db.session.get(Round, round_.id).digest
    # The organiser may not reopen.
    assert client.post(f"/rounds/{round_.id}/reopen", data={"reason": "sai"}).status_code == 403
    login_as(make_user, auth, "quantri", Role.ADMIN)
    assert "Mở lại vòng bầu (quản trị viên)" in client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    empty = client.post(f"/rounds/{round_.id}/reopen", data={"reason": "  "}, follow_redirects=True)
    assert "Cần ghi lý do" in empty.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "finalised"
    reason = "Phát hiện phiếu số 6 nhập sai lý do"
    assert client.post(f"/rounds/{round_.id}/reopen", data={"reason": reason}).status_code == 302
    db.session.expire_all()
    round_ = db.session.get(Round, round_.id)
    assert round_.status == "entry" and round_.digest is None and round_.version == 2
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "round.reopen")).one()
    assert logged.detail["reason"] == reason and logged.detail["previous_digest"] == first_digest
    # Correct the last ballot in both passes, then finalise again: version 2.
    for entry_pass in ("A", "B"):
        assert post.undo(round_, entry_pass, sequence=6).status_code == 200
        enter(post, round_, entry_pass, [{"invalid": "identifying_mark"}])
    assert client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]}).status_code == 302
    versions = db.session.scalars(select(ResultVersion).order_by(ResultVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].digest == first_digest and versions[1].digest != first_digest
    assert versions[1].reopened_reason == reason and versions[0].reopened_reason is None
    # Version 1 stays readable, rebuilt from its own record.
    listing = client.get(f"/rounds/{round_.id}/versions").get_data(as_text=True)
    assert first_digest in listing and versions[1].digest in listing and "KHÔNG KHỚP" not in listing
    old = client.get(f"/rounds/{round_.id}/versions/1").get_data(as_text=True)
    assert "Phiếu không có dấu: 1" in old and "phiên bản cũ" in old
    new = client.get(f"/rounds/{round_.id}/versions/2").get_data(as_text=True)
    assert "Có ký hiệu, chữ ký riêng: 1" in new
    assert client.get(f"/rounds/{round_.id}/versions/3").status_code == 404
    assert c  # the ballots of pass A/B were corrected by supersede + re-entry, never edited


def test_next_round_from_the_engine_proposal(client, make_round, make_user, auth, post, codes):
    # 3 seats of base 12: An and Bình 12 votes each, Cường 5, Dung 0 -> one seat unfilled.
    round_ = make_round(seats=3, present=12, issued=12, entry_mode="single")
    login_as(make_user, auth, "totruong", Role.ORGANISER, round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[2], c[3]]}] * 7 + [{"struck": [c[3]]}] * 5)
    client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    results = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    assert "Mở vòng 2 theo đề xuất" in results and "Nhập một lần — không đối chiếu" in results
    page = client.get(f"/rounds/{round_.id}/next-round").get_data(as_text=True)
    assert 'value="1"' in page  # one seat left, proposed
    for code in (c[2], c[3]):
        assert f'value="{code}" checked' in page
    for code in (c[0], c[1]):
        assert f'value="{code}" checked' not in page
    # The organiser keeps the proposal but may edit it: here they keep only Cường.
    reply = client.post(f"/rounds/{round_.id}/next-round",
                        data={"seats": "1", "entry_mode": "double", "candidates": [c[2]]})
    assert reply.status_code == 302
    second = db.session.scalars(select(Round).where(Round.number == 2)).one()
    assert second.seats == 1 and second.entry_mode == "double" and [x.code for x in second.candidates] == [c[2]]
    assert second.status == "setup"
    again = client.post(f"/rounds/{round_.id}/next-round", data={"seats": "1", "entry_mode": "single",
                                                                  "candidates": [c[3]]}, follow_redirects=True)
    assert "Vòng bầu tiếp theo đã được mở" in again.get_data(as_text=True)


def test_minutes_pdf_draft_and_final(client, counted_round):
    round_ = counted_round
    draft = get_document(client, f"/rounds/{round_.id}/minutes.pdf")
    assert draft.status_code == 200 and draft.mimetype == "application/pdf"
    text = _pdf_text(draft.data)
    assert "BẢN NHÁP" in text
    client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    db.session.expire_all()
    digest = db.session.get(Round, round_.id).digest
    final = get_document(client, f"/rounds/{round_.id}/minutes.pdf")
    text = _pdf_text(final.data)
    assert "BẢN NHÁP" not in text
    assert digest[:16] in text.replace("\n", "").replace(" ", "")


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def test_verify_page_finds_the_round_by_digest(client, counted_round, make_user, auth):
    round_ = counted_round
    client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    db.session.expire_all()
    digest = db.session.get(Round, round_.id).digest
    page = client.get(f"/verify/{digest}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mã này khớp với kết quả đã chốt" in html
    assert round_.election.title in html and "phiên bản 1 — phiên bản hiện hành" in html
    assert client.get(f"/verify/{'0' * 64}").status_code == 404
    assert client.get("/verify/not-a-digest").status_code == 404


def test_counter_of_another_congress_gets_403_on_results(client, counted_round, make_user, auth, make_congress,
                                                         make_organisation):
    other = make_congress(organisation=make_organisation("Đảng bộ khác"))
    login_as(make_user, auth, "nguoikhac", Role.COUNTER, other)
    for path in ("results", "finalise", "versions", "minutes.pdf", "compare", "next-round"):
        assert client.get(f"/rounds/{counted_round.id}/{path}").status_code == 403, path


def test_counter_cannot_finalise(client, counted_round, make_user, auth):
    login_as(make_user, auth, "nhapphieu", Role.COUNTER, counted_round.congress)
    assert client.get(f"/rounds/{counted_round.id}/results").status_code == 200
    assert client.post(f"/rounds/{counted_round.id}/finalise", data={"confirmed": ["Lê Thị Thu"]}).status_code == 403
