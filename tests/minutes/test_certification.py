"""PDF/A-3b with the round's files attached, byte-identical output, fonts, and `verify` catching edits."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from minutes_support import flat, keep, make_election, pdf_pages

from kiemphieu.minutes import (
    UnreadableMinutes,
    render_minutes,
    verify_minutes,
)
from kiemphieu.tally import (
    Candidate,
    ballot_to_json,
    election_to_json,
    iter_ballots,
    parse_election,
    round_digest,
    tally,
)

MM = 72 / 25.4  # PDF points per millimetre
LEFT_MARGIN_MM, RIGHT_MARGIN_MM, TOP_MARGIN_MM = 28, 16, 18


def attachments(pdf: bytes) -> dict[str, bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return {name: spec.get_file().read_bytes() for name, spec in document.attachments.items()}


def replace_attachment(pdf: bytes, name: str, data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.attachments[name] = pikepdf.AttachedFileSpec(document, data, filename=name)
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def write_inputs(tmp_path: Path, election, ballots) -> tuple[Path, Path]:
    election_path = tmp_path / "election.json"
    ballots_path = tmp_path / "ballots.jsonl"
    election_path.write_text(json.dumps(election_to_json(election), ensure_ascii=False, indent=2), encoding="utf-8")
    ballots_path.write_text("".join(json.dumps(ballot_to_json(b)) + "\n" for b in ballots), encoding="utf-8")
    return election_path, ballots_path


# ------------------------------------------------------------------ same inputs, same bytes


def test_same_inputs_give_identical_bytes_in_one_process(rendered):
    election, ballots, pdf = rendered("complete_with_invalid")
    assert render_minutes(election, ballots, ended_at="16:45") == pdf
    assert render_minutes(election, ballots, ended_at="16:46") != pdf  # the time is printed


def test_same_inputs_give_identical_bytes_across_processes(rendered, tmp_path):
    election, ballots, _ = rendered("complete_with_invalid")
    election_path, ballots_path = write_inputs(tmp_path, election, ballots)
    out = tmp_path / "minutes.pdf"
    subprocess.run([sys.executable, "-m", "kiemphieu.cli", "minutes", str(election_path), str(ballots_path),
                    "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == render_minutes(election, ballots)


def test_metadata_dates_come_from_the_election_day(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        # 16:45 in Vietnam (UTC+7) on the election day.
        assert str(document.docinfo["/CreationDate"]) == "D:20250620164500+07'00"
        assert str(document.docinfo["/ModDate"]) == "D:20250620164500+07'00"


# ------------------------------------------------------------------ PDF/A-3b and the attached record


def test_pdfa_3b_with_the_round_attached(rendered):
    election, ballots, pdf = rendered("complete_with_invalid")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        meta = document.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert "/OutputIntents" in document.Root
        assert len(document.Root.AF) == 3  # associated files, as PDF/A-3 wants
        assert pdf.startswith(b"%PDF-1.7")
    files = attachments(pdf)
    assert set(files) == {"election.json", "ballots.jsonl", "result.json"}
    assert json.loads(files["result.json"]) == tally(election, ballots).to_json()
    attached_election = parse_election(files["election.json"].decode(), "election.json")
    attached_ballots = list(iter_ballots(files["ballots.jsonl"].decode(), attached_election))
    assert attached_election == election
    assert attached_ballots == ballots
    assert round_digest(attached_election, attached_ballots) == round_digest(election, ballots)


# ------------------------------------------------------------------ fonts and the page as an image


def test_every_font_is_embedded_liberation_serif(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    seen = set()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for _, font in page.Resources.Font.items():
                seen.add(str(font.BaseFont))
                descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
                assert "/FontFile2" in descriptor, f"{font.BaseFont} is not embedded"
    assert seen and all(re.fullmatch(r"/[A-Z]{6}\+Liberation-Serif(-Bold|-Italic|-BoldItalic)?", n) for n in seen), seen


VIETNAMESE = ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
              "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")


def _glyph_ids(content: bytes) -> set[str]:
    """Every glyph id shown by a TJ/Tj string (Identity-H: four hex digits a glyph)."""
    ids = set()
    for hex_string in re.findall(rb"<([0-9a-fA-F]+)>", content):
        ids.update(hex_string[i:i + 4].decode().lower() for i in range(0, len(hex_string), 4))
    return ids


def test_every_vietnamese_letter_has_a_glyph_and_reads_back():
    election = make_election("ab", seats=1, convened=9, candidates=(
        Candidate("a", "Nguyễn Văn An"), Candidate("v", f"Thử {VIETNAMESE[:67]} {VIETNAMESE[67:]}")))
    pdf = render_minutes(election, keep(election, "a", 5) + keep(election, ["v"], 3))
    text = flat(pdf)
    assert VIETNAMESE[:67] in text and VIETNAMESE[67:] in text
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            # Glyph 0 is .notdef, the "missing glyph" box.
            assert "0000" not in _glyph_ids(page.Contents.read_bytes())


def test_first_page_image_stays_inside_the_margins(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    width_pt, height_pt = page.get_size()
    assert (round(width_pt / MM), round(height_pt / MM)) == (210, 297)  # A4 portrait

    scale = 100 / 72
    image = np.asarray(page.render(scale=scale).to_pil().convert("L"))
    ink = np.argwhere(image < 128)
    assert len(ink) > 10_000  # the page really has text, tables and a QR code
    px_per_mm = scale * MM
    top, left = ink.min(axis=0) / px_per_mm
    _, right = ink.max(axis=0) / px_per_mm
    assert left >= LEFT_MARGIN_MM - 0.5
    assert right <= 210 - RIGHT_MARGIN_MM + 0.5
    assert top >= TOP_MARGIN_MM - 0.5

    # Every character box too (tables included), from the text layer.
    textpage = page.get_textpage()
    for i in range(textpage.count_chars()):
        x0, _, x1, _ = textpage.get_charbox(i)
        assert LEFT_MARGIN_MM * MM - 1 <= x0 and x1 <= (210 - RIGHT_MARGIN_MM) * MM + 1
    document.close()


# ------------------------------------------------------------------ verify


def test_verify_accepts_the_minutes_as_written(rendered):
    election, ballots, pdf = rendered("tie")
    report = verify_minutes(pdf)
    assert report.ok, report.text()
    assert report.digest == report.printed_digest == round_digest(election, ballots)
    assert report.pdfa == "3B" and not report.draft


def test_verify_catches_a_changed_number_in_the_attached_result(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    result = json.loads(attachments(pdf)["result.json"])
    result["candidates"][1]["votes"] += 1
    report = verify_minutes(replace_attachment(pdf, "result.json", json.dumps(result).encode()))
    assert not report.ok
    (problem,) = report.problems
    assert f"result.candidates[{result['candidates'][1]['id']}].votes" in problem.detail


def test_verify_catches_a_changed_ballot(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    lines = attachments(pdf)["ballots.jsonl"].decode().splitlines()
    lines[0] = json.dumps({"invalid": "no_stamp"})  # a valid ballot quietly made invalid
    report = verify_minutes(replace_attachment(pdf, "ballots.jsonl", ("\n".join(lines) + "\n").encode()))
    assert not report.ok
    what = " ".join(p.what for p in report.problems)
    assert "result.json" in what  # the attached result no longer matches the recount
    assert "digest" in what  # nor does the printed fingerprint
    assert "valid" in what  # nor the printed ballot counts


def _digit_glyphs(document) -> dict[str, str]:
    """Digit -> glyph id in the regular font, from its ToUnicode map."""
    font = next(f for _, f in document.pages[0].Resources.Font.items()
                if str(f.BaseFont).endswith("+Liberation-Serif"))
    cmap = font.ToUnicode.read_bytes().decode()
    pairs = re.findall(r"<([0-9a-f]{4})> <([0-9a-f]{4})>", cmap)
    return {chr(int(u, 16)): g for g, u in pairs if chr(int(u, 16)).isdigit()}


def test_verify_catches_a_number_rewritten_in_the_page_content(rendered):
    election, ballots, pdf = rendered("complete_with_invalid")
    result = tally(election, ballots)
    top = result.by_id(result.elected[0])  # 27 votes: printed in both tables
    old, new = str(top.votes), str(top.votes + 1)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        glyphs = _digit_glyphs(document)
        assert set(old + new) <= set(glyphs)
        shown = lambda number: ("[" + "".join(f"<{glyphs[d]}>0" for d in number) + "] TJ").encode()
        for page in document.pages:
            content = page.Contents.read_bytes()
            if shown(old) in content:
                page.Contents.write(content.replace(shown(old), shown(new), 1))
                break
        else:
            pytest.fail("the vote count was not found in any content stream")
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    tampered = out.getvalue()
    assert f"{top.order} {top.name} {new} " in flat(tampered)  # the page now shows the forged figure
    report = verify_minutes(tampered)
    assert not report.ok
    (problem,) = report.problems
    assert "results table" in problem.what
    assert f"printed {new} votes" in problem.detail and f"recount {old} votes" in problem.detail


def test_verify_catches_pages_paired_with_another_rounds_files(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    election, ballots, _ = rendered("complete_with_invalid")
    other = render_minutes(election, ballots[1:])  # the same round with one ballot fewer
    swapped = pdf
    for name, data in attachments(other).items():
        swapped = replace_attachment(swapped, name, data)
    report = verify_minutes(swapped)
    assert not report.ok
    assert any("printed digest" in p.what for p in report.problems)
    assert any("ballots counted" in p.what for p in report.problems)


def test_verify_fails_when_an_attachment_is_removed(rendered):
    _, _, pdf = rendered("tie")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        del document.attachments["ballots.jsonl"]
        out = io.BytesIO()
        document.save(out)
    report = verify_minutes(out.getvalue())
    assert not report.ok
    assert "missing ballots.jsonl" in report.problems[-1].detail


def test_verify_refuses_what_is_not_a_pdf():
    with pytest.raises(UnreadableMinutes):
        verify_minutes(b"%PDF-1.7 this is not really a PDF")


def test_a_draft_is_reported_as_such(rendered):
    election, ballots, _ = rendered("unfilled")
    report = verify_minutes(render_minutes(election, ballots, draft=True))
    assert report.ok and report.draft
    assert "bản nháp" in report.text()


def test_pages_read_back_once_per_page(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    assert all(f"Trang {i}/{len(pages)}" in page for i, page in enumerate(pages, 1))


def test_verify_reads_a_name_long_enough_to_wrap_in_its_cell():
    long_name = "Nguyễn Thị Phương Thảo Hoàng Lan Ngọc Minh Châu Thanh Hương Nguyệt Ánh"
    base = make_election("ab", seats=1, convened=9)
    election = make_election("ab", seats=1, convened=9,
                             candidates=(Candidate("a", long_name), base.candidates[1]))
    ballots = keep(election, "a", times=6) + keep(election, "b", times=2)
    pdf = render_minutes(election, ballots)
    assert "Nguyệt Ánh\n" in "\n".join(pdf_pages(pdf)).replace("\r", "")  # it really wraps
    report = verify_minutes(pdf)
    assert report.ok, report.text()
