"""Contract §1 additions: the electing `body` and the namesake rule (told apart by `born`)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kiemphieu.cli import main
from kiemphieu.tally import (
    Body,
    Candidate,
    Election,
    InputError,
    Kind,
    default_body,
    display_names,
    election_to_json,
    parse_election,
    round_digest,
)

BASE = {
    "schema": "kiemphieu/election-1",
    "organization": "Đảng bộ xã Yên Lập",
    "title": "Bầu Bí thư Đảng ủy xã khóa XXI",
    "kind": "secretary",
    "seats": 1,
    "convened": 9,
    "excluded": 1,
    "present": 8,
    "candidates": [{"id": "c1", "name": "Nguyễn Văn An"}],
}


def parse(**changes) -> Election:
    return parse_election(json.dumps({**BASE, **changes}, ensure_ascii=False), "e.json")


def test_body_defaults_to_the_congress_and_reads_committee():
    assert parse().body is Body.CONGRESS
    election = parse(body="committee")
    assert election.body is Body.COMMITTEE
    assert (election.base, election.majority) == (8, 5)


def test_unknown_body_is_bad_input_naming_the_field():
    with pytest.raises(InputError, match="unknown body 'plenum'"):
        parse(body="plenum")


def test_body_round_trips_and_the_default_leaves_the_record_as_before():
    congress = parse()
    assert "body" not in election_to_json(congress)  # digests of congress elections unchanged
    committee = parse(body="committee")
    assert election_to_json(committee)["body"] == "committee"
    again = parse_election(json.dumps(election_to_json(committee), ensure_ascii=False))
    assert again == committee
    assert round_digest(congress, []) != round_digest(committee, [])


@pytest.mark.parametrize("kind", ["standing_committee", "secretary", "deputy_secretary",
                                  "inspection_committee", "inspection_chair"])
def test_plenum_kinds_default_to_the_committee(kind):
    assert default_body(kind, "Đảng bộ xã Yên Lập") is Body.COMMITTEE


@pytest.mark.parametrize("kind", ["committee", "delegates", "alternates", "other"])
def test_congress_kinds_default_to_the_congress(kind):
    assert default_body(kind, "Đảng bộ xã Yên Lập") is Body.CONGRESS


def test_a_branch_congress_elects_its_secretary_itself():
    assert default_body(Kind.SECRETARY, "Chi bộ Thôn 3") is Body.CONGRESS


def test_display_names_add_the_birth_year_only_to_namesakes():
    names = display_names([
        ("a", "Nguyễn Văn Dũng", date(1972, 3, 1)),
        ("b", "Nguyễn  Văn Dũng", date(1980, 5, 2)),  # same full name once normalised
        ("c", "Trần Thị Bình", date(1975, 1, 1)),
    ])
    assert names == {"a": "Nguyễn Văn Dũng (sinh năm 1972)", "b": "Nguyễn Văn Dũng (sinh năm 1980)",
                     "c": "Trần Thị Bình"}


def test_namesakes_born_the_same_year_show_the_full_date():
    names = display_names([("a", "Lê Văn Hùng", date(1972, 3, 1)), ("b", "Lê Văn Hùng", date(1972, 11, 20))])
    assert names == {"a": "Lê Văn Hùng (sinh ngày 01/03/1972)", "b": "Lê Văn Hùng (sinh ngày 20/11/1972)"}


def test_the_election_shows_namesakes_apart():
    election = Election("t", Kind.COMMITTEE, 1, 10, (
        Candidate("x", "Nguyễn Văn Dũng", date(1972, 1, 1)), Candidate("y", "Nguyễn Văn Dũng", date(1968, 1, 1))))
    assert election.display_name("x") == "Nguyễn Văn Dũng (sinh năm 1972)"
    assert election.display_name("y") == "Nguyễn Văn Dũng (sinh năm 1968)"


@pytest.mark.parametrize("candidates", [
    [{"id": "a", "name": "Nguyễn Văn Dũng"}, {"id": "b", "name": "Nguyễn Văn Dũng"}],
    [{"id": "a", "name": "Nguyễn Văn Dũng", "born": "1972-01-01"}, {"id": "b", "name": "Nguyễn Văn Dũng"}],
    [{"id": "a", "name": "Nguyễn Văn Dũng", "born": "1972-01-01"},
     {"id": "b", "name": "Nguyễn Văn Dũng", "born": "1972-01-01"}],
])
def test_namesakes_that_cannot_be_told_apart_are_bad_input(tmp_path, capsys, candidates):
    election = tmp_path / "e.json"
    election.write_text(json.dumps({**BASE, "seats": 1, "candidates": candidates}, ensure_ascii=False),
                        encoding="utf-8")
    ballots = tmp_path / "b.jsonl"
    ballots.write_text("", encoding="utf-8")
    assert main(["tally", str(election), str(ballots)]) == 2
    assert "Nguyễn Văn Dũng" in capsys.readouterr().err
