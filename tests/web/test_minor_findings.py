"""The minor findings of issue 10 (outside uploads): each test fails on the code before its fix."""

from __future__ import annotations

import io
import stat
import threading

import pytest
from sqlalchemy import select

from kiemphieu import create_app
from kiemphieu.congress import services as setup
from kiemphieu.extensions import db
from kiemphieu.models import Ballot, Role, Round
from kiemphieu.ocr.geometry import election_fingerprint

from .conftest import run_document_jobs
from .scanning.conftest import png_bytes


# ------------------------------------------------------------------ the ballot fingerprint


def test_names_on_the_ballot_are_frozen_while_a_round_is_in_entry(make_round):
    round_ = make_round()
    congress, election = round_.congress, round_.election
    printed = election_fingerprint(round_.to_election())
    with pytest.raises(setup.SetupError, match="đang nhập phiếu"):
        setup.update_organisation(congress.organisation, "Đảng bộ xã Tên Mới", congress.organisation.parent)
    with pytest.raises(setup.SetupError, match="đang nhập phiếu"):
        setup.update_congress(congress, name="Đại hội Tên Mới")
    with pytest.raises(setup.SetupError, match="đang nhập phiếu"):
        setup.update_congress(congress, term="2030 - 2035")
    with pytest.raises(setup.SetupError, match="đang nhập phiếu"):
        setup.update_election(election, election.kind, "Bầu Tên Mới", election.seats)
    with pytest.raises(setup.SetupError, match="đang nhập phiếu"):
        setup.update_election(election, "other", election.title, election.seats)
    db.session.expire_all()
    assert election_fingerprint(db.session.get(Round, round_.id).to_election()) == printed
    setup.update_congress(congress, place="Hội trường mới")  # not on the ballot: still allowed


def test_names_may_change_before_entry(make_election):
    election = make_election()
    setup.update_election(election, election.kind, "Bầu Ban Chấp hành khóa mới", election.seats)
    setup.update_organisation(election.congress.organisation, "Đảng bộ xã Tên Mới", None)
    assert election.title == "Bầu Ban Chấp hành khóa mới"


# ------------------------------------------------------------------ uploads across congresses


def test_a_file_stored_for_another_congress_does_not_name_that_congress(client, auth, make_election):
    from kiemphieu.scanning import services as scanning
    from kiemphieu.scanning.intake import Limits, check_scan

    elsewhere = make_election(title="Bầu Ban Chấp hành Đảng bộ xã Bí Mật", entry_mode="single", present=5, issued=5)
    mine = make_election(title="Bầu Ban Chấp hành xã của tôi", entry_mode="single", present=5, issued=5)
    for election in (elsewhere, mine):
        setup.start_entry(election.rounds[0])
    data = png_bytes(77)
    scanning.store_scan(elsewhere.rounds[0], check_scan(data, "a.png", Limits()), user=None)
    auth.as_role(Role.COUNTER, congresses={mine.congress: Role.COUNTER})
    response = client.post(f"/rounds/{mine.rounds[0].id}/scans", data={"files": [(io.BytesIO(data), "a.png")], "profile": ""},
                           content_type="multipart/form-data", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "đại hội khác" in html
    assert "Bí Mật" not in html and "vòng 1 của" not in html


# ------------------------------------------------------------------ double entry: undo


def test_the_clerk_of_pass_a_cannot_undo_pass_b(app, auth, make_round, post, codes):
    app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] = True
    round_ = make_round(seats=2)
    c = codes(round_)
    auth.as_role(Role.COUNTER, congresses={round_.congress: Role.COUNTER})
    assert post.save(round_, "B", {"struck": [c[0], c[1]]}).status_code == 201
    auth.logout()
    auth.as_role(Role.COUNTER, congresses={round_.congress: Role.COUNTER}, password="matkhau-thu-nghiem")
    assert post.save(round_, "A", {"struck": [c[0], c[1]]}).status_code == 201
    refused = post.undo(round_, "B")
    assert refused.status_code == 409 and "phải do người khác nhập" in refused.get_json()["error"]
    [b] = db.session.scalars(select(Ballot).where(Ballot.entry_pass == "B")).all()
    db.session.refresh(b)
    assert not b.superseded
    assert post.undo(round_, "A").status_code == 200  # their own pass: allowed


# ------------------------------------------------------------------ round numbers during entry


def test_an_empty_numbers_form_during_entry_keeps_present_and_issued(client, auth, make_round):
    round_ = make_round(present=10, issued=10)
    auth.as_role(Role.ORGANISER)
    response = client.post(f"/rounds/{round_.id}", data={"present": "", "issued": ""}, follow_redirects=True)
    assert "Nhập số có mặt." in response.get_data(as_text=True)  # refused, and said why
    db.session.expire_all()
    stored = db.session.get(Round, round_.id)
    assert (stored.present, stored.issued) == (10, 10)
    with pytest.raises(setup.SetupError):
        setup.set_round_numbers(stored, None, 10)


# ------------------------------------------------------------------ the database file


def test_the_instance_folder_and_database_are_private(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "x"})
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "kiemphieu.sqlite").stat().st_mode) == 0o600
    (instance / "kiemphieu.sqlite").chmod(0o644)  # made by an older version
    create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "x"})
    assert stat.S_IMODE((instance / "kiemphieu.sqlite").stat().st_mode) == 0o600


# ------------------------------------------------------------------ PDFs and ballot saves


def test_pdfs_are_never_rendered_by_a_request_and_render_outside_any_transaction(tmp_path, monkeypatch):
    """16 concurrent minutes downloads stalled a save: a request now only asks the worker for
    the document (concurrent asks share one job), and the worker renders it holding no
    transaction."""
    from kiemphieu import minutes
    from kiemphieu.auth import services as auth_services

    from .conftest import PASSWORD, _make_app

    app = _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'pdf.sqlite'}", PDF_RENDER_WAIT=0.2)
    with app.app_context():
        organisation = setup.create_organisation("Đảng bộ xã Yên Lập")
        congress = setup.create_congress(organisation, convened=10)
        election = setup.create_election(congress, "committee", "Bầu Ban Chấp hành", 1)
        setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None)])
        setup.set_round_numbers(election.rounds[0], 5, 5)
        setup.start_entry(election.rounds[0])
        round_id = election.rounds[0].id
        auth_services.create_user("xem", PASSWORD, Role.VIEWER)
        db.session.remove()

    renders, in_transaction = [], []

    def counting_render(*args, **kwargs):
        renders.append(threading.current_thread().name)
        in_transaction.append(db.session().in_transaction())
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(minutes, "render_minutes", counting_render)

    def viewer():
        client = app.test_client()
        client.post("/login", data={"username": "xem", "password": PASSWORD})
        return client

    answers, viewers = [], [viewer() for _ in range(4)]  # logged in one by one
    threads = [threading.Thread(target=lambda c=c: answers.append(c.get(f"/rounds/{round_id}/minutes.pdf")))
               for c in viewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert renders == []  # no request rendered anything
    assert {answer.status_code for answer in answers} == {302}
    assert len({answer.headers["Location"] for answer in answers}) == 1  # one job for all four
    with app.app_context():
        assert run_document_jobs() == 1
    assert in_transaction == [False]
    download = viewers[0].get(answers[0].headers["Location"] + "/download")
    assert download.status_code == 200 and download.data == b"%PDF-1.7 fake"
    with app.app_context():
        db.engine.dispose()
