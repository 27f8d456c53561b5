"""`kiemphieu ballots print` against contract section 3."""

import json

import pypdfium2

from kiemphieu.cli import main

from .conftest import election_dict


def pdf_pages_text(path):
    document = pypdfium2.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def test_print_writes_pdf_with_copies_and_layout(tmp_path, write_election, capsys):
    election = write_election(election_dict(6, 4))
    out, layout = tmp_path / "b.pdf", tmp_path / "b.json"
    code = main(["ballots", "print", election, "--out", str(out), "--layout", str(layout), "--copies", "3"])
    assert code == 0
    texts = pdf_pages_text(str(out))
    assert len(texts) == 3
    names = [c["name"] for c in election_dict(6, 4)["candidates"]]
    for text in texts:
        assert "PHIẾU BẦU CỬ" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
        for name in names:
            assert name in text
    data = json.loads(layout.read_text(encoding="utf-8"))
    assert data["schema"] == "kiemphieu/layout-1" and data["form"] == "strike"
    assert len(data["candidates"]) == 6


def test_print_boxes_form_has_box_labels(tmp_path, write_election):
    election = write_election(election_dict(2, 2))
    out, layout = tmp_path / "b.pdf", tmp_path / "b.json"
    assert main(["ballots", "print", election, "--out", str(out), "--layout", str(layout)]) == 0
    (text,) = pdf_pages_text(str(out))
    assert "Đồng ý" in text and "Không đồng ý" in text
    data = json.loads(layout.read_text(encoding="utf-8"))
    assert data["form"] == "boxes" and all(c["agree_mm"] for c in data["candidates"])


def test_same_election_prints_same_bytes(tmp_path, write_election):
    election = write_election(election_dict(4, 2))
    outputs = []
    for k in range(2):
        out = tmp_path / f"b{k}.pdf"
        main(["ballots", "print", election, "--out", str(out), "--layout", str(tmp_path / f"l{k}.json")])
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_bad_election_exits_2_naming_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "kiemphieu/election-1",\n "title": }', encoding="utf-8")
    code = main(["ballots", "print", str(bad), "--out", str(tmp_path / "o.pdf"), "--layout", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}:2:" in err
    assert not (tmp_path / "o.pdf").exists()
