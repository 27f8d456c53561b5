"""`kiemphieu tally ELECTION BALLOTS` against ../shared/contracts/cli.md section 2."""

import json

import pytest

from kiemphieu.cli import main

ELECTION = {
    "schema": "kiemphieu/election-1",
    "organization": "Đảng bộ xã Yên Lập",
    "congress": "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030",
    "title": "Bầu Ban Chấp hành Đảng bộ xã khóa XXI",
    "kind": "committee",
    "round": 1,
    "seats": 2,
    "convened": 10,
    "excluded": 1,
    "present": 9,
    "issued": 9,
    "candidates": [
        {"id": "c03", "name": "Phạm Văn Dũng"},
        {"id": "c01", "name": "Nguyễn Văn An", "born": "1975-04-02"},
        {"id": "c02", "name": "Trần Thị Bình"},
    ],
}


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def run_tally(tmp_path, capsys, election, ballot_lines):
    e = write(tmp_path, "e.json", election if isinstance(election, (str, bytes)) else json.dumps(election))
    b = write(tmp_path, "b.jsonl", ballot_lines if isinstance(ballot_lines, (str, bytes))
              else "".join(json.dumps(x) + "\n" for x in ballot_lines))
    code = main(["tally", e, b])
    out, err = capsys.readouterr()
    return code, out, err


def test_output_has_every_contract_field(tmp_path, capsys):
    ballots = [{"struck": ["c03"]}] * 6 + [{"struck": ["c02"]}] * 2 + [{"struck": []}, {"invalid": "no_stamp"}]
    code, out, err = run_tally(tmp_path, capsys, ELECTION, ballots)
    assert code == 0 and err == ""
    result = json.loads(out)
    assert set(result) >= {"base", "majority", "ballots", "candidates", "elected", "outcome",
                           "seats_filled", "next_round", "checks"}
    assert result["base"] == 9 and result["majority"] == 5
    assert result["ballots"] == {"counted": 10, "valid": 8, "invalid": 2,
                                 "invalid_reasons": {"over_seats": 1, "no_stamp": 1}}
    # Ballot order: An, Bình, Dũng.
    assert [c["id"] for c in result["candidates"]] == ["c01", "c02", "c03"]
    an = result["candidates"][0]
    assert an == {"id": "c01", "name": "Nguyễn Văn An", "order": 1, "votes": 8,
                  "percent": "88.89", "rank": 1, "status": "elected"}
    assert result["elected"] == ["c01", "c02"]
    assert result["outcome"] == "complete" and result["seats_filled"] == 2
    assert result["next_round"] is None
    # 10 ballots counted against 9 issued.
    assert [c["code"] for c in result["checks"]] == ["counted_exceeds_issued"]


def test_boxes_form_ballots(tmp_path, capsys):
    election = dict(ELECTION, seats=3)
    ballots = [{"boxes": {"c01": "agree", "c02": "both", "c03": "none"}}] * 6 + [{"boxes": {"c01": "disagree"}}]
    code, out, _ = run_tally(tmp_path, capsys, election, ballots)
    result = json.loads(out)
    assert code == 0
    assert result["ballots"]["invalid_reasons"] == {"no_vote": 1}
    assert result["elected"] == ["c01"] and result["outcome"] == "unfilled"
    assert result["next_round"] == {"seats": 2, "candidates": ["c02", "c03"]}


def test_names_are_nfc_in_the_output(tmp_path, capsys):
    import unicodedata

    election = json.loads(json.dumps(ELECTION))
    election["candidates"][2]["name"] = unicodedata.normalize("NFD", "Trần Thị Bình")
    code, out, _ = run_tally(tmp_path, capsys, election, [{"struck": ["c03"]}])
    names = [c["name"] for c in json.loads(out)["candidates"]]
    assert "Trần Thị Bình" in names and all(unicodedata.is_normalized("NFC", n) for n in names)


BAD_BALLOTS = [
    ('{"struck": ["c01"]}\n{"struck": [\n', 2, "bad JSON"),
    ('{"struck": ["c09"]}\n', 1, "unknown candidate id 'c09'"),
    ('{"struck": ["c01"]}\n\n{"struck": ["c01", "c01"]}\n', 3, "struck twice"),
    ('{"boxes": {"c01": "agree"}}\n', 1, "strike form"),
    ('{"invalid": "sleepy"}\n', 1, "unknown invalid reason"),
    ('{"invalid": "over_seats"}\n', 1, "unknown invalid reason"),
    ('{}\n', 1, "exactly one of"),
    ('[1, 2]\n', 1, "JSON object"),
    ('{"struck": ["c01"], "struck": ["c02"]}\n', 1, "repeated"),
    ('{"struck": "c01"}\n', 1, "list of candidate ids"),
]


