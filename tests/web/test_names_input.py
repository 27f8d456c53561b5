"""Every name the web app accepts goes through tally.clean_name (issue 10, finding 8): candidates,
committee members, organisations, congresses, elections, users; the committee rule compares
normalised names."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kiemphieu.auth import services as auth_services
from kiemphieu.cli import main
from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import Candidate, CountCommitteeMember, Role

ZWSP = "\u200b"


def test_four_identical_looking_candidates_cannot_be_entered(make_election):
    election = make_election(candidates=["Nguyễn Văn Thử"])
    for lookalike in (f"Nguyễn{ZWSP} Văn Thử", "Nguyễn Văn Th\u00adử", "Nguy\u0435̃n Văn Thử",
                      "\u202eNguyễn Văn Thử"):
        with pytest.raises(services.SetupError):
            services.add_candidate(election, lookalike)
    assert [c.name for c in election.candidates] == ["Nguyễn Văn Thử"]


def test_a_pasted_list_names_the_bad_line(make_election):
    election = make_election(candidates=[])
    with pytest.raises(services.SetupError, match=r"Dòng 2: họ tên có ký tự ẩn .*U\+200B"):
        services.add_candidates_from_text(election, f"Trần Thị Bình\nLê{ZWSP} Văn Cường\n")
    assert election.candidates == []


def test_a_committee_member_cannot_hide_as_a_candidate(make_congress, make_election):
    congress = make_congress(committee=["Lê Thị Thu"])
    election = make_election(congress=congress, candidates=["Nguyễn Văn An"])
    with pytest.raises(services.SetupError):
        services.add_candidate(election, f"Lê{ZWSP} Thị Thu")
    with pytest.raises(services.SetupError, match="thành viên Ban kiểm phiếu"):
        services.add_candidate(election, "lê  thị THU")


def test_the_committee_rule_compares_normalised_names_even_for_old_rows(make_congress, make_election):
    congress = make_congress()
    election = make_election(congress=congress, candidates=["Nguyễn Văn An"])
    # A member stored before names were checked, with a zero-width space inside.
    db.session.add(CountCommitteeMember(congress=congress, name=f"Lê{ZWSP} Thị Thu", role="Ủy viên", position=9))
    db.session.commit()
    with pytest.raises(services.SetupError, match="thành viên Ban kiểm phiếu"):
        services.add_candidate(election, "Lê Thị Thu")


def test_committee_organisation_congress_and_election_names_are_checked(make_congress, make_organisation):
    congress = make_congress()
    with pytest.raises(services.SetupError, match="U\\+200B"):
        services.add_committee_member(congress, f"Hà{ZWSP} Văn Tâm")
    with pytest.raises(services.SetupError, match="U\\+202E"):
        services.create_organisation("Đảng bộ xã \u202eYên Lập")
    with pytest.raises(services.SetupError, match="CYRILLIC"):
        services.update_congress(congress, name="Đại hội đại biểu Đảng bộ xã Yên L\u0430p")
    with pytest.raises(services.SetupError, match="quá giới hạn 50"):
        services.add_committee_member(congress, "Hà Văn Tâm " * 6)
    with pytest.raises(services.SetupError, match="U\\+00AD"):
        services.create_election(congress, "committee", "Bầu Ban Chấp\u00adhành", 2)
    organisation = make_organisation("Đảng bộ  xã\u00a0Yên Lập")
    assert organisation.name == "Đảng bộ xã Yên Lập"


def test_users_full_names_are_checked(app):
    with pytest.raises(auth_services.UserError, match="U\\+200B"):
        auth_services.create_user("lan", "mat-khau-dai", Role.VIEWER, full_name=f"Lê{ZWSP} Thị Lan")
    user = auth_services.create_user("lan", "mat-khau-dai", Role.VIEWER, full_name="Lê  Thị Lan")
    assert user.full_name == "Lê Thị Lan"


def test_the_set_up_page_shows_the_vietnamese_message(client, auth, make_election):
    election = make_election()
    auth.as_role(Role.ORGANISER)
    page = client.post(f"/elections/{election.id}/candidates", data={"name": f"Phạm{ZWSP} Thị Dung"},
                       follow_redirects=True).get_data(as_text=True)
    assert "ký tự ẩn" in page
    assert db.session.scalar(select(Candidate).where(Candidate.name.contains("Phạm"))) is None


def test_the_tally_input_path_refuses_hidden_characters(tmp_path, capsys):
    election = {"schema": "kiemphieu/election-1", "title": "Bầu", "kind": "committee", "seats": 1, "convened": 10,
                "candidates": [{"id": "c01", "name": f"Nguyễn{ZWSP} Văn An"}, {"id": "c02", "name": "Trần Thị Bình"}]}
    (tmp_path / "e.json").write_text(json.dumps(election, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("", encoding="utf-8")
    assert main(["tally", str(tmp_path / "e.json"), str(tmp_path / "b.jsonl")]) == 2
    assert "U+200B" in capsys.readouterr().err
