"""`kiemphieu export results` and `kiemphieu export ballots` (season.md sections 3 and 4)."""

from __future__ import annotations

import csv
import json

from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import Election

from season_support import app_context, COMMUNE, CONGRESS, count_round, csv_bytes, DISTRICT, season_rows


def codes_by_name(round_) -> dict[str, str]:
    return {c.name: c.code for c in round_.candidates}


def imported_and_counted(cli, tmp_path):
    """Two communes; the first's committee election counted and finalised, its secretary in entry."""
    season = tmp_path / "mua.csv"
    other = f"{DISTRICT} / Đảng bộ xã Đồng Lộc"
    season.write_bytes(csv_bytes(season_rows() + season_rows(path=other, congress="Đại hội Đồng Lộc")))
    assert cli("import", season)[0] == 0
    with app_context():
        committee, secretary = db.session.scalars(
            select(Election).where(Election.title.in_(["Bầu Ban Chấp hành Đảng bộ xã khóa XXI", "Bầu Bí thư Đảng ủy xã"]))
            .order_by(Election.id).limit(2))
        first = committee.rounds[0]
        c = codes_by_name(first)
        # 12 convened, base 12, majority 7: An 8 (elected), Bình 7 (elected), Cường 2, Dung 1.
        stack = ([{"struck": [c["Lê Văn Cường"], c["Phạm Thị Dung"]]}] * 7
                 + [{"struck": [c["Trần Thị Bình"], c["Phạm Thị Dung"]]}]
                 + [{"struck": [c["Nguyễn Văn An"], c["Trần Thị Bình"]]}]
                 + [{"invalid": "no_stamp"}])
        count_round(first, stack)
        # The secretary is elected by the new committee (the 2 just elected), not the congress.
        count_round(secretary.rounds[0], [{"boxes": {secretary.candidates[0].code: "agree"}}] * 2, finalise=False)
        return first.id, secretary.rounds[0].id


def test_results_csv_has_the_contract_columns_states_and_decimal_commas(cli, tmp_path):
    imported_and_counted(cli, tmp_path)
    out = tmp_path / "ketqua.csv"
    code, _, err = cli("export", "results", "--format", "csv", "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "to_chuc,dai_hoi,cuoc_bau,vong,trang_thai,ho_ten,ngay_sinh,so_phieu,ty_le,ket_qua"
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == 2 * 5  # two congresses, 4 + 1 candidates each
    an = rows[0]
    assert (an["to_chuc"], an["dai_hoi"], an["cuoc_bau"], an["vong"]) == (
        COMMUNE, CONGRESS, "Bầu Ban Chấp hành Đảng bộ xã khóa XXI", "1")
    counted = {r["ho_ten"]: r for r in rows[:4]}
    # ballot order: by given name (An, Bình, Cường, Dung)
    assert [r["ho_ten"] for r in rows[:4]] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
    an = counted["Nguyễn Văn An"]
    assert (an["trang_thai"], an["so_phieu"], an["ty_le"], an["ket_qua"], an["ngay_sinh"]) == (
        "đã chốt", "8", "66,67", "Trúng cử", "02/04/1975")
    assert (counted["Trần Thị Bình"]["so_phieu"], counted["Trần Thị Bình"]["ket_qua"]) == ("7", "Trúng cử")
    assert counted["Trần Thị Bình"]["ngay_sinh"] == "1980"
    assert (counted["Lê Văn Cường"]["ty_le"], counted["Lê Văn Cường"]["ket_qua"]) == ("16,67", "Không đủ quá một nửa")
    secretary = rows[4]
    assert (secretary["trang_thai"], secretary["so_phieu"], secretary["ty_le"]) == ("đang kiểm", "2", "100,00")
    untouched = [r for r in rows if r["to_chuc"].endswith("Đồng Lộc")]
    assert {r["trang_thai"] for r in untouched} == {"chuẩn bị"}
    assert {(r["so_phieu"], r["ty_le"], r["ket_qua"]) for r in untouched} == {("", "", "")}


def test_results_json_matches_tally_on_the_exported_files_and_the_digest(cli, tmp_path, capsys):
    committee_round, secretary_round = imported_and_counted(cli, tmp_path)
    out = tmp_path / "ketqua.json"
    assert cli("export", "results", "--format", "json", "--out", out)[0] == 0
    items = json.loads(out.read_text(encoding="utf-8"))
    assert [set(item) for item in items] == [{"organisation", "congress", "election", "round", "state", "digest",
                                              "election_file", "result"}] * 4
    finalised, in_entry, prepared, _ = items
    assert (finalised["state"], in_entry["state"], prepared["state"]) == ("đã chốt", "đang kiểm", "chuẩn bị")
    assert prepared["result"] is None and prepared["digest"] is None and in_entry["digest"] is None
    with app_context():
        from kiemphieu.models import Round

        assert finalised["digest"] == db.session.get(Round, committee_round).digest
    for item, round_id in ((finalised, committee_round), (in_entry, secretary_round)):
        election = tmp_path / f"election-{round_id}.json"
        election.write_text(json.dumps(item["election_file"], ensure_ascii=False), encoding="utf-8")
        ballots = tmp_path / f"ballots-{round_id}.jsonl"
        assert cli("export", "ballots", round_id, "--out", ballots)[0] == 0
        code, printed, err = cli("tally", election, ballots)
        assert code == 0, err
        assert json.loads(printed) == item["result"]
    assert finalised["result"]["elected"] and finalised["result"]["ballots"]["counted"] == 10


def test_export_ballots_in_stack_order_as_ruled(cli, tmp_path):
    committee_round, _ = imported_and_counted(cli, tmp_path)
    out = tmp_path / "phieu.jsonl"
    assert cli("export", "ballots", committee_round, "--out", out)[0] == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10
    assert lines[-1] == {"invalid": "no_stamp"}
    assert all("struck" in line for line in lines[:9])
    assert lines[7] != lines[6] and lines[8] != lines[7]  # positions 8 and 9 are the two different ballots


def test_export_scope_is_the_organisation_subtree(cli, tmp_path):
    imported_and_counted(cli, tmp_path)
    out = tmp_path / "xa.json"
    code, _, err = cli("export", "results", "--format", "json", "--organisation", COMMUNE, "--out", out)
    assert code == 0, err
    assert {item["organisation"] for item in json.loads(out.read_text(encoding="utf-8"))} == {COMMUNE}
    out = tmp_path / "huyen.json"
    assert cli("export", "results", "--format", "json", "--organisation", DISTRICT, "--out", out)[0] == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 4
    code, _, err = cli("export", "results", "--format", "csv", "--organisation", "Không có", "--out", out)
    assert code == 2 and "không có tổ chức" in err
    code, _, err = cli("export", "ballots", "999", "--out", tmp_path / "x.jsonl")
    assert code == 2 and "không có vòng bầu" in err