@pytest.mark.parametrize("ballots, line, message", BAD_BALLOTS)
def test_bad_ballot_file_exits_2_naming_file_and_line(tmp_path, capsys, ballots, line, message):
    code, out, err = run_tally(tmp_path, capsys, ELECTION, ballots)
    assert code == 2 and out == ""
    assert f"b.jsonl:{line}:" in err and message in err


def test_ballots_file_not_utf8_names_the_line(tmp_path, capsys):
    code, _, err = run_tally(tmp_path, capsys, ELECTION, b'{"struck": []}\n{"struck": ["\xff"]}\n')
    assert code == 2 and "b.jsonl:2:" in err and "UTF-8" in err


def election_with(**changes):
    data = json.loads(json.dumps(ELECTION))
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data, ensure_ascii=False, indent=2)


BAD_ELECTIONS = [
    ('{"schema": "kiemphieu/election-1",\n  "seats": 2,,\n}', 2, "bad JSON"),
    (election_with(seats=None), 1, "missing field 'seats'"),
    (election_with(title=None), 1, "missing field 'title'"),
    (election_with(convened=-5), None, "'convened' must be at least 1"),
    (election_with(excluded=-1), None, "'excluded' must be at least 0"),
    (election_with(excluded=10), None, "base would be empty"),
    (election_with(seats=0), None, "'seats' must be at least 1"),
    (election_with(present=-1), None, "'present' must be at least 0"),
    (election_with(seats="2"), None, "'seats' must be an integer"),
    (election_with(kind="mayor"), None, "unknown kind"),
    (election_with(candidates=[]), None, "candidate list is empty"),
    (election_with(candidates=[{"id": "c1", "name": "A"}, {"id": "c1", "name": "B"}]), None, "'c1' is repeated"),
    (election_with(candidates=[{"name": "A"}]), None, "missing field 'id' of candidate 1"),
    (election_with(candidates=[{"id": "c1", "name": "A", "born": "02/04/1975"}]), None, "not a date"),
]


@pytest.mark.parametrize("election, line, message", BAD_ELECTIONS)
def test_bad_election_file_exits_2_naming_file_and_line(tmp_path, capsys, election, line, message):
    code, out, err = run_tally(tmp_path, capsys, election, [])
    assert code == 2 and out == ""
    assert message in err
    assert "e.json:" in err
    if line is not None:
        assert f"e.json:{line}:" in err
    else:  # the message points at the line holding the offending field
        located = int(err.split("e.json:")[1].split(":")[0])
        assert located > 1


def test_election_not_utf8(tmp_path, capsys):
    raw = election_with().encode("utf-8").replace("Yên".encode(), b"Y\xea n", 1)
    code, _, err = run_tally(tmp_path, capsys, raw, [])
    assert code == 2 and "e.json:3:" in err and "UTF-8" in err


def test_missing_file_exits_2(tmp_path, capsys):
    code = main(["tally", str(tmp_path / "nope.json"), str(tmp_path / "nope.jsonl")])
    assert code == 2 and "nope.json" in capsys.readouterr().err


def test_console_script_runs_as_a_process(tmp_path):
    import subprocess
    import sys

    e = write(tmp_path, "e.json", json.dumps(ELECTION))
    b = write(tmp_path, "b.jsonl", '{"struck": ["c03"]}\n')
    proc = subprocess.run([sys.executable, "-m", "kiemphieu.cli", "tally", e, b],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and json.loads(proc.stdout)["ballots"]["counted"] == 1


def test_output_piped_into_a_reader_that_stops_early_is_not_a_crash(tmp_path):
    import subprocess
    import sys

    # Output well over a pipe's 64 KiB buffer, so the write really meets the closed pipe.
    many = [{"id": f"c{i:04d}", "name": f"Nguyễn Văn Người Thứ {i}"} for i in range(800)]
    e = write(tmp_path, "e.json", json.dumps(dict(ELECTION, candidates=many, seats=10)))
    b = write(tmp_path, "b.jsonl", "")
    script = f"{sys.executable} -m kiemphieu.cli tally {e} {b} | head -c 10"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
