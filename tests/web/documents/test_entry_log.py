"""Nhật ký nhập phiếu bầu: every saved ballot of a round, undos, the settled difference, the
totals per pass and the digest, read back from the PDF; `kiemphieu verify` accepts it."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from sqlalchemy import select

from kiemphieu.cli import main
from kiemphieu.extensions import db
from kiemphieu.minutes import verify_document
from kiemphieu.minutes.entry_log import EntryLog, counted_marks
from kiemphieu.models import Ballot, Role, Round

from ..conftest import enter, flat_pdf_text, get_document


@pytest.fixture
def logged_round(client, make_round, make_user, auth, post, codes):
    """Double entry of 5 ballots by two clerks: pass A undoes and retypes ballot 2, pass B reads
    ballot 3 differently, the head of the committee settles it from the paper; finalised."""
    round_ = make_round(seats=2, present=6, issued=6)
    congress = round_.congress
    clerk_a = make_user("nhapA", Role.COUNTER, congresses={congress: Role.COUNTER})
    clerk_a.full_name = "Ngô Thị Lan"
    clerk_b = make_user("nhapB", Role.COUNTER, congresses={congress: Role.COUNTER})
    clerk_b.full_name = "Vũ Văn Hải"
    head = make_user("totruong", Role.ORGANISER, congresses={congress: Role.ORGANISER})
    head.full_name = "Lê Thị Thu"
    db.session.commit()
    an, binh, cuong, dung = codes(round_)
    stack = [{"struck": [cuong, dung]}, {"struck": [binh, dung]}, {"struck": [an, dung]},
             {"invalid": "no_stamp"}, {"struck": [cuong, dung]}]
    auth.login("nhapA")
    enter(post, round_, "A", stack[:2])
    assert post.undo(round_, "A", 2).status_code == 200
    enter(post, round_, "A", stack[1:])
    auth.logout()
    auth.login("nhapB")
    enter(post, round_, "B", stack[:2] + [{"struck": [binh, cuong]}] + stack[3:])
    auth.logout()
    auth.login("totruong")
    reply = client.post(f"/rounds/{round_.id}/compare/3", data={"choice": "A", "note": "Đã xem lá phiếu số 3"})
    assert reply.status_code == 302
    assert client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]}).status_code == 302
    db.session.expire_all()
    return db.session.get(Round, round_.id)


def test_the_entry_log_lists_every_saved_ballot(client, logged_round):
    reply = get_document(client, f"/rounds/{logged_round.id}/entry-log.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    text = flat_pdf_text(reply.data)
    assert "NHẬT KÝ NHẬP PHIẾU BẦU" in text and "BẢN NHÁP" not in text
    logged_round = db.session.get(Round, logged_round.id)  # the PDF was rendered with the session closed
    election = logged_round.to_election()
    from kiemphieu.entry.services import describe
    from kiemphieu.localtime import to_local

    rows = db.session.scalars(select(Ballot).where(Ballot.round_id == logged_round.id).order_by(Ballot.id)).all()
    assert len(rows) == 12  # A: 6 saves (one undone), B: 5, settled: 1
    for row in rows:
        clerk = row.entered_by.full_name
        state = "Hiện hành" if not row.superseded else "Đã hủy lúc"
        line = f"{row.sequence} {to_local(row.entered_at):%d/%m/%Y %H:%M:%S} {clerk} {state}"
        assert line in text, line
        assert describe(row.marks, election) in text
    assert "(Ngô Thị Lan)" in text  # who undid ballot 2
    assert "Đã xem lá phiếu số 3" in text  # the committee's note on the settled difference
    assert "Lượt A: đã lưu 6 phiếu, hủy 1, hiện hành 5, hợp lệ 4, không hợp lệ 1." in text
    assert "Lượt B: đã lưu 5 phiếu, hủy 0, hiện hành 5, hợp lệ 4, không hợp lệ 1." in text
    assert f"trùng với mã in trên biên bản kiểm phiếu): {logged_round.digest}" in text


def test_verify_accepts_the_entry_log_and_it_matches_the_round(client, logged_round, tmp_path, capsys):
    pdf = get_document(client, f"/rounds/{logged_round.id}/entry-log.pdf").data
    report = verify_document(pdf)
    assert report.ok, report.text()
    logged_round = db.session.get(Round, logged_round.id)
    assert report.digest == logged_round.digest  # the minutes' digest
    with pikepdf.open(io.BytesIO(pdf)) as document:
        log = EntryLog.from_json(json.loads(document.attachments["entry-log.json"].get_file().read_bytes()))
    assert counted_marks(log) == [b.marks for b in logged_round.counted_ballots()]  # Round's own rule
    (tmp_path / "log.pdf").write_bytes(pdf)
    assert main(["verify", str(tmp_path / "log.pdf")]) == 0
    assert "KẾT LUẬN: biên bản khớp" in capsys.readouterr().out


def test_a_log_that_tells_another_story_fails_verify(client, logged_round, tmp_path, capsys):
    pdf = get_document(client, f"/rounds/{logged_round.id}/entry-log.pdf").data
    with pikepdf.open(io.BytesIO(pdf)) as document:
        data = json.loads(document.attachments["entry-log.json"].get_file().read_bytes())
        settled = next(e for e in data["entries"] if e["entry_pass"] == "settled")
        settled["marks"] = {"invalid": "other"}  # a ruling changed after the fact
        document.attachments["entry-log.json"] = pikepdf.AttachedFileSpec(document, json.dumps(data).encode())
        document.save(tmp_path / "forged.pdf")
    report = verify_document((tmp_path / "forged.pdf").read_bytes())
    assert not report.ok
    assert any(not f.ok and "Nhật ký khớp" in f.what for f in report.findings)
    assert main(["verify", str(tmp_path / "forged.pdf")]) == 1


def test_a_round_in_entry_gives_a_draft(client, make_round, counter, post, codes):
    round_ = make_round(seats=2, entry_mode="single")
    counter(round_.congress)
    c = codes(round_)
    enter(post, round_, "A", [{"struck": [c[0], c[1]]}])
    text = flat_pdf_text(get_document(client, f"/rounds/{round_.id}/entry-log.pdf").data)
    assert "BẢN NHÁP" in text and "Lượt A (1 lần lưu)" in text
