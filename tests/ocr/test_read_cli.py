"""`kiemphieu ballots read` against contract section 4."""

import json

from kiemphieu.cli import main
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.printing import render_ballot_image

from . import marks as m


def test_read_prints_json_lines_in_input_order(tmp_path, strike_election, write_election, capsys):
    election = write_election(strike_election)
    layout = layout_for(strike_election)
    ids = strike_election.candidate_ids
    img = render_ballot_image(strike_election, 150)
    m.seal(img, layout, 150)
    m.strike(img, layout, 150, ids[0])
    files = [tmp_path / "b.jpg", tmp_path / "junk.jpg", tmp_path / "a.png"]
    files[0].write_bytes(m.jpeg(img))
    files[1].write_bytes(b"junk")
    files[2].write_bytes(m.png(render_ballot_image(strike_election, 150)))
    code = main(["ballots", "read", election, *map(str, files)])
    out = capsys.readouterr().out
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    first, junk, unsealed = lines
    assert first["status"] == "read" and first["marks"][ids[0]] == "struck" and first["boxes"] is None
    assert set(first) >= {"file", "page", "status", "marks", "boxes", "flags", "scores", "reason"}
    assert (junk["status"], junk["reason"]) == ("rejected", "unreadable_file")
    assert unsealed["status"] == "review" and unsealed["flags"] == ["no_stamp"]


def test_read_with_profile_by_name_and_bad_profile(tmp_path, strike_election, write_election, capsys):
    election = write_election(strike_election)
    scan = tmp_path / "s.png"
    scan.write_bytes(m.png(render_ballot_image(strike_election, 150)))
    assert main(["ballots", "read", election, str(scan), "--profile", "bw-300dpi"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    reading = json.loads(line)
    # the bw profile's blank-ballot rule, and this page has no seal
    assert reading["status"] == "review" and set(reading["flags"]) == {"no_marks", "no_stamp"}
    assert main(["ballots", "read", election, str(scan), "--profile", "no-such"]) == 2
    assert "no-such" in capsys.readouterr().err


def test_read_with_bad_election_exits_2(tmp_path, capsys):
    bad = tmp_path / "e.json"
    bad.write_text("{", encoding="utf-8")
    assert main(["ballots", "read", str(bad), str(tmp_path / "x.png")]) == 2
    assert str(bad) in capsys.readouterr().err


def test_read_takes_ballots_printed_with_one_qr_code_and_with_two(tmp_path, strike_election, write_election, capsys):
    """Ballots printed before the second QR code (their layout JSON has no `qr2`) and ballots
    printed now, one command, one election file: both read."""
    import numpy as np

    from kiemphieu.ocr.geometry import legacy_layout_for
    from kiemphieu.ocr.printing import render_layout_image

    election = write_election(strike_election)
    ids = strike_election.candidate_ids
    files = []
    for name, layout in (("old.jpg", legacy_layout_for(strike_election)), ("new.jpg", layout_for(strike_election))):
        img = np.array(render_layout_image(layout, 150), copy=True)
        m.seal(img, layout, 150)
        m.strike(img, layout, 150, ids[1])
        files.append(tmp_path / name)
        files[-1].write_bytes(m.jpeg(img))
    assert "qr2" not in legacy_layout_for(strike_election).to_json()
    assert main(["ballots", "read", election, *map(str, files)]) == 0
    old, new = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    for reading in (old, new):
        assert reading["status"] == "read", reading
        assert reading["marks"] == {cid: "struck" if cid == ids[1] else "kept" for cid in ids}
    assert old["layout_digest"] == legacy_layout_for(strike_election).digest
    assert new["layout_digest"] == layout_for(strike_election).digest
