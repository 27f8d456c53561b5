"""`kiemphieu minutes`, `kiemphieu verify` and `kiemphieu minutes-summary`: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minutes_support import SCENARIOS, flat, keep, make_election

from kiemphieu.cli import main
from kiemphieu.minutes import render_congress_summary
from kiemphieu.tally import BoxesBallot, BoxMark, Kind, ballot_to_json, election_to_json, round_digest, tally


def write_round(folder: Path, name: str, extra: dict | None = None) -> tuple[Path, Path]:
    election, ballots = SCENARIOS[name]()
    data = {**election_to_json(election), **(extra or {})}
    election_path = folder / f"{name}.json"
    ballots_path = folder / f"{name}.jsonl"
    election_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    ballots_path.write_text("".join(json.dumps(ballot_to_json(b)) + "\n" for b in ballots), encoding="utf-8")
    return election_path, ballots_path


def test_minutes_writes_the_pdf_and_verify_accepts_it(tmp_path, capsys):
    election_path, ballots_path = write_round(tmp_path, "tie", {"exclusions": []})
    out = tmp_path / "minutes.pdf"
    assert main(["minutes", str(election_path), str(ballots_path), "--out", str(out),
                 "--ended-at", "17:05", "--verify-url-base", "http://10.0.0.5:8000"]) == 0
    text = flat(out.read_bytes())
    assert "Kiểm phiếu kết thúc vào lúc 17 giờ 05 phút" in text
    assert "http://10.0.0.5:8000/verify/" in text
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0
    report = capsys.readouterr().out
    assert "KẾT LUẬN: biên bản khớp" in report and "[SAI" not in report


def test_verify_json_and_exit_1_on_a_mismatch(tmp_path, capsys, rendered):
    import io

    import pikepdf

    _, _, pdf = rendered("unfilled")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        result = json.loads(document.attachments["result.json"].get_file().read_bytes())
        result["ballots"]["valid"] -= 1
        document.attachments["result.json"] = pikepdf.AttachedFileSpec(document, json.dumps(result).encode())
        document.save(tmp_path / "forged.pdf")
    assert main(["verify", "--json", str(tmp_path / "forged.pdf")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert any("result.ballots.valid" in f["detail"] for f in report["findings"] if not f["ok"])


@pytest.mark.parametrize("content", [b"", b"not a pdf at all", b"%PDF-1.7\n%%EOF"])
def test_verify_exit_2_for_an_unreadable_file(tmp_path, capsys, content):
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    assert main(["verify", str(path)]) == 2
    assert "broken.pdf" in capsys.readouterr().err


def test_verify_exit_2_for_a_missing_file(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "absent.pdf")]) == 2
    assert "absent.pdf" in capsys.readouterr().err


def test_bad_ballot_exits_2_naming_file_and_line(tmp_path, capsys):
    election_path, ballots_path = write_round(tmp_path, "tie")
    lines = ballots_path.read_text().splitlines()
    lines[2] = '{"struck": ["nobody"]}'
    ballots_path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "minutes.pdf"
    assert main(["minutes", str(election_path), str(ballots_path), "--out", str(out)]) == 2
    assert f"{ballots_path}:3: unknown candidate id 'nobody'" in capsys.readouterr().err
    assert not out.exists()


def test_bad_election_exits_2_naming_file_and_line(tmp_path, capsys):
    election_path, ballots_path = write_round(tmp_path, "tie")
    election_path.write_text('{\n  "kind": "committee",\n  "seats": "two"\n}\n')
    assert main(["minutes", str(election_path), str(ballots_path), "--out", str(tmp_path / "m.pdf")]) == 2
    assert f"{election_path}:3: field 'seats' must be an integer" in capsys.readouterr().err


def test_exclusions_that_do_not_add_up_exit_2(tmp_path, capsys):
    election_path, ballots_path = write_round(
        tmp_path, "complete_with_invalid", {"exclusions": [{"count": 1, "reason": "Vắng mặt có lý do"}]})
    assert main(["minutes", str(election_path), str(ballots_path), "--out", str(tmp_path / "m.pdf")]) == 2
    err = capsys.readouterr().err
    assert f"{election_path}:" in err and "the exclusions add up to 1, but 'excluded' is 2" in err


def test_bad_end_time_exits_2(tmp_path, capsys):
    election_path, ballots_path = write_round(tmp_path, "tie")
    assert main(["minutes", str(election_path), str(ballots_path), "--out", str(tmp_path / "m.pdf"),
                 "--ended-at", "25:99"]) == 2
    assert "--ended-at" in capsys.readouterr().err


def test_summary_lists_every_round_and_who_was_elected(tmp_path):
    first = make_election("abcd", seats=3, convened=22)
    first_ballots = keep(first, "a", 12) + keep(first, "bc", 6) + keep(first, "cd", 4)
    second = make_election("bcd", seats=2, convened=22, round=2)
    second_ballots = keep(second, "bc", 13) + keep(second, "cd", 8)
    secretary = make_election("a", seats=1, convened=11, title="Bầu Bí thư Đảng ủy xã khóa XXI",
                              kind=Kind.SECRETARY)
    secretary_ballots = [BoxesBallot({"a": BoxMark.AGREE})] * 9 + [BoxesBallot({"a": BoxMark.DISAGREE})] * 2
    rounds = [(e, tally(e, b)) for e, b in ((first, first_ballots), (second, second_ballots),
                                            (secretary, secretary_ballots))]
    digests = [round_digest(first, first_ballots), None, None]
    text = flat(render_congress_summary(first.congress, first.organization, rounds, digests=digests))
    assert "TỔNG HỢP KẾT QUẢ BẦU CỬ" in text and "ĐOÀN CHỦ TỊCH" in text
    assert "1. Bầu Ban Chấp hành Đảng bộ xã khóa XXI" in text
    assert "2. Bầu Ban Chấp hành Đảng bộ xã khóa XXI (lần 2)" in text
    assert "3. Bầu Bí thư Đảng ủy xã khóa XXI" in text
    assert "1 Nguyễn Văn An 12 54,55" in text
    assert "1 Lê Đức Hạnh 21 95,45 2 Trần Thị Bình 13 59,09" in text
    assert "Bầu tiếp (lần 2)".lower() in text.lower()
    assert digests[0] in text
    # Both rounds of the committee election add up in the closing list.
    assert "Bầu Ban Chấp hành Đảng bộ xã khóa XXI: 3 đồng chí (Nguyễn Văn An, Lê Đức Hạnh, Trần Thị Bình)" in text
    assert "Bầu Bí thư Đảng ủy xã khóa XXI: 1 đồng chí (Nguyễn Văn An)" in text


def test_summary_command(tmp_path, capsys):
    files = [str(p) for name in ("unfilled", "tie") for p in write_round(tmp_path, name)]
    out = tmp_path / "summary.pdf"
    assert main(["minutes-summary", *files, "--out", str(out)]) == 0
    assert "TỔNG HỢP KẾT QUẢ BẦU CỬ" in flat(out.read_bytes())
    assert main(["minutes-summary", files[0], "--out", str(out)]) == 2
    assert "pairs" in capsys.readouterr().err
