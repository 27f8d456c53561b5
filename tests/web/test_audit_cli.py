"""``kiemphieu audit-check``: per congress, ballots and digests, the printed anchor; exit codes."""

import sqlite3

import pytest

from kiemphieu.cli import main


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    main(["db-upgrade"])
    main(["demo"])
    return tmp_path


def test_audit_check_passes_then_finds_an_edited_ballot(instance, capsys):
    capsys.readouterr()
    assert main(["audit-check"]) == 0
    out = capsys.readouterr().out
    assert "Đại hội 1: " in out and "phiếu" in out and "khớp." in out and "Nhật ký toàn vẹn" in out
    assert main(["audit-check", "--congress", "1"]) == 0
    with sqlite3.connect(instance / "kiemphieu.sqlite") as conn:
        conn.execute("UPDATE ballot SET marks = '{\"invalid\": \"other\"}' WHERE id = 7")
    capsys.readouterr()
    assert main(["audit-check", "--congress", "1"]) == 1
    err = capsys.readouterr().err
    assert "Đại hội 1: phiếu: phiếu số 7 lượt A: nội dung phiếu khác với nhật ký" in err
    assert "Nhật ký bị phá vỡ" in err


def test_audit_check_anchor(instance, capsys):
    with sqlite3.connect(instance / "kiemphieu.sqlite") as conn:
        seq, hash_ = conn.execute("SELECT seq, hash FROM audit_entry WHERE chain = 'congress-1' AND seq = 3").fetchone()
    assert main(["audit-check", "--congress", "1", "--anchor", f"{seq}:{hash_}"]) == 0
    assert main(["audit-check", "--congress", "1", "--anchor", f"{seq}:{'0' * 64}"]) == 1
    assert "mục số 3 có mã khác với mã đã in" in capsys.readouterr().err
    assert main(["audit-check", "--anchor", f"{seq}:{hash_}"]) == 2  # needs --congress
