"""A round with two "Nguyễn Văn Dũng" prints, enters, tallies and certifies with both told
apart everywhere a person reads a name (issue 9, item 2)."""

from __future__ import annotations

import json
from datetime import date

from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import Role, Round

from .conftest import COMMITTEE, html_text, pdf_text
from ..conftest import get_document

D68, D72 = "Nguyễn Văn Dũng (sinh năm 1968)", "Nguyễn Văn Dũng (sinh năm 1972)"


def text_of(reply) -> str:
    assert reply.status_code == 200, reply.status_code
    return html_text(reply)


def test_two_namesakes_print_enter_tally_and_certify_distinguishable(client, make_congress, make_election,
                                                                     make_user, auth, post):
    from kiemphieu.minutes import verify_minutes

    congress = make_congress(convened=10, committee=COMMITTEE)
    election = make_election(congress=congress, seats=2, candidates=[
        "Nguyễn Văn An", "Trần Thị Bình", ("Nguyễn Văn Dũng", date(1972, 5, 1)),
        ("Nguyễn Văn Dũng", date(1968, 9, 12))], present=10, issued=10)
    round_ = election.rounds[0]
    make_user("totruong", Role.ORGANISER, congresses={congress: Role.ORGANISER})
    auth.login("totruong")

    # Set-up pages and the printed ballot.
    assert D68 in text_of(client.get(f"/elections/{election.id}")) and D72 in text_of(client.get(f"/elections/{election.id}"))
    assert D68 in text_of(client.get(f"/rounds/{round_.id}/ballot"))
    ballot = pdf_text(get_document(client, f"/rounds/{round_.id}/ballots.pdf?copies=1").data)
    assert D68 in ballot and D72 in ballot
    assert "Nguyễn Văn An (sinh" not in ballot

    # A PDF renders after the request's transaction (kiemphieu.documents.rendering): read again.
    round_ = db.session.get(Round, round_.id)
    services.start_entry(round_)
    codes = [c.code for c in round_.candidates]  # ballot order: An, Bình, Dũng 1968, Dũng 1972
    an, binh, d68, d72 = codes
    screen = text_of(client.get(f"/rounds/{round_.id}/entry/A"))
    assert D68 in screen and D72 in screen

    # An 8, the two Dũng 6 each: a tie at the last seat (base 10, majority 6).
    stack = ([{"struck": [binh, d68]}] * 4 + [{"struck": [binh, d72]}] * 4 + [{"struck": [an, binh]}] * 2)
    for marks in stack:
        assert post.save(round_, "A", marks, confirm=True).status_code == 201
    second = [dict(m) for m in stack]
    second[0] = {"struck": [binh, d72]}  # a keying slip in pass B between the two namesakes
    for marks in second:
        assert post.save(round_, "B", marks, confirm=True).status_code == 201
    compare = text_of(client.get(f"/rounds/{round_.id}/compare"))
    assert f"3. {D68}" in compare and f"4. {D72}" in compare
    assert client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "A"}).status_code == 302

    results = text_of(client.get(f"/rounds/{round_.id}/results"))
    assert D68 in results and D72 in results
    assert f"Các đồng chí {D68} và {D72} có số phiếu bằng nhau" in results

    assert client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]}).status_code == 302
    minutes = get_document(client, f"/rounds/{round_.id}/minutes.pdf").data
    text = pdf_text(minutes)
    assert f"3 {D68} 6 60,00 4 {D72} 6 60,00" in text
    assert f"Các đồng chí {D68} và {D72} có số phiếu bằng nhau" in text
    report = verify_minutes(minutes)
    assert report.ok, report.text()

    choice = text_of(client.get(f"/rounds/{round_.id}/next-round"))
    assert D68 in choice and D72 in choice
    summary = pdf_text(get_document(client, f"/congresses/{congress.id}/summary.pdf").data)
    assert D68 in summary and D72 in summary
    hall = json.dumps(client.get(f"/congresses/{congress.id}/hall.json").get_json(), ensure_ascii=False)
    assert D68 in hall and D72 in hall  # the projector's announcement: the tie sentence


def test_set_up_refuses_two_identical_names_without_dates_of_birth(client, auth, make_election):
    election = make_election(candidates=["Nguyễn Văn Dũng"])
    auth.as_role(Role.ORGANISER)
    reply = client.post(f"/elections/{election.id}/candidates", data={"name": "Nguyễn  Văn Dũng"},
                        follow_redirects=True)
    assert "Trùng họ tên “Nguyễn Văn Dũng”: cần nhập ngày sinh cho cả hai người" in reply.get_data(as_text=True)
    assert len(election.candidates) == 1
