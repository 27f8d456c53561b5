"""Signed minutes (PAdES, pyHanko): signing keeps the certified content; verify reports the
signature (intact, who signed, trusted, changed after signing); unsigned output is unchanged."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from minutes_support import SCENARIOS, flat
from throwaway_ca import P12_PASSWORD

from kiemphieu.cli import main
from kiemphieu.minutes import verify_minutes
from kiemphieu.minutes.signing import SigningError, SigningKey, check_signatures, load_certificates, sign_pdf
from kiemphieu.tally import ballot_to_json, election_to_json


@pytest.fixture
def key(throwaway_ca):
    return SigningKey(p12=throwaway_ca.signer_p12, password=P12_PASSWORD)


def test_signing_is_incremental_and_keeps_the_attachments(rendered, key):
    _, _, pdf = rendered("complete_with_invalid")
    signed = sign_pdf(pdf, key)
    assert signed.startswith(pdf)  # the certified bytes are untouched: the signature is appended
    with pikepdf.open(io.BytesIO(signed)) as document:
        assert set(document.attachments) == {"election.json", "ballots.jsonl", "result.json"}
    assert flat(signed) == flat(pdf)
    assert verify_minutes(signed).ok


def test_a_signed_minutes_verifies_with_its_signer(rendered, key, throwaway_ca):
    _, _, pdf = rendered("complete_with_invalid")
    signed = sign_pdf(pdf, key)
    roots = load_certificates([throwaway_ca.root_pem])
    report = verify_minutes(signed, roots)
    assert report.ok, report.text()
    [check] = report.signatures
    assert check.intact and check.trusted and not check.changed_after
    assert check.signer == "Lê Thị Thu (Ban kiểm phiếu)"
    assert "Chữ ký số 1 / signature 1: Lê Thị Thu (Ban kiểm phiếu)" in report.text()
    # A root that did not issue the certificate: intact, but not trusted.
    other = verify_minutes(signed, load_certificates([throwaway_ca.other_root_pem]))
    assert not other.ok and other.signatures[0].intact and other.signatures[0].trusted is False


def test_a_second_signature_is_not_a_change(rendered, key):
    _, _, pdf = rendered("complete_with_invalid")
    twice = sign_pdf(sign_pdf(pdf, key), key)
    checks = check_signatures(twice)
    assert len(checks) == 2 and all(c.intact for c in checks)
    assert not checks[0].changed_after and checks[0].later_signatures_only


def changed_after_signing(signed: bytes) -> bytes:
    """An incremental update after the signature: the first page's text drawn over."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"1 1 1 rg 50 600 300 100 re f")
    contents = page["/Contents"]
    items = list(contents) if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]
    page["/Contents"] = generic.ArrayObject(items + [writer.add_object(stream)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_minutes_changed_after_signing_is_reported_as_changed(rendered, key, throwaway_ca):
    _, _, pdf = rendered("complete_with_invalid")
    tampered = changed_after_signing(sign_pdf(pdf, key))
    report = verify_minutes(tampered, load_certificates([throwaway_ca.root_pem]))
    [check] = report.signatures
    assert check.intact and check.changed_after  # the signed revision is intact, the file is not
    assert not report.ok
    assert "the document was CHANGED after signing" in report.text()


def test_bytes_changed_inside_the_signed_range_break_the_signature(rendered, key):
    _, _, pdf = rendered("complete_with_invalid")
    signed = bytearray(sign_pdf(pdf, key))
    at = signed.index(b"/Producer")
    signed[at + 1] = ord("p")  # one byte of the signed revision
    report = verify_minutes(bytes(signed))
    assert report.signatures and not report.signatures[0].intact and not report.ok


def test_a_wrong_password_is_a_signing_error(rendered, throwaway_ca):
    _, _, pdf = rendered("complete_with_invalid")
    with pytest.raises(SigningError, match="sai mật khẩu"):
        sign_pdf(pdf, SigningKey(p12=throwaway_ca.signer_p12, password=b"sai"))


def write_round(folder, name):
    election, ballots = SCENARIOS[name]()
    election_path, ballots_path = folder / f"{name}.json", folder / f"{name}.jsonl"
    election_path.write_text(json.dumps(election_to_json(election), ensure_ascii=False), encoding="utf-8")
    ballots_path.write_text("".join(json.dumps(ballot_to_json(b)) + "\n" for b in ballots), encoding="utf-8")
    return election_path, ballots_path


def test_cli_signs_and_verify_reports_the_signature(tmp_path, capsys, monkeypatch, throwaway_ca):
    monkeypatch.setenv("KIEMPHIEU_SIGN_PASSWORD", P12_PASSWORD.decode())
    election_path, ballots_path = write_round(tmp_path, "complete_with_invalid")
    out = tmp_path / "signed.pdf"
    assert main(["minutes", str(election_path), str(ballots_path), "--out", str(out), "--ended-at", "16:30",
                 "--sign-p12", str(throwaway_ca.signer_p12), "--sign-location", "Yên Lập"]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), "--trust-root", str(throwaway_ca.root_pem)]) == 0
    text = capsys.readouterr().out
    assert "[KHỚP / OK]      Chữ ký số 1 / signature 1: Lê Thị Thu (Ban kiểm phiếu): nguyên vẹn / intact" in text
    assert "Chứng thư tin cậy / trusted certificate, signature 1" in text
    assert main(["verify", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["signatures"][0]["signer"] == "Lê Thị Thu (Ban kiểm phiếu)" and data["signatures"][0]["trusted"] is None

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(changed_after_signing(out.read_bytes()))
    assert main(["verify", str(tampered)]) == 1
    assert "[SAI / MISMATCH] Không sửa sau khi ký" in capsys.readouterr().out


def test_cli_sign_command_signs_an_existing_pdf(tmp_path, capsys, monkeypatch, rendered, throwaway_ca):
    monkeypatch.setenv("KIEMPHIEU_SIGN_PASSWORD", P12_PASSWORD.decode())
    _, _, pdf = rendered("complete_with_invalid")
    (tmp_path / "in.pdf").write_bytes(pdf)
    assert main(["sign", str(tmp_path / "in.pdf"), "--out", str(tmp_path / "out.pdf"),
                 "--sign-p12", str(throwaway_ca.signer_p12)]) == 0
    assert check_signatures((tmp_path / "out.pdf").read_bytes())[0].intact
    monkeypatch.setenv("KIEMPHIEU_SIGN_PASSWORD", "sai")
    assert main(["sign", str(tmp_path / "in.pdf"), "--out", str(tmp_path / "x.pdf"),
                 "--sign-p12", str(throwaway_ca.signer_p12)]) == 2


def test_unsigned_minutes_verify_output_is_unchanged(rendered):
    _, _, pdf = rendered("complete_with_invalid")
    report = verify_minutes(pdf)
    assert report.signatures == [] and report.notes == []
    assert "signatures" not in report.to_json()
    assert "Chữ ký" not in report.text() and "note" not in report.text()


def test_a_pkcs11_token_signs_like_the_usb_tokens(rendered, throwaway_ca, tmp_path, monkeypatch):
    import shutil

    pytest.importorskip("pkcs11", reason="python-pkcs11 (pyHanko[pkcs11]) is not installed")
    if not shutil.which("softhsm2-util"):
        pytest.skip("SoftHSM (Debian softhsm2) is absent")
    from throwaway_ca import make_token

    monkeypatch.setenv("SOFTHSM2_CONF", str(tmp_path / "softhsm2.conf"))
    module, label = make_token(tmp_path, throwaway_ca)
    _, _, pdf = rendered("complete_with_invalid")
    key = SigningKey(pkcs11_lib=module, token_label=label, key_label="signer", pin="1234")
    signed = sign_pdf(pdf, key)
    report = verify_minutes(signed, load_certificates([throwaway_ca.root_pem]))
    assert report.ok, report.text()
    assert report.signatures[0].signer == "Lê Thị Thu (Ban kiểm phiếu)"
    with pytest.raises(SigningError, match="không mở được thiết bị ký"):
        sign_pdf(pdf, SigningKey(pkcs11_lib=module, token_label=label, key_label="signer", pin="0000"))
